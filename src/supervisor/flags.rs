//! Supervisor flags: strategy, restart intensity, backoff, auto shutdown.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Backoff;

use super::error::SupervisorError;

/// Which children restart when one of them exits and is to be restarted.
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
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = Some(backoff);
        self
    }

    /// Sets the quiet period after which backoff starts over.
    pub fn backoff_reset(mut self, after: Duration) -> Self {
        self.backoff_reset = after;
        self
    }

    /// Sets the auto shutdown policy.
    pub fn auto_shutdown(mut self, auto_shutdown: AutoShutdown) -> Self {
        self.auto_shutdown = auto_shutdown;
        self
    }
}
