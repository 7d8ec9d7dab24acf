//! Render snapshots of the live view on ratatui's `TestBackend`, at the
//! smallest supported terminal (80x24) and a wide one (160x40): nothing
//! wraps or is cut without `…`, every actor is on exactly one line, and
//! the facts an operator looks for first are on screen.

use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use retinue::supervisor::{ChildState, ExitRecord, RestartBudget};

use super::sample::{Detail, Row, Sample};
use super::view::{Sort, Ui, draw, visible};

fn row(path: &str, last: &[bool], kind: &str) -> Row {
    Row {
        path: path.to_string(),
        id: path.rsplit('/').next().unwrap_or("root").to_string(),
        depth: last.len(),
        last: last.to_vec(),
        kind: kind.to_string(),
        state: ChildState::Running,
        handled: 1234,
        rate: 42.5,
        uptime: Some(Duration::from_millis(6_500)),
        restarts: 0,
        budget: Some(RestartBudget {
            used: 3,
            max: 30,
            within: Duration::from_secs(10),
        }),
        restart_in: None,
        mailbox: 2,
        capacity: Some(256),
        exits: Vec::new(),
        detail: None,
    }
}

/// The demo's shape: a queue, a semaphore, an open breaker, and a worker
/// supervisor with one worker waiting out its restart backoff.
fn demo() -> Sample {
    let mut root = row("", &[], "supervisor");
    root.id = "root".into();
    root.budget = None;
    let mut jobs = row("jobs", &[false], "queue");
    jobs.detail = Some(Detail::Queue {
        len: 17,
        maxsize: 200,
    });
    let mut slots = row("slots", &[false], "semaphore");
    slots.detail = Some(Detail::Semaphore {
        free: 1,
        total: Some(3),
        waiters: 2,
    });
    let mut payments = row("payments", &[false], "circuit_breaker");
    payments.detail = Some(Detail::Breaker {
        state: "open".into(),
        in_state: Duration::from_millis(1_200),
        openings: 2,
        calls: 500,
        failures: 9,
        rejected: 4,
    });
    let mut lock = row("ledger_lock", &[false], "lock");
    lock.detail = Some(Detail::Lock {
        holder: Some(7),
        waiters: 1,
    });
    let workers = row("workers", &[true], "supervisor");
    let mut rows = vec![root, jobs, slots, payments, lock, workers];
    for i in 1..=4 {
        let mut w = row(&format!("workers/w{i}"), &[true, i == 4], "demo.worker");
        if i == 2 {
            w.state = ChildState::Restarting;
            w.restart_in = Some(Duration::from_millis(300));
            w.uptime = None;
            w.restarts = 3;
            w.exits = vec![ExitRecord {
                reason: "failed: crashed while working on job-95".into(),
                abnormal: true,
                ago: Duration::from_millis(700),
            }];
        }
        rows.push(w);
    }
    Sample {
        elapsed: Duration::from_millis(12_300),
        rows,
        counters: vec![("produced".into(), 288), ("crashes".into(), 4)],
    }
}

fn render(
    sample: &Sample,
    ui: &Ui,
    width: u16,
    height: u16,
) -> (Vec<String>, Terminal<TestBackend>) {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| draw(f, sample, ui)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let lines = (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
        })
        .collect();
    (lines, terminal)
}

fn ui() -> Ui {
    Ui::new("examples/demo.toml", true)
}

fn lines_with<'a>(lines: &'a [String], needle: &str) -> Vec<&'a String> {
    lines.iter().filter(|l| l.contains(needle)).collect()
}

/// Each actor's id is on exactly one line (no wrapped or doubled rows).
fn assert_every_actor_once(lines: &[String], sample: &Sample) {
    for r in &sample.rows {
        let label = if r.depth == 0 {
            "root".to_string()
        } else {
            format!(" {} ", r.id)
        };
        let found = lines.iter().filter(|l| l.contains(&label)).count();
        assert_eq!(
            found,
            1,
            "{label:?} on {found} lines:\n{}",
            lines.join("\n")
        );
    }
}

#[test]
fn at_80x24_every_actor_fits_on_one_line_with_the_key_facts() {
    let sample = demo();
    let (lines, _) = render(&sample, &ui(), 80, 24);
    let screen = lines.join("\n");
    assert_eq!(lines_with(&lines, "retinue run").len(), 1, "{screen}");
    assert!(
        lines[0].contains("12.3s") && lines[0].contains("9/10 running"),
        "{screen}"
    );
    assert!(
        lines[1].contains("msg/s") && lines[1].contains("restarts"),
        "{screen}"
    );
    assert!(lines[1].contains("mailbox"), "{screen}");
    assert_every_actor_once(&lines, &sample);
    let w2 = lines_with(&lines, " w2 ")[0];
    assert!(w2.contains("restart 300ms"), "the backoff countdown: {w2}");
    assert!(w2.contains("3 (3/30)"), "restarts and budget: {w2}");
    assert!(w2.contains("2/256"), "mailbox against capacity: {w2}");
    assert!(w2.contains("42.5"), "rate: {w2}");
    let payments = lines_with(&lines, " payments ")[0];
    assert!(payments.contains("open 1.2s"), "{payments}");
    assert!(
        payments.trim_end().ends_with('…'),
        "a long cell is elided: {payments}"
    );
    assert!(
        lines_with(&lines, " jobs ")[0].contains("queue 17/200"),
        "{screen}"
    );
    assert!(
        lines_with(&lines, " slots ")[0].contains("permits 1/3"),
        "{screen}"
    );
    assert!(
        lines_with(&lines, "ledger_lock")[0].contains("held by #7"),
        "{screen}"
    );
    assert!(lines[22].starts_with("produced 288  crashes 4"), "{screen}");
    assert!(lines[23].starts_with("q quit  p pause  s sort"), "{screen}");
}

