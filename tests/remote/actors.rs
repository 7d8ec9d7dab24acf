//! Remote actors over a real nats-server: several nodes in one process.
//! (`procs.rs` runs them in separate OS processes.)

#![cfg(feature = "nats")]

use crate::common;

use std::time::Duration;

use common::nats::{DownSink, NatsServer};
use common::wait::LONG;
use futures_lite::StreamExt;
use retinue::remote::{
    BaggageTypes, Credentials, GetNode, Node, NodeActor, NodeOptions, RemoteActor, RemoteErrorKind,
    RemoteMessage,
};
use retinue::supervisor::{ChildSpec, Strategy, Supervisor};
use retinue::{Actor, Baggage, Context, Handler, Message, Recipient, rt};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct RequestId(u64);

/// Keeps the numbers it was told; answers asks.
#[derive(Default)]
struct Store {
    seen: Vec<u64>,
}
impl Actor for Store {}

#[derive(Serialize, Deserialize)]
struct Push(u64);
impl Message for Push {
    type Reply = ();
}
impl RemoteMessage for Push {
    const TAG: &'static str = "test.Push";
}
impl Handler<Push> for Store {
    async fn handle(&mut self, msg: Push, _: &mut Context<Self>) {
        self.seen.push(msg.0);
    }
}

#[derive(Serialize, Deserialize)]
struct Seen;
impl Message for Seen {
    type Reply = Vec<u64>;
}
impl RemoteMessage for Seen {
    const TAG: &'static str = "test.Seen";
}
impl Handler<Seen> for Store {
    async fn handle(&mut self, _: Seen, _: &mut Context<Self>) -> Vec<u64> {
        self.seen.clone()
    }
}

#[derive(Serialize, Deserialize)]
struct Boom;
impl Message for Boom {
    type Reply = u64;
}
impl RemoteMessage for Boom {
    const TAG: &'static str = "test.Boom";
}
impl Handler<Boom> for Store {
    async fn handle(&mut self, _: Boom, _: &mut Context<Self>) -> u64 {
        panic!("boom")
    }
}

#[derive(Serialize, Deserialize)]
struct WhoAsks;
impl Message for WhoAsks {
    type Reply = Option<RequestId>;
}
impl RemoteMessage for WhoAsks {
    const TAG: &'static str = "test.WhoAsks";
}
impl Handler<WhoAsks> for Store {
    async fn handle(&mut self, _: WhoAsks, _: &mut Context<Self>) -> Option<RequestId> {
        Baggage::get::<RequestId>()
    }
}

/// A message the store does not accept remotely.
#[derive(Serialize, Deserialize)]
struct Stranger;
impl Message for Stranger {
    type Reply = ();
}
impl RemoteMessage for Stranger {
    const TAG: &'static str = "test.Stranger";
}

#[derive(Serialize, Deserialize)]
struct Blob(Vec<u8>);
impl Message for Blob {
    type Reply = usize;
}
impl RemoteMessage for Blob {
    const TAG: &'static str = "test.Blob";
}
impl Handler<Blob> for Store {
    async fn handle(&mut self, msg: Blob, _: &mut Context<Self>) -> usize {
        msg.0.len()
    }
}

fn options(server: &NatsServer, name: &str) -> NodeOptions {
    let mut opts = common::nats::node_options(&server.url(), name);
    opts.baggage = BaggageTypes::new().with::<RequestId>("request_id");
    opts
}

async fn node(server: &NatsServer, name: &str) -> Node {
    Node::connect(options(server, name)).await.expect("connect")
}

async fn export_store(node: &Node, name: &str) -> retinue::Addr<Store> {
    let store = retinue::spawn(Store::default());
    node.export(name, store.clone())
        .message::<Push>()
        .message::<Seen>()
        .message::<Boom>()
        .message::<WhoAsks>()
        .message::<Blob>()
        .start()
        .await
        .expect("export");
    store
}

#[test]
fn tell_and_ask_across_nodes_keep_fifo_per_sender() {
    let server = NatsServer::start();
    rt::block_on(async {
        let a = node(&server, "a").await;
        let b = node(&server, "b").await;
        export_store(&a, "store").await;
        let remote = b.lookup("store").await.unwrap();
        assert_eq!(remote.node_name(), Some("a"));
        for i in 0..200 {
            remote.tell(Push(i)).await.unwrap();
        }
        let seen = remote.ask(Seen).await.unwrap();
        assert_eq!(
            seen,
            (0..200).collect::<Vec<_>>(),
            "FIFO per sender, none lost"
        );
        a.close().await;
        b.close().await;
    });
}

