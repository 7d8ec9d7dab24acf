//! A request id followed through three actors in the log output, the way
//! Python services use context variables: set it once at the edge, and
//! every actor the request touches logs it without passing it by hand.
//!
//! Run it with `cargo run --example request_id`.

use retinue::{Actor, Addr, Baggage, Context, Handler, Message, rt};

#[derive(Clone, Debug)]
struct RequestId(String);

/// Current request id, for log lines.
fn request() -> String {
    Baggage::get::<RequestId>().map_or_else(|| "-".into(), |r| r.0)
}

struct Database;
impl Actor for Database {}
struct Load(String);
impl Message for Load {
    type Reply = String;
}
impl Handler<Load> for Database {
    async fn handle(&mut self, msg: Load, _: &mut Context<Self>) -> String {
        tracing::info!(request = %request(), key = %msg.0, "database: loading");
        format!("profile of {}", msg.0)
    }
}

struct Auth;
impl Actor for Auth {}
struct Check(String);
impl Message for Check {
    type Reply = bool;
}
impl Handler<Check> for Auth {
    async fn handle(&mut self, msg: Check, _: &mut Context<Self>) -> bool {
        let ok = !msg.0.is_empty();
        tracing::info!(request = %request(), user = %msg.0, ok, "auth: checked token");
        ok
    }
}

struct Frontend {
    auth: Addr<Auth>,
    db: Addr<Database>,
}
impl Actor for Frontend {}
struct Get(String);
impl Message for Get {
    type Reply = Option<String>;
}
impl Handler<Get> for Frontend {
    async fn handle(&mut self, msg: Get, _: &mut Context<Self>) -> Option<String> {
        tracing::info!(request = %request(), user = %msg.0, "frontend: GET /profile");
        if !self.auth.ask(Check(msg.0.clone())).await.ok()? {
            return None;
        }
        self.db.ask(Load(msg.0)).await.ok()
    }
}

fn main() {
    tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .init();
    rt::block_on(async {
        let frontend = retinue::spawn(Frontend {
            auth: retinue::spawn(Auth),
            db: retinue::spawn(Database),
        });
        let requests: Vec<_> = [("r-101", "ada"), ("r-102", "grace"), ("r-103", "")]
            .into_iter()
            .map(|(id, user)| {
                let frontend = frontend.clone();
                let baggage = Baggage::new().with(RequestId(id.into()));
                rt::spawn(baggage.scope(async move { frontend.ask(Get(user.into())).await }))
            })
            .collect();
        for request in requests {
            println!("-> {:?}", request.await.unwrap().unwrap());
        }
    });
}
