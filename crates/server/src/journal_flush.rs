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
pub struct Flusher {
    request: Notify,
    done: Notify,
}

impl Flusher {
    pub fn new() -> Arc<Flusher> {
        Arc::new(Flusher::default())
    }
}

thread_local! {
    static FLUSHER: RefCell<Option<Arc<Flusher>>> = const { RefCell::new(None) };
}

/// Make `f` the flusher of the calling thread (every thread of an I/O
/// thread's runtime: its connections may move between them).
pub fn install(f: &Arc<Flusher>) {
    FLUSHER.with(|x| *x.borrow_mut() = Some(f.clone()));
}

/// Start the flusher task of an I/O thread's runtime.
pub fn start(srv: Arc<Server>, f: Arc<Flusher>) {
    install(&f);
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
