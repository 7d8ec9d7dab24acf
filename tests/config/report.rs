//! What a user reads: every independent error at once, each caret on its
//! own field, our wording (never serde's or a parser's), stable codes
//! with explanations, JSON lines for tools, warnings, file-read causes,
//! trimmed long lines, typed look-ups.

use retinue::config::{
    ConfigError, Format, Kinds, LookupError, MAX_LINE, Severity, codes, explain, load_file,
    load_str,
};
use retinue::sync::{
    Barrier, CircuitBreaker, Condition, Event, Lock, Queue, RateLimiter, RwLock, Semaphore,
};

fn err(source: &str) -> ConfigError {
    load_str(source, Format::Toml, "app.toml", &Kinds::builtin()).unwrap_err()
}

/// The (line, column) of every diagnostic, from the JSON lines.
fn places(e: &ConfigError) -> Vec<(usize, usize)> {
    e.to_json_lines()
        .lines()
        .map(|l| {
            let num = |key: &str| -> usize {
                let at = l.find(&format!("\"{key}\":")).unwrap() + key.len() + 3;
                l[at..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
                    .parse()
                    .unwrap()
            };
            (num("line"), num("column"))
        })
        .collect()
}

#[test]
fn every_problem_in_one_args_table_is_reported_at_its_own_field() {
    let e = err(r#"
[supervisor]
[[supervisor.children]]
id = "jobs"
kind = "queue"
args = { maxsize = "ten", order = "fifi", extra = 1 }
"#);
    let d = e.diagnostics();
    assert_eq!(d.len(), 3, "{e}");
    let columns: Vec<usize> = places(&e).iter().map(|p| p.1).collect();
    // maxsize's value, order's value, the key `extra`.
    assert_eq!(columns, [20, 35, 43], "{e}");
    assert!(d[2].message.contains("unknown field `extra`"), "{e}");
}

#[test]
fn a_later_check_is_not_hidden_by_an_earlier_one() {
    // A decoding error (bad strategy) and a reference of the wrong type,
    // found only when building, are reported together.
    let e = err(r#"
[supervisor]
strategy = "one_for_al"
children = [
  { id = "slots", kind = "semaphore" },
  { id = "ready", kind = "condition", args = { lock = "slots" } },
]
"#);
    let names: Vec<&str> = e.diagnostics().iter().map(|d| d.code).collect();
    assert_eq!(names, ["bad-value", "ref-type"], "{e}");
}

#[test]
fn no_serde_or_parser_wording_reaches_the_user() {
    let files = [
        "[supervisor]\nmax_restarts = \"three\"\n",
        "[supervisor]\nmax_restarts = -1\n",
        "[supervisor]\nchildren = [{ id = \"q\", kind = \"queue\", args = { maxsize = -1 } }]\n",
        "[supervisor]\nchildren = [{ id = \"q\", kind = \"queue\", args = { maxsize = 1.5 } }]\n",
        "[supervisor]\nwithin = \"-5s\"\n",
        "[supervisor]\nchildren = [{ id = \"l\", kind = \"lock\", args = { lease = \"-5s\" } }]\n",
        "[supervisor]\nbackoff = 3\n",
        "[supervisor]\nbackoff = { initial = [] }\n",
    ];
    for file in files {
        let text = err(file).render();
        for leak in [
            "expected u32",
            "expected usize",
            "invalid type",
            "invalid value",
            "unit value",
            "struct Backoff",
            "at 0",
            "expected number",
        ] {
            assert!(!text.contains(leak), "{leak:?} in\n{text}");
        }
    }
    let text = err("[supervisor]\nwithin = \"-5s\"\n").render();
    assert!(text.contains("durations cannot be negative"), "{text}");
    #[cfg(feature = "json")]
    {
        let e = load_str(
            r#"{ "supervisor": { "backoff": null } }"#,
            Format::Json,
            "a.json",
            &Kinds::builtin(),
        )
        .unwrap_err();
        let text = e.render();
        assert!(
            text.contains("expected a table of settings, found nothing (null)"),
            "{text}"
        );
    }
}

#[test]
fn every_code_is_explained_and_every_diagnostic_has_one() {
    let mut seen = std::collections::HashSet::new();
    for (id, name) in codes() {
        assert!(seen.insert(id), "{id} twice");
        assert!(id.starts_with('R') && id.len() == 5);
        assert_eq!(explain(id), explain(name));
        assert!(explain(&id.to_lowercase()).is_some());
        assert!(
            explain(id).unwrap().len() > 80,
            "{id} is explained in a paragraph"
        );
    }
    // Every snapshot file's diagnostics have a code of their own.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/config/invalid");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "expected") {
            continue;
        }
        if let Err(e) = load_file(&path, &Kinds::builtin()) {
            for d in e.diagnostics() {
                assert_ne!(d.id(), "R0000", "{} has no code", d.code);
            }
        }
    }
}

#[test]
fn json_lines_describe_every_diagnostic() {
    let e = err("[supervisor]\nstratgy = 1\nwithin = \"soon\"\n");
    let json = e.to_json_lines();
    let lines: Vec<&str> = json.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with('{') && lines[0].ends_with('}'));
    for key in [
        "\"code\":\"R0010\"",
        "\"name\":\"unknown-field\"",
        "\"severity\":\"error\"",
        "\"file\":\"app.toml\"",
        "\"line\":2,\"column\":1",
        "\"span\":{\"start\":13,\"end\":20}",
        "\"suggestion\":\"strategy\"",
    ] {
        assert!(lines[0].contains(key), "{key} in {}", lines[0]);
    }
    assert!(lines[1].contains("\"code\":\"R0014\""));
    #[cfg(feature = "json")]
    for line in lines {
        // Each line is a JSON document our own JSON reader accepts.
        let doc = format!("{{\"d\": {line}}}");
        retinue::config::Node::parse(&doc, Format::Json).unwrap();
    }
}

