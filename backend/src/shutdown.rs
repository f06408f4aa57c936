//! One shutdown signal for the whole server: SIGINT/SIGTERM triggers it, and long-lived work
//! (WebSocket subscriptions, later the copier) watches it to finish cleanly.

use tokio::sync::watch;

/// Triggers shutdown; dropping it also counts as a trigger.
pub struct ShutdownTrigger(watch::Sender<bool>);

/// Watches for shutdown; cheap to clone.
#[derive(Clone)]
pub struct Shutdown(watch::Receiver<bool>);

/// A new, untriggered shutdown signal.
pub fn channel() -> (ShutdownTrigger, Shutdown) {
    let (sender, receiver) = watch::channel(false);
    (ShutdownTrigger(sender), Shutdown(receiver))
}

impl ShutdownTrigger {
    pub fn trigger(&self) {
        self.0.send_replace(true);
    }
}

impl Shutdown {
    pub fn is_triggered(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes once shutdown is triggered (or the trigger is gone).
    pub async fn wait(mut self) {
        // An error means the trigger was dropped: the server is going away either way.
        let _ = self.0.wait_for(|triggered| *triggered).await;
    }
}

/// Runs `task` every `period` (the first time at once) until shutdown; a run in progress
/// finishes first. For background work: the paper broker's matcher, daily key checks.
pub async fn every<F, Fut>(period: std::time::Duration, shutdown: Shutdown, mut task: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stopped = shutdown.wait();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            () = &mut stopped => return,
            _ = ticker.tick() => task().await,
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn os_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM; only Ctrl-C stops the server");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        result = interrupt => {
            if let Err(err) = result {
                tracing::error!(error = %err, "cannot listen for Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
        () = terminate => {}
    }
}
