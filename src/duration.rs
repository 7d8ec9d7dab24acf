//! Durations written by people: `"250ms"`, `"5s"`, `"1m 30s"`.
//!
//! Use the module with serde's `with` attribute to let any config struct
//! take a [`Duration`] as a human string or as a plain integer number of
//! milliseconds. The grammar is humantime's (units `ns`,
//! `us`/`µs`, `ms`, `s`/`sec`, `m`/`min`, `h`/`hours`, `d`/`days`,
//! `w`/`weeks`, `M`/`months`, `y`/`years` and a few spellings more;
//! fractions such as `"1.5s"`), written here so that the actor core needs
//! no parsing crate; the errors say what is wrong in plain words. Invariant: what it serializes, it parses back to the
//! same value.
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
    parse_human(trimmed).map_err(|e| format!("invalid duration {text:?}: {}", why(trimmed, e)))
}

/// What is wrong with a duration, before it is put in words.
#[derive(Debug, PartialEq, Eq)]
enum Wrong {
    Empty,
    /// No number where one is needed, or a stray character.
    Shape,
    NoUnit,
    UnknownUnit(String),
    TooLarge,
}

/// Why `text` is not a duration, in plain words (no byte offsets).
fn why(text: &str, wrong: Wrong) -> String {
    const EXAMPLES: &str = "a duration such as \"250ms\", \"5s\" or \"1m 30s\"";
    match wrong {
        _ if text.starts_with('-') => "durations cannot be negative".into(),
        Wrong::Empty => format!("it is empty; write {EXAMPLES}"),
        Wrong::UnknownUnit(unit) => format!(
            "unknown unit {unit:?}; the units are ns, us, ms, s, m (or min), h, d, w, M (months) and y"
        ),
        Wrong::TooLarge => "too long (more than 584 billion years)".into(),
        Wrong::Shape | Wrong::NoUnit => format!("not {EXAMPLES} (a number, then a unit)"),
    }
}

/// Formats a duration the way [`parse`] reads it: `"1h 30m"`, `"250ms"`,
/// `"0s"`.
pub fn format(duration: Duration) -> String {
    if duration.is_zero() {
        return "0s".to_owned();
    }
    let secs = duration.as_secs();
    let nanos = duration.subsec_nanos();
    let (years, rest) = (secs / YEAR, secs % YEAR);
    let (months, rest) = (rest / MONTH, rest % MONTH);
    let parts: [(u64, &str); 9] = [
        (years, "year"),
        (months, "month"),
        (rest / DAY, "day"),
        (rest % DAY / 3600, "h"),
        (rest % 3600 / 60, "m"),
        (rest % 60, "s"),
        (u64::from(nanos / 1_000_000), "ms"),
        (u64::from(nanos / 1000 % 1000), "us"),
        (u64::from(nanos % 1000), "ns"),
    ];
    let mut out = String::new();
    for (i, (value, unit)) in parts.into_iter().enumerate() {
        if value == 0 {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&value.to_string());
        out.push_str(unit);
        if i < 3 && value > 1 {
            out.push('s'); // "2days", as humantime writes them
        }
    }
    out
}

const DAY: u64 = 86_400;
/// 30.44 days and 365.25 days, as humantime counts them.
const MONTH: u64 = 2_630_016;
const YEAR: u64 = 31_557_600;

/// Nanoseconds per unit, for every spelling humantime accepts.
fn unit_nanos(unit: &str) -> Option<u128> {
    let secs = |s: u64| Some(u128::from(s) * 1_000_000_000);
    match unit {
        "nanos" | "nsec" | "ns" => Some(1),
        "usec" | "us" | "µs" => Some(1_000),
        "millis" | "msec" | "ms" => Some(1_000_000),
        "seconds" | "second" | "secs" | "sec" | "s" => secs(1),
        "minutes" | "minute" | "min" | "mins" | "m" => secs(60),
        "hours" | "hour" | "hr" | "hrs" | "h" => secs(3600),
        "days" | "day" | "d" => secs(DAY),
        "weeks" | "week" | "wk" | "wks" | "w" => secs(7 * DAY),
        "months" | "month" | "M" => secs(MONTH),
        "years" | "year" | "yr" | "yrs" | "y" => secs(YEAR),
        _ => None,
    }
}

/// A sequence of `<number>[.<fraction>] <unit>` terms, summed.
fn parse_human(s: &str) -> Result<Duration, Wrong> {
    if s.is_empty() {
        return Err(Wrong::Empty);
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total: u128 = 0;
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let (nanos, after) = parse_term(rest)?;
        total = total.checked_add(nanos).ok_or(Wrong::TooLarge)?;
        rest = after.trim_start();
    }
    let secs = u64::try_from(total / 1_000_000_000).map_err(|_| Wrong::TooLarge)?;
    Ok(Duration::new(secs, (total % 1_000_000_000) as u32))
}

/// One term at the start of `rest` (a suffix of `whole`): its length in
/// nanoseconds and what follows it.
fn parse_term(rest: &str) -> Result<(u128, &str), Wrong> {
    let digits = |t: &str| t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n = digits(rest);
    if n == 0 {
        return Err(Wrong::Shape);
    }
    let (int, tail) = rest.split_at(n);
    let (frac, tail) = match tail.strip_prefix('.') {
        Some(t) if digits(t) > 0 => t.split_at(digits(t)),
        Some(_) => return Err(Wrong::Shape),
        None => ("", tail),
    };
    let tail = tail.trim_start();
    let unit_len = tail
        .find(|c: char| !(c.is_ascii_alphabetic() || c == 'µ'))
        .unwrap_or(tail.len());
    let (unit, after) = tail.split_at(unit_len);
    if unit.is_empty() {
        return Err(if after.is_empty() {
            Wrong::NoUnit
        } else {
            Wrong::Shape
        });
    }
    let per = unit_nanos(unit).ok_or_else(|| Wrong::UnknownUnit(unit.to_owned()))?;
    if after.starts_with(|c: char| !c.is_whitespace() && !c.is_ascii_digit()) {
        return Err(Wrong::Shape);
    }
    let int: u128 = int.parse().map_err(|_| Wrong::TooLarge)?;
    let mut nanos = int.checked_mul(per).ok_or(Wrong::TooLarge)?;
    if !frac.is_empty() {
        let frac = &frac[..frac.len().min(18)];
        let den = 10u128.pow(frac.len() as u32);
        let num: u128 = frac.parse().map_err(|_| Wrong::TooLarge)?;
        nanos = nanos.checked_add(num * per / den).ok_or(Wrong::TooLarge)?;
    }
    Ok((nanos, after))
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