#[test]
fn warnings_for_valid_but_suspicious_settings() {
    let tree = load_str(
        r#"
[supervisor]
max_restarts = 3
within = "1s"
backoff = { initial = "500ms", max = "10s", jitter = "none" }
[[supervisor.children]]
id = "api"
kind = "circuit_breaker"
args = { trip = { failure_rate = { rate = 0.5 } }, window = { count = 5 } }
"#,
        Format::Toml,
        "app.toml",
        &Kinds::builtin(),
    )
    .unwrap();
    let ids: Vec<&str> = tree.warnings().iter().map(|d| d.id()).collect();
    assert_eq!(ids, ["R0101", "R0102"], "{}", tree.render_warnings(false));
    assert!(
        tree.warnings()
            .iter()
            .all(|d| d.severity == Severity::Warning)
    );
    let text = tree.render_warnings(false);
    assert!(
        text.contains("warning[R0102]: this breaker never trips"),
        "{text}"
    );
    assert!(
        text.ends_with("warning: app.toml has 2 warnings\n"),
        "{text}"
    );
    assert_eq!(tree.warnings_to_json_lines().lines().count(), 2);

    // A sane tree has none.
    let tree = load_str(
        "[supervisor]\nbackoff = { initial = \"100ms\" }\n",
        Format::Toml,
        "app.toml",
        &Kinds::builtin(),
    )
    .unwrap();
    assert!(
        tree.warnings().is_empty(),
        "{}",
        tree.render_warnings(false)
    );
    assert_eq!(tree.render_warnings(false), "");
}

