//! Chaos soak: a nested supervision tree of workers and primitives (lock,
//! semaphore, queue, circuit breaker) under load from several clients,
//! while handlers panic (1 %), some are slow, workers are stopped from
//! outside, asks are abandoned mid-flight, and the primitive actors
//! themselves are crashed and restarted by their supervisor. Everything is
//! counted exactly and checked at the end of every cycle; the tree is
//! started and shut down several times to see that memory stays flat.
//!
//! The behaviour checked is the framework's own promise (DESIGN.md), in
//! OTP's terms: a supervised child's mailbox belongs to its slot, so a
//! crash loses at most the in-flight message (Erlang: "the message being
//! processed is lost, the mailbox of a restarted registered process is
//! not"; here the address and its queued messages survive); fencing tokens
//! strictly increase, so no two holders of one lock instance are ever
//! inside together; a queue neither loses nor duplicates an item when
//! getters give up (asyncio's `Queue.get` cancellation: the item stays in
//! the queue); every timed wait returns within its timeout.
//!
//! Quick by default (CI). Long mode: `RETINUE_SOAK_MESSAGES=1000000 cargo
//! test --release --test chaos_soak -- --nocapture` (the count is split
//! over `RETINUE_SOAK_CYCLES`, default 5 in long mode, 3 otherwise).

mod common;

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use common::wait::wait_until;
use retinue::supervisor::{ChildSpec, Flags, Strategy, Supervisor, SupervisorRef};
use retinue::sync::{
    BreakerConfig, CallError, CircuitBreaker, Lock, LockActor, LockOptions, Queue, QueueActor,
    QueueOptions, QueueOrder, Semaphore, SemaphoreActor, SemaphoreOptions,
};
use retinue::task::Group;
use retinue::{Actor, Addr, Context, ExitReason, Handler, Message, rt};

// ---- settings -------------------------------------------------------------

const WORKERS: usize = 4;
const CLIENTS: usize = 6;
const PRODUCERS: usize = 2;
const CONSUMERS: usize = 3;
const PERMITS: usize = 3;
/// Slack allowed on top of every timeout before a wait counts as outliving it.
const SLACK: Duration = Duration::from_secs(1);

struct Settings {
    /// Operations per cycle (worker messages, lock / semaphore / breaker
    /// calls), plus a fifth as many queue items.
    per_cycle: usize,
    cycles: usize,
}

