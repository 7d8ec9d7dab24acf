//! Crash reports: a panic in an actor is reported once, as a `tracing`
//! event, instead of being printed by Rust's panic hook and then again by
//! whoever logs the exit.
//!
//! A panic in `started`, a handler, `stopped` or an owned task (timers,
//! streams, [`Context::spawn_task`](crate::Context::spawn_task)) is caught
//! by retinue and becomes [`ExitReason::Panicked`](crate::ExitReason); it is
//! an expected event for a supervised actor, like an exception in an Erlang
//! process. When it is caught, retinue emits one `ERROR` event with target
//! `retinue::crash` and the fields
//!
//! | field | what |
//! |---|---|
//! | `actor` | the actor's id (`#12`) |
//! | `actor_type` | its type, last path segment |
//! | `during` | `started`, `stopped`, `task`, or the message type being handled |
//! | `panic` | the panic message |
//! | `location` | `file:line:column` of the panic |
//! | `backtrace` | a captured backtrace, only when `RUST_BACKTRACE` (or `RUST_LIB_BACKTRACE`) asks for one |
//!
//! and the event sits inside the actor's span (see [the crate
//! docs](crate#logging-and-tracing)).
//!
//! # The panic hook
//!
//! So that the same panic is not also printed to stderr by Rust's default
//! hook (with `RUST_BACKTRACE=1`, about 130 lines per crash), retinue installs
//! a panic hook when the first actor starts. The hook is quiet **only for
//! panics raised while retinue is polling an actor's own code**; every other
//! panic goes to the hook that was installed before (the default one, or
//! yours), unchanged. If you install your own hook after retinue's, yours
//! wins and sees every panic.
//!
//! Opting out: call [`set_quiet(false)`](set_quiet) (at any time; the
//! previous hook then sees actor panics too and prints them with its own
//! backtrace, and the tracing event is still emitted, without one), or
//! set the environment variable `RETINUE_PANIC_HOOK=default` to start that
//! way without touching the code.
//!
//! A panic that your own code catches inside a handler (with
//! `catch_unwind`) is not printed either while the hook is quiet.
//!
//! ```
//! use retinue::{Actor, Context, ExitReason, Handler, Message};
//!
//! struct Fragile;
//! impl Actor for Fragile {}
//! struct Boom;
//! impl Message for Boom { type Reply = (); }
//! impl Handler<Boom> for Fragile {
//!     async fn handle(&mut self, _: Boom, _: &mut Context<Self>) { panic!("boom") }
//! }
//!
//! # retinue::rt::block_on(async {
//! let actor = retinue::spawn(Fragile);
//! let _ = actor.ask(Boom).await; // nothing on stderr; one `retinue::crash` event
//! assert_eq!(actor.wait_stopped().await, ExitReason::Panicked("boom".into()));
//! # });
//! ```
//!
//! Invariants:
//! - The hook is installed at most once per process; when loud it only
//!   records where an actor panicked and hands every panic on.
//! - A report recorded by the hook is taken by the catch site on the same
//!   thread (unwinding does not change threads) and matched by message, so
//!   a stale record is never attached to another panic.

use std::backtrace::{Backtrace, BacktraceStatus};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{Location, PanicHookInfo};
use std::pin::Pin;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use crate::addr::ActorId;

static QUIET: AtomicBool = AtomicBool::new(true);
static INSTALL: Once = Once::new();

thread_local! {
    /// How many owned-task polls are on this thread's stack (an actor's
    /// own future is marked by `current::Scoped`).
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// What the hook saw of the last quiet panic on this thread.
    static LAST: RefCell<Option<Recorded>> = const { RefCell::new(None) };
}

struct Recorded {
    message: String,
    location: String,
    backtrace: Option<Backtrace>,
}