#[test]
fn a_remote_handle_works_where_a_recipient_does() {
    let server = NatsServer::start();
    rt::block_on(async {
        let a = node(&server, "a").await;
        let b = node(&server, "b").await;
        let local = export_store(&a, "store").await;
        let remote = b.lookup("store").await.unwrap();
        let sinks: Vec<Recipient<Push>> = vec![local.recipient(), remote.recipient()];
        for (i, sink) in sinks.iter().enumerate() {
            sink.tell(Push(i as u64)).await.unwrap();
        }
        let seen: Recipient<Seen> = remote.recipient();
        assert_eq!(seen.ask(Seen).await, Ok(vec![0, 1]));
        let timed = seen.ask_timeout(Seen, Duration::from_secs(2)).await;
        assert_eq!(timed, Ok(vec![0, 1]));
    });
}

#[test]
fn lookup_finds_a_name_exported_later() {
    let server = NatsServer::start();
    rt::block_on(async {
        let a = node(&server, "a").await;
        let b = node(&server, "b").await;
        let err = b.lookup("later").await.unwrap_err();
        assert_eq!(err.kind(), RemoteErrorKind::NotExported, "{err}");
        let waiting = rt::spawn(async move { b.lookup_wait("later", LONG).await });
        rt::sleep(Duration::from_millis(100)).await;
        export_store(&a, "later").await;
        let remote = waiting.await.unwrap().unwrap();
        assert_eq!(remote.ask(Seen).await.unwrap(), Vec::<u64>::new());
    });
}

#[test]
fn a_remote_panic_is_no_reply_and_the_actor_goes_on_under_its_supervisor() {
    let server = NatsServer::start();
    rt::block_on(async {
        let a = node(&server, "a").await;
        let b = node(&server, "b").await;
        let spec = ChildSpec::worker("store", Store::default);
        let store = spec.addr::<Store>().unwrap();
        let _sup = Supervisor::new(Strategy::OneForOne)
            .child(spec)
            .spawn()
            .await
            .unwrap();
        a.export("store", store)
            .message::<Boom>()
            .message::<Push>()
            .message::<Seen>()
            .start()
            .await
            .unwrap();
        let remote = b.lookup("store").await.unwrap();
        remote.tell_confirmed(Push(1)).await.unwrap();
        let err = remote.ask(Boom).await.unwrap_err();
        assert_eq!(err.kind(), RemoteErrorKind::NoReply, "{err}");
        assert_eq!(err.to_ask_error(), retinue::AskError::NoReply, "as locally");
        // The export stays valid across the restart: same name, new instance.
        assert_eq!(remote.ask(Seen).await.unwrap(), Vec::<u64>::new());
        assert_eq!(a.exported(), vec!["store".to_string()]);
    });
}

#[test]
fn baggage_crosses_the_wire() {
    let server = NatsServer::start();
    rt::block_on(async {
        let a = node(&server, "a").await;
        let b = node(&server, "b").await;
        export_store(&a, "store").await;
        let remote = b.lookup("store").await.unwrap();
        let seen = Baggage::new()
            .with(RequestId(42))
            .scope(remote.ask(WhoAsks))
            .await
            .unwrap();
        assert_eq!(seen, Some(RequestId(42)));
        assert_eq!(
            remote.ask(WhoAsks).await.unwrap(),
            None,
            "none outside the scope"
        );
    });
}

#[test]
fn bad_input_is_refused_with_a_clear_error_and_the_actor_keeps_running() {
    let server = NatsServer::start();
    rt::block_on(async {
        let mut small = options(&server, "a");
        small.max_payload = 1024;
        let a = Node::connect(small).await.unwrap();
        let b = node(&server, "b").await;
        let store = export_store(&a, "store").await;

        // Garbage bytes on the exported subject (a raw NATS request).
        let raw = b
            .client()
            .request("retinue.actor.store", "garbage".into())
            .await
            .unwrap();
        assert!(
            String::from_utf8_lossy(&raw.payload).contains("Decode"),
            "the garbage's sender gets a Decode error"
        );
        // A type the export does not accept: refused by the sender's handle
        // (it knows the export's types) and by the receiver.
        let checked = b.lookup("store").await.unwrap();
        let err = checked.tell(Stranger).await.unwrap_err();
        assert_eq!(err.kind(), RemoteErrorKind::UnknownType, "{err}");
        let unchecked = RemoteActor::unchecked(&b, "store");
        let err = unchecked.tell_confirmed(Stranger).await.unwrap_err();
        assert_eq!(err.kind(), RemoteErrorKind::UnknownType, "{err}");
        assert!(err.message().contains("test.Stranger"), "{err}");
        // Over the receiver's cap.
        let err = checked.ask(Blob(vec![7; 4096])).await.unwrap_err();
        assert_eq!(err.kind(), RemoteErrorKind::TooLarge, "{err}");
        // A payload that does not decode as the registered type.
        let err = RemoteActor::unchecked(&b, "store")
            .ask(WrongShape("x".into()))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), RemoteErrorKind::Decode, "{err}");
        // A name nobody exports.
        let err = RemoteActor::unchecked(&b, "nobody")
            .ask(Seen)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), RemoteErrorKind::NotExported, "{err}");

        assert!(store.is_alive());
        checked.tell(Push(5)).await.unwrap();
        assert_eq!(checked.ask(Seen).await.unwrap(), vec![5], "still serving");
    });
}