fn settings() -> Settings {
    let total: Option<usize> = std::env::var("RETINUE_SOAK_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok());
    let cycles = std::env::var("RETINUE_SOAK_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if total.is_some() { 5 } else { 3 })
        .max(2);
    let total = total.unwrap_or(60_000);
    Settings {
        per_cycle: (total / cycles).max(100),
        cycles,
    }
}

// ---- exact accounting -----------------------------------------------------

const ACCEPTED: u8 = 1; // a tell returned Ok
const STARTED: u8 = 2; // the handler began
const FINISHED: u8 = 4; // the handler ended normally
const PANICKED: u8 = 8; // the handler is about to panic (planned)

/// One flag set per message id, so every message is accounted for.
struct Ledger {
    flags: Vec<AtomicU8>,
    next: AtomicUsize,
    duplicate_starts: AtomicUsize,
}

impl Ledger {
    fn new(n: usize) -> Self {
        Ledger {
            flags: (0..n).map(|_| AtomicU8::new(0)).collect(),
            next: AtomicUsize::new(0),
            duplicate_starts: AtomicUsize::new(0),
        }
    }

    fn alloc(&self) -> Option<usize> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        (id < self.flags.len()).then_some(id)
    }

    fn mark(&self, id: usize, flag: u8) -> u8 {
        self.flags[id].fetch_or(flag, Ordering::SeqCst)
    }

    fn has(&self, id: usize, flag: u8) -> bool {
        self.flags[id].load(Ordering::SeqCst) & flag != 0
    }

    fn count(&self, pred: impl Fn(u8) -> bool) -> usize {
        self.flags
            .iter()
            .filter(|f| pred(f.load(Ordering::SeqCst)))
            .count()
    }
}

/// Counters of everything else that must come out exact.
#[derive(Default)]
struct Tally {
    tells_refused: AtomicUsize,
    asks_ok: AtomicUsize,
    asks_failed: AtomicUsize,
    asks_ok_unfinished: AtomicUsize,
    waits_outliving_timeout: AtomicUsize,
    longest_overrun_ms: AtomicU64,
    worker_stops: AtomicUsize,
    lock_grants: AtomicUsize,
    lock_errors: AtomicUsize,
    double_holders: AtomicUsize,
    fenced_writes_same_instance: AtomicUsize,
    fenced_writes_after_crash: AtomicUsize,
    sem_grants: AtomicUsize,
    sem_errors: AtomicUsize,
    sem_over_capacity: AtomicUsize,
    breaker_calls: AtomicUsize,
    breaker_ran: AtomicUsize,
    breaker_ok: AtomicUsize,
    breaker_inner: AtomicUsize,
    breaker_rejected: AtomicUsize,
    breaker_timeout: AtomicUsize,
    breaker_unavailable: AtomicUsize,
    queue_get_abandoned: AtomicUsize,
    queue_get_errors: AtomicUsize,
    crashes_lock: Crashes,
    crashes_sem: Crashes,
    crashes_breaker: Crashes,
    crashes_queue: Crashes,
}

fn add(c: &AtomicUsize) {
    c.fetch_add(1, Ordering::Relaxed);
}

fn get(c: &AtomicUsize) -> usize {
    c.load(Ordering::SeqCst)
}

impl Tally {
    /// Records how long a wait bounded by `timeout` took.
    fn bounded_wait(&self, started: Instant, timeout: Duration) {
        let took = started.elapsed();
        if took > timeout + SLACK {
            add(&self.waits_outliving_timeout);
            let over = (took - timeout).as_millis() as u64;
            self.longest_overrun_ms.fetch_max(over, Ordering::Relaxed);
        }
    }
}

// ---- the worker -------------------------------------------------------------

#[derive(Clone, Copy)]
enum Action {
    Normal,
    Slow(Duration),
    Panic,
}

struct Worker {
    ledger: Arc<Ledger>,
}
impl Actor for Worker {}

struct Work {
    id: usize,
    action: Action,
}
impl Message for Work {
    type Reply = usize;
}
impl Handler<Work> for Worker {
    async fn handle(&mut self, msg: Work, _: &mut Context<Self>) -> usize {
        if self.ledger.mark(msg.id, STARTED) & STARTED != 0 {
            add(&self.ledger.duplicate_starts);
        }
        match msg.action {
            Action::Normal => {}
            Action::Slow(d) => rt::sleep(d).await,
            Action::Panic => {
                self.ledger.mark(msg.id, PANICKED);
                panic!("chaos: planned panic in message {}", msg.id);
            }
        }
        self.ledger.mark(msg.id, FINISHED);
        msg.id
    }
}

/// Answered after every message the worker took before it.
struct Flush;
impl Message for Flush {
    type Reply = ();
}
impl Handler<Flush> for Worker {
    async fn handle(&mut self, _: Flush, _: &mut Context<Self>) {}
}

// ---- resources guarded by the lock and the semaphore -----------------------

/// Crashes of one primitive: `begun` counts before the crash signal is
/// sent, `done` after the restarted instance runs.
#[derive(Default)]
struct Crashes {
    begun: AtomicUsize,
    done: AtomicUsize,
}

impl Crashes {
    /// The instance a waiter that begins now is sure to be served by: the
    /// one after the last crash, if no crash is under way (a message queued
    /// during a crash may be served by the next instance: the mailbox
    /// survives).
    fn instance(&self) -> Option<usize> {
        let done = self.done.load(Ordering::SeqCst);
        (self.begun.load(Ordering::SeqCst) == done).then_some(done)
    }

    fn begun(&self) -> usize {
        self.begun.load(Ordering::SeqCst)
    }
}

/// What [`Section::enter`] saw.
struct Entered {
    holders: usize,
    fenced: bool,
    fenced_by_same_instance: bool,
}

/// Who is inside a guarded section, each tagged with the instance of the
/// guarding primitive it began waiting under (see [`Crashes::instance`]).
/// Two holders with the same tag, inside together while no crash has begun
/// since, were both granted by that one instance.
#[derive(Default)]
struct Section {
    inside: Mutex<Vec<(u64, Option<usize>)>>,
    max_token: AtomicU64,
}

impl Section {
    /// Enters with `token`. Returns how many holders granted by the same
    /// instance as this one are inside (self included; 0 when that is
    /// uncertain), and whether the token was fenced off by a larger one,
    /// with `true` when that larger one surely came from the same instance.
    ///
    /// The crash count is read only after the others were observed: if no
    /// crash has begun by then, none had begun when they entered, so they
    /// hold grants of the same instance. (Read earlier, a thread preempted
    /// between the read and the look would blame a grant of the next
    /// instance on this one.)
    fn enter(&self, token: u64, tag: Option<usize>, crashes: &Crashes) -> Entered {
        let mut inside = self.inside.lock().unwrap();
        let fenced = self.max_token.fetch_max(token, Ordering::SeqCst) > token;
        inside.push((token, tag));
        let same_instance = tag.is_some() && tag == Some(crashes.begun());
        let holders = match same_instance {
            true => inside.iter().filter(|(_, t)| *t == tag).count(),
            false => 0,
        };
        Entered {
            holders,
            fenced,
            fenced_by_same_instance: fenced && same_instance,
        }
    }

    fn exit(&self, token: u64) {
        let mut inside = self.inside.lock().unwrap();
        if let Some(i) = inside.iter().position(|(t, _)| *t == token) {
            inside.swap_remove(i);
        }
    }
}

// ---- the tree ---------------------------------------------------------------

struct Tree {
    root: SupervisorRef,
    prims: SupervisorRef,
    workers: Vec<Addr<Worker>>,
    lock: Lock,
    sem: Semaphore,
    queue: Queue<u64>,
    breaker: CircuitBreaker,
}

fn lenient(strategy: Strategy) -> Flags {
    Flags::new(strategy).intensity(1_000_000, Duration::from_secs(1))
}

async fn build(ledger: &Arc<Ledger>) -> Tree {
    let worker_specs: Vec<ChildSpec> = (0..WORKERS)
        .map(|i| {
            let ledger = ledger.clone();
            ChildSpec::worker(format!("w{i}"), move || Worker {
                ledger: ledger.clone(),
            })
        })
        .collect();
    let workers: Vec<Addr<Worker>> = worker_specs
        .iter()
        .map(|s| s.addr::<Worker>().unwrap())
        .collect();
    let lock_spec = ChildSpec::worker("lock", || LockActor::new(LockOptions::default()));
    let sem_spec = ChildSpec::worker("sem", || {
        SemaphoreActor::new(SemaphoreOptions {
            permits: PERMITS,
            bounded: true,
        })
    });
    let queue_spec = ChildSpec::worker("queue", || {
        QueueActor::<u64>::new(QueueOptions {
            maxsize: 64,
            order: QueueOrder::Fifo,
        })
    });
    let breaker_config = BreakerConfig {
        open_wait: Duration::from_millis(20),
        call_timeout: Some(Duration::from_millis(50)),
        ..BreakerConfig::default()
    };
    let (breaker_spec, breaker) = CircuitBreaker::child_spec("breaker", breaker_config).unwrap();
    let lock = Lock::from_addr(lock_spec.addr().unwrap());
    let sem = Semaphore::from_addr(sem_spec.addr().unwrap());
    let queue = Queue::from_addr(queue_spec.addr().unwrap());

    let prims_factory = {
        let specs = Mutex::new(Some(vec![lock_spec, sem_spec, queue_spec, breaker_spec]));
        move || {
            let specs = specs.lock().unwrap().take().expect("built once");
            specs.into_iter().fold(
                Supervisor::with_flags(lenient(Strategy::OneForOne)),
                Supervisor::child,
            )
        }
    };
    let workers_factory = {
        let specs = Mutex::new(Some(worker_specs));
        move || {
            let specs = specs.lock().unwrap().take().expect("built once");
            specs.into_iter().fold(
                Supervisor::with_flags(lenient(Strategy::OneForOne)),
                Supervisor::child,
            )
        }
    };
    let mut workers_factory = Some(workers_factory);
    let services_factory = move || {
        let f = workers_factory.take().expect("built once");
        Supervisor::with_flags(lenient(Strategy::OneForOne))
            .child(ChildSpec::supervisor("workers", f))
    };
    let prims_spec = ChildSpec::supervisor("prims", prims_factory);
    let prims_addr = prims_spec.addr::<Supervisor>().unwrap();
    let root = Supervisor::with_flags(lenient(Strategy::OneForOne))
        .child(prims_spec)
        .child(ChildSpec::supervisor("services", services_factory))
        .spawn()
        .await
        .expect("the tree starts");
    let prims = SupervisorRef::wait_started(prims_addr)
        .await
        .expect("prims is up");
    Tree {
        root,
        prims,
        workers,
        lock,
        sem,
        queue,
        breaker,
    }
}

// ---- load ---------------------------------------------------------------------

struct Run {
    ledger: Arc<Ledger>,
    tally: Tally,
    lock_section: Section,
    sem_section: Section,
    done: AtomicBool,
}

fn pick_action(rng: &mut fastrand::Rng) -> Action {
    match rng.u32(0..100) {
        0 => Action::Panic,                                               // 1 %
        1..=2 => Action::Slow(Duration::from_micros(rng.u64(100..1500))), // 2 %
        _ => Action::Normal,
    }
}

async fn client(tree: Arc<Tree>, run: Arc<Run>, seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let t = &run.tally;
    while let Some(id) = run.ledger.alloc() {
        let worker = &tree.workers[rng.usize(0..WORKERS)];
        let action = pick_action(&mut rng);
        match rng.u32(0..100) {
            0..=69 => match worker.tell(Work { id, action }).await {
                Ok(()) => {
                    run.ledger.mark(id, ACCEPTED);
                }
                Err(_) => add(&t.tells_refused),
            },
            70..=79 => {
                // Some asks time out while their (slow) message is handled.
                let timeout = if rng.bool() {
                    Duration::from_micros(200)
                } else {
                    Duration::from_millis(500)
                };
                let began = Instant::now();
                let answer = worker.ask_timeout(Work { id, action }, timeout).await;
                t.bounded_wait(began, timeout);
                match answer {
                    Ok(_) => {
                        add(&t.asks_ok);
                        if !run.ledger.has(id, FINISHED) {
                            add(&t.asks_ok_unfinished);
                        }
                    }
                    Err(_) => add(&t.asks_failed),
                }
            }
            80..=84 => {
                // An ask abandoned from outside: its future is dropped.
                let timeout = Duration::from_micros(rng.u64(0..1000));
                let began = Instant::now();
                let _ = rt::timeout(timeout, worker.ask(Work { id, action })).await;
                t.bounded_wait(began, timeout);
            }
            85..=91 => lock_op(&tree, &run, &mut rng).await,
            92..=96 => sem_op(&tree, &run, &mut rng).await,
            _ => breaker_op(&tree, &run, &mut rng).await,
        }
    }
}

async fn lock_op(tree: &Tree, run: &Run, rng: &mut fastrand::Rng) {
    let t = &run.tally;
    let tag = t.crashes_lock.instance();
    let timeout = Duration::from_millis(200);
    let began = Instant::now();
    let grant = tree.lock.acquire_timeout(timeout).await;
    t.bounded_wait(began, timeout);
    let Ok(guard) = grant else {
        add(&t.lock_errors);
        return;
    };
    add(&t.lock_grants);
    let token = guard.token();
    let entered = run.lock_section.enter(token, tag, &t.crashes_lock);
    if entered.holders > 1 {
        add(&t.double_holders);
    }
    if entered.fenced_by_same_instance {
        add(&t.fenced_writes_same_instance);
    } else if entered.fenced {
        add(&t.fenced_writes_after_crash);
    }
    if rng.u32(0..4) == 0 {
        rt::sleep(Duration::from_micros(rng.u64(50..500))).await;
    } else {
        rt::yield_now().await;
    }
    run.lock_section.exit(token);
    drop(guard);
}

async fn sem_op(tree: &Tree, run: &Run, rng: &mut fastrand::Rng) {
    let t = &run.tally;
    let tag = t.crashes_sem.instance();
    let timeout = Duration::from_millis(200);
    let began = Instant::now();
    let grant = tree.sem.acquire_timeout(1, timeout).await;
    t.bounded_wait(began, timeout);
    let Ok(permit) = grant else {
        add(&t.sem_errors);
        return;
    };
    add(&t.sem_grants);
    // Semaphore holders get unique pseudo-tokens for the section's books.
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let token = NEXT.fetch_add(1, Ordering::Relaxed);
    let entered = run.sem_section.enter(token, tag, &t.crashes_sem);
    if entered.holders > PERMITS {
        add(&t.sem_over_capacity);
    }
    rt::sleep(Duration::from_micros(rng.u64(10..300))).await;
    run.sem_section.exit(token);
    drop(permit);
}

async fn breaker_op(tree: &Tree, run: &Run, rng: &mut fastrand::Rng) {
    let t = &run.tally;
    add(&t.breaker_calls);
    let fail = rng.u32(0..100) < 50;
    let hang = rng.u32(0..200) == 0; // cut off by the breaker's call timeout
    let began = Instant::now();
    let result = tree
        .breaker
        .call(|| async {
            add(&t.breaker_ran);
            if hang {
                std::future::pending::<()>().await;
            }
            if fail {
                Err("downstream failed")
            } else {
                Ok(())
            }
        })
        .await;
    t.bounded_wait(began, Duration::from_millis(50));
    match result {
        Ok(()) => add(&t.breaker_ok),
        Err(CallError::Inner(_)) => add(&t.breaker_inner),
        Err(CallError::Rejected(_)) => add(&t.breaker_rejected),
        Err(CallError::Timeout(_)) => add(&t.breaker_timeout),
        Err(CallError::Unavailable) => add(&t.breaker_unavailable),
    }
}

// ---- the queue: producers and consumers ----------------------------------------

struct QueueBooks {
    items: usize,
    produced: AtomicUsize,
    received: Vec<AtomicU8>,
    received_total: AtomicUsize,
    duplicates: AtomicUsize,
}

async fn producer(tree: Arc<Tree>, books: Arc<QueueBooks>, range: std::ops::Range<usize>) {
    for item in range {
        tree.queue
            .put(item as u64)
            .await
            .expect("a put to a live queue succeeds");
        add(&books.produced);
    }
}

async fn consumer(tree: Arc<Tree>, books: Arc<QueueBooks>, run: Arc<Run>, seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    while get(&books.received_total) < books.items {
        let got = if rng.u32(0..10) == 0 {
            // A get abandoned from outside, possibly with its item in flight.
            match rt::timeout(Duration::from_micros(rng.u64(0..300)), tree.queue.get()).await {
                Ok(got) => got.map_err(|_| ()),
                Err(_) => {
                    add(&run.tally.queue_get_abandoned);
                    continue;
                }
            }
        } else {
            match tree.queue.get_timeout(Duration::from_millis(20)).await {
                Ok(item) => Ok(item),
                Err(retinue::sync::GetError::Timeout) => continue,
                Err(_) => Err(()),
            }
        };
        match got {
            Ok(item) => {
                if books.received[item as usize].fetch_add(1, Ordering::SeqCst) > 0 {
                    add(&books.duplicates);
                }
                add(&books.received_total);
                let _ = tree.queue.task_done().await;
            }
            Err(()) => {
                // The queue was crashed under a waiting get: no item was lost
                // (it was empty), try again.
                add(&run.tally.queue_get_errors);
                rt::sleep(Duration::from_millis(1)).await;
            }
        }
    }
}

// ---- chaos --------------------------------------------------------------------

/// Crashes the running instance of primitive `id` (as if it panicked) and
/// waits until its supervisor restarted it.
async fn crash(prims: &SupervisorRef, id: &str, counter: &Crashes) {
    add(&counter.begun);
    let info = prims.child(id).await.unwrap();
    info.exit(ExitReason::Panicked(format!("chaos: {id} crashed")));
    wait_until("the primitive is restarted", || async {
        prims.child(id).await.is_ok_and(|c| {
            c.restarts > info.restarts && c.state == retinue::supervisor::ChildState::Running
        })
    })
    .await;
    // Only now: whoever begins to wait after this talks to the new instance.
    add(&counter.done);
}

async fn chaos(tree: Arc<Tree>, run: Arc<Run>, seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let t = &run.tally;
    while !run.done.load(Ordering::SeqCst) {
        rt::sleep(Duration::from_millis(rng.u64(1..4))).await;
        match rng.u32(0..10) {
            0..=5 => {
                tree.workers[rng.usize(0..WORKERS)].stop();
                add(&t.worker_stops);
            }
            6 => crash(&tree.prims, "lock", &t.crashes_lock).await,
            7 => crash(&tree.prims, "sem", &t.crashes_sem).await,
            8 => crash(&tree.prims, "breaker", &t.crashes_breaker).await,
            _ => {}
        }
    }
}

// ---- one cycle ----------------------------------------------------------------

struct CycleFigures {
    ops: usize,
    accepted: usize,
    finished: usize,
    panicked: usize,
    interrupted: usize,
    queue_items: usize,
    elapsed: Duration,
}

async fn cycle(n: usize, s: &Settings) -> CycleFigures {
    let began = Instant::now();
    let ledger = Arc::new(Ledger::new(s.per_cycle));
    let tree = Arc::new(build(&ledger).await);
    let run = Arc::new(Run {
        ledger: ledger.clone(),
        tally: Tally::default(),
        lock_section: Section::default(),
        sem_section: Section::default(),
        done: AtomicBool::new(false),
    });
    let items = (s.per_cycle / 5).max(10);
    let books = Arc::new(QueueBooks {
        items,
        produced: AtomicUsize::new(0),
        received: (0..items).map(|_| AtomicU8::new(0)).collect(),
        received_total: AtomicUsize::new(0),
        duplicates: AtomicUsize::new(0),
    });

    let chaos_task = rt::spawn(chaos(tree.clone(), run.clone(), n as u64 * 1000 + 7));
    let consumers: Group<()> = Group::new();
    for c in 0..CONSUMERS {
        let (tree, books, run) = (tree.clone(), books.clone(), run.clone());
        consumers
            .spawn(async move {
                consumer(tree, books, run, (n * 100 + c) as u64).await;
                Ok(())
            })
            .unwrap();
    }
    let clients: Group<()> = Group::new();
    for c in 0..CLIENTS {
        let (tree, run) = (tree.clone(), run.clone());
        clients
            .spawn(async move {
                client(tree, run, (n * 100 + 50 + c) as u64).await;
                Ok(())
            })
            .unwrap();
    }
    // Queue items in two halves; between them, with every item of the first
    // half taken, the queue actor is crashed under its waiting getters.
    let half = items / 2;
    for part in [0..half, half..items] {
        let producers: Group<()> = Group::new();
        let per = part.len().div_ceil(PRODUCERS);
        for p in 0..PRODUCERS {
            let start = (part.start + p * per).min(part.end);
            let end = (start + per).min(part.end);
            let (tree, books) = (tree.clone(), books.clone());
            producers
                .spawn(async move {
                    producer(tree, books, start..end).await;
                    Ok(())
                })
                .unwrap();
        }
        producers.join().await.unwrap();
        if part.start == 0 {
            wait_until("the first half is consumed", || async {
                get(&books.received_total) >= half
            })
            .await;
            crash(&tree.prims, "queue", &run.tally.crashes_queue).await;
        }
    }
    clients.join().await.expect("the clients finish");
    consumers.join().await.expect("the consumers finish");
    run.done.store(true, Ordering::SeqCst);
    chaos_task.await.unwrap();

    // Every accepted tell is handled by some instance; let the last ones end.
    wait_until("every accepted message has been started", || async {
        ledger.count(|f| f & ACCEPTED != 0 && f & STARTED == 0) == 0
    })
    .await;
    for w in &tree.workers {
        w.ask(Flush).await.expect("a worker answers");
    }
    let t = &run.tally;
    let accepted = ledger.count(|f| f & ACCEPTED != 0);
    let lost = ledger.count(|f| f & ACCEPTED != 0 && f & STARTED == 0);
    let finished = ledger.count(|f| f & ACCEPTED != 0 && f & FINISHED != 0);
    let panicked = ledger.count(|f| f & ACCEPTED != 0 && f & PANICKED != 0);
    let interrupted =
        ledger.count(|f| f & ACCEPTED != 0 && f & STARTED != 0 && f & (FINISHED | PANICKED) == 0);
    let planned_panics = ledger.count(|f| f & PANICKED != 0);

    // No primitive restarted other than when it was crashed on purpose
    // (an unplanned restart would be a crash of the primitive itself).
    for (id, crashes) in [
        ("lock", &run.tally.crashes_lock),
        ("sem", &run.tally.crashes_sem),
        ("breaker", &run.tally.crashes_breaker),
        ("queue", &run.tally.crashes_queue),
    ] {
        let restarts = tree.prims.child(id).await.unwrap().restarts as usize;
        assert_eq!(restarts, get(&crashes.done), "unplanned restarts of {id}");
    }
    // Primitives are consistent once everyone is gone.
    assert!(!tree.lock.is_locked().await.unwrap(), "the lock is free");
    assert_eq!(
        tree.sem.available().await.unwrap(),
        PERMITS,
        "every permit is back"
    );
    assert_eq!(tree.queue.len().await.unwrap(), 0, "the queue is empty");

    let shutdown = tree.root.shutdown().await;
    let tree = Arc::try_unwrap(tree)
        .ok()
        .expect("nobody else holds the tree");
    drop(tree);
    wait_until("every task has ended", || async { rt::live_tasks() == 0 }).await;

    let received = books
        .received
        .iter()
        .filter(|r| r.load(Ordering::SeqCst) > 0)
        .count();
    println!(
        "cycle {n}: {} ops ({accepted} tells accepted: {finished} handled, {panicked} panicked \
         in flight, {interrupted} cut off by {} outside stops, {lost} lost); asks {} ok / {} \
         failed; lock {} grants / {} errors, {} fenced after {} crashes; semaphore {} grants / \
         {} errors, {} crashes; breaker {} calls ({} ran: {} ok, {} failed, {} timed out; {} \
         rejected, {} unavailable), {} crashes; queue {items} items, {} abandoned gets, {} get \
         errors, {} crash; planned panics {planned_panics}; {:?}",
        s.per_cycle,
        get(&t.worker_stops),
        get(&t.asks_ok),
        get(&t.asks_failed),
        get(&t.lock_grants),
        get(&t.lock_errors),
        get(&t.fenced_writes_after_crash),
        get(&t.crashes_lock.done),
        get(&t.sem_grants),
        get(&t.sem_errors),
        get(&t.crashes_sem.done),
        get(&t.breaker_calls),
        get(&t.breaker_ran),
        get(&t.breaker_ok),
        get(&t.breaker_inner),
        get(&t.breaker_timeout),
        get(&t.breaker_rejected),
        get(&t.breaker_unavailable),
        get(&t.crashes_breaker.done),
        get(&t.queue_get_abandoned),
        get(&t.queue_get_errors),
        get(&t.crashes_queue.done),
        began.elapsed(),
    );

    // The exact checks.
    assert_eq!(shutdown, ExitReason::Shutdown);
    assert_eq!(lost, 0, "accepted tells never handled");
    assert_eq!(get(&ledger.duplicate_starts), 0, "messages handled twice");
    assert_eq!(accepted, finished + panicked + interrupted);
    assert!(
        interrupted <= get(&t.worker_stops),
        "{interrupted} messages cut off, but only {} outside stops",
        get(&t.worker_stops)
    );
    assert_eq!(
        get(&t.tells_refused),
        0,
        "a tell to a live supervised child was refused"
    );
    assert_eq!(
        get(&t.asks_ok_unfinished),
        0,
        "an ask answered before its handler ended"
    );
    assert_eq!(
        get(&t.waits_outliving_timeout),
        0,
        "waits outlived their timeout by more than {SLACK:?} (longest overrun {} ms)",
        t.longest_overrun_ms.load(Ordering::SeqCst)
    );
    assert_eq!(
        get(&t.double_holders),
        0,
        "two holders of one lock instance inside"
    );
    assert_eq!(
        get(&t.fenced_writes_same_instance),
        0,
        "a lock grant entered after a later grant had, with no crash of the lock since the older one began to wait: a double grant"
    );
    assert_eq!(
        get(&t.sem_over_capacity),
        0,
        "more holders than permits from one instance"
    );
    let b = |c: &AtomicUsize| get(c);
    assert_eq!(
        b(&t.breaker_calls),
        b(&t.breaker_ok)
            + b(&t.breaker_inner)
            + b(&t.breaker_rejected)
            + b(&t.breaker_timeout)
            + b(&t.breaker_unavailable),
        "every breaker call has one outcome"
    );
    assert_eq!(
        b(&t.breaker_ran),
        b(&t.breaker_ok) + b(&t.breaker_inner) + b(&t.breaker_timeout),
        "a call ran exactly when it was neither rejected nor refused"
    );
    assert_eq!(get(&books.produced), items);
    assert_eq!(get(&books.duplicates), 0, "queue items delivered twice");
    assert_eq!(received, items, "queue items lost");
    assert_eq!(rt::live_tasks(), 0, "tasks left after shutdown");

    CycleFigures {
        ops: s.per_cycle,
        accepted,
        finished,
        panicked,
        interrupted,
        queue_items: items,
        elapsed: began.elapsed(),
    }
}

/// Resident memory in bytes, from `/proc/self/statm` (None elsewhere).
fn rss() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn quiet_planned_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let planned = info
                .payload()
                .downcast_ref::<String>()
                .is_some_and(|m| m.starts_with("chaos: "));
            if !planned {
                default(info);
            }
        }));
    });
}

