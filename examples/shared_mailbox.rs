//! A shared mailbox (Akka's balancing dispatcher): three print-shop
//! printers serve one job queue, each taking the next job only when it is
//! free, so the long poster never holds up the flyers behind it. Each
//! printer keeps its own mailbox too, served first (here: a status query).
//!
//! Run: `cargo run --example shared_mailbox`

use std::time::Duration;

use retinue::{Actor, Capacity, Context, Handler, Inbox, Message, SharedMailbox, rt};

struct Printer {
    name: &'static str,
    printed: Vec<&'static str>,
}
impl Actor for Printer {}

/// A print job; the answer is the printer that printed it.
struct Print {
    doc: &'static str,
    pages: u64,
}
impl Message for Print {
    type Reply = &'static str;
}
impl Handler<Print> for Printer {
    async fn handle(&mut self, job: Print, _: &mut Context<Self>) -> &'static str {
        rt::sleep(Duration::from_millis(5 * job.pages)).await; // printing
        self.printed.push(job.doc);
        self.name
    }
}

/// Sent to one printer's own address.
struct Printed;
impl Message for Printed {
    type Reply = Vec<&'static str>;
}
impl Handler<Printed> for Printer {
    async fn handle(&mut self, _: Printed, _: &mut Context<Self>) -> Vec<&'static str> {
        self.printed.clone()
    }
}

fn main() {
    rt::block_on(async {
        let jobs = SharedMailbox::<Printer>::new(Capacity::Bounded(32));
        let mut printers = Vec::new();
        for name in ["left", "middle", "right"] {
            let mut inbox = Inbox::<Printer>::new();
            inbox.share(&jobs);
            printers.push((name, inbox.addr()));
            rt::spawn(async move {
                let printer = Printer {
                    name,
                    printed: Vec::new(),
                };
                inbox.run(printer).await
            });
        }

        let poster = {
            let jobs = jobs.clone();
            rt::spawn(async move {
                jobs.ask(Print {
                    doc: "poster",
                    pages: 60,
                })
                .await
            })
        };
        let mut flyers = Vec::new();
        for doc in [
            "flyer 1", "flyer 2", "flyer 3", "flyer 4", "flyer 5", "flyer 6",
        ] {
            let jobs = jobs.clone();
            flyers.push(rt::spawn(async move {
                (doc, jobs.ask(Print { doc, pages: 2 }).await)
            }));
        }
        for flyer in flyers {
            let (doc, by) = flyer.await.expect("flyer task");
            println!("{doc} printed by {}", by.expect("printed"));
        }
        println!(
            "poster printed by {}",
            poster.await.expect("poster task").expect("printed")
        );

        for (name, printer) in &printers {
            let printed = printer.ask(Printed).await.expect("status");
            println!("{name} printed {printed:?}");
            printer.stop();
            printer.wait_stopped().await;
        }
    });
}