#[test]
fn at_160x40_the_optional_columns_and_whole_details_show() {
    let sample = demo();
    let (lines, _) = render(&sample, &ui(), 160, 40);
    let screen = lines.join("\n");
    for header in ["kind", "msgs", "uptime", "details"] {
        assert!(lines[1].contains(header), "{header}:\n{screen}");
    }
    assert_every_actor_once(&lines, &sample);
    let payments = lines_with(&lines, " payments ")[0];
    assert!(payments.contains("circuit_breaker"), "{payments}");
    assert!(
        payments.contains("open 1.2s, opened 2x, fail 9, rej 4"),
        "{payments}"
    );
    assert!(
        lines_with(&lines, " w1 ")[0].contains("6.5s"),
        "uptime:\n{screen}"
    );
    assert!(
        lines_with(&lines, " w1 ")[0].contains("1.2k"),
        "handled:\n{screen}"
    );
    assert!(
        !screen.contains('…'),
        "nothing is cut when there is room:\n{screen}"
    );
}

#[test]
fn the_detail_pane_shows_the_selected_actors_recent_exits() {
    let sample = demo();
    let mut ui = ui();
    ui.detail = true;
    ui.selected = 7; // workers/w2
    let (lines, _) = render(&sample, &ui, 80, 24);
    let screen = lines.join("\n");
    assert_eq!(
        lines_with(&lines, "workers/w2 (demo.worker)").len(),
        1,
        "{screen}"
    );
    assert!(
        screen.contains("parent budget 3 of 30 within 10.0s"),
        "{screen}"
    );
    assert!(screen.contains("recent exits:"), "{screen}");
    assert!(
        screen.contains("700ms ago  failed: crashed while working on job-95"),
        "{screen}"
    );
    assert_eq!(lines_with(&lines, "retinue run").len(), 1, "{screen}");
}

#[test]
fn no_color_draws_without_colours() {
    let sample = demo();
    let mut plain = ui();
    plain.colour = false;
    let (_, terminal) = render(&sample, &plain, 80, 24);
    let buffer = terminal.backend().buffer();
    let coloured = buffer
        .content
        .iter()
        .filter(|c| c.fg != Color::Reset || c.bg != Color::Reset)
        .count();
    assert_eq!(coloured, 0);
    let (_, terminal) = render(&sample, &ui(), 80, 24);
    let buffer = terminal.backend().buffer();
    assert!(
        buffer.content.iter().any(|c| c.fg == Color::Red),
        "open breaker in red"
    );
}

#[test]
fn filter_and_sort_choose_and_order_the_rows() {
    let sample = demo();
    let mut ui = ui();
    ui.filter = "W".into();
    let paths: Vec<&str> = visible(&sample, &ui)
        .iter()
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "workers",
            "workers/w1",
            "workers/w2",
            "workers/w3",
            "workers/w4"
        ]
    );
    ui.filter.clear();
    ui.sort = Sort::Restarts;
    assert_eq!(visible(&sample, &ui)[0].path, "workers/w2");
    let (lines, _) = render(&sample, &ui, 80, 24);
    assert!(
        lines[2].contains("workers/w2"),
        "paths, not the tree, when sorted"
    );
}

#[test]
fn pause_sort_and_filter_stay_in_the_title_at_80_columns() {
    let sample = demo();
    let mut ui = ui();
    ui.paused = true;
    ui.sort = Sort::Rate;
    ui.filter = "work".into();
    let (lines, _) = render(&sample, &ui, 80, 24);
    assert!(lines[0].starts_with("retinue run "), "{}", lines[0]);
    assert!(
        lines[0]
            .trim_end()
            .ends_with("sort rate │ filter work │ PAUSED"),
        "{}",
        lines[0]
    );
}

#[test]
fn a_tiny_terminal_still_draws_one_title_and_no_wrapped_rows() {
    let sample = demo();
    let (lines, _) = render(&sample, &ui(), 40, 8);
    assert_eq!(lines_with(&lines, "retinue run").len(), 1);
    assert!(lines[0].ends_with('…'), "{}", lines[0]);
}
