//! The live view under a real pseudo-terminal: `retinue run
//! examples/demo.toml` in a detached tmux session of 80x24. After 5 s of
//! running (long enough for a redraw bug to pile up stale titles), no line
//! is wider than the terminal and exactly one title is on screen; a resize
//! is followed; `q` (or Ctrl-C) quits, the exit status is 0 and the main
//! screen is back.
//!
//! tmux runs on a private server socket, and a guard kills that server
//! when the test ends, passed or failed. Without tmux the test prints a
//! notice and passes vacuously (CI installs tmux).

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const WIDTH: usize = 80;
const HEIGHT: usize = 24;

/// A private tmux server; killed (with its sessions) on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs")
    }

    fn capture(&self) -> Vec<String> {
        let out = self.cmd(&["capture-pane", "-p", "-t", "live"]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Waits until the screen satisfies `ok`, up to `limit`; the last screen.
    fn wait_for(&self, limit: Duration, ok: impl Fn(&[String]) -> bool) -> Vec<String> {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if ok(&screen) || start.elapsed() > limit {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn titles(screen: &[String]) -> usize {
    screen.iter().filter(|l| l.contains("retinue run ")).count()
}

/// A private server running `retinue run examples/demo.toml` at 80x24,
/// with the view up; `None` (after a notice) when tmux is absent.
fn start(test: &str) -> Option<Tmux> {
    if !tmux_available() {
        println!("notice: tmux is not installed; skipping the pseudo-terminal test");
        return None;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let bin = env!("CARGO_BIN_EXE_retinue");
    let tmux = Tmux {
        socket: format!("retinue-{test}-{}", std::process::id()),
    };
    // The shell marks the main screen before and the exit status after.
    let script =
        format!("echo MAIN-SCREEN; '{bin}' run examples/demo.toml; echo EXIT-STATUS:$?; sleep 60");
    let (w, h) = (WIDTH.to_string(), HEIGHT.to_string());
    let dir = root.to_str().expect("a UTF-8 path");
    let args = [
        "new-session",
        "-d",
        "-s",
        "live",
        "-x",
        &w,
        "-y",
        &h,
        "-c",
        dir,
    ];
    let started = tmux.cmd(&[&args[..], &["sh", "-c", &script]].concat());
    let stderr = String::from_utf8_lossy(&started.stderr);
    assert!(started.status.success(), "{stderr}");
    let screen = tmux.wait_for(Duration::from_secs(20), |s| titles(s) > 0);
    assert_eq!(
        titles(&screen),
        1,
        "the view came up:\n{}",
        screen.join("\n")
    );
    Some(tmux)
}

/// Waits for the shell's exit line; checks status 0 and the main screen.
fn assert_quit_cleanly(tmux: &Tmux) {
    let screen = tmux.wait_for(Duration::from_secs(20), |s| {
        s.iter().any(|l| l.starts_with("EXIT-STATUS:"))
    });
    let text = screen.join("\n");
    assert!(
        text.contains("EXIT-STATUS:0"),
        "it quits with status 0:\n{text}"
    );
    assert!(
        text.contains("MAIN-SCREEN"),
        "the main screen is back:\n{text}"
    );
    assert!(text.contains("stopped after"), "the summary:\n{text}");
    assert_eq!(titles(&screen), 0, "no view left behind:\n{text}");
}

#[test]
fn the_live_view_fits_80x24_keeps_one_title_and_quits_cleanly() {
    let Some(tmux) = start("q") else {
        return;
    };
    std::thread::sleep(Duration::from_secs(5));
    let screen = tmux.capture();
    let text = screen.join("\n");
    assert!(screen.len() <= HEIGHT, "{} lines:\n{text}", screen.len());
    for line in &screen {
        let width = line.chars().count();
        assert!(width <= WIDTH, "a line of {width} columns:\n{line}");
    }
    assert_eq!(titles(&screen), 1, "exactly one title:\n{text}");
    assert!(
        !text.contains("MAIN-SCREEN"),
        "the alternate screen is in use:\n{text}"
    );
    for id in ["jobs", "payments", "workers", "w1", "w4"] {
        assert!(text.contains(id), "{id} on screen:\n{text}");
    }

    // It follows a resize: the wide columns appear, still one title.
    tmux.cmd(&["resize-window", "-t", "live", "-x", "130", "-y", "40"]);
    let screen = tmux.wait_for(Duration::from_secs(10), |s| {
        s.iter().any(|l| l.contains("uptime"))
    });
    let text = screen.join("\n");
    assert!(
        text.contains("uptime"),
        "the wide layout after a resize:\n{text}"
    );
    assert!(screen.iter().all(|l| l.chars().count() <= 130), "{text}");
    assert_eq!(
        titles(&screen),
        1,
        "exactly one title after a resize:\n{text}"
    );

    tmux.cmd(&["send-keys", "-t", "live", "q"]);
    assert_quit_cleanly(&tmux);
}

#[test]
fn ctrl_c_quits_the_live_view_and_restores_the_terminal() {
    let Some(tmux) = start("ctrl-c") else {
        return;
    };
    tmux.cmd(&["send-keys", "-t", "live", "C-c"]);
    assert_quit_cleanly(&tmux);
}
