//! The chart: for every metric, each peer's (and the floor's) ratio to
//! retinue as a bar on a log axis; the line at 1 is retinue. Above the line
//! retinue is ahead.
//!
//! Invariants: only the SVG backend (no fonts, no bitmap codecs), so the
//! plotting crate builds with minimal features.

use std::path::Path;

use plotters::prelude::*;

use crate::FRAMEWORKS;
use crate::report::Results;

const COLORS: [RGBColor; 9] = [
    RGBColor(0x17, 0xbe, 0xcf),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0x99, 0x99, 0x99),
    RGBColor(0x66, 0x66, 0x66),
    RGBColor(0x33, 0x33, 0x33),
];

/// Draws the chart into `path`.
pub fn draw(results: &Results, path: &Path, mode: &str) -> Result<(), Box<dyn std::error::Error>> {
    let metrics = results.metrics();
    let others: Vec<&str> = FRAMEWORKS[1..].to_vec();
    let root = SVGBackend::new(path, (960, 540)).into_drawing_area();
    root.fill(&WHITE)?;
    let n = metrics.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("time or memory relative to retinue ({mode} mode; > 1 = retinue ahead)"),
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0f64..n, (0.05f64..200f64).log_scale())?;
    let labels: Vec<&str> = metrics.iter().map(|m| m.0).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(labels.len() * 2 + 1)
        .x_label_formatter(&|x| {
            let i = (x - 0.5).round();
            if (x - 0.5 - i).abs() < 1e-6 && i >= 0.0 {
                labels
                    .get(i as usize)
                    .map_or(String::new(), |s| s.to_string())
            } else {
                String::new()
            }
        })
        .y_desc("framework / retinue")
        .draw()?;
    let width = 0.8 / others.len() as f64;
    for (j, f) in others.iter().enumerate() {
        let color = COLORS[j % COLORS.len()];
        let bars: Vec<_> = metrics
            .iter()
            .enumerate()
            .filter_map(|(i, (key, ..))| {
                let ratio = results.value(key, f)? / results.value(key, "retinue")?;
                let x0 = i as f64 + 0.1 + j as f64 * width;
                Some(Rectangle::new(
                    [(x0, 0.05), (x0 + width * 0.9, ratio.clamp(0.05, 200.0))],
                    color.filled(),
                ))
            })
            .collect();
        chart
            .draw_series(bars)?
            .label(*f)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
    }
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(0.0, 1.0), (n, 1.0)],
        BLACK.stroke_width(2),
    )))?;
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
