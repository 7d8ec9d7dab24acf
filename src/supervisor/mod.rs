//! Supervision trees with Erlang/OTP semantics.
//!
//! A [`Supervisor`] is an actor that starts its children in order, restarts
//! them by [`Strategy`] when they exit (within a restart intensity, with an
//! optional backoff), and stops them in reverse order. A supervised child's
//! address stays valid across restarts: its mailbox belongs to the child's
//! slot, so messages waiting in it are handled by the next instance and
//! only the asker of the in-flight message sees the crash.
//!
//! [`System`] is the root of an application's tree, with a name registry.
//! [`DynamicSupervisor`] starts children on demand from one template.
//!
//! Supervisor decisions (child exit, restart, backoff, escalation,
//! shutdown) are emitted as `tracing` events carrying the child id, inside
//! the supervisor's own `actor` span; each child's span and metrics carry
//! its supervised path (`pool/w1`, see [`Inbox::set_path`](crate::Inbox::set_path)).
//!
//! # A worked example: a supervised worker pool
//!
//! Three workers under a `one_for_one` supervisor, fed round-robin. A job
//! that makes a worker panic fails only its own asker; the worker is
//! restarted behind the same address, so the jobs queued behind the
//! crashing one are handled by the new instance and the pool keeps its
//! shape.
//!
//! ```
//! use std::time::Duration;
//! use retinue::{Actor, Addr, Context, Handler, Message};
//! use retinue::supervisor::{ChildSpec, ChildState, Flags, Strategy, Supervisor};
//!
//! struct Worker;
//! impl Actor for Worker {}
//!
//! struct Job(u32);
//! impl Message for Job { type Reply = u32; }
//! impl Handler<Job> for Worker {
//!     async fn handle(&mut self, Job(n): Job, _: &mut Context<Self>) -> u32 {
//!         if n == 4 { panic!("job 4 is poison") }
//!         n * 10
//!     }
//! }
//!
//! # retinue::rt::block_on(async {
//! // Up to 5 restarts in 10 s before the supervisor gives up and fails.
//! let flags = Flags::new(Strategy::OneForOne).intensity(5, Duration::from_secs(10));
//! let specs: Vec<ChildSpec> = (0..3).map(|i| ChildSpec::worker(format!("w{i}"), || Worker)).collect();
//! let workers: Vec<Addr<Worker>> = specs.iter().map(|s| s.addr().unwrap()).collect();
//! let pool = specs.into_iter().fold(Supervisor::with_flags(flags), Supervisor::child);
//! let pool = pool.spawn().await.unwrap();
//!
//! // Round-robin: job n goes to worker n % 3, all sent before any answer.
//! let asks: Vec<_> = (0..9u32)
//!     .map(|n| {
//!         let worker = workers[n as usize % 3].clone();
//!         retinue::rt::spawn(async move { worker.ask(Job(n)).await })
//!     })
//!     .collect();
//! let mut answers = Vec::new();
//! for ask in asks {
//!     answers.push(ask.await.unwrap());
//! }
//! assert!(answers[4].is_err(), "the poison job's asker sees the crash");
//! assert_eq!(answers[7], Ok(70), "w1 answers its other jobs, before or after its restart");
//! assert_eq!(answers.iter().filter(|a| a.is_ok()).count(), 8);
//!
//! let children = pool.which_children().await.unwrap();
//! let w1 = children.iter().find(|c| c.id == "w1").unwrap();
//! assert_eq!((w1.state, w1.restarts), (ChildState::Running, 1));
//! assert!(children.iter().all(|c| c.state == ChildState::Running));
//! pool.shutdown().await;
//! assert!(workers.iter().all(|w| !w.is_alive()));
//! # });
//! ```

mod admin;
mod child;
mod dynamic;
mod error;
mod flags;
mod ignore;
mod intensity;
mod spec;
#[allow(clippy::module_inception)]
mod supervisor;
mod system;
mod tree;

pub use admin::{ChildCounts, ChildInfo, SupervisorRef};
pub use dynamic::{DynamicSupervisor, Template};
pub use error::SupervisorError;
pub use flags::{AutoShutdown, Flags, Strategy};
pub use ignore::Ignore;
pub use spec::{ChildKind, ChildSpec, Restart, Shutdown};
pub use supervisor::{ChildState, Supervisor};
pub use system::{NameTaken, System};
pub use tree::{ExitRecord, RestartBudget, TreeNode};
