//! Test helpers shared by the integration tests.

#![allow(dead_code)]

pub mod breaker;
pub mod cancel;
pub mod nats;
pub mod snapshot;
pub mod wait;

use std::sync::{Arc, Mutex};

use retinue::{Actor, BoxError, Context, ExitReason, Handler, Message};

/// A shared, ordered log of lifecycle events ("start a", "stop b: shutdown").
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    pub fn push(&self, line: impl Into<String>) {
        self.0.lock().unwrap().push(line.into());
    }

    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// What a worker does in `started` and `stopped`.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub enum Behaviour {
    #[default]
    Normal,
    /// `started` returns an error.
    FailStart,
    /// `stopped` never finishes.
    HangInStopped,
}

/// A worker that logs its starts and stops.
pub struct Worker {
    pub name: &'static str,
    pub log: Log,
    pub behaviour: Behaviour,
    pub instance: u64,
}

impl Worker {
    /// A factory that numbers the instances it builds.
    pub fn factory(name: &'static str, log: &Log) -> impl FnMut() -> Worker + Send + 'static {
        Self::factory_with(name, log, Behaviour::Normal)
    }

    pub fn factory_with(
        name: &'static str,
        log: &Log,
        behaviour: Behaviour,
    ) -> impl FnMut() -> Worker + Send + 'static {
        let log = log.clone();
        let mut instance = 0;
        move || {
            instance += 1;
            Worker {
                name,
                log: log.clone(),
                behaviour,
                instance,
            }
        }
    }
}

impl Actor for Worker {
    async fn started(&mut self, _: &mut Context<Self>) -> Result<(), BoxError> {
        if self.behaviour == Behaviour::FailStart {
            self.log.push(format!("failed {}", self.name));
            return Err(format!("{} cannot start", self.name).into());
        }
        self.log.push(format!("start {}", self.name));
        Ok(())
    }

    async fn stopped(&mut self, _: &mut Context<Self>, reason: &ExitReason) {
        if self.behaviour == Behaviour::HangInStopped {
            self.log.push(format!("hanging {}", self.name));
            std::future::pending::<()>().await;
        }
        self.log.push(format!("stop {}: {reason}", self.name));
    }
}

/// Ends the instance with this reason (a panic for `Panicked`).
pub struct Exit(pub ExitReason);
impl Message for Exit {
    type Reply = ();
}
impl Handler<Exit> for Worker {
    async fn handle(&mut self, msg: Exit, ctx: &mut Context<Self>) {
        match msg.0 {
            ExitReason::Panicked(why) => panic!("{why}"),
            reason => ctx.stop_with(reason),
        }
    }
}

/// Which instance answers.
pub struct Instance;
impl Message for Instance {
    type Reply = u64;
}
impl Handler<Instance> for Worker {
    async fn handle(&mut self, _: Instance, _: &mut Context<Self>) -> u64 {
        self.instance
    }
}

/// Holds the worker until the gate's sender is used or dropped.
pub struct Hold(pub async_channel::Receiver<()>);
impl Message for Hold {
    type Reply = ();
}
impl Handler<Hold> for Worker {
    async fn handle(&mut self, msg: Hold, _: &mut Context<Self>) {
        let _ = msg.0.recv().await;
    }
}

/// Holds the worker, then panics.
pub struct HoldThenPanic(pub async_channel::Receiver<()>);
impl Message for HoldThenPanic {
    type Reply = u64;
}
impl Handler<HoldThenPanic> for Worker {
    async fn handle(&mut self, msg: HoldThenPanic, _: &mut Context<Self>) -> u64 {
        let _ = msg.0.recv().await;
        panic!("crash while holding")
    }
}

pub fn panicked(why: &str) -> ExitReason {
    ExitReason::Panicked(why.into())
}
