//! `retinue::duration` parses and formats exactly as humantime does (it
//! replaced humantime so the actor core needs no parsing crate): checked
//! against humantime itself on fixed cases and on random durations.

use std::time::Duration;

use proptest::prelude::*;
use retinue::duration::{format, parse};

/// humantime's answer, errors reduced to "an error" (ours are worded
/// for people, see `errors_say_what_is_wrong`).
fn humantime_parse(text: &str) -> Result<Duration, ()> {
    humantime::parse_duration(text.trim()).map_err(|_| ())
}

fn ours(text: &str) -> Result<Duration, ()> {
    parse(text).map_err(|_| ())
}

#[test]
fn errors_say_what_is_wrong() {
    let err = |t: &str| parse(t).unwrap_err();
    assert!(
        err("-5s").ends_with("durations cannot be negative"),
        "{}",
        err("-5s")
    );
    assert!(err("").contains("it is empty"));
    assert!(err("5 secondz").contains("unknown unit \"secondz\""));
    assert!(err("soon").contains("a number, then a unit"));
    for text in ["-5s", "", "5", "soon", "1.", "5s,"] {
        assert!(
            !err(text).contains(" at "),
            "no byte offsets: {}",
            err(text)
        );
    }
}

#[test]
fn fixed_cases_match_humantime() {
    for text in [
        "0",
        "250ms",
        "5s",
        "1m 30s",
        "1s 250ms",
        "2h",
        "3days",
        "1w",
        "1M",
        "1y",
        "17nsec",
        "5us",
        "5µs",
        "1.5s",
        "0.25h",
        " 7 s ",
        "1m30s",
        "100 millis",
        "2 weeks 1 day",
        "",
        "5",
        "5 secondz",
        "1 parsec",
        "five seconds",
        "soon",
        "1.",
        "-1s",
        "5s,",
    ] {
        assert_eq!(ours(text), humantime_parse(text), "for {text:?}");
    }
}

proptest! {
    #[test]
    fn format_matches_humantime_and_parses_back(secs in 0u64..400_000_000, nanos in 0u32..1_000_000_000) {
        let d = Duration::new(secs, nanos);
        prop_assert_eq!(format(d), humantime::format_duration(d).to_string());
        prop_assert_eq!(parse(&format(d)), Ok(d));
    }

    #[test]
    fn sums_of_terms_match_humantime(terms in proptest::collection::vec((0u64..100_000, 0usize..10), 1..4)) {
        let units = ["ns", "us", "ms", "s", "m", "h", "d", "w", "M", "y"];
        let text: Vec<String> = terms.iter().map(|(n, u)| format!("{n}{}", units[*u])).collect();
        let text = text.join(" ");
        prop_assert_eq!(ours(&text), humantime_parse(&text));
    }
}
