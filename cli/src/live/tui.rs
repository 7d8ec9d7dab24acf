//! The interactive live view: a ratatui terminal on crossterm, in the
//! alternate screen and raw mode, redrawn every frame and on resize.
//!
//! Invariants: the terminal is restored (raw mode off, main screen back,
//! cursor shown) on every way out: a normal return, an error, and a panic
//! of the view's thread (a panic hook restores it before the message is
//! printed); Ctrl-C is a key in raw mode and quits like `q`; while paused,
//! no sample is taken, so the view is frozen but keys still work.
//!
//! Panics on other threads while the view is up (an actor's handler
//! panicking, which the runtime catches and the view shows as an exit
//! reason) must not scribble over the screen: their messages are kept and
//! printed once the terminal is restored.

use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::crossterm::{cursor, execute};
use retinue::supervisor::System;

use super::probe::Probe;
use super::sample::Sample;
use super::view::{self, Ui};

/// How often a frame is drawn (and a sample taken).
const FRAME: Duration = Duration::from_millis(250);

/// The view's thread while a session is open; panics elsewhere are held.
static VIEW_THREAD: Mutex<Option<ThreadId>> = Mutex::new(None);

/// Messages of panics on other threads while the view was up (at most
/// [`HELD_PANICS`]), and how many there were in all.
static HELD: Mutex<(Vec<String>, usize)> = Mutex::new((Vec::new(), 0));
const HELD_PANICS: usize = 10;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The terminal in the live view's modes; restores it when dropped.
struct Session {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl Session {
    fn open() -> io::Result<Session> {
        install_panic_hook();
        *lock(&VIEW_THREAD) = Some(std::thread::current().id());
        if let Err(e) = enable_raw_mode() {
            *lock(&VIEW_THREAD) = None;
            return Err(e);
        }
        let mut stdout = io::stdout();
        if let Err(e) = execute!(stdout, EnterAlternateScreen, cursor::Hide) {
            restore();
            return Err(e);
        }
        match Terminal::new(CrosstermBackend::new(stdout)) {
            Ok(terminal) => Ok(Session { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        restore();
    }
}

/// Puts the terminal back and prints the held panic messages; safe to
/// call more than once.
fn restore() {
    if lock(&VIEW_THREAD).take().is_none() {
        return;
    }
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), LeaveAlternateScreen, cursor::Show);
    if let Some(report) = held_report() {
        eprint!("{report}");
    }
}

/// The panics held while the view was up, if any (and forgets them).
fn held_report() -> Option<String> {
    let (messages, total) = std::mem::take(&mut *lock(&HELD));
    if total == 0 {
        return None;
    }
    let mut out = format!("{total} panic(s) on other threads while the view was up:\n");
    for m in &messages {
        out.push_str(&format!("  {m}\n"));
    }
    if total > messages.len() {
        out.push_str(&format!("  ... and {} more\n", total - messages.len()));
    }
    Some(out)
}

fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let view = *lock(&VIEW_THREAD);
        match view {
            Some(id) if id != std::thread::current().id() => {
                let mut held = lock(&HELD);
                if held.0.len() < HELD_PANICS {
                    held.0.push(info.to_string().replace('\n', " "));
                }
                held.1 += 1;
            }
            Some(_) => {
                restore();
                previous(info);
            }
            None => previous(info),
        }
    }));
}

/// What a key asks for.
#[derive(Debug, PartialEq, Eq)]
enum Action {
    Quit,
    Redraw,
    None,
}

/// Applies `key` to the UI state; `rows` is how many rows are visible.
fn on_key(ui: &mut Ui, key: KeyEvent, rows: usize) -> Action {
    if key.kind == KeyEventKind::Release {
        return Action::None;
    }
    let ctrl_c = key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c');
    if ctrl_c {
        return Action::Quit;
    }
    if ui.editing {
        match key.code {
            KeyCode::Enter => ui.editing = false,
            KeyCode::Esc => {
                ui.editing = false;
                ui.filter.clear();
            }
            KeyCode::Backspace => {
                ui.filter.pop();
            }
            KeyCode::Char(c) => ui.filter.push(c),
            _ => return Action::None,
        }
        ui.selected = 0;
        return Action::Redraw;
    }
    match key.code {
        KeyCode::Char('q') => return Action::Quit,
        KeyCode::Char('p') | KeyCode::Char(' ') => ui.paused = !ui.paused,
        KeyCode::Char('s') => ui.sort = ui.sort.next(),
        KeyCode::Char('/') | KeyCode::Char('f') => ui.editing = true,
        KeyCode::Down | KeyCode::Char('j') => {
            ui.selected = (ui.selected + 1).min(rows.saturating_sub(1));
        }
        KeyCode::Up | KeyCode::Char('k') => ui.selected = ui.selected.saturating_sub(1),
        KeyCode::Enter => ui.detail = !ui.detail,
        KeyCode::Esc => {
            ui.detail = false;
            ui.filter.clear();
        }
        _ => return Action::None,
    }
    Action::Redraw
}

