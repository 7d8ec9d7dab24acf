//! Remote actors, lock and queue across OS processes on loopback: the test
//! binary re-executes itself with `RETINUE_REMOTE_ROLE` set to run a role
//! (the ignored `role` test is the entry point), the parent is one more
//! node. Children print one line per milestone on stdout; `Procs` kills
//! and reaps them even when a test fails.

#![cfg(feature = "nats")]

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::nats::{DownSink, NatsServer, Procs};
use common::wait::LONG;
use retinue::remote::{
    Node, NodeOptions, RemoteErrorKind, RemoteLockOptions, RemoteMessage, RemoteQueueOptions,
    is_node_lost,
};
use retinue::supervisor::{ChildSpec, Strategy, Supervisor};
use retinue::{Actor, Context, ExitReason, Handler, Message, rt};
use serde::{Deserialize, Serialize};

const ROLE: &str = "RETINUE_REMOTE_ROLE";
const LEASE: Duration = Duration::from_secs(1);
const HEARTBEAT_TIMEOUT: Duration = Duration::from_millis(800);
const QUEUE: RemoteQueueOptions = RemoteQueueOptions {
    ack_wait: Duration::from_secs(1),
    max_deliveries: 5,
};

// ---- the exported actor ----------------------------------------------

#[derive(Default)]
struct Store {
    seen: Vec<(String, u64)>,
}
impl Actor for Store {}

#[derive(Serialize, Deserialize)]
struct Push(String, u64);
impl Message for Push {
    type Reply = ();
}
impl RemoteMessage for Push {
    const TAG: &'static str = "procs.Push";
}
impl Handler<Push> for Store {
    async fn handle(&mut self, msg: Push, _: &mut Context<Self>) {
        self.seen.push((msg.0, msg.1));
    }
}

#[derive(Serialize, Deserialize)]
struct Seen;
impl Message for Seen {
    type Reply = Vec<(String, u64)>;
}
impl RemoteMessage for Seen {
    const TAG: &'static str = "procs.Seen";
}
impl Handler<Seen> for Store {
    async fn handle(&mut self, _: Seen, _: &mut Context<Self>) -> Vec<(String, u64)> {
        self.seen.clone()
    }
}

/// Stops the instance with `Stopped` (for good, when unsupervised) or
/// panics (`crash`), which a supervisor restarts.
#[derive(Serialize, Deserialize)]
struct End {
    crash: bool,
}
impl Message for End {
    type Reply = ();
}
impl RemoteMessage for End {
    const TAG: &'static str = "procs.End";
}
impl Handler<End> for Store {
    async fn handle(&mut self, msg: End, ctx: &mut Context<Self>) {
        if msg.crash {
            panic!("crash on request");
        }
        ctx.stop();
    }
}

/// Answers after `0` milliseconds.
#[derive(Serialize, Deserialize)]
struct Slow(u64);
impl Message for Slow {
    type Reply = u64;
}
impl RemoteMessage for Slow {
    const TAG: &'static str = "procs.Slow";
}
impl Handler<Slow> for Store {
    async fn handle(&mut self, msg: Slow, _: &mut Context<Self>) -> u64 {
        rt::sleep(Duration::from_millis(msg.0)).await;
        msg.0
    }
}

async fn export(node: &Node, name: &str, addr: retinue::Addr<Store>) {
    node.export(name, addr)
        .message::<Push>()
        .message::<Seen>()
        .message::<End>()
        .message::<Slow>()
        .start()
        .await
        .expect("export");
}

fn options(url: &str, name: &str) -> NodeOptions {
    let mut opts = common::nats::node_options(url, name);
    opts.heartbeat.timeout = HEARTBEAT_TIMEOUT;
    opts.ask_timeout = Duration::from_secs(2);
    opts.reconnect.max_delay = Duration::from_millis(100);
    opts
}

// ---- the roles (run in child processes) --------------------------------

