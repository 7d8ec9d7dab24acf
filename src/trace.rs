//! Tracing spans: one per actor instance, one per handled message, so a
//! subscriber shows which actor (and message) every log line came from.
//!
//! - `actor` (target `retinue::actor`, level `INFO`): fields `id`, `type`
//!   (the actor type's last path segment), `path` (the supervised path, such
//!   as `workers/fetcher`, when a supervisor runs it) and `instance` (1 for
//!   the first start, 2 after the first restart, ...). Entered for
//!   `started`, every handler, `stopped`, and crash reports; owned tasks and
//!   timers run inside the span that was current when they were started.
//! - `message` (target `retinue::message`, level `DEBUG`, a child of
//!   `actor`): field `type` (the message type) and, when the message carried
//!   [`Baggage`] with logged values ([`Baggage::with_logged`]), `baggage`. A
//!   `tracing::Span` in the baggage becomes a *follows-from* link.
//!
//! Invariant: when no subscriber is interested (none installed, or a level
//! filter below the span's level), making a span is a cached callsite check
//! that yields `Span::none()`; no field value is computed.

use tracing::Span;

use crate::addr::{ActorId, short_type_name};
use crate::baggage::Baggage;

/// The span of one instance of an actor of type `A`.
pub(crate) fn actor_span<A>(id: ActorId, path: Option<&str>, instance: u64) -> Span {
    tracing::info_span!(
        target: "retinue::actor",
        "actor",
        id = %id,
        r#type = short_type_name::<A>(),
        path,
        instance,
    )
}

/// The span of one handled message of type `M`, carrying `baggage`.
pub(crate) fn message_span<M>(baggage: Option<&Baggage>) -> Span {
    let span = tracing::debug_span!(
        target: "retinue::message",
        "message",
        r#type = short_type_name::<M>(),
        baggage = tracing::field::Empty,
    );
    if span.is_disabled() {
        return span;
    }
    if let Some(baggage) = baggage {
        if baggage.has_logged() {
            span.record("baggage", tracing::field::display(baggage.logged()));
        }
        if let Some(from) = baggage.value::<Span>() {
            span.follows_from(&from);
        }
    }
    span
}
