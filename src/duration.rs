//! Durations written by people: `"250ms"`, `"5s"`, `"1m 30s"`.
//!
//! [`serde_duration`] lets any config struct take a [`Duration`] as a human
//! string (parsed by `humantime`) or as a plain integer number of
//! milliseconds. Invariant: what it serializes, it parses back to the same
//! value.

/// A `#[serde(with = "retinue::duration::serde_duration")]` helper for
/// [`std::time::Duration`] fields.
///
/// ```
/// use std::time::Duration;
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Cfg {
///     #[serde(with = "retinue::duration::serde_duration")]
///     wait: Duration,
/// }
///
/// let cfg: Cfg = serde_json::from_str(r#"{ "wait": "1s 250ms" }"#).unwrap();
/// assert_eq!(cfg.wait, Duration::from_millis(1250));
/// let cfg: Cfg = serde_json::from_str(r#"{ "wait": 40 }"#).unwrap();
/// assert_eq!(cfg.wait, Duration::from_millis(40));
/// ```
pub mod serde_duration {
    use std::fmt;
    use std::time::Duration;

    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};

    /// Writes a duration as a human string such as `"1s 250ms"`.
    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&humantime::format_duration(*value).to_string())
    }

    /// Reads a human string (`"250ms"`, `"5s"`) or integer milliseconds.
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
            humantime::parse_duration(v.trim())
                .map_err(|e| E::custom(format_args!("bad duration {v:?}: {e}")))
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

    /// The same helper for `Option<Duration>` fields (`null` or absent is
    /// `None`; pair it with `#[serde(default)]`).
    pub mod option {
        use std::time::Duration;

        use serde::{Deserialize, Deserializer, Serializer};

        /// Writes `None` as a unit (null), `Some` as a human string.
        pub fn serialize<S: Serializer>(
            value: &Option<Duration>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match value {
                Some(d) => super::serialize(d, serializer),
                None => serializer.serialize_none(),
            }
        }

        /// Reads `null`, a human string or integer milliseconds.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Duration>, D::Error> {
            #[derive(Deserialize)]
            struct Wrap(#[serde(with = "super")] Duration);
            Ok(Option::<Wrap>::deserialize(deserializer)?.map(|w| w.0))
        }
    }
}