/// Runs the view until a quit key, `stop`, `deadline` or the root's end;
/// returns the last sample.
pub fn run(
    system: &System,
    probe: &mut Probe,
    ui: Ui,
    stop: &Arc<AtomicBool>,
    deadline: Option<Instant>,
) -> io::Result<Option<Sample>> {
    let mut session = Session::open()?;
    let mut ui = ui;
    let mut sample = retinue::rt::block_on(probe.sample(system));
    let mut next = Instant::now();
    loop {
        if stop.load(Ordering::SeqCst) || deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        if Instant::now() >= next {
            next = Instant::now() + FRAME;
            if !ui.paused {
                match retinue::rt::block_on(probe.sample(system)) {
                    Some(s) => sample = Some(s),
                    None => break, // the root is gone
                }
            }
        }
        if let Some(s) = &sample {
            session.terminal.draw(|f| view::draw(f, s, &ui))?;
        }
        let wait = next.saturating_duration_since(Instant::now());
        if event::poll(wait)? {
            match event::read()? {
                Event::Key(key) => {
                    let rows = sample.as_ref().map_or(0, |s| view::visible(s, &ui).len());
                    if on_key(&mut ui, key, rows) == Action::Quit {
                        break;
                    }
                }
                Event::Resize(_, _) => session.terminal.autoresize()?,
                _ => {}
            }
        }
    }
    drop(session);
    Ok(sample)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::view::Sort;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn panics_elsewhere_are_held_while_the_view_is_up() {
        install_panic_hook();
        *lock(&VIEW_THREAD) = Some(std::thread::current().id());
        let crashed = std::thread::spawn(|| panic!("an actor blew up")).join();
        *lock(&VIEW_THREAD) = None;
        assert!(crashed.is_err());
        let report = held_report().expect("the panic was held");
        assert!(
            report.starts_with("1 panic(s) on other threads"),
            "{report}"
        );
        assert!(report.contains("an actor blew up"), "{report}");
        assert_eq!(held_report(), None, "reported once");
    }

    #[test]
    fn keys_quit_pause_sort_filter_and_select() {
        let mut ui = Ui::new("t.toml", false);
        assert_eq!(on_key(&mut ui, key(KeyCode::Char('q')), 3), Action::Quit);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(on_key(&mut ui, ctrl_c, 3), Action::Quit);
        on_key(&mut ui, key(KeyCode::Char('p')), 3);
        assert!(ui.paused);
        on_key(&mut ui, key(KeyCode::Char('s')), 3);
        assert_eq!(ui.sort, Sort::Restarts);
        on_key(&mut ui, key(KeyCode::Down), 3);
        on_key(&mut ui, key(KeyCode::Down), 3);
        on_key(&mut ui, key(KeyCode::Down), 3);
        assert_eq!(ui.selected, 2, "the selection stays on the last row");
        on_key(&mut ui, key(KeyCode::Enter), 3);
        assert!(ui.detail);
        on_key(&mut ui, key(KeyCode::Char('/')), 3);
        for c in "w1".chars() {
            on_key(&mut ui, key(KeyCode::Char(c)), 3);
        }
        assert_eq!(ui.filter, "w1");
        assert_eq!(ui.selected, 0);
        on_key(&mut ui, key(KeyCode::Char('q')), 3);
        assert_eq!(ui.filter, "w1q", "q is text while typing a filter");
        on_key(&mut ui, key(KeyCode::Esc), 3);
        assert!(ui.filter.is_empty() && !ui.editing);
    }
}
