//! The wire format: a versioned frame around a MessagePack payload.
//!
//! A request frame is `[version byte][Head][payload]`, a reply frame
//! `[version byte][ReplyHead][payload]`; heads and payloads are MessagePack
//! (rmp-serde). MessagePack is compact, self-describing (so every serde
//! shape works: untagged enums, `flatten`, maps with any keys — formats
//! that are not self-describing, like postcard or bincode, reject some),
//! specified independently of Rust (other languages can speak it) and
//! rmp-serde is maintained and widely used.
//!
//! Invariants:
//! - a frame of another version, or one that does not parse, is refused
//!   with [`RemoteErrorKind::Decode`] before anything is looked up;
//! - a payload is decoded only as a type registered for the export under
//!   the frame's tag; nothing else is ever deserialized;
//! - baggage travels as `(tag, bytes)` pairs; a node decodes only the
//!   baggage types it registered and skips the others.

use std::collections::HashMap;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::error::{RemoteError, RemoteErrorKind};
use crate::{Baggage, ExitReason, Message};

/// The frame version this build speaks.
pub const VERSION: u8 = 1;

/// A message that can cross the wire: serde both ways (message and reply)
/// and a stable tag that names its type on the wire. Tags are what an
/// export registers, so keep them unique and unchanged across versions of
/// your program (e.g. `"shop.AddItem/1"`).
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use retinue::Message;
/// use retinue::remote::RemoteMessage;
///
/// #[derive(Serialize, Deserialize)]
/// struct Add(u64);
/// impl Message for Add { type Reply = u64; }
/// impl RemoteMessage for Add { const TAG: &'static str = "counter.Add"; }
/// ```
pub trait RemoteMessage:
    Message<Reply: Serialize + DeserializeOwned> + Serialize + DeserializeOwned
{
    /// The type's name on the wire.
    const TAG: &'static str;
}

/// What a request asks of the receiving export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Kind {
    /// Deliver, no reply wanted (at most once).
    Tell,
    /// Deliver, then reply "accepted" (or the refusal).
    TellConfirmed,
    /// Deliver and reply with the handler's reply.
    Ask,
    /// Who are you: reply with [`Hello`].
    Ping,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct Head {
    pub kind: Kind,
    pub tag: String,
    pub baggage: Vec<(String, Vec<u8>)>,
}

#[derive(Serialize, Deserialize)]
pub(crate) enum ReplyHead {
    Ok,
    Err(RemoteError),
}

/// The answer to a ping: where the export lives and what it accepts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Hello {
    pub node: String,
    pub actor: u64,
    pub tags: Vec<String>,
}

fn decode_error(what: &str, err: impl std::fmt::Display) -> RemoteError {
    RemoteError::new(RemoteErrorKind::Decode, format!("{what}: {err}"))
}

/// MessagePack of any serde value.
pub(crate) fn to_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, RemoteError> {
    rmp_serde::to_vec(value).map_err(|e| decode_error("cannot encode", e))
}

/// A serde value from MessagePack.
pub(crate) fn from_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, RemoteError> {
    rmp_serde::from_slice(bytes).map_err(|e| decode_error("cannot decode payload", e))
}

fn frame<H: Serialize>(head: &H, payload: &[u8]) -> Result<Vec<u8>, RemoteError> {
    let mut out = Vec::with_capacity(payload.len() + 32);
    out.push(VERSION);
    rmp_serde::encode::write(&mut out, head).map_err(|e| decode_error("cannot encode head", e))?;
    out.extend_from_slice(payload);
    Ok(out)
}

/// Splits a frame into its head and the payload bytes after it.
fn unframe<H: DeserializeOwned>(bytes: &[u8]) -> Result<(H, &[u8]), RemoteError> {
    match bytes.first() {
        None => return Err(decode_error("empty frame", "no version byte")),
        Some(&VERSION) => {}
        Some(v) => {
            return Err(decode_error(
                "unsupported frame version",
                format!("{v} (this node speaks {VERSION})"),
            ));
        }
    }
    let mut rest = &bytes[1..];
    let head = H::deserialize(&mut rmp_serde::Deserializer::new(&mut rest))
        .map_err(|e| decode_error("not a retinue frame", e))?;
    Ok((head, rest))
}

pub(crate) fn encode_request(head: &Head, payload: &[u8]) -> Result<Vec<u8>, RemoteError> {
    frame(head, payload)
}

pub(crate) fn decode_request(bytes: &[u8]) -> Result<(Head, &[u8]), RemoteError> {
    unframe(bytes)
}

