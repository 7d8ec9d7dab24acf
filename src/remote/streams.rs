//! Getting or creating a JetStream stream when several nodes may do it at
//! once (nodes starting together on a fresh server).
//!
//! async-nats' `get_or_create_stream` looks, then creates: two nodes can
//! both see no stream and both create it, and the later create is refused
//! ("stream name already in use" or "subjects overlap with an existing
//! stream"). That refusal means the stream is there now: look again.

use async_nats::jetstream::context::{CreateStreamError, CreateStreamErrorKind};
use async_nats::jetstream::{self, ErrorCode, stream};

use super::error::RemoteError;

/// The stream `config` names, created if it does not exist; `what` says
/// what it is for in the error.
pub(crate) async fn get_or_create(
    js: &jetstream::Context,
    config: stream::Config,
    what: &str,
) -> Result<stream::Stream, RemoteError> {
    let name = config.name.clone();
    let cannot = format!("cannot create {what}");
    match Box::pin(js.get_or_create_stream(config)).await {
        Ok(stream) => Ok(stream),
        Err(e) if created_meanwhile(&e) => Box::pin(js.get_stream(&name))
            .await
            .map_err(|e| RemoteError::jetstream(&cannot, e)),
        Err(e) => Err(RemoteError::jetstream(&cannot, e)),
    }
}

/// Whether a create was refused because the same stream appeared meanwhile.
fn created_meanwhile(e: &CreateStreamError) -> bool {
    match e.kind() {
        CreateStreamErrorKind::JetStream(api) => [
            ErrorCode::STREAM_NAME_EXIST,
            ErrorCode::STREAM_SUBJECT_OVERLAP,
        ]
        .contains(&api.error_code()),
        _ => false,
    }
}