/// Entry point of the child processes; does nothing in a normal run.
#[test]
#[ignore = "entry point of the child processes (RETINUE_REMOTE_ROLE)"]
fn role() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let url = std::env::var("NATS_URL").expect("NATS_URL");
    // The parent holds our stdin: when it goes (even without unwinding),
    // so do we.
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(0);
    });
    rt::block_on(async move {
        match role.as_str() {
            "exporter" => exporter(&url).await,
            "teller" => teller(&url).await,
            "holder" => holder(&url).await,
            other => panic!("unknown role {other}"),
        }
    });
}

fn say(line: &str) {
    println!("{line}");
}

/// Exports `store` (unsupervised) and `sup-store` (supervised); exports
/// `late` a moment after it said READY; then serves until killed.
async fn exporter(url: &str) {
    let node = Node::connect(options(url, "exporter")).await.unwrap();
    export(&node, "store", retinue::spawn(Store::default())).await;
    let spec = ChildSpec::worker("s", Store::default);
    let supervised = spec.addr::<Store>().unwrap();
    let _sup = Supervisor::new(Strategy::OneForOne)
        .child(spec)
        .spawn()
        .await
        .unwrap();
    export(&node, "sup-store", supervised).await;
    say("READY");
    rt::sleep(Duration::from_millis(300)).await;
    export(&node, "late", retinue::spawn(Store::default())).await;
    std::future::pending::<()>().await;
}

/// Tells `store` 100 numbered messages, then says DONE once they were
/// handled.
async fn teller(url: &str) {
    let node = Node::connect(options(url, "teller")).await.unwrap();
    let store = node.lookup_wait("store", LONG).await.unwrap();
    for i in 0..100 {
        store.tell(Push("teller".into(), i)).await.unwrap();
    }
    // A flush only empties this client's buffer; an ask from the same
    // sender comes back after every earlier tell was handled (FIFO).
    store.ask(Seen).await.unwrap();
    say("DONE");
    std::future::pending::<()>().await;
}

/// Exports `held`, takes the lock and a queue item and keeps both until
/// it is killed.
async fn holder(url: &str) {
    let node = Node::connect(options(url, "holder")).await.unwrap();
    export(&node, "held", retinue::spawn(Store::default())).await;
    let lock = node
        .lock("shared", RemoteLockOptions { lease: LEASE })
        .await
        .unwrap();
    let guard = lock.acquire().await.unwrap();
    let queue = node.queue::<String>("jobs", QUEUE).await.unwrap();
    let job = queue.get().await.unwrap();
    say(&format!("HOLDING {} {}", guard.token(), job.value()));
    std::future::pending::<()>().await;
}

// ---- the parent's side -------------------------------------------------

/// The `role` test's name as libtest knows it: its module path in this
/// test binary, without the binary's own crate name.
fn role_test() -> String {
    let (_crate, module) = module_path!().split_once("::").unwrap();
    format!("{module}::role")
}

/// Starts `role` in a child process; its stdout lines arrive on the receiver.
fn spawn_role(procs: &mut Procs, role: &str, url: &str) -> (usize, mpsc::Receiver<String>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            &role_test(),
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ROLE, role)
        .env("NATS_URL", url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (procs.push(child), rx)
}

/// The next line containing `prefix` (libtest may print "test role ... "
/// before it), from `prefix` on, within [`LONG`].
fn expect_line(rx: &mpsc::Receiver<String>, prefix: &str) -> String {
    let deadline = Instant::now() + LONG;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains(prefix) => {
                return line[line.find(prefix).unwrap()..].to_string();
            }
            Ok(_) => continue,
            Err(e) => panic!("no {prefix:?} line from the child: {e}"),
        }
    }
}

