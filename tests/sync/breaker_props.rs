//! Property: whatever happens to a breaker, subscribers see a chain of
//! real transitions (each `from` is the previous `to`, never `X -> X`),
//! the last one matches the state, and the books add up.

use std::time::Duration;

use proptest::prelude::*;
use retinue::rt;
use retinue::sync::{
    BreakerConfig, CircuitBreaker, ManualClock, Outcome, State, TripPolicy, Window,
};

#[derive(Debug, Clone)]
enum Op {
    Ok,
    Fail,
    Ignore,
    Advance(u64),
    ForceOpen,
    ForceClosed,
    Disable,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Ok),
        4 => Just(Op::Fail),
        1 => Just(Op::Ignore),
        2 => (0u64..1_500).prop_map(Op::Advance),
        1 => Just(Op::ForceOpen),
        1 => Just(Op::ForceClosed),
        1 => Just(Op::Disable),
    ]
}

fn config() -> impl Strategy<Value = BreakerConfig> {
    (any::<bool>(), 1u32..4, 1u32..3).prop_map(|(by_rate, n, trials)| BreakerConfig {
        trip: if by_rate {
            TripPolicy::FailureRate { rate: 0.5 }
        } else {
            TripPolicy::ConsecutiveFailures { failures: n }
        },
        window: Window::Count(4),
        minimum_calls: n,
        open_wait: Duration::from_millis(1_000),
        half_open_trials: trials,
        ..BreakerConfig::default()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn transitions_form_a_chain_and_the_books_add_up(cfg in config(), ops in prop::collection::vec(op(), 1..60)) {
        rt::block_on(async {
            let clock = ManualClock::new();
            let b = CircuitBreaker::spawn_with_clock(cfg, clock.clone()).unwrap();
            let mut changes = b.subscribe().await.unwrap();
            let (mut ran, mut ignored, mut rejected) = (0u64, 0u64, 0u64);
            for op in ops {
                let classify = |r: &Result<(), bool>| match r {
                    Err(true) => Outcome::Ignore,
                    Err(false) => Outcome::Failure,
                    Ok(()) => Outcome::Success,
                };
                let result = match op {
                    Op::Ok => Some(b.call_with(classify, || async { Ok(()) }).await),
                    Op::Fail => Some(b.call_with(classify, || async { Err(false) }).await),
                    Op::Ignore => Some(b.call_with(classify, || async { Err(true) }).await),
                    Op::Advance(ms) => { clock.advance(Duration::from_millis(ms)); None }
                    Op::ForceOpen => { b.force_open().await.unwrap(); None }
                    Op::ForceClosed => { b.force_closed().await.unwrap(); None }
                    Op::Disable => { b.disable().await.unwrap(); None }
                };
                match (op, result) {
                    (_, Some(Err(retinue::sync::CallError::Rejected(_)))) => rejected += 1,
                    (Op::Ignore, Some(_)) => ignored += 1,
                    (_, Some(_)) => ran += 1,
                    _ => {}
                }
            }
            let m = b.metrics().await.unwrap();
            assert_eq!((m.calls, m.ignored, m.rejected), (ran, ignored, rejected));
            let mut state = State::Closed;
            while let Some(t) = changes.try_recv() {
                assert_ne!(t.from, t.to, "a transition to the same state");
                assert_eq!(t.from, state, "transitions must chain");
                state = t.to;
            }
            assert_eq!(state, m.state);
        });
    }
}
