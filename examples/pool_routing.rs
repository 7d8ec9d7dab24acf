//! Routed pools: the same workers behind round-robin, consistent-hash and
//! broadcast routing (Akka's RoundRobinPool, ConsistentHashingPool and
//! BroadcastPool). Callers `tell`/`ask` the pool like one actor.
//!
//! Run: `cargo run --example pool_routing`

use std::collections::BTreeMap;

use retinue::pool::{Pool, Routing};
use retinue::{Actor, ActorId, Context, Handler, Message, rt};

/// Keeps a per-user running total: state that must stay on one worker.
#[derive(Default)]
struct Accounts {
    totals: BTreeMap<String, u64>,
}
impl Actor for Accounts {}

/// Add to a user's total; answers the new total and who handled it.
struct Deposit {
    user: String,
    amount: u64,
}
impl Message for Deposit {
    type Reply = (ActorId, u64);
}
impl Handler<Deposit> for Accounts {
    async fn handle(&mut self, d: Deposit, ctx: &mut Context<Self>) -> (ActorId, u64) {
        let total = self.totals.entry(d.user).or_default();
        *total += d.amount;
        (ctx.id(), *total)
    }
}

/// Sent to every worker: how many users do you hold?
#[derive(Clone)]
struct Report;
impl Message for Report {
    type Reply = ();
}
impl Handler<Report> for Accounts {
    async fn handle(&mut self, _: Report, ctx: &mut Context<Self>) {
        println!("  worker {} holds {} users", ctx.id(), self.totals.len());
    }
}

fn main() {
    rt::block_on(async {
        // Consistent hashing by user: each user's deposits meet on one worker,
        // so its running total is right without any shared state.
        let accounts = Pool::builder(Accounts::default)
            .size(3)
            .routing(Routing::ConsistentHash)
            .key(|d: &Deposit| d.user.clone())
            .spawn()
            .await
            .expect("pool");
        for round in 1..=3 {
            for user in ["ada", "grace", "edsger", "barbara"] {
                let (by, total) = accounts
                    .ask(Deposit {
                        user: user.into(),
                        amount: 10,
                    })
                    .await
                    .expect("deposit");
                println!("round {round}: {user:<8} total {total:>3} on worker {by}");
            }
        }
        accounts.broadcast(Report).await.expect("report");
        accounts.shutdown().await;

        // Round-robin: stateless work spread evenly.
        let spread = Pool::builder(Accounts::default)
            .size(2)
            .routing(Routing::RoundRobin)
            .spawn()
            .await
            .expect("pool");
        for i in 0..4 {
            let (by, _) = spread
                .ask(Deposit {
                    user: format!("u{i}"),
                    amount: 1,
                })
                .await
                .expect("deposit");
            println!("round-robin job {i} on worker {by}");
        }
        spread.shutdown().await;
    });
}