/// Claims the Blob tag with another shape.
#[derive(Serialize, Deserialize)]
struct WrongShape(String);
impl Message for WrongShape {
    type Reply = usize;
}
impl RemoteMessage for WrongShape {
    const TAG: &'static str = "test.Blob";
}

#[test]
fn wrong_credentials_fail_to_join_clearly() {
    let server = NatsServer::start_with_user("app", "s3cret");
    rt::block_on(async {
        let mut opts = options(&server, "a");
        opts.credentials = Credentials::UserPassword {
            user: "app".into(),
            password: "wrong".into(),
        };
        let err = Node::connect(opts.clone()).await.unwrap_err();
        assert_eq!(err.kind(), RemoteErrorKind::Auth, "{err}");
        assert!(err.message().contains("credentials"), "{err}");

        opts.credentials = Credentials::UserPassword {
            user: "app".into(),
            password: "s3cret".into(),
        };
        let node = Node::connect(opts).await.unwrap();
        assert!(node.is_connected());
    });
}

#[test]
fn export_is_withdrawn_when_the_actor_stops_and_watchers_get_its_reason() {
    let server = NatsServer::start();
    rt::block_on(async {
        let a = node(&server, "a").await;
        let b = node(&server, "b").await;
        let store = export_store(&a, "store").await;
        let remote = b.lookup("store").await.unwrap();
        let (downs, inbox) = DownSink::spawn();
        let _watch = remote.watch(downs).await.unwrap();
        store.stop();
        let down = rt::timeout(LONG, inbox.recv()).await.unwrap().unwrap();
        assert_eq!(down.id, remote.id());
        assert_eq!(down.reason, retinue::ExitReason::Stopped);
        let err = remote.ask(Seen).await.unwrap_err();
        assert_eq!(err.kind(), RemoteErrorKind::NotExported, "{err}");
        assert!(a.exported().is_empty());
        // Watching a name that is gone gives Down at once.
        let (downs, inbox) = DownSink::spawn();
        let _late = remote.watch(downs).await.unwrap();
        let down = rt::timeout(LONG, inbox.recv()).await.unwrap().unwrap();
        assert!(
            down.reason.to_string().contains("NotExported"),
            "{}",
            down.reason
        );
    });
}

#[test]
fn an_ask_to_an_unreachable_node_fails_within_its_timeout() {
    let mut server = NatsServer::start();
    rt::block_on(async {
        let mut opts = options(&server, "b");
        opts.reconnect.max_delay = Duration::from_millis(50);
        let b = Node::connect(opts).await.unwrap();
        let remote = RemoteActor::unchecked(&b, "store");
        server.kill();
        let started = std::time::Instant::now();
        let err = remote
            .ask_timeout(Seen, Duration::from_millis(300))
            .await
            .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert!(
            matches!(
                err.kind(),
                RemoteErrorKind::Timeout | RemoteErrorKind::Transport
            ),
            "{err}"
        );
    });
}

#[test]
fn a_node_is_a_supervisable_child_and_closes_with_it() {
    let server = NatsServer::start();
    rt::block_on(async {
        let opts = options(&server, "supervised");
        let spec = ChildSpec::worker("node", move || NodeActor::new(opts.clone()));
        let addr = spec.addr::<NodeActor>().unwrap();
        let sup = Supervisor::new(Strategy::OneForOne)
            .child(spec)
            .spawn()
            .await
            .unwrap();
        let supervised = addr.ask(GetNode).await.unwrap().unwrap();
        assert!(supervised.is_connected());
        export_store(&supervised, "via-sup").await;
        let other = node(&server, "other").await;
        assert_eq!(
            other.lookup("via-sup").await.unwrap().node_name(),
            Some("supervised")
        );
        sup.shutdown().await; // the child's `stopped` closes the node
        let err = other.lookup("via-sup").await.unwrap_err();
        assert_eq!(err.kind(), RemoteErrorKind::NotExported, "{err}");
    });
}