/// Whether retinue's panic hook keeps actor panics off stderr (the default).
pub fn is_quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// `false` sends actor panics to the previously installed panic hook again
/// (Rust's default prints them to stderr); `true` (the default) keeps them
/// quiet. The `retinue::crash` event is emitted either way.
///
/// ```no_run
/// retinue::crash::set_quiet(false); // print actor panics as Rust does
/// assert!(!retinue::crash::is_quiet());
/// retinue::crash::set_quiet(true);
/// assert!(retinue::crash::is_quiet());
/// ```
pub fn set_quiet(quiet: bool) {
    install_hook();
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Installs retinue's panic hook now (otherwise the first actor to start
/// does), chaining to the hook installed before it. Does nothing after the
/// first call. With `RETINUE_PANIC_HOOK=default` set, the hook starts loud
/// (as after `set_quiet(false)`).
///
/// ```no_run
/// // Install before your own hook, so that yours sees actor panics too.
/// retinue::crash::install_hook();
/// let retinue_hook = std::panic::take_hook();
/// std::panic::set_hook(Box::new(move |info| retinue_hook(info)));
/// ```
pub fn install_hook() {
    INSTALL.call_once(|| {
        if std::env::var_os("RETINUE_PANIC_HOOK").is_some_and(|v| v == "default") {
            QUIET.store(false, Ordering::Relaxed);
        }
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_actor = crate::current::actor().is_some() || DEPTH.with(Cell::get) > 0;
            let quiet = is_quiet();
            if in_actor {
                // The previous hook prints its own backtrace when loud.
                record(info, quiet);
            }
            if !in_actor || !quiet {
                previous(info);
            }
        }));
    });
}

fn record(info: &PanicHookInfo<'_>, with_backtrace: bool) {
    let message = crate::rt::panic_message(info.payload());
    let location = info
        .location()
        .map_or_else(String::new, Location::to_string);
    let backtrace = with_backtrace.then(Backtrace::capture);
    let backtrace = backtrace.filter(|b| b.status() == BacktraceStatus::Captured);
    let recorded = Recorded {
        message,
        location,
        backtrace,
    };
    // `try_with`: a panic while the thread's locals are being destroyed.
    let _ = LAST.try_with(|last| *last.borrow_mut() = Some(recorded));
}

/// Reports a caught panic of an actor of type `A` (once) and turns it into
/// the exit reason.
pub(crate) fn panicked<A>(
    id: ActorId,
    during: &str,
    payload: &(dyn std::any::Any + Send),
) -> crate::ExitReason {
    let message = crate::rt::panic_message(payload);
    report(id, crate::addr::short_type_name::<A>(), during, &message);
    crate::ExitReason::Panicked(message)
}

/// Reports a caught actor panic: one `ERROR` event on target
/// `retinue::crash` (see the module docs for its fields).
fn report(actor: ActorId, actor_type: &str, during: &str, message: &str) {
    let recorded = LAST
        .try_with(|last| last.borrow_mut().take())
        .ok()
        .flatten()
        .filter(|r| r.message == message);
    let (location, backtrace) = match &recorded {
        Some(r) => (r.location.as_str(), r.backtrace.as_ref()),
        None => ("", None),
    };
    match backtrace {
        Some(backtrace) => tracing::error!(
            target: "retinue::crash",
            %actor, actor_type, during, panic = message, location,
            backtrace = %backtrace,
            "actor panicked"
        ),
        None => tracing::error!(
            target: "retinue::crash",
            %actor, actor_type, during, panic = message, location,
            "actor panicked"
        ),
    }
}

pin_project_lite::pin_project! {
    /// Polls `inner` (an owned task) marked as actor code, so the hook
    /// keeps its panics quiet.
    pub(crate) struct Quiet<F> {
        #[pin]
        inner: F,
    }
}

impl<F> Quiet<F> {
    pub(crate) fn new(inner: F) -> Self {
        install_hook();
        Quiet { inner }
    }
}

struct Leave;

impl Drop for Leave {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get() - 1));
    }
}

impl<F: Future> Future for Quiet<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        DEPTH.with(|d| d.set(d.get() + 1));
        let _leave = Leave;
        self.project().inner.poll(cx)
    }
}
