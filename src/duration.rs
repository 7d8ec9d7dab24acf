//! Durations written by people: `"250ms"`, `"5s"`, `"1m 30s"`.
//!
//! Use the module with serde's `with` attribute to let any config struct
//! take a [`Duration`] as a human string (parsed by humantime) or as a
//! plain integer number of milliseconds. Invariant: what it serializes, it
//! parses back to the same value.
//!
//! ```
//! use std::time::Duration;
//! use serde::Deserialize;
//!
//! assert_eq!(retinue::duration::parse("1m 30s"), Ok(Duration::from_secs(90)));
//! assert_eq!(retinue::duration::format(Duration::from_millis(250)), "250ms");
//!
//! #[derive(Deserialize)]
//! struct Cfg {
//!     #[serde(with = "retinue::duration")]
//!     wait: Duration,
//! }
//! let cfg: Cfg = serde_json::from_str(r#"{ "wait": "1s 250ms" }"#).unwrap();
//! assert_eq!(cfg.wait, Duration::from_millis(1250));
//! let cfg: Cfg = serde_json::from_str(r#"{ "wait": 40 }"#).unwrap();
//! assert_eq!(cfg.wait, Duration::from_millis(40));
//! ```

use std::fmt;
use std::time::Duration;

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

/// Parses "250ms", "5s", "1m 30s", ... The error says what is wrong in
/// plain words (`invalid duration "-5s": durations cannot be negative`).
pub fn parse(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    humantime::parse_duration(trimmed)
        .map_err(|e| format!("invalid duration {text:?}: {}", why(trimmed, &e)))
}

/// Why `text` is not a duration, in plain words (humantime's messages
/// speak of byte offsets).
fn why(text: &str, e: &humantime::DurationError) -> String {
    use humantime::DurationError as E;
    const EXAMPLES: &str = "a duration such as \"250ms\", \"5s\" or \"1m 30s\"";
    match e {
        _ if text.starts_with('-') => "durations cannot be negative".into(),
        E::Empty => format!("it is empty; write {EXAMPLES}"),
        E::UnknownUnit { unit, .. } => format!(
            "unknown unit {unit:?}; the units are ns, us, ms, s, m (or min), h, d, w, M (months) and y"
        ),
        E::NumberOverflow => "too long (more than 584 billion years)".into(),
        E::InvalidCharacter(_) | E::NumberExpected(_) => {
            format!("not {EXAMPLES} (a number, then a unit)")
        }
    }
}

/// Formats a duration the way [`parse`] reads it.
pub fn format(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}

/// Serde: writes a duration as a human string such as `"1s 250ms"`.
pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format(*value))
}

/// Serde: reads a human string (`"250ms"`, `"5s"`) or integer milliseconds.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    deserializer.deserialize_any(DurationVisitor)
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration such as \"250ms\" or \"5s\", or integer milliseconds")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        parse(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
        Ok(Duration::from_millis(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
        u64::try_from(v)
            .map(Duration::from_millis)
            .map_err(|_| E::custom("a duration cannot be negative"))
    }
}

/// The same helpers for `Option<Duration>` fields (`null` or absent is
/// `None`; pair it with `#[serde(default)]`).
pub mod option {
    use std::fmt;
    use std::time::Duration;

    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};

    use super::DurationVisitor;

    /// Writes `None` as null, `Some` as a human string.
    pub fn serialize<S: Serializer>(
        value: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => super::serialize(d, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Reads null, a human string or integer milliseconds.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        deserializer.deserialize_option(OptionVisitor)
    }

    struct OptionVisitor;

    impl<'de> Visitor<'de> for OptionVisitor {
        type Value = Option<Duration>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("nothing, or a duration such as \"250ms\" or integer milliseconds")
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            super::deserialize(d).map(Some)
        }

        // Self-describing formats that hand the value over directly.
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            DurationVisitor.visit_str(v).map(Some)
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            DurationVisitor.visit_u64(v).map(Some)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            DurationVisitor.visit_i64(v).map(Some)
        }
    }
}
