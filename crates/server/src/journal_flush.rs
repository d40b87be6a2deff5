//! Group commit for one I/O thread. A connection whose replies depend on
//! journal records not yet written (with appendfsync always: not yet
//! fsynced) asks this thread's flusher task and waits. The flusher is
//! queued behind the connections already runnable on the thread, so it
//! runs once they have all appended, and one write (and fsync) covers
//! every one of them, as Redis' beforeSleep does for its event loop.

use moon_commands::Server;
use std::cell::RefCell;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use tokio::sync::Notify;

#[derive(Default)]
struct Flusher {
    request: Notify,
    done: Notify,
}

thread_local! {
    static FLUSHER: RefCell<Option<Arc<Flusher>>> = const { RefCell::new(None) };
}

/// Start this thread's flusher (inside its runtime).
pub fn start(srv: Arc<Server>) {
    let f = Arc::new(Flusher::default());
    FLUSHER.with(|x| *x.borrow_mut() = Some(f.clone()));
    tokio::spawn(async move {
        loop {
            f.request.notified().await;
            srv.journal.write_out();
            f.done.notify_waiters();
        }
    });
}

/// Wait until the replies about to be sent reveal nothing that could be
/// lost. After a failed write the replies go anyway (the error is in
/// INFO and further writes are refused), as in Redis.
pub async fn wait(srv: &Server) {
    let Some(f) = FLUSHER.with(|x| x.borrow().clone()) else {
        srv.journal.write_out();
        return;
    };
    while srv.journal.behind() && !srv.journal.write_failed.load(Relaxed) {
        let done = f.done.notified();
        tokio::pin!(done);
        done.as_mut().enable();
        f.request.notify_one();
        done.await;
    }
}