pub(crate) fn encode_reply(result: Result<&[u8], &RemoteError>) -> Vec<u8> {
    let framed = match result {
        Ok(payload) => frame(&ReplyHead::Ok, payload),
        Err(err) => frame(&ReplyHead::Err(err.clone()), &[]),
    };
    // Heads of known shapes always encode; an empty frame would be refused
    // as garbage by the asker, never mistaken for a reply.
    framed.unwrap_or_default()
}

pub(crate) fn decode_reply(bytes: &[u8]) -> Result<&[u8], RemoteError> {
    match unframe::<ReplyHead>(bytes)? {
        (ReplyHead::Ok, payload) => Ok(payload),
        (ReplyHead::Err(err), _) => Err(err),
    }
}

/// An exit reason as it travels (failures keep their message only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum WireReason {
    Normal,
    Stopped,
    Shutdown,
    Failed(String),
    Panicked(String),
    Killed,
}

impl From<&ExitReason> for WireReason {
    fn from(reason: &ExitReason) -> Self {
        match reason {
            ExitReason::Normal => WireReason::Normal,
            ExitReason::Stopped => WireReason::Stopped,
            ExitReason::Shutdown => WireReason::Shutdown,
            ExitReason::Failed(err) => WireReason::Failed(err.to_string()),
            ExitReason::Panicked(msg) => WireReason::Panicked(msg.clone()),
            ExitReason::Killed => WireReason::Killed,
        }
    }
}

impl From<WireReason> for ExitReason {
    fn from(reason: WireReason) -> Self {
        match reason {
            WireReason::Normal => ExitReason::Normal,
            WireReason::Stopped => ExitReason::Stopped,
            WireReason::Shutdown => ExitReason::Shutdown,
            WireReason::Failed(msg) => ExitReason::failed(msg),
            WireReason::Panicked(msg) => ExitReason::Panicked(msg),
            WireReason::Killed => ExitReason::Killed,
        }
    }
}

type Encode = fn(&Baggage) -> Option<Vec<u8>>;
type Decode = fn(&[u8], Baggage) -> Baggage;

/// The [`Baggage`] types that cross the wire, each under a tag. Baggage is
/// typed and local; only the types registered here (on both nodes) travel,
/// the rest stays behind.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use retinue::remote::BaggageTypes;
///
/// #[derive(Clone, Serialize, Deserialize)]
/// struct RequestId(u64);
///
/// let types = BaggageTypes::new().with::<RequestId>("request_id");
/// assert_eq!(types.len(), 1);
/// ```
#[derive(Clone, Default)]
pub struct BaggageTypes {
    by_tag: Arc<HashMap<String, (Encode, Decode)>>,
}

impl BaggageTypes {
    /// No types: baggage does not travel.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `T` under `tag`.
    pub fn with<T>(self, tag: &str) -> Self
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    {
        let mut map = (*self.by_tag).clone();
        let encode: Encode = |b| b.value::<T>().and_then(|v| rmp_serde::to_vec(&v).ok());
        let decode: Decode = |bytes, b| match rmp_serde::from_slice::<T>(bytes) {
            Ok(v) => b.with(v),
            Err(_) => b,
        };
        map.insert(tag.to_string(), (encode, decode));
        BaggageTypes {
            by_tag: Arc::new(map),
        }
    }

    /// How many types are registered.
    pub fn len(&self) -> usize {
        self.by_tag.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.by_tag.is_empty()
    }

    /// The registered values of the current baggage.
    pub(crate) fn capture(&self) -> Vec<(String, Vec<u8>)> {
        if self.by_tag.is_empty() {
            return Vec::new();
        }
        let Some(current) = Baggage::current() else {
            return Vec::new();
        };
        self.by_tag
            .iter()
            .filter_map(|(tag, (encode, _))| encode(&current).map(|v| (tag.clone(), v)))
            .collect()
    }

    /// Baggage rebuilt from the wire (unknown tags and bad values skipped).
    pub(crate) fn restore(&self, items: &[(String, Vec<u8>)]) -> Option<Baggage> {
        if items.is_empty() {
            return None;
        }
        let mut baggage = Baggage::new();
        for (tag, bytes) in items {
            if let Some((_, decode)) = self.by_tag.get(tag) {
                baggage = decode(bytes, baggage);
            }
        }
        Some(baggage)
    }
}

impl std::fmt::Debug for BaggageTypes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.by_tag.keys()).finish()
    }
}
