//! A small supervision tree with a flaky worker: restarts behind a stable
//! address, queued messages surviving a crash, escalation when the restart
//! intensity is exceeded, and an orderly shutdown.
//!
//! Run it with `cargo run --example supervision`.

use std::time::Duration;

use retinue::supervisor::{ChildSpec, Flags, Strategy, Supervisor, System};
use retinue::{Actor, BoxError, Context, ExitReason, Handler, Message, rt};

/// Parses jobs; panics on the ones it cannot handle.
struct Parser {
    generation: u32,
}

impl Actor for Parser {
    async fn started(&mut self, _: &mut Context<Self>) -> Result<(), BoxError> {
        println!("  parser #{} started", self.generation);
        Ok(())
    }
    async fn stopped(&mut self, _: &mut Context<Self>, reason: &ExitReason) {
        println!("  parser #{} stopped: {reason}", self.generation);
    }
}

struct Parse(&'static str);
impl Message for Parse {
    type Reply = usize;
}
impl Handler<Parse> for Parser {
    async fn handle(&mut self, msg: Parse, _: &mut Context<Self>) -> usize {
        if msg.0.contains("bad") {
            panic!("cannot parse {:?}", msg.0);
        }
        msg.0.len()
    }
}

/// A logger next to the parser, to show who restarts with whom.
struct Logger;
impl Actor for Logger {
    async fn stopped(&mut self, _: &mut Context<Self>, reason: &ExitReason) {
        println!("  logger stopped: {reason}");
    }
}

fn parser_factory() -> impl FnMut() -> Parser + Send + 'static {
    let mut generation = 0;
    move || {
        generation += 1;
        Parser { generation }
    }
}

fn main() {
    // The panics below are the point of the demo; keep their output short.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        println!("  !! panic: {msg}");
    }));

    rt::block_on(async {
        println!("1. a rest_for_one tree: logger, then parser (at most 2 restarts in 10 s)");
        let parser_spec = ChildSpec::worker("parser", parser_factory());
        let parser = parser_spec.addr::<Parser>().unwrap();
        let pipeline = ChildSpec::supervisor("pipeline", move || {
            Supervisor::with_flags(
                Flags::new(Strategy::RestForOne).intensity(2, Duration::from_secs(10)),
            )
            .child(ChildSpec::worker("logger", || Logger))
        });
        let system = System::with_root(Supervisor::new(Strategy::OneForOne).child(pipeline))
            .await
            .unwrap();
        let pipeline = system.root().child("pipeline").await.unwrap();
        let pipeline = retinue::supervisor::SupervisorRef::wait_started(
            pipeline.addr::<Supervisor>().unwrap(),
        )
        .await
        .unwrap();
        pipeline.start_child(parser_spec).await.unwrap();
        println!("{}", system.tree().await.unwrap());

        println!("2. a bad job crashes the parser; the next job waits in its mailbox");
        let (bad, good) = (parser.ask(Parse("bad job")), parser.ask(Parse("good job")));
        let (bad, good) = futures_lite::future::zip(bad, good).await;
        println!("  the bad job's asker got: {bad:?}");
        println!("  the good job, queued behind it, got: {good:?} (same address, new instance)");

        println!("3. two more crashes exceed the pipeline's intensity: it fails to the root");
        for _ in 0..2 {
            let _ = parser.ask(Parse("bad again")).await;
        }
        // The root restarts the pipeline (a fresh one, with a fresh logger).
        while system.root().child("pipeline").await.unwrap().restarts == 0 {
            rt::sleep(Duration::from_millis(5)).await;
        }
        println!("  (the parser was added at run time, so the fresh pipeline has only");
        println!("   the logger from its spec, as in OTP)");
        println!("{}", system.tree().await.unwrap());

        println!("4. orderly shutdown, children in reverse order");
        println!("  system: {}", system.shutdown().await);
    });
}
