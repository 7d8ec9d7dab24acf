//! Tracing spans: an event logged by actor code sits in the actor's span
//! (id, type, supervised path, instance) and, in handlers, in the message's
//! span (type, logged baggage); owned tasks and timers inherit the span they
//! were started in; supervisor events sit in the supervisor's span.

#[path = "observe/capture.rs"]
mod capture;

use std::time::Duration;

use retinue::supervisor::{ChildSpec, Strategy, Supervisor};
use retinue::{Actor, Baggage, BoxError, Context, ExitReason, Handler, Message, ReplyTo};

/// Every event carrying `mark = <mark>`.
fn marked(mark: &str) -> Vec<capture::Seen> {
    capture::events(|e| e.field("mark") == Some(mark))
}

struct Logger {
    mark: &'static str,
}
impl Actor for Logger {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        tracing::info!(mark = self.mark, hook = "started", path = ?ctx.path());
        Ok(())
    }
    async fn stopped(&mut self, _: &mut Context<Self>, _: &ExitReason) {
        tracing::info!(mark = self.mark, hook = "stopped");
    }
}

struct Log;
impl Message for Log {
    type Reply = ();
}
impl Handler<Log> for Logger {
    async fn handle(&mut self, _: Log, _: &mut Context<Self>) {
        tracing::info!(mark = self.mark, hook = "handler");
    }
}

struct Later(ReplyTo<()>);
impl Message for Later {
    type Reply = ();
}
impl Handler<Later> for Logger {
    async fn handle(&mut self, Later(done): Later, ctx: &mut Context<Self>) {
        let mark = self.mark;
        ctx.spawn_task(async move {
            tracing::info!(mark, hook = "task");
            let _ = done.send(());
        });
    }
}

#[derive(Debug)]
#[allow(dead_code)] // read through `Debug`, in the span
struct RequestId(u64);

#[test]
fn handler_events_sit_in_the_actor_and_message_spans_with_logged_baggage() {
    capture::install();
    retinue::rt::block_on(async {
        let actor = retinue::spawn(Logger { mark: "plain" });
        let baggage = Baggage::new().with_logged(RequestId(42)).with("unlogged");
        baggage.scope(actor.ask(Log)).await.unwrap();
        let (port, done) = ReplyTo::pair();
        actor.tell(Later(port)).await.unwrap();
        done.await.unwrap();
        actor.stop();
        actor.wait_stopped().await;

        let seen = marked("plain");
        let hooks: Vec<&str> = seen.iter().map(|e| e.field("hook").unwrap()).collect();
        assert_eq!(hooks, ["started", "handler", "task", "stopped"]);
        for e in &seen {
            let span = e
                .span("actor")
                .unwrap_or_else(|| panic!("no actor span: {e:?}"));
            assert_eq!(
                span.get("id").map(String::as_str),
                Some(actor.id().to_string().as_str())
            );
            assert_eq!(span.get("type").map(String::as_str), Some("Logger"));
            assert_eq!(span.get("instance").map(String::as_str), Some("1"));
            assert_eq!(span.get("path"), None, "not supervised");
        }
        let handler = &seen[1];
        let message = handler.span("message").expect("a message span");
        assert_eq!(message.get("type").map(String::as_str), Some("Log"));
        assert_eq!(
            message.get("baggage").map(String::as_str),
            Some("RequestId(42)")
        );
        // The task was started by `Later`: it runs in that message's span.
        let task = seen[2]
            .span("message")
            .expect("the starting message's span");
        assert_eq!(task.get("type").map(String::as_str), Some("Later"));
        assert_eq!(task.get("baggage"), None, "no baggage on that one");
        assert_eq!(seen[0].span("message"), None, "started handles no message");
    });
}

#[test]
fn timers_run_in_the_span_they_were_set_in() {
    capture::install();
    struct Ticker;
    impl Actor for Ticker {
        async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
            ctx.send_after(Log, Duration::from_millis(1));
            Ok(())
        }
    }
    impl Handler<Log> for Ticker {
        async fn handle(&mut self, _: Log, ctx: &mut Context<Self>) {
            tracing::info!(mark = "timer");
            ctx.stop();
        }
    }
    retinue::rt::block_on(async {
        let ticker = retinue::spawn(Ticker);
        ticker.wait_stopped().await;
        let seen = marked("timer");
        assert_eq!(seen.len(), 1);
        let actor = seen[0].span("actor").unwrap();
        assert_eq!(actor.get("type").map(String::as_str), Some("Ticker"));
        assert_eq!(
            seen[0]
                .span("message")
                .unwrap()
                .get("type")
                .map(String::as_str),
            Some("Log")
        );
    });
}

#[test]
fn supervised_actors_carry_their_path_and_supervisor_events_sit_in_its_span() {
    capture::install();
    retinue::rt::block_on(async {
        let inner = || {
            Supervisor::new(Strategy::OneForOne).child(ChildSpec::worker("logger", || Logger {
                mark: "supervised",
            }))
        };
        let sup = Supervisor::new(Strategy::OneForOne)
            .child(ChildSpec::supervisor("workers", inner))
            .spawn()
            .await
            .unwrap();
        let started = marked("supervised");
        assert_eq!(started.len(), 1);
        assert_eq!(started[0].field("path"), Some("Some(\"workers/logger\")"));
        let actor = started[0].span("actor").unwrap();
        assert_eq!(
            actor.get("path").map(String::as_str),
            Some("workers/logger")
        );

        let top = sup.addr().id().to_string();
        sup.shutdown().await;
        // "supervisor stopping its children": emitted by both supervisors,
        // each inside its own actor span.
        let stopping = capture::events(|e| {
            e.target.starts_with("retinue::supervisor")
                && e.field("message") == Some("supervisor stopping its children")
                && e.span("actor").is_some_and(|a| a.get("id") == Some(&top))
        });
        assert_eq!(stopping.len(), 1, "{stopping:?}");
        assert_eq!(
            stopping[0]
                .span("actor")
                .unwrap()
                .get("type")
                .map(String::as_str),
            Some("Supervisor")
        );
        let nested = capture::events(|e| {
            e.field("message") == Some("supervisor stopping its children")
                && e.span("actor")
                    .and_then(|a| a.get("path"))
                    .map(String::as_str)
                    == Some("workers")
        });
        assert_eq!(nested.len(), 1);
    });
}
