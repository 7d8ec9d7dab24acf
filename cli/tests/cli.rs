//! End-to-end tests of the `retinue` binary: check's exit codes and
//! output (human and JSON), tree's formats, explain, and `run --duration`
//! on a non-terminal (plain lines and JSON lines).

use std::path::PathBuf;
use std::process::{Command, Output};

fn retinue(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_retinue"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the binary runs")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const EXAMPLES: &[&str] = &[
    "examples/demo.toml",
    "examples/web_app.toml",
    "examples/web_app.yaml",
    "examples/pipeline.toml",
    "examples/pipeline.json",
    "examples/service_breaker.toml",
];

#[test]
fn check_passes_every_example_with_a_one_line_summary() {
    let out = retinue(&[&["check"], EXAMPLES].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.starts_with("ok: 6 files checked"), "{stdout}");
    assert!(out.stderr.is_empty());
}

#[test]
fn check_fails_with_diagnostics_on_stderr() {
    let out = retinue(&[
        "check",
        "examples/demo.toml",
        "tests/config/invalid/unknown-field.toml",
        "tests/config/invalid/many.yaml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("error[R0010]: unknown field `stratgy`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("tests/config/invalid/unknown-field.toml:2:1"),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: did you mean `strategy`?"),
        "{stderr}"
    );
    assert!(
        stderr.contains("tests/config/invalid/many.yaml has 6 errors"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: 2 of 3 files have errors"),
        "{stderr}"
    );
    assert!(!stderr.contains('\x1b'), "no colour when not on a terminal");
    assert!(out.stdout.is_empty());
}

#[test]
fn check_of_one_bad_file_ends_with_one_footer() {
    let out = retinue(&["check", "tests/config/invalid/unknown-field.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let footers: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error:") && l.contains("error"))
        .filter(|l| l.contains(" has ") || l.contains(" of "))
        .collect();
    assert_eq!(
        footers,
        ["error: tests/config/invalid/unknown-field.toml has 2 errors"],
        "{stderr}"
    );
}

#[test]
fn check_reports_a_missing_file() {
    let out = retinue(&["check", "no/such/file.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot read no/such/file.toml"));
}

#[test]
fn check_needs_a_file() {
    let out = retinue(&["check"]);
    assert_eq!(out.status.code(), Some(2), "clap usage error");
}

#[test]
fn tree_prints_text() {
    let out = retinue(&["tree", "examples/demo.toml"]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("root [supervisor: one_for_one, 10 restarts in 10s]\n"),
        "{stdout}"
    );
    assert!(stdout.contains("├── jobs [queue]\n"), "{stdout}");
    assert!(
        stdout.contains("    └── w4 [demo.worker] -> jobs, slots, payments_api, payments\n"),
        "{stdout}"
    );
}

#[test]
fn tree_text_shows_settings_that_differ_from_the_defaults() {
    let stdout = text(&retinue(&["tree", "examples/web_app.toml"]).stdout);
    assert!(
        stdout.contains("├── handler_1 [demo.worker] shutdown 2s -> requests,"),
        "{stdout}"
    );
    assert!(stdout.contains("├── db_pool [semaphore]\n"), "{stdout}");
}

#[test]
fn tree_json_is_the_same_for_the_same_tree_in_other_formats() {
    let toml = retinue(&["tree", "examples/web_app.toml", "--format", "json"]);
    let yaml = retinue(&["tree", "examples/web_app.yaml", "--format", "json"]);
    assert!(toml.status.success() && yaml.status.success());
    assert_eq!(text(&toml.stdout), text(&yaml.stdout));
    let value: serde_json::Value = serde_json::from_slice(&toml.stdout).unwrap();
    assert_eq!(value["supervisor"]["children"][3]["id"], "http");
    let toml = retinue(&["tree", "examples/pipeline.toml", "--format", "json"]);
    let json = retinue(&["tree", "examples/pipeline.json", "--format", "json"]);
    assert_eq!(text(&toml.stdout), text(&json.stdout));
}

#[test]
fn tree_prints_dot_and_mermaid_with_reference_edges() {
    let dot = text(&retinue(&["tree", "examples/service_breaker.toml", "--format", "dot"]).stdout);
    assert!(dot.starts_with("digraph retinue {"), "{dot}");
    assert!(dot.contains("root -> root_caller;"), "{dot}");
    assert!(
        dot.contains("root_caller -> root_upstream_breaker [style=dashed];"),
        "{dot}"
    );
    assert!(dot.trim_end().ends_with('}'));
    let mermaid = text(
        &retinue(&[
            "tree",
            "examples/service_breaker.toml",
            "--format",
            "mermaid",
        ])
        .stdout,
    );
    assert!(mermaid.starts_with("flowchart TD\n"), "{mermaid}");
    assert!(mermaid.contains("root --> root_caller"), "{mermaid}");
    assert!(mermaid.contains("root_caller -.-> root_calls"), "{mermaid}");
}

#[test]
fn tree_rejects_a_bad_file() {
    let out = retinue(&["tree", "tests/config/invalid/duplicate-id.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("error[R0017]"));
}

#[test]
fn run_on_a_non_terminal_prints_plain_lines_and_a_summary() {
    let out = retinue(&[
        "run",
        "examples/demo.toml",
        "--duration",
        "1500ms",
        "--interval",
        "500ms",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        !stdout.contains('\x1b'),
        "no ANSI codes off a terminal:\n{stdout}"
    );
    let lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with('[')).collect();
    assert!(lines.len() >= 2, "{stdout}");
    assert!(lines[0].contains("actors 11/11 running"), "{stdout}");
    assert!(lines[0].contains("breaker payments closed"), "{stdout}");
    assert!(stdout.contains("stopped after"), "{stdout}");
    assert!(
        stdout.contains("the tree shut down in order (Shutdown)"),
        "{stdout}"
    );
    assert!(stdout.contains("actors 11,"), "{stdout}");
}

#[test]
fn run_refuses_a_bad_file_without_starting() {
    let out = retinue(&[
        "run",
        "tests/config/invalid/unknown-kind.toml",
        "--duration",
        "1s",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("error[R0016]"));
    assert!(out.stdout.is_empty());
}

#[test]
fn run_plain_lines_are_short() {
    let out = retinue(&[
        "run",
        "examples/demo.toml",
        "--duration",
        "1200ms",
        "--interval",
        "200ms",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.lines().count() >= 5, "{stdout}");
    for line in stdout.lines() {
        assert!(
            line.chars().count() < 100,
            "{} chars: {line}",
            line.chars().count()
        );
    }
    assert!(
        stdout.contains("produced "),
        "demo counters with demo kinds:\n{stdout}"
    );
}

#[test]
fn run_json_prints_one_object_per_snapshot() {
    let out = retinue(&[
        "run",
        "examples/demo.toml",
        "--duration",
        "1s",
        "--interval",
        "250ms",
        "--output",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let values: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let (last, snapshots) = values.split_last().expect("lines");
    assert!(snapshots.len() >= 3, "{stdout}");
    for snap in snapshots {
        let rows = snap["rows"].as_array().expect("rows");
        assert_eq!(rows.len(), 11, "{snap}");
        assert_eq!(rows[0]["kind"], "supervisor");
        let breaker = rows
            .iter()
            .find(|r| r["path"] == "payments")
            .expect("the breaker");
        assert_eq!(breaker["detail"]["type"], "breaker");
        let w1 = rows.iter().find(|r| r["path"] == "workers/w1").expect("w1");
        assert_eq!(w1["budget"]["max"], 30, "{w1}");
        assert_eq!(w1["capacity"], 256, "{w1}");
        assert!(w1["handled"].is_u64() && w1["rate"].is_number(), "{w1}");
    }
    let handled = |v: &serde_json::Value| v["rows"][1]["handled"].as_u64().unwrap();
    assert!(
        handled(&snapshots[snapshots.len() - 1]) > handled(&snapshots[0]),
        "the queue works"
    );
    assert_eq!(last["reason"], "Shutdown", "{last}");
    assert!(!stdout.contains("stopped after"), "no text in JSON mode");
}

#[test]
fn run_shows_no_demo_counters_without_demo_kinds() {
    let dir = std::env::temp_dir().join(format!("retinue-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("builtin.toml");
    std::fs::write(
        &file,
        "[[supervisor.children]]\nid = \"slots\"\nkind = \"semaphore\"\nargs = { permits = 2 }\n",
    )
    .unwrap();
    let out = retinue(&[
        "run",
        file.to_str().unwrap(),
        "--duration",
        "300ms",
        "--interval",
        "100ms",
    ]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("actors 2/2 running"), "{stdout}");
    assert!(!stdout.contains("produced"), "{stdout}");
}

#[test]
fn check_json_writes_one_diagnostic_per_line_and_a_summary() {
    let out = retinue(&[
        "check",
        "--message-format",
        "json",
        "examples/demo.toml",
        "tests/config/invalid/unknown-field.toml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let values: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let first = &values[0];
    assert_eq!(first["name"], "unknown-field", "{first}");
    assert!(first["code"].as_str().unwrap().starts_with('R'), "{first}");
    assert_eq!(first["file"], "tests/config/invalid/unknown-field.toml");
    assert_eq!(first["line"], 2, "{first}");
    assert_eq!(first["column"], 1, "{first}");
    let last = values.last().unwrap();
    assert_eq!(last["reason"], "check-finished");
    assert_eq!(last["success"], false);
}

#[test]
fn explain_describes_a_code_and_rejects_an_unknown_one() {
    let out = retinue(&["explain", "unknown-kind"]);
    assert!(out.status.success());
    assert!(
        text(&out.stdout).starts_with("unknown-kind: "),
        "{}",
        text(&out.stdout)
    );
    let out = retinue(&["explain", "no-such-code"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no-such-code"));
}
