//! The restart intensity window: at most `max` restarts within `within`.
//!
//! Invariant: `history` holds only restarts inside the window ending now,
//! oldest first, so restarts spaced further apart than the window never
//! accumulate.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct Intensity {
    max: u32,
    within: Duration,
    history: VecDeque<Instant>,
}

impl Intensity {
    pub(crate) fn new(max: u32, within: Duration) -> Self {
        Intensity {
            max,
            within,
            history: VecDeque::new(),
        }
    }

    /// Restarts recorded inside the window ending at `now` (for snapshots;
    /// changes nothing).
    pub(crate) fn used(&self, now: Instant) -> u32 {
        let inside = self
            .history
            .iter()
            .filter(|&&t| now.saturating_duration_since(t) <= self.within)
            .count();
        u32::try_from(inside).unwrap_or(u32::MAX)
    }

    /// Records a restart at `now`; false when it exceeds the intensity.
    pub(crate) fn allow(&mut self, now: Instant) -> bool {
        while let Some(&oldest) = self.history.front() {
            if now.duration_since(oldest) > self.within {
                self.history.pop_front();
            } else {
                break;
            }
        }
        self.history.push_back(now);
        self.history.len() as u64 <= self.max as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restarts_inside_the_window_accumulate() {
        let mut i = Intensity::new(2, Duration::from_secs(5));
        let t = Instant::now();
        assert!(i.allow(t));
        assert!(i.allow(t + Duration::from_secs(1)));
        assert!(!i.allow(t + Duration::from_secs(2)));
    }

    #[test]
    fn restarts_further_apart_than_the_window_never_accumulate() {
        let mut i = Intensity::new(1, Duration::from_secs(5));
        let t = Instant::now();
        for n in 0..10 {
            assert!(i.allow(t + Duration::from_secs(6 * n)));
        }
    }

    #[test]
    fn used_counts_only_the_restarts_inside_the_window() {
        let mut i = Intensity::new(5, Duration::from_secs(5));
        let t = Instant::now();
        assert_eq!(i.used(t), 0);
        assert!(i.allow(t));
        assert!(i.allow(t + Duration::from_secs(3)));
        assert_eq!(i.used(t + Duration::from_secs(4)), 2);
        assert_eq!(i.used(t + Duration::from_secs(6)), 1);
        assert_eq!(i.used(t + Duration::from_secs(9)), 0);
    }

    #[test]
    fn zero_means_no_restart_at_all() {
        let mut i = Intensity::new(0, Duration::from_secs(5));
        assert!(!i.allow(Instant::now()));
    }
}
