//! Durations in human form ("250ms", "5s", "1m 30s") for serde, via
//! humantime.
//!
//! ```
//! use std::time::Duration;
//!
//! assert_eq!(retinue::duration::parse("1m 30s"), Ok(Duration::from_secs(90)));
//! assert_eq!(retinue::duration::format(Duration::from_millis(250)), "250ms");
//!
//! // In your own config structs:
//! #[derive(serde::Deserialize)]
//! struct Settings {
//!     #[serde(with = "retinue::duration")]
//!     within: Duration,
//! }
//! ```

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serializer};

/// Parses "250ms", "5s", "1m 30s", ...
pub fn parse(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|e| format!("invalid duration {text:?}: {e}"))
}

/// Formats a duration the way [`parse`] reads it.
pub fn format(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}

/// Serde: writes a duration as a human string.
pub fn serialize<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format(*duration))
}

/// Serde: reads a duration from a human string.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse(&text).map_err(serde::de::Error::custom)
}

/// Serde helpers for `Option<Duration>`.
pub mod option {
    use super::*;

    /// Serde: writes an optional duration as a human string or null.
    pub fn serialize<S: Serializer>(
        duration: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match duration {
            Some(d) => serializer.serialize_some(&super::format(*d)),
            None => serializer.serialize_none(),
        }
    }

    /// Serde: reads an optional duration from a human string.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|text| super::parse(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}
