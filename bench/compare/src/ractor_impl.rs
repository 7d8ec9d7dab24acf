//! The six scenarios on ractor, as its docs write actors: one message enum
//! per actor, `Actor::spawn(None, ..)` (unbounded mailbox), `cast` for tell,
//! `call!` for ask, and for the restart scenario a supervisor actor that
//! re-spawns its linked child under the same registered name in
//! `handle_supervisor_evt` (ractor has no built-in restart); the client
//! finds the current instance with `ActorRef::where_is`. Runs on a default
//! multi-thread tokio runtime (`TOKIO_WORKER_THREADS` applies).
//!
//! Invariants: the same workloads and self-checks as `retinue_impl.rs`.

use std::time::{Duration, Instant};

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SpawnErr, SupervisionEvent, call};

use crate::common::{Outcome, SETTLE, Scenario, Sizes, mark_started, median, per_op};
use crate::common::{ask_latency, rss_bytes, started};

enum CounterMsg {
    Inc,
    Get(RpcReplyPort<u64>),
}

struct Counter;
impl Actor for Counter {
    type Msg = CounterMsg;
    type State = u64;
    type Arguments = ();
    async fn pre_start(&self, _: ActorRef<CounterMsg>, _: ()) -> Result<u64, ActorProcessingErr> {
        Ok(0)
    }
    async fn handle(
        &self,
        _: ActorRef<CounterMsg>,
        msg: CounterMsg,
        count: &mut u64,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            CounterMsg::Inc => *count += 1,
            CounterMsg::Get(port) => {
                let _ = port.send(*count);
            }
        }
        Ok(())
    }
}

enum NodeMsg {
    SetNext(ActorRef<NodeMsg>),
    Token(u64),
}

struct NodeState {
    next: Option<ActorRef<NodeMsg>>,
    done: async_channel::Sender<()>,
}

struct Node;
impl Actor for Node {
    type Msg = NodeMsg;
    type State = NodeState;
    type Arguments = async_channel::Sender<()>;
    async fn pre_start(
        &self,
        _: ActorRef<NodeMsg>,
        done: async_channel::Sender<()>,
    ) -> Result<NodeState, ActorProcessingErr> {
        Ok(NodeState { next: None, done })
    }
    async fn handle(
        &self,
        _: ActorRef<NodeMsg>,
        msg: NodeMsg,
        state: &mut NodeState,
    ) -> Result<(), ActorProcessingErr> {
        match (msg, &state.next) {
            (NodeMsg::SetNext(next), _) => state.next = Some(next),
            (NodeMsg::Token(left @ 1..), Some(next)) => next.cast(NodeMsg::Token(left - 1))?,
            (NodeMsg::Token(_), _) => {
                let _ = state.done.try_send(());
            }
        }
        Ok(())
    }
}

struct Idle;
impl Actor for Idle {
    type Msg = ();
    type State = ();
    type Arguments = ();
    async fn pre_start(&self, _: ActorRef<()>, _: ()) -> Result<(), ActorProcessingErr> {
        mark_started();
        Ok(())
    }
}

const WORKER: &str = "compare-worker";

enum WorkerMsg {
    Panic,
    Ping(RpcReplyPort<u64>),
}

struct Worker;
impl Actor for Worker {
    type Msg = WorkerMsg;
    type State = ();
    type Arguments = ();
    async fn pre_start(&self, _: ActorRef<WorkerMsg>, _: ()) -> Result<(), ActorProcessingErr> {
        Ok(())
    }
    async fn handle(
        &self,
        _: ActorRef<WorkerMsg>,
        msg: WorkerMsg,
        _: &mut (),
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            WorkerMsg::Panic => panic!("deliberate panic (scenario 6)"),
            WorkerMsg::Ping(port) => {
                let _ = port.send(1);
            }
        }
        Ok(())
    }
}

struct Sup;
impl Sup {
    async fn start_worker(myself: &ActorRef<()>) -> Result<(), ActorProcessingErr> {
        loop {
            match Actor::spawn_linked(Some(WORKER.into()), Worker, (), myself.get_cell()).await {
                Ok(_) => return Ok(()),
                // The dead instance's name is released as it stops; try again.
                Err(SpawnErr::ActorAlreadyRegistered(_)) => tokio::task::yield_now().await,
                Err(e) => return Err(e.into()),
            }
        }
    }
}
impl Actor for Sup {
    type Msg = ();
    type State = ();
    type Arguments = ();
    async fn pre_start(&self, myself: ActorRef<()>, _: ()) -> Result<(), ActorProcessingErr> {
        Sup::start_worker(&myself).await
    }
    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<()>,
        event: SupervisionEvent,
        _: &mut (),
    ) -> Result<(), ActorProcessingErr> {
        if let SupervisionEvent::ActorFailed(..) = event {
            Sup::start_worker(&myself).await?;
        }
        Ok(())
    }
}

