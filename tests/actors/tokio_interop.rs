//! Tokio 1 futures inside actors, with no set-up, on every backend: real
//! tokio sockets (an echo server and its clients, both actors, on a free
//! loopback port) and `tokio::time` in `started`, handlers, timers, owned
//! tasks and `stopped`.
//!
//! Without interop these futures panic with "there is no reactor running"
//! and the asker gets `NoReply`; every ask below checks its answer.

#![cfg(any(feature = "async-std", feature = "tokio", feature = "smol"))]

use crate::common;

use std::time::Duration;

use async_channel::{Receiver, Sender};
use retinue::{Actor, BoxError, Context, ExitReason, Handler, Message, rt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use common::cancel;
use common::wait::wait_until;

/// Echoes every connection back, from an owned task that accepts.
struct EchoServer {
    port: u16,
}

impl Actor for EchoServer {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        self.port = listener.local_addr()?.port();
        ctx.spawn_task(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                rt::spawn_detached(async move {
                    let (mut rd, mut wr) = conn.split();
                    let _ = tokio::io::copy(&mut rd, &mut wr).await;
                });
            }
        });
        Ok(())
    }
}

struct Port;
impl Message for Port {
    type Reply = u16;
}
impl Handler<Port> for EchoServer {
    async fn handle(&mut self, _: Port, _: &mut Context<Self>) -> u16 {
        self.port
    }
}

/// Connects, sends, half-closes and reads the echo, all with tokio I/O.
struct Client {
    port: u16,
}
impl Actor for Client {}

struct Echo(Vec<u8>);
impl Message for Echo {
    type Reply = Result<Vec<u8>, String>;
}
impl Handler<Echo> for Client {
    async fn handle(&mut self, msg: Echo, _: &mut Context<Self>) -> Result<Vec<u8>, String> {
        let mut conn = TcpStream::connect(("127.0.0.1", self.port))
            .await
            .map_err(|e| e.to_string())?;
        conn.write_all(&msg.0).await.map_err(|e| e.to_string())?;
        conn.shutdown().await.map_err(|e| e.to_string())?;
        let mut back = Vec::new();
        conn.read_to_end(&mut back)
            .await
            .map_err(|e| e.to_string())?;
        Ok(back)
    }
}

#[test]
fn a_tokio_tcp_echo_server_and_its_clients_run_as_actors() {
    cancel::run(async {
        let server = retinue::spawn(EchoServer { port: 0 });
        let port = server.ask(Port).await.unwrap();
        let clients: Vec<_> = (0..3).map(|_| retinue::spawn(Client { port })).collect();
        for round in 0..3u8 {
            for (i, client) in clients.iter().enumerate() {
                let payload = vec![round, i as u8, 42];
                let echoed = client.ask(Echo(payload.clone())).await.unwrap();
                assert_eq!(echoed, Ok(payload));
            }
        }
        // A big payload crosses many reads and writes.
        let big: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        assert_eq!(clients[0].ask(Echo(big.clone())).await.unwrap(), Ok(big));

        // Stopping the server aborts its owned accept task, which drops
        // the tokio listener: new connections are then refused.
        server.stop();
        assert_eq!(server.wait_stopped().await, ExitReason::Stopped);
        wait_until("the listener is closed", || async {
            clients[0].ask(Echo(vec![1])).await.unwrap().is_err()
        })
        .await;
    });
}

/// Uses tokio's clock everywhere an actor runs code.
struct Sleepy {
    log: Sender<&'static str>,
}

impl Actor for Sleepy {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        tokio::time::sleep(Duration::from_millis(1)).await;
        let _ = self.log.try_send("started");
        let addr = ctx.addr();
        ctx.spawn_task(async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            let _ = addr.tell(Woke("owned task")).await;
        });
        ctx.send_after(Woke("timer"), Duration::from_millis(1));
        Ok(())
    }

    async fn stopped(&mut self, _: &mut Context<Self>, _: &ExitReason) {
        tokio::time::sleep(Duration::from_millis(1)).await;
        let _ = self.log.try_send("stopped");
    }
}

/// Handled after a tokio sleep, then logged.
struct Woke(&'static str);
impl Message for Woke {
    type Reply = ();
}
impl Handler<Woke> for Sleepy {
    async fn handle(&mut self, msg: Woke, _: &mut Context<Self>) {
        tokio::time::sleep(Duration::from_millis(1)).await;
        let _ = self.log.try_send(msg.0);
    }
}

/// A tokio timeout that fires, one that does not, and a tokio task.
struct Deadlines;
impl Message for Deadlines {
    type Reply = (bool, bool, u32);
}
impl Handler<Deadlines> for Sleepy {
    async fn handle(&mut self, _: Deadlines, _: &mut Context<Self>) -> (bool, bool, u32) {
        let never = std::future::pending::<()>();
        let fired = tokio::time::timeout(Duration::from_millis(1), never)
            .await
            .is_err();
        let quick = tokio::time::timeout(Duration::from_secs(60), async { 7 })
            .await
            .is_ok();
        let spawned = tokio::spawn(async {
            tokio::time::sleep(Duration::from_millis(1)).await;
            6 * 7
        })
        .await
        .unwrap();
        (fired, quick, spawned)
    }
}

async fn next(log: &Receiver<&'static str>) -> &'static str {
    log.recv().await.unwrap()
}

#[test]
fn tokio_time_works_in_started_handlers_timers_owned_tasks_and_stopped() {
    cancel::run(async {
        let (tx, log) = async_channel::unbounded();
        let sleepy = retinue::spawn(Sleepy { log: tx });
        assert_eq!(next(&log).await, "started");
        let mut woke = vec![next(&log).await, next(&log).await];
        woke.sort();
        assert_eq!(woke, ["owned task", "timer"]);
        assert_eq!(sleepy.ask(Deadlines).await, Ok((true, true, 42)));
        sleepy.stop();
        assert_eq!(sleepy.wait_stopped().await, ExitReason::Stopped);
        assert_eq!(next(&log).await, "stopped");
    });
}

#[test]
fn block_on_and_spawned_tasks_run_tokio_futures() {
    let slept = rt::block_on(async {
        tokio::time::sleep(Duration::from_millis(1)).await;
        rt::spawn(async {
            tokio::time::sleep(Duration::from_millis(1)).await;
            "slept"
        })
        .await
    });
    assert_eq!(slept, Ok("slept"));
}
