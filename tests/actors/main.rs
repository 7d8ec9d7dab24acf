//! The actor core: asks, baggage, context services, lifecycle, mailboxes, and the runtime seam.
//!
//! One test binary per concept (each file below was its own binary once):
//! fewer binaries build and link faster and take less disk.

#[path = "../common/mod.rs"]
mod common;

mod ask;
mod baggage;
mod context;
mod duration;
mod lifecycle;
mod mailbox;
mod mailbox_stress;
mod rt_backend;
mod shared_mailbox;
mod tokio_interop;
