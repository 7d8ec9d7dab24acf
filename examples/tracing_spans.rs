//! Every log line says which actor and which message it came from.
//!
//! Run with `cargo run --example tracing_spans`. The subscriber is the
//! plain `tracing_subscriber::fmt` one at DEBUG, so lines look like
//!
//! ```text
//! INFO actor{id=#3 type=Worker path="workers/w1" instance=1}:message{type=Job baggage=RequestId(7)}: tracing_spans: working job=2
//! ERROR actor{id=#3 type=Worker path="workers/w1" instance=1}: retinue::crash: actor panicked actor=#3 actor_type="Worker" during="Job" panic="job 13 is unlucky" ...
//! ```
//!
//! The crash is reported once, in the actor's span, and nothing else is
//! printed for it (retinue's panic hook keeps it off stderr).

use retinue::supervisor::{ChildSpec, Strategy, Supervisor};
use retinue::{Actor, Baggage, Context, Handler, Message};

#[derive(Debug)]
#[allow(dead_code)] // shown through `Debug`, in the message span
struct RequestId(u64);

struct Worker;
impl Actor for Worker {}

struct Job(u32);
impl Message for Job {
    type Reply = u32;
}
impl Handler<Job> for Worker {
    async fn handle(&mut self, Job(n): Job, _: &mut Context<Self>) -> u32 {
        tracing::info!(job = n, "working");
        if n == 13 {
            panic!("job {n} is unlucky");
        }
        n * 2
    }
}

fn main() {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .init();

    retinue::rt::block_on(async {
        let w1 = ChildSpec::worker("w1", || Worker);
        let worker = w1.addr::<Worker>().expect("a worker spec");
        let pool =
            || Supervisor::new(Strategy::OneForOne).child(ChildSpec::worker("w0", || Worker));
        let sup = Supervisor::new(Strategy::OneForOne)
            .child(ChildSpec::supervisor("workers", pool))
            .child(w1)
            .spawn()
            .await
            .expect("the tree starts");

        for (request, job) in [(7, 2), (8, 13), (9, 4)] {
            let baggage = Baggage::new().with_logged(RequestId(request));
            let answer = baggage.scope(worker.ask(Job(job))).await;
            tracing::info!(request, ?answer, "answered");
        }
        sup.shutdown().await;
    });
}
