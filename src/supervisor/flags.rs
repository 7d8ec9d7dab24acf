//! Supervisor flags: strategy, restart intensity, backoff, auto shutdown.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Backoff;

use super::error::SupervisorError;

/// Which children restart when one of them exits and is to be restarted.
///
/// ```
/// use std::time::Duration;
/// use retinue::{Actor, ExitReason};
/// use retinue::supervisor::{ChildSpec, Strategy, Supervisor};
///
/// struct Db;
/// impl Actor for Db {}
/// struct Cache;
/// impl Actor for Cache {}
///
/// # retinue::rt::block_on(async {
/// // The cache depends on the db: when the db crashes, restart both.
/// let sup = Supervisor::new(Strategy::OneForAll)
///     .child(ChildSpec::worker("db", || Db))
///     .child(ChildSpec::worker("cache", || Cache))
///     .spawn().await.unwrap();
/// sup.child("db").await.unwrap().exit(ExitReason::failed("disk gone"));
/// while sup.child("db").await.unwrap().restarts == 0 {
///     retinue::rt::sleep(Duration::from_millis(1)).await;
/// }
/// assert_eq!(sup.child("cache").await.unwrap().restarts, 1);
/// sup.shutdown().await;
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Only the child that exited.
    #[default]
    OneForOne,
    /// Every child: the others are stopped (in reverse start order) and all
    /// are started again (in order).
    OneForAll,
    /// The child that exited and every child started after it.
    RestForOne,
}

/// When the exit of significant children shuts the supervisor down
/// (OTP 24's `auto_shutdown`).
///
/// ```
/// use retinue::{Actor, Context, ExitReason};
/// use retinue::supervisor::{AutoShutdown, ChildSpec, Flags, Restart, Strategy, Supervisor};
///
/// /// Finishes as soon as it starts.
/// struct Task;
/// impl Actor for Task {
///     async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), retinue::BoxError> {
///         ctx.stop();
///         Ok(())
///     }
/// }
/// /// Runs until told otherwise.
/// struct Server;
/// impl Actor for Server {}
///
/// # retinue::rt::block_on(async {
/// let flags = Flags::new(Strategy::OneForOne).auto_shutdown(AutoShutdown::AllSignificant);
/// let sup = Supervisor::with_flags(flags)
///     .child(ChildSpec::worker("task", || Task).restart(Restart::Temporary).significant(true))
///     .child(ChildSpec::worker("server", || Server).restart(Restart::Transient).significant(true))
///     .spawn().await.unwrap();
/// let server = sup.child("server").await.unwrap().addr::<Server>().unwrap();
/// // `task` is done, but `server` (also significant) still runs...
/// assert!(sup.addr().is_alive());
/// // ...until it too stops normally: then the supervisor shuts down.
/// server.stop();
/// assert_eq!(sup.addr().wait_stopped().await, ExitReason::Shutdown);
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoShutdown {
    /// Never; significant children are not allowed.
    #[default]
    Never,
    /// As soon as any significant child has exited for good.
    AnySignificant,
    /// Once every significant child has exited for good.
    AllSignificant,
}

/// A supervisor's settings.
///
/// ```
/// use std::time::Duration;
/// use retinue::supervisor::{Flags, Strategy};
///
/// let flags = Flags::new(Strategy::RestForOne).intensity(5, Duration::from_secs(10));
/// assert_eq!(Flags::default().max_restarts, 3);
/// assert_eq!(flags.within, Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Flags {
    /// Which children restart together.
    pub strategy: Strategy,
    /// At most this many restarts within [`within`](Self::within); one more
    /// and the supervisor stops its children and fails to its parent.
    ///
    /// The default is 3 in 5 seconds: a little more forgiving than OTP's
    /// 1 in 5 s, because a restart here is cheap and a burst of three
    /// usually means "flaky", while a fourth means "broken".
    pub max_restarts: u32,
    /// The intensity window.
    pub within: Duration,
    /// Optional delay between a child's exit and its restart, growing with
    /// consecutive restarts. While a child waits, messages to it queue up.
    pub backoff: Option<Backoff>,
    /// A child that has run this long since its last restart starts its
    /// backoff from the beginning again.
    pub backoff_reset: Duration,
    /// When significant children shut the supervisor down.
    pub auto_shutdown: AutoShutdown,
}

impl Default for Flags {
    fn default() -> Self {
        Flags {
            strategy: Strategy::OneForOne,
            max_restarts: 3,
            within: Duration::from_secs(5),
            backoff: None,
            backoff_reset: Duration::from_secs(30),
            auto_shutdown: AutoShutdown::Never,
        }
    }
}

impl Flags {
    /// Default flags with `strategy`.
    ///
    /// ```
    /// use retinue::supervisor::{Flags, Strategy};
    ///
    /// let flags = Flags::new(Strategy::RestForOne);
    /// assert_eq!(flags.strategy, Strategy::RestForOne);
    /// assert_eq!(flags.max_restarts, Flags::default().max_restarts);
    /// ```
    pub fn new(strategy: Strategy) -> Self {
        Flags {
            strategy,
            ..Flags::default()
        }
    }

