//! A short tour of retinue's core: tell, ask, a deferred reply, death
//! watch, timers and a caught panic.
//!
//! Run it with `cargo run --example tour`.

use std::time::Duration;

use retinue::{
    Actor, Addr, AskError, BoxError, Context, Down, ExitReason, Handler, Message, ReplyTo, rt,
};

// ---- a bank account: tell and ask ---------------------------------------

#[derive(Default)]
struct Account {
    balance: i64,
}
impl Actor for Account {}

struct Deposit(i64);
impl Message for Deposit {
    type Reply = ();
}
impl Handler<Deposit> for Account {
    async fn handle(&mut self, msg: Deposit, _: &mut Context<Self>) {
        self.balance += msg.0;
    }
}

struct Balance;
impl Message for Balance {
    type Reply = i64;
}
impl Handler<Balance> for Account {
    async fn handle(&mut self, _: Balance, _: &mut Context<Self>) -> i64 {
        self.balance
    }
}

/// Withdrawing more than there is panics: a bug the actor does not survive.
struct Withdraw(i64);
impl Message for Withdraw {
    type Reply = i64;
}
impl Handler<Withdraw> for Account {
    async fn handle(&mut self, msg: Withdraw, _: &mut Context<Self>) -> i64 {
        assert!(
            msg.0 <= self.balance,
            "overdraft of {}",
            msg.0 - self.balance
        );
        self.balance -= msg.0;
        self.balance
    }
}

// ---- a doorman: deferred replies and timers -------------------------------

/// Answers "may I come in?" only when the door opens, which a timer does.
#[derive(Default)]
struct Doorman {
    queue: Vec<(String, ReplyTo<String>)>,
}

impl Actor for Doorman {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        ctx.send_after(Open, Duration::from_millis(50));
        Ok(())
    }
}

struct Knock {
    who: String,
    reply: ReplyTo<String>,
}
impl Message for Knock {
    type Reply = ();
}
impl Handler<Knock> for Doorman {
    async fn handle(&mut self, msg: Knock, _: &mut Context<Self>) {
        println!("  doorman: {} is waiting", msg.who);
        self.queue.push((msg.who, msg.reply)); // no reply yet
    }
}

struct Open;
impl Message for Open {
    type Reply = ();
}
impl Handler<Open> for Doorman {
    async fn handle(&mut self, _: Open, _: &mut Context<Self>) {
        println!("  doorman: the door opens");
        for (who, reply) in self.queue.drain(..) {
            let _ = reply.send(format!("welcome, {who}"));
        }
    }
}

// ---- an auditor: death watch ---------------------------------------------

struct Auditor {
    account: Addr<Account>,
    report: Option<ReplyTo<ExitReason>>,
}
impl Actor for Auditor {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        ctx.watch(&self.account);
        Ok(())
    }
}
impl Handler<Down> for Auditor {
    async fn handle(&mut self, down: Down, _: &mut Context<Self>) {
        println!("  auditor: account {} is down ({})", down.id, down.reason);
        if let Some(report) = self.report.take() {
            let _ = report.send(down.reason);
        }
    }
}

fn main() {
    // Keep the demo's output readable: the panic below is expected.
    std::panic::set_hook(Box::new(|info| {
        println!("  (a handler panicked: {info})");
    }));

    rt::block_on(async {
        println!("1. tell and ask");
        let account = retinue::spawn(Account::default());
        account.tell(Deposit(100)).await.unwrap();
        account.tell(Deposit(50)).await.unwrap();
        println!("  balance = {}", account.ask(Balance).await.unwrap());

        println!("2. deferred replies, answered by a timer");
        let doorman = retinue::spawn(Doorman::default());
        let guests = ["ada", "grace"].map(|who| {
            let doorman = doorman.clone();
            rt::spawn(async move {
                doorman
                    .ask_with(|reply| Knock {
                        who: who.into(),
                        reply,
                    })
                    .await
            })
        });
        for guest in guests {
            println!("  {}", guest.await.unwrap().unwrap());
        }

        println!("3. death watch and a caught panic");
        let (report, reason) = ReplyTo::pair();
        let _auditor = retinue::spawn(Auditor {
            account: account.clone(),
            report: Some(report),
        });
        let overdraft = account.ask(Withdraw(1_000)).await;
        assert_eq!(overdraft, Err(AskError::NoReply));
        println!("  the asker got: {}", overdraft.unwrap_err());
        println!("  the account ended: {}", account.wait_stopped().await);
        println!("  the auditor was told: {}", reason.await.unwrap());

        println!("4. asking a stopped actor fails at once");
        println!("  {:?}", account.ask(Balance).await);
    });
}
