//! The terminal view of a [`Sample`], drawn with ratatui: a title line, a
//! table of actors, an optional detail pane for the selected actor, the
//! application counters and a key line.
//!
//! Invariants: drawing is a pure function of the sample and the [`Ui`]
//! state (so it is tested on ratatui's `TestBackend`); every cell is cut to
//! its column with `…` before it is drawn, and columns are dropped by
//! priority on narrow terminals, so nothing ever wraps; with `colour` off
//! (`NO_COLOR`) only bold and reverse video are used.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row as TableRow, Table, TableState};
use retinue::supervisor::ChildState;

use super::sample::{Detail, Row, Sample, count, elide, short};

/// How rows are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// The tree, in start order.
    Tree,
    /// Most restarts first.
    Restarts,
    /// Busiest first.
    Rate,
    /// Fullest mailbox first.
    Mailbox,
    /// By path.
    Name,
}

impl Sort {
    /// The next order (the `s` key).
    pub fn next(self) -> Sort {
        match self {
            Sort::Tree => Sort::Restarts,
            Sort::Restarts => Sort::Rate,
            Sort::Rate => Sort::Mailbox,
            Sort::Mailbox => Sort::Name,
            Sort::Name => Sort::Tree,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Sort::Tree => "tree",
            Sort::Restarts => "restarts",
            Sort::Rate => "rate",
            Sort::Mailbox => "mailbox",
            Sort::Name => "name",
        }
    }
}

/// What the operator chose: pause, order, filter, selection.
#[derive(Debug, Clone)]
pub struct Ui {
    /// The file being run (for the title).
    pub name: String,
    /// Sampling is paused (the view is frozen).
    pub paused: bool,
    /// Row order.
    pub sort: Sort,
    /// Rows whose path or kind contains this (case-insensitive).
    pub filter: String,
    /// The filter is being typed.
    pub editing: bool,
    /// The selected row, among the visible ones.
    pub selected: usize,
    /// The detail pane is open.
    pub detail: bool,
    /// Colours allowed (no `NO_COLOR`).
    pub colour: bool,
}

impl Ui {
    /// The initial state for `name`.
    pub fn new(name: &str, colour: bool) -> Ui {
        Ui {
            name: name.to_string(),
            paused: false,
            sort: Sort::Tree,
            filter: String::new(),
            editing: false,
            selected: 0,
            detail: false,
            colour,
        }
    }

    fn tree_order(&self) -> bool {
        self.sort == Sort::Tree && self.filter.is_empty()
    }

    fn fg(&self, colour: Color) -> Style {
        if self.colour {
            Style::default().fg(colour)
        } else {
            Style::default()
        }
    }
}

/// The rows shown, filtered and sorted.
pub fn visible<'a>(sample: &'a Sample, ui: &Ui) -> Vec<&'a Row> {
    let needle = ui.filter.to_lowercase();
    let mut rows: Vec<&Row> = sample
        .rows
        .iter()
        .filter(|r| {
            needle.is_empty()
                || r.path.to_lowercase().contains(&needle)
                || r.kind.to_lowercase().contains(&needle)
        })
        .collect();
    match ui.sort {
        Sort::Tree => {}
        Sort::Restarts => rows.sort_by_key(|r| std::cmp::Reverse(r.restarts)),
        Sort::Rate => rows.sort_by(|a, b| b.rate.total_cmp(&a.rate)),
        Sort::Mailbox => rows.sort_by_key(|r| std::cmp::Reverse(r.mailbox)),
        Sort::Name => rows.sort_by(|a, b| a.path.cmp(&b.path)),
    }
    rows
}

