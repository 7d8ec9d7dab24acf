//! The sliding window of recent call outcomes.
//!
//! Invariants:
//! - `calls >= failures` and `calls >= slow` over what the window holds.
//! - A count window holds at most N outcomes (the oldest falls out); a
//!   time window holds the buckets whose span overlaps the last `span`,
//!   with 1/20th of the span as its granularity.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::config::Window;

/// Call counts over the window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Counts {
    pub calls: u32,
    pub failures: u32,
    pub slow: u32,
}

impl Counts {
    fn add(&mut self, failed: bool, slow: bool) {
        self.calls += 1;
        self.failures += u32::from(failed);
        self.slow += u32::from(slow);
    }

    fn sub(&mut self, other: Counts) {
        self.calls -= other.calls;
        self.failures -= other.failures;
        self.slow -= other.slow;
    }
}

const BUCKETS: u32 = 20;

pub(super) enum Sliding {
    Count {
        size: usize,
        ring: VecDeque<(bool, bool)>,
        total: Counts,
    },
    Time {
        origin: Instant,
        granularity: Duration,
        buckets: VecDeque<(u64, Counts)>,
        total: Counts,
    },
}

impl Sliding {
    pub fn new(window: Window, origin: Instant) -> Self {
        match window {
            Window::Count(n) => Sliding::Count {
                size: n.max(1) as usize,
                ring: VecDeque::new(),
                total: Counts::default(),
            },
            Window::Time(span) => Sliding::Time {
                origin,
                granularity: (span / BUCKETS).max(Duration::from_millis(1)),
                buckets: VecDeque::new(),
                total: Counts::default(),
            },
        }
    }

    /// Records one call.
    pub fn record(&mut self, now: Instant, failed: bool, slow: bool) {
        self.evict(now);
        match self {
            Sliding::Count { size, ring, total } => {
                if ring.len() == *size {
                    if let Some((f, s)) = ring.pop_front() {
                        total.sub(Counts {
                            calls: 1,
                            failures: u32::from(f),
                            slow: u32::from(s),
                        });
                    }
                }
                ring.push_back((failed, slow));
                total.add(failed, slow);
            }
            Sliding::Time {
                origin,
                granularity,
                buckets,
                total,
            } => {
                let idx = bucket_index(*origin, *granularity, now);
                match buckets.back_mut() {
                    Some((i, c)) if *i == idx => c.add(failed, slow),
                    _ => {
                        let mut c = Counts::default();
                        c.add(failed, slow);
                        buckets.push_back((idx, c));
                    }
                }
                total.add(failed, slow);
            }
        }
    }

    /// The counts over the window as of `now`.
    pub fn counts(&mut self, now: Instant) -> Counts {
        self.evict(now);
        match self {
            Sliding::Count { total, .. } | Sliding::Time { total, .. } => *total,
        }
    }

    fn evict(&mut self, now: Instant) {
        if let Sliding::Time {
            origin,
            granularity,
            buckets,
            total,
        } = self
        {
            let current = bucket_index(*origin, *granularity, now);
            let oldest_kept = current.saturating_sub(u64::from(BUCKETS) - 1);
            while let Some(&(i, c)) = buckets.front() {
                if i >= oldest_kept {
                    break;
                }
                total.sub(c);
                buckets.pop_front();
            }
        }
    }
}

fn bucket_index(origin: Instant, granularity: Duration, now: Instant) -> u64 {
    let elapsed = now.saturating_duration_since(origin).as_nanos();
    (elapsed / granularity.as_nanos().max(1)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_window_forgets_the_oldest() {
        let now = Instant::now();
        let mut w = Sliding::new(Window::Count(3), now);
        w.record(now, true, false);
        w.record(now, false, true);
        w.record(now, false, false);
        assert_eq!(
            w.counts(now),
            Counts {
                calls: 3,
                failures: 1,
                slow: 1
            }
        );
        w.record(now, false, false);
        assert_eq!(
            w.counts(now),
            Counts {
                calls: 3,
                failures: 0,
                slow: 1
            }
        );
    }

    #[test]
    fn time_window_forgets_old_buckets() {
        let t0 = Instant::now();
        let mut w = Sliding::new(Window::Time(Duration::from_secs(10)), t0);
        w.record(t0, true, false);
        w.record(t0 + Duration::from_secs(5), false, false);
        assert_eq!(w.counts(t0 + Duration::from_millis(9_999)).calls, 2);
        let c = w.counts(t0 + Duration::from_millis(10_000));
        assert_eq!(
            c,
            Counts {
                calls: 1,
                failures: 0,
                slow: 0
            }
        );
        assert_eq!(w.counts(t0 + Duration::from_secs(16)).calls, 0);
    }
}
