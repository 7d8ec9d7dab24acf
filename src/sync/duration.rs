//! Human-readable durations in options structs: `"250ms"`, `"5s"`, `"2m"`,
//! `"1h"`, `"10us"`, or a bare number of milliseconds.
//!
//! Invariant: parsing never panics; a bad string is a serde error naming
//! the accepted forms.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// Parses `"250ms"`, `"5s"`, `"1.5s"`, `"2m"`, `"1h"`, `"10us"`, `"100ns"`.
pub(crate) fn parse(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number.trim().parse().ok()?;
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    let secs = match unit.trim() {
        "ns" => value / 1e9,
        "us" | "µs" => value / 1e6,
        "ms" => value / 1e3,
        "s" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(secs).ok()
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Raw {
    None(()),
    Millis(u64),
    Text(String),
}

/// `deserialize_with` for an `Option<Duration>` field (with
/// `#[serde(default)]`, so an absent field is `None`).
pub(crate) fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    match Raw::deserialize(d)? {
        Raw::None(()) => Ok(None),
        Raw::Millis(ms) => Ok(Some(Duration::from_millis(ms))),
        Raw::Text(text) => parse(&text).map(Some).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "invalid duration {text:?}: expected e.g. \"250ms\", \"5s\", \"2m\""
            ))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_human_durations() {
        assert_eq!(parse("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse("5s"), Some(Duration::from_secs(5)));
        assert_eq!(parse("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse("x"), None);
        assert_eq!(parse("-1s"), None);
        assert_eq!(parse("5 parsecs"), None);
    }
}
