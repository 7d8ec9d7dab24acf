//! [`DynamicSupervisor`]: children started at run time from one template
//! (OTP's simple_one_for_one, Elixir's DynamicSupervisor).
//!
//! Invariants: only live children have a slot (one that finished for good,
//! was terminated or was ignored is removed, with its factory); children
//! are shut down concurrently; the flags are checked before anything runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Actor, Addr, Capacity, ExitReason};

use super::admin::SupervisorRef;
use super::error::SupervisorError;
use super::flags::{AutoShutdown, Flags, Strategy};
use super::spec::{ChildSpec, Restart, Shutdown};
use super::supervisor::Supervisor;

/// The settings every child of a dynamic supervisor shares.
///
/// ```
/// use retinue::{Actor, supervisor::{DynamicSupervisor, Flags, Restart, SupervisorError, Template}};
///
/// struct Session;
/// impl Actor for Session {}
///
/// # retinue::rt::block_on(async {
/// let template = Template { max_children: Some(1), restart: Restart::Temporary, ..Template::default() };
/// let sessions = DynamicSupervisor::spawn(Flags::default(), template).await.unwrap();
/// sessions.start_child(|| Session).await.unwrap();
/// assert_eq!(sessions.start_child(|| Session).await.unwrap_err(), SupervisorError::MaxChildren(1));
/// sessions.shutdown().await;
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Template {
    /// Restart type (default [`Restart::Transient`]: a child that finishes
    /// its job normally goes away, one that crashes is restarted).
    pub restart: Restart,
    /// How children are stopped.
    pub shutdown: Shutdown,
    /// Mailbox capacity (default: the actor's own).
    pub capacity: Option<Capacity>,
    /// At most this many children at once.
    pub max_children: Option<usize>,
}

impl Default for Template {
    fn default() -> Self {
        Template {
            restart: Restart::Transient,
            shutdown: Shutdown::WORKER_DEFAULT,
            capacity: None,
            max_children: None,
        }
    }
}

/// A one-for-one supervisor whose children are started on demand.
///
/// ```
/// use retinue::{Actor, Context, Handler, Message};
/// use retinue::supervisor::{DynamicSupervisor, Flags, Template};
///
/// struct Session { user: String }
/// impl Actor for Session {}
/// struct Who;
/// impl Message for Who { type Reply = String; }
/// impl Handler<Who> for Session {
///     async fn handle(&mut self, _: Who, _: &mut Context<Self>) -> String { self.user.clone() }
/// }
///
/// # retinue::rt::block_on(async {
/// let sessions = DynamicSupervisor::spawn(Flags::default(), Template::default()).await.unwrap();
/// let ada = sessions.start_child(|| Session { user: "ada".into() }).await.unwrap();
/// assert_eq!(ada.ask(Who).await.unwrap(), "ada");
/// assert_eq!(sessions.count().await.unwrap(), 1);
/// sessions.shutdown().await;
/// # });
/// ```
#[derive(Clone)]
pub struct DynamicSupervisor {
    sup: SupervisorRef,
    template: Template,
    next_id: Arc<AtomicU64>,
}

