//! Starting actors that no supervisor watches over.

use crate::actor::Actor;
use crate::addr::Addr;
use crate::inbox::Inbox;
use crate::mailbox::Capacity;
use crate::rt;

/// Starts `actor` on its own task with its default mailbox capacity
/// ([`Actor::CAPACITY`]) and returns its address.
///
/// The actor runs until it stops itself, someone calls
/// [`Addr::stop`], it fails, or every strong address is dropped and its
/// mailbox is empty (then it exits [`Normal`](crate::ExitReason::Normal)).
/// Nothing restarts it; put it under a supervisor for that.
///
/// ```
/// use retinue::{Actor, Context, Handler, Message};
///
/// struct Greeter;
/// impl Actor for Greeter {}
/// struct Hello(&'static str);
/// impl Message for Hello { type Reply = String; }
/// impl Handler<Hello> for Greeter {
///     async fn handle(&mut self, Hello(who): Hello, _: &mut Context<Self>) -> String {
///         format!("hello, {who}")
///     }
/// }
///
/// # retinue::rt::block_on(async {
/// let greeter = retinue::spawn(Greeter);
/// assert_eq!(greeter.ask(Hello("world")).await.unwrap(), "hello, world");
/// # });
/// ```
pub fn spawn<A: Actor>(actor: A) -> Addr<A> {
    spawn_with(actor, A::CAPACITY)
}

/// [`spawn`] with an explicit mailbox capacity.
///
/// ```
/// use retinue::{Actor, Capacity};
///
/// struct Sink;
/// impl Actor for Sink {}
///
/// # retinue::rt::block_on(async {
/// let sink = retinue::spawn_with(Sink, Capacity::Bounded(8));
/// assert_eq!(sink.capacity(), Capacity::Bounded(8));
/// # });
/// ```
pub fn spawn_with<A: Actor>(actor: A, capacity: Capacity) -> Addr<A> {
    let mut inbox = Inbox::with_capacity(capacity);
    let addr = inbox.addr();
    rt::spawn_detached(async move {
        let reason = inbox.run(actor).await;
        inbox.close(reason);
    });
    addr
}