#[test]
fn three_processes_tell_ask_fifo_late_lookup_withdraw_and_restart() {
    let server = NatsServer::start();
    let url = server.url();
    let mut procs = Procs::default();
    let (_, exporter_out) = spawn_role(&mut procs, "exporter", &url);
    expect_line(&exporter_out, "READY");
    let (_, teller_out) = spawn_role(&mut procs, "teller", &url);
    rt::block_on(async {
        let node = Node::connect(options(&url, "parent")).await.unwrap();
        let store = node.lookup("store").await.unwrap();
        assert_eq!(store.node_name(), Some("exporter"));
        for i in 0..50 {
            store.tell(Push("parent".into(), i)).await.unwrap();
        }
        expect_line(&teller_out, "DONE");
        let seen = store.ask(Seen).await.unwrap();
        for sender in ["parent", "teller"] {
            let from: Vec<u64> = seen
                .iter()
                .filter(|(s, _)| s == sender)
                .map(|(_, n)| *n)
                .collect();
            let sent = if sender == "parent" { 50 } else { 100 };
            assert_eq!(
                from,
                (0..sent).collect::<Vec<_>>(),
                "FIFO from {sender}, none lost"
            );
        }

        let late = node.lookup_wait("late", LONG).await.unwrap();
        assert_eq!(late.ask(Seen).await.unwrap(), vec![]);

        // A supervised child crashes: the name stays valid (stable address).
        let sup_store = node.lookup("sup-store").await.unwrap();
        sup_store
            .tell_confirmed(Push("parent".into(), 1))
            .await
            .unwrap();
        let (downs, down_rx) = DownSink::spawn();
        let _watch = sup_store.watch(downs).await.unwrap();
        sup_store.tell_confirmed(End { crash: true }).await.unwrap();
        assert_eq!(
            sup_store.ask(Seen).await.unwrap(),
            vec![],
            "a fresh instance answers"
        );
        assert!(down_rx.try_recv().is_err(), "no Down for a restart");

        // An unsupervised actor stops for good: export withdrawn, Down sent.
        let (downs, down_rx) = DownSink::spawn();
        let _watch = store.watch(downs).await.unwrap();
        store.tell(End { crash: false }).await.unwrap();
        let down = rt::timeout(LONG, down_rx.recv()).await.unwrap().unwrap();
        assert_eq!(down.reason, ExitReason::Normal);
        let err = store.ask(Seen).await.unwrap_err();
        assert_eq!(err.kind(), RemoteErrorKind::NotExported, "{err}");
        node.close().await;
    });
}

#[test]
fn kill_9_gives_node_lost_expires_the_lease_and_redelivers_the_item() {
    let server = NatsServer::start();
    let url = server.url();
    let mut procs = Procs::default();
    rt::block_on(async {
        let node = Node::connect(options(&url, "parent")).await.unwrap();
        let queue = node.queue::<String>("jobs", QUEUE).await.unwrap();
        queue.put(&"job-1".to_string()).await.unwrap();
        let (holder, out) = spawn_role(&mut procs, "holder", &url);
        let line = expect_line(&out, "HOLDING");
        // While the holder lives, its name is taken.
        let err = Node::connect(options(&url, "holder")).await.unwrap_err();
        assert_eq!(err.kind(), RemoteErrorKind::NameTaken, "{err}");
        let mut parts = line.split_whitespace().skip(1);
        let token: u64 = parts.next().unwrap().parse().unwrap();
        assert_eq!(parts.next(), Some("job-1"));

        let held = node.lookup("held").await.unwrap();
        let (downs, down_rx) = DownSink::spawn();
        let _watch = held.watch(downs).await.unwrap();
        let lock = node
            .lock("shared", RemoteLockOptions { lease: LEASE })
            .await
            .unwrap();
        assert_eq!(lock.holder_token().await.unwrap(), Some(token));

        procs.kill(holder); // SIGKILL: nothing runs on the way out
        let killed = Instant::now();
        let down = rt::timeout(LONG, down_rx.recv()).await.unwrap().unwrap();
        assert!(is_node_lost(&down.reason), "{}", down.reason);
        let took = killed.elapsed();
        assert!(
            took < HEARTBEAT_TIMEOUT + Duration::from_secs(1),
            "{took:?}"
        );

        let guard = lock.acquire_timeout(LONG).await.unwrap();
        assert!(guard.token() > token, "{} > {token}", guard.token());

        let job = queue.get_timeout(LONG).await.unwrap().expect("redelivered");
        assert_eq!((job.value().as_str(), job.delivery_count()), ("job-1", 2));
        job.ack().await.unwrap();
        assert!(queue.is_empty().await.unwrap());

        // The killed node's name is free again (its heartbeats stopped).
        let again = Node::connect(options(&url, "holder")).await.unwrap();
        again.close().await;
    });
}