/// Draws the whole view.
pub fn draw(frame: &mut Frame, sample: &Sample, ui: &Ui) {
    let area = frame.area();
    let rows = visible(sample, ui);
    let selected = rows
        .get(ui.selected.min(rows.len().saturating_sub(1)))
        .copied();
    let pane = match selected {
        Some(row) if ui.detail => pane_height(row, area.height),
        _ => 0,
    };
    let counters = u16::from(!sample.counters.is_empty());
    let [title, table, detail, counter_line, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(2),
        Constraint::Length(pane),
        Constraint::Length(counters),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_title(frame, title, sample, ui);
    draw_table(frame, table, &rows, ui);
    if let (Some(row), true) = (selected, pane > 0) {
        draw_detail(frame, detail, row, ui);
    }
    if counters > 0 {
        let text = elide(&sample.counters_text(), usize::from(area.width));
        frame.render_widget(Paragraph::new(text), counter_line);
    }
    let help = if ui.editing {
        "type to filter  enter done  esc clear".to_string()
    } else {
        "q quit  p pause  s sort  / filter  ↑↓ select  enter details".to_string()
    };
    let style = Style::default().add_modifier(Modifier::DIM);
    frame.render_widget(
        Paragraph::new(elide(&help, usize::from(area.width))).style(style),
        keys,
    );
}

fn draw_title(frame: &mut Frame, area: Rect, sample: &Sample, ui: &Ui) {
    let (running, restarts) = (sample.running(), sample.restarts());
    let base = format!(
        "retinue run {} │ {} │ {running}/{} running │ restarts {restarts}",
        ui.name,
        short(sample.elapsed),
        sample.rows.len(),
    );
    // What the operator chose is never elided: the base gives way.
    let mut flags = String::new();
    if ui.sort != Sort::Tree {
        flags.push_str(&format!(" │ sort {}", ui.sort.word()));
    }
    if !ui.filter.is_empty() || ui.editing {
        flags.push_str(&format!(" │ filter {}", ui.filter));
        if ui.editing {
            flags.push('_');
        }
    }
    if ui.paused {
        flags.push_str(" │ PAUSED");
    }
    let width = usize::from(area.width);
    let room = width.saturating_sub(flags.chars().count()).max(width / 2);
    let text = elide(&format!("{}{flags}", elide(&base, room)), width);
    let style = if ui.colour {
        Style::default()
            .bg(Color::Blue)
            .fg(Color::White)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    };
    frame.render_widget(Paragraph::new(text).style(style), area);
}

/// A table column: its header, its width, and the cell of a row.
struct Column {
    header: &'static str,
    width: u16,
    cell: fn(&Row, &Ui) -> (String, Style),
    right: bool,
}

fn plain(text: String) -> (String, Style) {
    (text, Style::default())
}

/// The columns that fit `width` (optional ones only on wide terminals),
/// and the actor column's width: as wide as the longest label needs, at
/// most 28, leaving at least 14 for the details.
fn columns(width: u16, longest: usize) -> (u16, Vec<Column>) {
    let col = |header, width, cell, right| Column {
        header,
        width,
        cell,
        right,
    };
    let mut cols = vec![
        col("state", 13, cell_state as fn(&Row, &Ui) -> _, false),
        col("msg/s", 7, |r, _| plain(format!("{:.1}", r.rate)), true),
        col("restarts", 10, |r, _| plain(r.restarts_text()), true),
        col("mailbox", 9, |r, _| plain(r.mailbox_text()), true),
    ];
    if width >= 100 {
        cols.insert(1, col("msgs", 7, |r, _| plain(count(r.handled)), true));
        cols.insert(
            3,
            col(
                "uptime",
                7,
                |r, _| plain(r.uptime.map(short).unwrap_or_else(|| "-".into())),
                true,
            ),
        );
    }
    if width >= 120 {
        cols.insert(0, col("kind", 16, |r, _| plain(r.kind.clone()), false));
    }
    let fixed: u16 = cols.iter().map(|c| c.width + 1).sum();
    let room = width.saturating_sub(fixed + 14).clamp(10, 28);
    let actor = u16::try_from(longest).unwrap_or(u16::MAX).clamp(5, room);
    (actor, cols)
}

fn cell_state(row: &Row, ui: &Ui) -> (String, Style) {
    let colour = match row.state {
        ChildState::Running => Color::Green,
        ChildState::Restarting => Color::Yellow,
        ChildState::Stopped => Color::Red,
    };
    (row.state_text(), ui.fg(colour))
}

fn label(row: &Row, ui: &Ui) -> String {
    if !ui.tree_order() {
        return if row.path.is_empty() {
            row.id.clone()
        } else {
            row.path.clone()
        };
    }
    let mut out = String::new();
    for (level, last) in row.last.iter().enumerate() {
        let final_level = level + 1 == row.last.len();
        out.push_str(match (final_level, last) {
            (true, true) => "└ ",
            (true, false) => "├ ",
            (false, true) => "  ",
            (false, false) => "│ ",
        });
    }
    out.push_str(&row.id);
    out
}

fn detail_style(row: &Row, ui: &Ui) -> Style {
    match &row.detail {
        Some(Detail::Breaker { state, .. }) => {
            let (colour, bold) = match state.as_str() {
                "closed" => (Color::Green, false),
                "half-open" => (Color::Yellow, true),
                _ => (Color::Red, true),
            };
            let style = ui.fg(colour);
            if bold {
                style.add_modifier(Modifier::BOLD)
            } else {
                style
            }
        }
        None if !row.detail_text().is_empty() => ui.fg(Color::Red),
        _ => Style::default(),
    }
}

fn fit(text: &str, width: u16, right: bool) -> String {
    let text = elide(text, usize::from(width));
    if right {
        format!("{text:>w$}", w = usize::from(width))
    } else {
        text
    }
}

fn draw_table(frame: &mut Frame, area: Rect, rows: &[&Row], ui: &Ui) {
    let longest = rows
        .iter()
        .map(|r| label(r, ui).chars().count())
        .max()
        .unwrap_or(0);
    let (actor, cols) = columns(area.width, longest);
    let used: u16 = actor + cols.iter().map(|c| c.width + 1).sum::<u16>();
    let details = area.width.saturating_sub(used + 1).max(1);
    let mut header = vec![Cell::from("actor")];
    header.extend(
        cols.iter()
            .map(|c| Cell::from(fit(c.header, c.width, c.right))),
    );
    header.push(Cell::from("details"));
    let body = rows.iter().map(|row| {
        let mut cells = vec![Cell::from(fit(&label(row, ui), actor, false))];
        for c in &cols {
            let (text, style) = (c.cell)(row, ui);
            cells.push(Cell::from(fit(&text, c.width, c.right)).style(style));
        }
        let detail = fit(&row.detail_text(), details, false);
        cells.push(Cell::from(detail).style(detail_style(row, ui)));
        TableRow::new(cells)
    });
    let mut widths = vec![Constraint::Length(actor)];
    widths.extend(cols.iter().map(|c| Constraint::Length(c.width)));
    widths.push(Constraint::Length(details));
    let table = Table::new(body, widths)
        .header(TableRow::new(header).style(Style::default().add_modifier(Modifier::BOLD)))
        .column_spacing(1)
        .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default();
    if !rows.is_empty() {
        state.select(Some(ui.selected.min(rows.len() - 1)));
    }
    frame.render_stateful_widget(table, area, &mut state);
}

/// Lines the detail pane wants: borders, three facts, the exits.
fn pane_height(row: &Row, height: u16) -> u16 {
    let exits = u16::try_from(row.exits.len().max(1)).unwrap_or(u16::MAX);
    let want = 2 + 3 + 1 + exits;
    // Never more than half the screen: the table stays readable.
    want.min(height / 2).max(4)
}

fn draw_detail(frame: &mut Frame, area: Rect, row: &Row, ui: &Ui) {
    let width = usize::from(area.width.saturating_sub(2));
    let path = if row.path.is_empty() {
        &row.id
    } else {
        &row.path
    };
    let title = elide(&format!(" {path} ({}) ", row.kind), width);
    let mut lines = vec![
        format!(
            "{}, uptime {}, handled {} ({:.1}/s), mailbox {}",
            row.state_text(),
            row.uptime.map(short).unwrap_or_else(|| "-".into()),
            row.handled,
            row.rate,
            row.mailbox_text()
        ),
        match row.budget {
            Some(b) if row.depth > 0 => format!(
                "restarts {}; parent budget {} of {} within {}",
                row.restarts,
                b.used,
                b.max,
                short(b.within)
            ),
            _ => format!("restarts {}", row.restarts),
        },
        row.detail_text(),
        "recent exits:".to_string(),
    ];
    if row.exits.is_empty() {
        lines.push("  none".to_string());
    }
    for exit in row.exits.iter().rev() {
        lines.push(format!("  {:>7} ago  {}", short(exit.ago), exit.reason));
    }
    let text: Vec<Line> = lines
        .iter()
        .filter(|l| !l.is_empty())
        .map(|l| Line::from(Span::raw(elide(l, width))))
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(ui.fg(Color::Cyan));
    frame.render_widget(Paragraph::new(text).block(block), area);
}