#[test]
fn chaos_soak() {
    quiet_planned_panics();
    let s = settings();
    let bound = Duration::from_secs(60 + (s.per_cycle * s.cycles / 2_000) as u64);
    let figures = rt::block_on(rt::timeout(bound, async {
        let mut figures = Vec::new();
        let mut rss_after = Vec::new();
        for n in 0..s.cycles {
            figures.push(cycle(n, &s).await);
            let r = rss();
            println!(
                "cycle {n}: RSS after shutdown {:?} KiB",
                r.map(|b| b / 1024)
            );
            rss_after.push(r);
        }
        (figures, rss_after)
    }))
    .expect("the soak finished within its bound");
    let (figures, rss_after) = figures;
    let total: usize = figures.iter().map(|f| f.ops + f.queue_items).sum();
    let accepted: usize = figures.iter().map(|f| f.accepted).sum();
    let finished: usize = figures.iter().map(|f| f.finished).sum();
    let panicked: usize = figures.iter().map(|f| f.panicked).sum();
    let interrupted: usize = figures.iter().map(|f| f.interrupted).sum();
    let elapsed: Duration = figures.iter().map(|f| f.elapsed).sum();
    println!(
        "soak: {} cycles, {total} operations and queue items, {accepted} tells accepted = \
         {finished} handled + {panicked} panicked in flight + {interrupted} cut off; {elapsed:?}",
        s.cycles
    );
    // Memory stays flat over start/shutdown cycles: the first cycle warms the
    // allocator up; after it, growth stays within a generous bound.
    if let (Some(Some(first)), Some(Some(last))) = (rss_after.first(), rss_after.last()) {
        let bound = first + first / 2 + 32 * 1024 * 1024;
        println!(
            "soak: RSS first {} KiB, last {} KiB, bound {} KiB",
            first / 1024,
            last / 1024,
            bound / 1024
        );
        assert!(*last <= bound, "RSS grew from {first} to {last} bytes");
    }
}