impl DynamicSupervisor {
    /// Spawns an empty dynamic supervisor. The strategy in `flags` is
    /// always one-for-one. Flags that [`Flags::validate`] rejects, and an
    /// `auto_shutdown` other than `Never` (as OTP's DynamicSupervisor: its
    /// children cannot be significant), are refused with
    /// [`SupervisorError::InvalidFlags`].
    ///
    /// ```
    /// use retinue::supervisor::{AutoShutdown, DynamicSupervisor, Flags, SupervisorError, Template};
    ///
    /// # retinue::rt::block_on(async {
    /// let sup = DynamicSupervisor::spawn(Flags::default(), Template::default()).await.unwrap();
    /// assert_eq!(sup.count().await.unwrap(), 0);
    /// sup.shutdown().await;
    ///
    /// let flags = Flags::default().auto_shutdown(AutoShutdown::AnySignificant);
    /// let refused = DynamicSupervisor::spawn(flags, Template::default()).await;
    /// assert!(matches!(refused, Err(SupervisorError::InvalidFlags(_))));
    /// # });
    /// ```
    pub async fn spawn(flags: Flags, template: Template) -> Result<Self, SupervisorError> {
        flags.validate()?;
        if flags.auto_shutdown != AutoShutdown::Never {
            return Err(SupervisorError::InvalidFlags(format!(
                "a dynamic supervisor cannot have auto_shutdown {:?}; its children are never significant",
                flags.auto_shutdown
            )));
        }
        let flags = Flags {
            strategy: Strategy::OneForOne,
            ..flags
        };
        let mut sup = Supervisor::with_flags(flags);
        sup.dynamic = true;
        Ok(DynamicSupervisor {
            sup: sup.spawn().await?,
            template,
            next_id: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Starts a child built by `factory` (called again on each restart)
    /// and returns its address. A child whose `started` returns
    /// [`Ignore`](super::Ignore) is not an error: the address is returned,
    /// but no child runs behind it (its mailbox is closed) and nothing is
    /// kept.
    ///
    /// ```
    /// use retinue::{Actor, Context, Handler, Message};
    /// use retinue::supervisor::{DynamicSupervisor, Flags, Template};
    ///
    /// struct Doubler;
    /// impl Actor for Doubler {}
    /// struct Double(u32);
    /// impl Message for Double { type Reply = u32; }
    /// impl Handler<Double> for Doubler {
    ///     async fn handle(&mut self, Double(n): Double, _: &mut Context<Self>) -> u32 { 2 * n }
    /// }
    ///
    /// # retinue::rt::block_on(async {
    /// let sup = DynamicSupervisor::spawn(Flags::default(), Template::default()).await.unwrap();
    /// let a = sup.start_child(|| Doubler).await.unwrap();
    /// let b = sup.start_child(|| Doubler).await.unwrap();
    /// assert_ne!(a.id(), b.id());
    /// assert_eq!(b.ask(Double(21)).await, Ok(42));
    /// assert_eq!(sup.count().await.unwrap(), 2);
    /// sup.shutdown().await;
    /// # });
    /// ```
    pub async fn start_child<A, F>(&self, factory: F) -> Result<Addr<A>, SupervisorError>
    where
        A: Actor,
        F: FnMut() -> A + Send + 'static,
    {
        if let Some(max) = self.template.max_children {
            if self.count().await? >= max {
                return Err(SupervisorError::MaxChildren(max));
            }
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed).to_string();
        let mut spec = ChildSpec::worker(id, factory)
            .restart(self.template.restart)
            .shutdown(self.template.shutdown);
        if let Some(capacity) = self.template.capacity {
            spec = spec.capacity(capacity);
        }
        let addr = spec.addr::<A>().expect("the spec was made for A");
        self.sup.start_child(spec).await?;
        Ok(addr)
    }

    /// Stops one child for good and forgets it. Idempotent: a child that
    /// has already gone (terminated before, or finished) is not an error;
    /// [`SupervisorError::NotFound`] means a live actor that is not a
    /// child of this supervisor (OTP's `terminate_child(Sup, Pid)`).
    ///
    /// ```
    /// use retinue::{Actor, supervisor::{DynamicSupervisor, Flags, SupervisorError, Template}};
    ///
    /// struct Session;
    /// impl Actor for Session {}
    ///
    /// # retinue::rt::block_on(async {
    /// let sup = DynamicSupervisor::spawn(Flags::default(), Template::default()).await.unwrap();
    /// let s = sup.start_child(|| Session).await.unwrap();
    /// sup.terminate_child(&s).await.unwrap();
    /// assert!(!s.is_alive());
    /// assert_eq!(sup.count().await.unwrap(), 0);
    /// sup.terminate_child(&s).await.unwrap(); // already gone: fine
    ///
    /// // A live actor that is not a child is refused.
    /// let stranger = retinue::spawn(Session);
    /// assert!(matches!(sup.terminate_child(&stranger).await, Err(SupervisorError::NotFound(_))));
    /// stranger.stop();
    /// sup.shutdown().await;
    /// # });
    /// ```
    pub async fn terminate_child<A: Actor>(&self, child: &Addr<A>) -> Result<(), SupervisorError> {
        let info = self
            .sup
            .which_children()
            .await?
            .into_iter()
            .find(|c| c.actor_id == child.id());
        let Some(info) = info else {
            return if child.is_alive() {
                Err(SupervisorError::NotFound(child.id().to_string()))
            } else {
                Ok(())
            };
        };
        // The slot is removed by the terminate itself (a dynamic
        // supervisor keeps no stopped children); a concurrent terminate
        // may have removed it first.
        match self.sup.terminate_child(&info.id).await {
            Ok(()) | Err(SupervisorError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// How many children are live (running or about to restart).
    ///
    /// ```
    /// use retinue::{Actor, Context};
    /// use retinue::supervisor::{DynamicSupervisor, Flags, Template};
    ///
    /// /// Does its job and finishes.
    /// struct OneShot;
    /// impl Actor for OneShot {
    ///     async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), retinue::BoxError> {
    ///         ctx.stop();
    ///         Ok(())
    ///     }
    /// }
    /// struct Session;
    /// impl Actor for Session {}
    ///
    /// # retinue::rt::block_on(async {
    /// let sup = DynamicSupervisor::spawn(Flags::default(), Template::default()).await.unwrap();
    /// sup.start_child(|| Session).await.unwrap();
    /// let job = sup.start_child(|| OneShot).await.unwrap();
    /// job.wait_stopped().await; // transient, normal exit: gone for good
    /// while sup.count().await.unwrap() != 1 {
    ///     retinue::rt::sleep(std::time::Duration::from_millis(1)).await;
    /// }
    /// sup.shutdown().await;
    /// # });
    /// ```
    pub async fn count(&self) -> Result<usize, SupervisorError> {
        Ok(self
            .sup
            .which_children()
            .await?
            .iter()
            .filter(|c| c.state != super::ChildState::Stopped)
            .count())
    }

    /// The underlying supervisor.
    ///
    /// ```
    /// use retinue::{Actor, supervisor::{DynamicSupervisor, Flags, Template}};
    ///
    /// struct Session;
    /// impl Actor for Session {}
    ///
    /// # retinue::rt::block_on(async {
    /// let sup = DynamicSupervisor::spawn(Flags::default(), Template::default()).await.unwrap();
    /// sup.start_child(|| Session).await.unwrap();
    /// let counts = sup.supervisor().count_children().await.unwrap();
    /// assert_eq!(counts.active, 1);
    /// sup.shutdown().await;
    /// # });
    /// ```
    pub fn supervisor(&self) -> &SupervisorRef {
        &self.sup
    }

    /// Stops every child (newest first) and the supervisor.
    ///
    /// ```
    /// use retinue::{Actor, ExitReason, supervisor::{DynamicSupervisor, Flags, Template}};
    ///
    /// struct Session;
    /// impl Actor for Session {}
    ///
    /// # retinue::rt::block_on(async {
    /// let sup = DynamicSupervisor::spawn(Flags::default(), Template::default()).await.unwrap();
    /// let s = sup.start_child(|| Session).await.unwrap();
    /// assert_eq!(sup.shutdown().await, ExitReason::Shutdown);
    /// assert!(!s.is_alive());
    /// # });
    /// ```
    pub async fn shutdown(&self) -> ExitReason {
        self.sup.shutdown().await
    }
}

impl std::fmt::Debug for DynamicSupervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamicSupervisor")
            .field("sup", &self.sup)
            .field("template", &self.template)
            .finish()
    }
}