#[test]
fn a_file_that_cannot_be_read_names_the_cause() {
    let dir = std::env::temp_dir().join(format!("retinue-config-read-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let binary = dir.join("binary.toml");
    std::fs::write(&binary, b"[supervisor]\n\xff\xfe\x00").unwrap();
    let cases = [
        (dir.join("missing.toml"), "no such file"),
        (dir.clone(), "is a directory"),
        (binary, "not UTF-8 text"),
    ];
    for (path, cause) in cases {
        let e = load_file(&path, &Kinds::builtin()).unwrap_err();
        let text = e.render();
        assert!(text.contains(cause), "{text}");
        assert!(text.contains("error[R0004]"), "{text}");
        assert!(!text.contains(" │\n"), "no empty excerpt:\n{text}");
        assert_eq!(
            text.matches("has 1 error").count(),
            1,
            "one footer:\n{text}"
        );
        assert!(e.to_json_lines().contains("\"line\":null"));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn very_long_lines_are_trimmed_around_the_caret() {
    let padding = "x".repeat(10_000);
    let source = format!(
        "[supervisor]\nchildren = [{{ id = \"{padding}\", kind = \"event\", args = {{ set = true, stratgy = 1 }} }}]\n"
    );
    let e = err(&source);
    let text = e.render();
    for line in text.lines() {
        assert!(line.chars().count() < MAX_LINE + 40, "{} chars", line.len());
    }
    let line2 = source.find("children").unwrap();
    let column = source.find("stratgy").unwrap() - line2 + 1;
    assert!(text.contains(&format!("app.toml:2:{column}")), "{text}");
    assert!(text.contains("stratgy = 1 } }]"), "{text}");
    assert!(text.contains("…"), "{text}");
    assert_eq!(text.matches("has 1 error").count(), 1);
}

#[test]
fn every_builtin_handle_is_reachable_by_path_and_a_miss_says_why() {
    let tree = load_str(
        r#"
[supervisor]
children = [
  { id = "lock", kind = "lock" },
  { id = "rw", kind = "rwlock" },
  { id = "ev", kind = "event" },
  { id = "cond", kind = "condition", args = { lock = "lock" } },
  { id = "sem", kind = "semaphore" },
  { id = "rate", kind = "rate_limiter", args = { rate = 5, period = "1s" } },
  { id = "bar", kind = "barrier", args = { parties = 2 } },
  { id = "q", kind = "queue" },
  { id = "api", kind = "circuit_breaker" },
  { id = "inner", supervisor = { children = [ { id = "deep", kind = "event" } ] } },
]
"#,
        Format::Toml,
        "app.toml",
        &Kinds::builtin(),
    )
    .unwrap();
    tree.lookup::<Lock>("lock").unwrap();
    tree.lookup::<RwLock>("rw").unwrap();
    tree.lookup::<Event>("ev").unwrap();
    tree.lookup::<Condition>("cond").unwrap();
    tree.lookup::<Semaphore>("sem").unwrap();
    tree.lookup::<RateLimiter>("rate").unwrap();
    tree.lookup::<Barrier>("bar").unwrap();
    tree.lookup::<Queue<String>>("q").unwrap();
    tree.lookup::<CircuitBreaker>("api").unwrap();
    tree.lookup::<Event>("inner/deep").unwrap();

    match tree.lookup::<Queue<u64>>("q") {
        Err(LookupError::WrongKind {
            kind,
            actual,
            expected,
            ..
        }) => {
            assert_eq!(kind, "queue");
            assert_eq!(actual, "QueueActor<String>");
            assert_eq!(expected, "a queue of u64");
        }
        other => panic!("{other:?}"),
    }
    let e = tree.lookup::<Lock>("api").unwrap_err();
    assert_eq!(
        e.to_string(),
        "`api` is a `circuit_breaker` (CircuitBreaker), not a lock"
    );
    match tree.lookup::<Event>("inner/dep") {
        Err(LookupError::NoSuchPath { suggestion, .. }) => {
            assert_eq!(suggestion.as_deref(), Some("inner/deep"))
        }
        other => panic!("{other:?}"),
    }
    assert!(tree.handle::<Event>("nowhere").is_none());
}

#[test]
fn a_kind_learns_its_id_and_path_at_every_build() {
    use std::sync::{Arc, Mutex};
    struct Named;
    impl retinue::Actor for Named {}
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut kinds = Kinds::builtin();
    let log = seen.clone();
    kinds.register_fn("named", move |_: &serde::de::IgnoredAny, cx| {
        log.lock()
            .unwrap()
            .push((cx.id().to_string(), cx.path().to_string()));
        Ok(Named)
    });
    load_str(
        r#"
[supervisor]
children = [
  { id = "a", kind = "named" },
  { id = "pool", supervisor = { children = [ { id = "b", kind = "named" } ] } },
]
"#,
        Format::Toml,
        "app.toml",
        &kinds,
    )
    .unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            ("a".to_string(), "a".to_string()),
            ("b".to_string(), "pool/b".to_string())
        ]
    );
}
