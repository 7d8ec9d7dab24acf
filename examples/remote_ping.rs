//! Two nodes on one NATS server: node "a" exports a greeter, node "b"
//! looks it up, asks it, watches it, and shares a lock and a queue with "a".
//!
//! `cargo run --features nats --example remote_ping` starts its own
//! `nats-server` on a free loopback port (set `NATS_URL` to use yours).

#[path = "../tests/common/nats.rs"]
mod nats;

use std::time::Duration;

use retinue::remote::{Node, NodeOptions, RemoteLockOptions, RemoteMessage, RemoteQueueOptions};
use retinue::{Actor, Context, Down, Handler, Message, rt};
use serde::{Deserialize, Serialize};

struct Greeter;
impl Actor for Greeter {}

#[derive(Serialize, Deserialize)]
struct Greet(String);
impl Message for Greet {
    type Reply = String;
}
impl RemoteMessage for Greet {
    const TAG: &'static str = "example.Greet";
}
impl Handler<Greet> for Greeter {
    async fn handle(&mut self, msg: Greet, _: &mut Context<Self>) -> String {
        format!("hello, {}", msg.0)
    }
}

/// Prints the Down it gets.
struct Watcher(async_channel::Sender<()>);
impl Actor for Watcher {}
impl Handler<Down> for Watcher {
    async fn handle(&mut self, down: Down, _: &mut Context<Self>) {
        println!("b: the greeter is down: {}", down.reason);
        let _ = self.0.send(()).await;
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (_server, url) = match std::env::var("NATS_URL") {
        Ok(url) => (None, url),
        Err(_) => {
            if !has_nats_server() {
                println!("nats-server is not installed (apt-get install nats-server); skipping");
                return Ok(());
            }
            let server = nats::NatsServer::start();
            let url = server.url();
            (Some(server), url)
        }
    };
    rt::block_on(async move {
        let a = Node::connect(NodeOptions::new("a", url.clone())).await?;
        let b = Node::connect(NodeOptions::new("b", url)).await?;

        let greeter = retinue::spawn(Greeter);
        a.export("greeter", greeter.clone())
            .message::<Greet>()
            .start()
            .await?;

        let remote = b.lookup("greeter").await?;
        println!("b: {}", remote.ask(Greet("b".into())).await?);

        let (tx, rx) = async_channel::bounded(1);
        let _watch = remote
            .watch(retinue::spawn(Watcher(tx)).recipient())
            .await?;

        let opts = RemoteLockOptions {
            lease: Duration::from_secs(10),
        };
        let guard = a.lock("report", opts).await?.acquire().await?;
        println!("a: holds the lock with fencing token {}", guard.token());
        guard.release().await?;
        let guard = b.lock("report", opts).await?.acquire().await?;
        println!("b: holds the lock with fencing token {}", guard.token());
        guard.release().await?;

        let jobs = a
            .queue::<String>("jobs", RemoteQueueOptions::default())
            .await?;
        jobs.put(&"resize photo 17".to_string()).await?;
        let job = b
            .queue::<String>("jobs", RemoteQueueOptions::default())
            .await?
            .get()
            .await?;
        println!(
            "b: got {:?} (delivery {})",
            job.value(),
            job.delivery_count()
        );
        job.ack().await?;

        greeter.stop();
        let _ = rt::timeout(Duration::from_secs(5), rx.recv()).await;
        a.close().await;
        b.close().await;
        Ok(())
    })
}

fn has_nats_server() -> bool {
    std::env::var_os("NATS_SERVER").is_some()
        || ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
            .iter()
            .any(|p| std::path::Path::new(p).exists())
}