#[test]
fn a_server_restart_fails_in_flight_asks_then_clients_reconnect_and_no_acked_item_is_lost() {
    let mut server = NatsServer::start();
    let url = server.url();
    let mut procs = Procs::default();
    let (_, out) = spawn_role(&mut procs, "exporter", &url);
    expect_line(&out, "READY");
    rt::block_on(async {
        let node = Node::connect(options(&url, "parent")).await.unwrap();
        let queue = node.queue::<u32>("steady", QUEUE).await.unwrap();
        for i in 0..10 {
            queue.put(&i).await.unwrap();
        }
        let mut acked = Vec::new();
        for _ in 0..5 {
            acked.push(queue.get().await.unwrap().ack().await.unwrap());
        }
        let store = node.lookup("store").await.unwrap();
        let asks = |n: usize, millis: u64, timeout: Duration| -> Vec<_> {
            (0..n)
                .map(|_| {
                    let store = store.clone();
                    rt::spawn(async move { store.ask_timeout(Slow(millis), timeout).await })
                })
                .collect()
        };
        // Across a quick restart an in-flight ask ends within its deadline:
        // with the reply when the connection came back in time, else an error.
        let in_flight = asks(3, 500, Duration::from_secs(2));
        rt::sleep(Duration::from_millis(100)).await;
        server.restart();
        for ask in in_flight {
            match rt::timeout(LONG, ask)
                .await
                .expect("an in-flight ask hung")
                .unwrap()
            {
                Ok(v) => assert_eq!(v, 500),
                Err(e) => assert!(
                    matches!(
                        e.kind(),
                        RemoteErrorKind::Timeout | RemoteErrorKind::Transport
                    ),
                    "{e}"
                ),
            }
        }
        // While the server is down (killed), asks fail with an error, none
        // hang. (No queue operation runs across the kill: JetStream writes
        // its consumer state asynchronously, so a SIGKILLed server may
        // redeliver an item acked just before: at least once.)
        server.kill();
        let started = Instant::now();
        for ask in asks(3, 0, Duration::from_millis(300)) {
            let result = rt::timeout(LONG, ask).await.expect("an ask hung").unwrap();
            let err = result.expect_err("no server, no reply");
            assert!(
                matches!(
                    err.kind(),
                    RemoteErrorKind::Timeout | RemoteErrorKind::Transport
                ),
                "{err}"
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        server.restart();

        // Both nodes reconnect; the export answers again.
        let deadline = Instant::now() + LONG;
        while store
            .ask_timeout(Slow(0), Duration::from_millis(500))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "no reconnect");
            rt::sleep(Duration::from_millis(50)).await;
        }
        // The queue kept what was not acked, and only that (JetStream may
        // still be recovering its store: errors are retried).
        let deadline = Instant::now() + LONG;
        while acked.len() < 10 {
            assert!(Instant::now() < deadline, "items lost: acked {acked:?}");
            if let Ok(Some(d)) = queue.get_timeout(Duration::from_millis(500)).await {
                if let Ok(item) = d.ack().await {
                    acked.push(item);
                }
            }
        }
        let extra = queue.get_timeout(Duration::from_millis(300)).await.unwrap();
        assert!(extra.is_none(), "delivered again after its ack: {extra:?}");
        acked.sort();
        assert_eq!(
            acked,
            (0..10).collect::<Vec<_>>(),
            "each item acked exactly once"
        );
    });
}