/// Runs one scenario.
pub fn run(scenario: Scenario, z: &Sizes) -> Outcome {
    let z = *z;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // The measuring code runs as a task on the runtime, next to the actors.
    let task = runtime.spawn(async move {
        let z = &z;
        match scenario {
            Scenario::Tell => Outcome::one("tell", tell(z).await),
            Scenario::RoundRobin => Outcome::one("round-robin", round_robin(z).await),
            Scenario::Ask => {
                let (p50, p99, mean) = ask(z).await;
                Outcome::many(vec![("ask p50", p50), ("ask mean", mean), ("ask p99", p99)])
            }
            Scenario::Ring => Outcome::one("ring", ring(z).await),
            Scenario::Spawn => {
                let (time, mem) = spawn(z).await;
                Outcome::many(vec![("spawn", time), ("memory", mem)])
            }
            Scenario::Restart => Outcome::one("restart", restart(z).await),
            Scenario::Pool => crate::pool::measure(z, crate::pool::on_ractor::round).await,
        }
    });
    runtime.block_on(task).expect("measuring task failed")
}

async fn counter() -> ActorRef<CounterMsg> {
    Actor::spawn(None, Counter, ()).await.unwrap().0
}

async fn get(actor: &ActorRef<CounterMsg>) -> u64 {
    match call!(actor, CounterMsg::Get) {
        Ok(v) => v,
        Err(e) => panic!("ractor call failed: {e}"),
    }
}

fn must<E>(r: Result<(), E>) {
    assert!(r.is_ok(), "ractor cast failed");
}

async fn tell(z: &Sizes) -> f64 {
    let mut samples = Vec::new();
    for _ in 0..z.rounds {
        let actor = counter().await;
        let start = Instant::now();
        for _ in 0..z.tell {
            must(actor.cast(CounterMsg::Inc));
        }
        assert_eq!(get(&actor).await, z.tell);
        samples.push(per_op(start.elapsed(), z.tell));
        actor.stop(None);
    }
    median(&mut samples)
}

async fn round_robin(z: &Sizes) -> f64 {
    let mut samples = Vec::new();
    for _ in 0..z.rounds {
        let mut actors = Vec::new();
        for _ in 0..z.rr_actors {
            actors.push(counter().await);
        }
        let start = Instant::now();
        for i in 0..z.rr_msgs {
            must(actors[i as usize % actors.len()].cast(CounterMsg::Inc));
        }
        let mut total = 0;
        for a in &actors {
            total += get(a).await;
        }
        assert_eq!(total, z.rr_msgs);
        samples.push(per_op(start.elapsed(), z.rr_msgs));
        for a in &actors {
            a.stop(None);
        }
    }
    median(&mut samples)
}

async fn ask(z: &Sizes) -> (f64, f64, f64) {
    let actor = counter().await;
    let actor = &actor;
    ask_latency(z.asks, || async move {
        get(actor).await;
    })
    .await
}

async fn ring(z: &Sizes) -> f64 {
    let mut samples = Vec::new();
    for _ in 0..z.rounds {
        let (done_tx, done_rx) = async_channel::bounded(1);
        let mut nodes = Vec::new();
        for _ in 0..z.ring_actors {
            nodes.push(Actor::spawn(None, Node, done_tx.clone()).await.unwrap().0);
        }
        for (i, node) in nodes.iter().enumerate() {
            must(node.cast(NodeMsg::SetNext(nodes[(i + 1) % nodes.len()].clone())));
        }
        let hops = z.ring_laps * z.ring_actors as u64;
        let start = Instant::now();
        must(nodes[0].cast(NodeMsg::Token(hops)));
        done_rx.recv().await.unwrap();
        samples.push(per_op(start.elapsed(), hops));
        for node in &nodes {
            node.stop(None);
        }
    }
    median(&mut samples)
}

async fn spawn(z: &Sizes) -> (f64, f64) {
    let before = rss_bytes();
    let start = Instant::now();
    let mut actors = Vec::with_capacity(z.spawn);
    for _ in 0..z.spawn {
        actors.push(Actor::spawn(None, Idle, ()).await.unwrap().0);
    }
    while started() < z.spawn {
        tokio::time::sleep(Duration::from_micros(100)).await;
    }
    let time = per_op(start.elapsed(), z.spawn as u64);
    tokio::time::sleep(SETTLE).await;
    let mem = (rss_bytes() - before) / z.spawn as f64;
    drop(actors);
    (time, mem)
}

async fn ping_current() -> bool {
    match ActorRef::<WorkerMsg>::where_is(WORKER) {
        Some(worker) => matches!(call!(worker, WorkerMsg::Ping), Ok(1)),
        None => false,
    }
}

async fn restart(z: &Sizes) -> f64 {
    let (sup, _) = Actor::spawn(None, Sup, ()).await.unwrap();
    assert!(ping_current().await);
    let mut samples = Vec::new();
    for _ in 0..z.restarts {
        let deadline = Instant::now() + Duration::from_secs(10);
        let start = Instant::now();
        let worker = ActorRef::<WorkerMsg>::where_is(WORKER).unwrap();
        must(worker.cast(WorkerMsg::Panic));
        while !ping_current().await {
            assert!(Instant::now() < deadline, "ractor: no answer after restart");
            tokio::task::yield_now().await;
        }
        samples.push(start.elapsed().as_nanos() as f64 / 1000.0);
    }
    sup.stop(None);
    median(&mut samples)
}
