//! The backend picked by the cargo features is the one the documentation
//! promises: async-std > tokio > smol, whatever else is enabled.

use retinue::rt::{self, Backend};

/// The documented precedence, written out from the enabled features.
fn documented() -> Backend {
    if cfg!(any(feature = "async-std", feature = "async-std-bare")) {
        Backend::AsyncStd
    } else if cfg!(feature = "tokio") {
        Backend::Tokio
    } else {
        Backend::Smol
    }
}

#[test]
fn the_backend_in_use_follows_the_documented_precedence() {
    assert_eq!(rt::backend(), documented());
    assert_eq!(rt::backend().to_string(), documented().name());
}

#[test]
fn tokio_interop_is_on_unless_async_std_is_built_bare() {
    let bare = cfg!(feature = "async-std-bare") && !cfg!(feature = "async-std");
    assert_eq!(rt::tokio_interop(), !bare);
}

#[test]
fn every_backend_runs_spawn_sleep_timeout_and_blocking_work() {
    rt::block_on(async {
        let task = rt::spawn(async {
            rt::sleep(std::time::Duration::from_millis(1)).await;
            rt::spawn_blocking(|| 40 + 2).await
        });
        assert_eq!(task.await, Ok(42));
        let never = std::future::pending::<()>();
        let late = rt::timeout(std::time::Duration::from_millis(1), never).await;
        assert_eq!(late, Err(rt::Elapsed));
    });
}
