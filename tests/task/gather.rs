//! gather (fail-fast and collect-all) and as_completed.

use crate::common;

use common::cancel::{dropped, guard, run};

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures_lite::StreamExt;
use retinue::rt;
use retinue::task::{
    Completion, TaskError, as_completed, gather, gather_all, gather2, gather3, gather4,
};

type Boxed<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Futures that complete roughly in the order given by `order` (a chain
/// of channels: each starts finishing when the previous one signals).
fn chained(order: &[usize]) -> Vec<Boxed<Result<usize, String>>> {
    let n = order.len();
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..=n).map(|_| async_channel::bounded::<()>(1)).unzip();
    let mut futs: Vec<Option<Boxed<Result<usize, String>>>> = (0..n).map(|_| None).collect();
    for (step, &index) in order.iter().enumerate() {
        let wait = rxs[step].clone();
        let next = txs[step + 1].clone();
        futs[index] = Some(Box::pin(async move {
            let _ = wait.recv().await;
            let _ = next.send(()).await;
            Ok(index)
        }));
    }
    let first = txs[0].clone();
    rt::spawn(async move { first.send(()).await }).abort_handle();
    futs.into_iter().flatten().collect()
}

#[test]
fn gather_returns_results_in_argument_order() {
    run(async {
        let values = gather(chained(&[2, 0, 3, 1])).await.unwrap();
        assert_eq!(values, vec![0, 1, 2, 3]);
        let empty: Vec<Boxed<Result<u8, ()>>> = Vec::new();
        assert_eq!(gather(empty).await, Ok(vec![]));
    });
}

#[test]
fn gather_fails_fast_and_cancels_the_others() {
    run(async {
        let (g1, rx1) = guard();
        let (g2, rx2) = guard();
        let futs: Vec<Boxed<Result<u32, &str>>> = vec![
            Box::pin(async move {
                let _g = g1;
                std::future::pending::<()>().await;
                Ok(1)
            }),
            Box::pin(async { Err("bad") }),
            Box::pin(async move {
                let _g = g2;
                std::future::pending::<()>().await;
                Ok(3)
            }),
        ];
        let err = gather(futs).await.unwrap_err();
        assert_eq!((err.index, err.error), (1, TaskError::Failed("bad")));
        assert!(
            dropped(&rx1) && dropped(&rx2),
            "cancellation reached the others"
        );
    });
}

#[test]
fn gather_reports_a_panic_with_its_index() {
    run(async {
        let futs: Vec<Boxed<Result<u32, ()>>> = vec![
            Box::pin(async { Ok(1) }),
            Box::pin(async { panic!("oops") }),
        ];
        let err = gather(futs).await.unwrap_err();
        assert_eq!(
            (err.index, err.error),
            (1, TaskError::Panicked("oops".into()))
        );
    });
}

#[test]
fn gather_all_collects_every_outcome_and_cancels_nothing() {
    run(async {
        let (gate_tx, gate_rx) = async_channel::bounded::<()>(1);
        let futs: Vec<Boxed<Result<u32, &str>>> = vec![
            Box::pin(async { Err("early") }),
            Box::pin(async move {
                let _ = gate_rx.recv().await; // finishes only after the error
                Ok(2)
            }),
            Box::pin(async { panic!("p") }),
        ];
        let all = rt::spawn(gather_all(futs));
        drop(gate_tx);
        assert_eq!(
            all.await.unwrap(),
            vec![
                Err(TaskError::Failed("early")),
                Ok(2),
                Err(TaskError::Panicked("p".into()))
            ]
        );
    });
}

#[test]
fn dropping_a_gather_cancels_its_tasks() {
    run(async {
        let (g, rx) = guard();
        let (started_tx, started_rx) = async_channel::bounded::<()>(1);
        let futs: Vec<Boxed<Result<(), ()>>> = vec![Box::pin(async move {
            let _g = g;
            let _ = started_tx.send(()).await;
            std::future::pending::<()>().await;
            Ok(())
        })];
        let task = rt::spawn(gather(futs));
        started_rx.recv().await.unwrap();
        task.abort();
        let _ = task.await;
        assert!(rx.recv().await.is_err(), "the gathered task was cancelled");
    });
}