/// An export is served to every client once `start` returns, not only
/// once its subscription left this process: a lookup from another node
/// right after it must find it (async-nats' `flush` is not a server round
/// trip; this failed about one time in three before `start` waited for one).
#[test]
fn an_export_is_visible_to_other_nodes_as_soon_as_start_returns() {
    let server = NatsServer::start();
    rt::block_on(async {
        let a = node(&server, "a").await;
        let b = node(&server, "b").await;
        for i in 0..50 {
            let name = format!("store-{i}");
            export_store(&a, &name).await;
            let found = b.lookup(&name).await;
            assert!(found.is_ok(), "round {i}: {:?}", found.err());
        }
        a.close().await;
        b.close().await;
    });
}

#[test]
fn a_second_node_cannot_join_under_a_live_name_until_it_frees_up() {
    let server = NatsServer::start();
    rt::block_on(async {
        let first = node(&server, "solo").await;
        let err = Node::connect(options(&server, "solo")).await.unwrap_err();
        assert_eq!(err.kind(), RemoteErrorKind::NameTaken, "{err}");
        assert!(err.message().contains("\"solo\""), "{err}");
        // The live node keeps working under its name.
        export_store(&first, "solo-store").await;
        let other = node(&server, "other").await;
        let store = other.lookup("solo-store").await.unwrap();
        assert_eq!(store.node_name(), Some("solo"));

        // Closed: the name is free at once.
        first.close().await;
        let again = Node::connect(options(&server, "solo"))
            .await
            .expect("the name is free after close");
        // Gone without closing (heartbeats stop, the claim stays behind):
        // taken over after the heartbeat timeout of silence.
        drop(again);
        let third = Node::connect(options(&server, "solo"))
            .await
            .expect("a silent holder's name is taken over");
        assert!(third.is_connected());
    });
}

#[test]
fn nodes_starting_at_once_on_a_fresh_server_all_start() {
    // Each round a fresh server: the first nodes create the name bucket
    // together, and a create that loses that race must still join.
    for round in 0..5 {
        let server = NatsServer::start();
        rt::block_on(async {
            let joins: Vec<_> = (0..4)
                .map(|n| rt::spawn(Node::connect(options(&server, &format!("n{round}-{n}")))))
                .collect();
            for join in joins {
                let node = join.await.expect("join task");
                assert!(node.is_ok(), "round {round}: {}", node.err().unwrap());
            }
        });
    }
}

#[test]
fn of_nodes_joining_at_once_under_one_name_exactly_one_wins() {
    let server = NatsServer::start();
    rt::block_on(async {
        let joins = (0..3).map(|_| rt::spawn(Node::connect(options(&server, "race"))));
        let joins: Vec<_> = joins.collect();
        let mut won = Vec::new();
        for join in joins {
            match join.await.expect("join task") {
                Ok(node) => won.push(node),
                Err(e) => assert_eq!(e.kind(), RemoteErrorKind::NameTaken, "{e}"),
            }
        }
        assert_eq!(won.len(), 1, "exactly one node holds the name");
    });
}

#[test]
fn a_node_whose_name_was_taken_over_stops_beating_and_says_so() {
    let server = NatsServer::start();
    rt::block_on(async {
        let victim = node(&server, "victim").await;
        assert!(victim.holds_name());
        // Another node rewrites the claim, as a takeover after a long
        // partition does.
        let other = node(&server, "other").await;
        let js = async_nats::jetstream::new(other.client().clone());
        let kv = js.get_key_value("retinue_nodes").await.unwrap();
        kv.put("victim", "someone else".into()).await.unwrap();
        common::wait::wait_until("the victim notices", || async { !victim.holds_name() }).await;
        // Its heartbeats stopped (the beat task ended with the check).
        let mut beats = other.client().subscribe("retinue.hb.victim").await.unwrap();
        other.client().flush().await.unwrap();
        let beat = rt::timeout(Duration::from_millis(500), beats.next()).await;
        assert!(beat.is_err(), "a node that lost its name still beats");
    });
}