    /// Sets the restart intensity. A zero `within` with `max_restarts > 0`
    /// is rejected when the supervisor starts (see [`validate`](Self::validate)):
    /// such a window would forget every restart at once, so a crash loop
    /// would never escalate.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::{Actor, ExitReason};
    /// use retinue::supervisor::{ChildSpec, Flags, Strategy, Supervisor, SupervisorError};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    ///
    /// # retinue::rt::block_on(async {
    /// // No restarts allowed: the first crash makes the supervisor give up.
    /// let flags = Flags::new(Strategy::OneForOne).intensity(0, Duration::from_secs(5));
    /// let sup = Supervisor::with_flags(flags)
    ///     .child(ChildSpec::worker("w", || Worker))
    ///     .spawn().await.unwrap();
    /// sup.child("w").await.unwrap().exit(ExitReason::failed("crash"));
    /// let ExitReason::Failed(err) = sup.addr().wait_stopped().await else { panic!("not failed") };
    /// assert!(matches!(
    ///     err.downcast_ref::<SupervisorError>(),
    ///     Some(SupervisorError::IntensityExceeded { max_restarts: 0, .. })
    /// ));
    /// # });
    /// ```
    pub fn intensity(mut self, max_restarts: u32, within: Duration) -> Self {
        self.max_restarts = max_restarts;
        self.within = within;
        self
    }

    /// Checks that the flags make sense; a supervisor (and a dynamic one)
    /// refuses to start with flags that do not, with this error. The same
    /// rule as the config loader's: a restart intensity needs a time window.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::supervisor::{Flags, SupervisorError};
    ///
    /// assert!(Flags::default().validate().is_ok());
    /// let zero = Flags::default().intensity(3, Duration::ZERO);
    /// assert!(matches!(zero.validate(), Err(SupervisorError::InvalidFlags(_))));
    /// // No restarts at all needs no window.
    /// assert!(Flags::default().intensity(0, Duration::ZERO).validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<(), SupervisorError> {
        if self.max_restarts > 0 && self.within.is_zero() {
            return Err(SupervisorError::InvalidFlags(format!(
                "`within` must be longer than zero: a restart intensity of {} needs a time window",
                self.max_restarts
            )));
        }
        Ok(())
    }

    /// Sets a restart backoff.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use retinue::{Actor, Backoff, Context, ExitReason, Handler, Message};
    /// use retinue::supervisor::{ChildSpec, Flags, Strategy, Supervisor};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    /// struct Ping;
    /// impl Message for Ping { type Reply = (); }
    /// impl Handler<Ping> for Worker {
    ///     async fn handle(&mut self, _: Ping, _: &mut Context<Self>) {}
    /// }
    ///
    /// # retinue::rt::block_on(async {
    /// let delay = Duration::from_millis(20);
    /// let flags = Flags::new(Strategy::OneForOne).backoff(Backoff::constant(delay));
    /// let spec = ChildSpec::worker("w", || Worker);
    /// let w = spec.addr::<Worker>().unwrap();
    /// let sup = Supervisor::with_flags(flags).child(spec).spawn().await.unwrap();
    /// let crashed = Instant::now();
    /// sup.child("w").await.unwrap().exit(ExitReason::failed("crash"));
    /// // The ping waits in the mailbox until the restart, 20 ms later.
    /// assert_eq!(w.ask(Ping).await, Ok(()));
    /// assert!(crashed.elapsed() >= delay);
    /// assert_eq!(sup.child("w").await.unwrap().restarts, 1);
    /// sup.shutdown().await;
    /// # });
    /// ```
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = Some(backoff);
        self
    }

    /// Sets the quiet period after which backoff starts over.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::{Backoff, supervisor::Flags};
    ///
    /// // After a minute without a crash, the backoff starts over from 100 ms.
    /// let flags = Flags::default()
    ///     .backoff(Backoff::exponential(Duration::from_millis(100)))
    ///     .backoff_reset(Duration::from_secs(60));
    /// assert_eq!(flags.backoff_reset, Duration::from_secs(60));
    /// ```
    pub fn backoff_reset(mut self, after: Duration) -> Self {
        self.backoff_reset = after;
        self
    }

    /// Sets the auto shutdown policy.
    ///
    /// ```
    /// use retinue::supervisor::{AutoShutdown, Flags};
    ///
    /// let flags = Flags::default().auto_shutdown(AutoShutdown::AnySignificant);
    /// assert_eq!(flags.auto_shutdown, AutoShutdown::AnySignificant);
    /// assert_eq!(Flags::default().auto_shutdown, AutoShutdown::Never);
    /// ```
    pub fn auto_shutdown(mut self, auto_shutdown: AutoShutdown) -> Self {
        self.auto_shutdown = auto_shutdown;
        self
    }
}