#[test]
fn tuple_gathers_keep_their_types() {
    run(async {
        let (a, b) = gather2(async { Ok::<_, ()>(1u8) }, async { Ok("two") })
            .await
            .unwrap();
        assert_eq!((a, b), (1, "two"));
        let (a, b, c) = gather3(async { Ok::<_, ()>(1) }, async { Ok('b') }, async {
            Ok(3.0)
        })
        .await
        .unwrap();
        assert_eq!((a, b, c), (1, 'b', 3.0));
        let r = gather4(
            async { Ok::<u8, &str>(1) },
            async { Ok(2u16) },
            async { Err::<u32, &str>("third") },
            async { Ok::<String, &str>("4".into()) },
        )
        .await;
        let err = r.unwrap_err();
        assert_eq!((err.index, err.error), (2, TaskError::Failed("third")));
    });
}

#[test]
fn as_completed_yields_in_completion_order() {
    run(async {
        // Each future waits for its own gate; the test opens the gates in
        // the order [2, 0, 1], one at a time, after the previous result.
        let (gates, waits): (Vec<_>, Vec<_>) =
            (0..3).map(|_| async_channel::bounded::<()>(1)).unzip();
        let futs: Vec<Boxed<usize>> = waits
            .into_iter()
            .enumerate()
            .map(|(i, wait)| {
                Box::pin(async move {
                    let _ = wait.recv().await;
                    i * 10
                }) as Boxed<usize>
            })
            .collect();
        let mut stream = as_completed(futs);
        for index in [2, 0, 1] {
            gates[index].send(()).await.unwrap();
            assert_eq!(
                stream.next().await,
                Some(Completion::Done {
                    index,
                    value: index * 10
                })
            );
        }
        assert_eq!(stream.next().await, None);
    });
}

#[test]
fn as_completed_reports_panics_with_their_index() {
    run(async {
        let futs: Vec<Boxed<u32>> = vec![Box::pin(async { panic!("bad page") })];
        let items: Vec<_> = as_completed(futs).collect().await;
        assert_eq!(
            items,
            vec![Completion::Panicked {
                index: 0,
                message: "bad page".into()
            }]
        );
    });
}

#[test]
fn as_completed_deadline_cancels_the_stragglers() {
    run(async {
        let (g, rx) = guard();
        let futs: Vec<Boxed<u32>> = vec![
            Box::pin(async { 1 }),
            Box::pin(async move {
                let _g = g;
                std::future::pending::<()>().await;
                2
            }),
        ];
        // Generous: the quick future has half a second to be yielded first.
        let mut stream = as_completed(futs).deadline(Duration::from_millis(500));
        let mut items = Vec::new();
        while let Some(item) = stream.next().await {
            items.push(item);
        }
        assert_eq!(
            items,
            vec![
                Completion::Done { index: 0, value: 1 },
                Completion::DeadlineExceeded { pending: 1 }
            ]
        );
        assert!(rx.recv().await.is_err(), "the straggler was cancelled");
    });
}

#[test]
fn a_past_deadline_expires_at_once() {
    run(async {
        let futs: Vec<Boxed<u32>> = vec![Box::pin(std::future::pending())];
        let items: Vec<_> = as_completed(futs).deadline(Duration::ZERO).collect().await;
        assert_eq!(items, vec![Completion::DeadlineExceeded { pending: 1 }]);
    });
}

#[test]
fn dropping_as_completed_cancels_what_is_left() {
    run(async {
        let (g, rx) = guard();
        let futs: Vec<Boxed<u32>> = vec![
            Box::pin(async { 1 }),
            Box::pin(async move {
                let _g = g;
                std::future::pending::<()>().await;
                2
            }),
        ];
        let mut stream = as_completed(futs);
        assert_eq!(
            stream.next().await,
            Some(Completion::Done { index: 0, value: 1 })
        );
        assert_eq!(stream.pending(), 1);
        drop(stream);
        assert!(rx.recv().await.is_err());
    });
}
