//! Freeing big values off the command path (UNLINK, FLUSHALL ASYNC, ...).
//! One shared background thread drops whatever it is sent, so the command
//! that removed a million-element value or a whole database replies at
//! once; small values are cheaper to free in place than to hand over.

use moon_store::{Entry, ValueRef};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::{channel, Sender};
use std::sync::OnceLock;

/// Values whose freeing costs more than this many allocations go to the
/// background thread (Redis' LAZYFREE_THRESHOLD).
pub const THRESHOLD: usize = 64;

type Garbage = Box<dyn Send>;

static QUEUE: OnceLock<Option<Sender<Garbage>>> = OnceLock::new();

/// Items handed over and not yet freed (INFO's lazyfree_pending_objects).
pub static PENDING: AtomicU64 = AtomicU64::new(0);
/// Items freed by the background thread (INFO's lazyfreed_objects).
pub static FREED: AtomicU64 = AtomicU64::new(0);

fn queue() -> Option<&'static Sender<Garbage>> {
    QUEUE
        .get_or_init(|| {
            let (tx, rx) = channel::<Garbage>();
            let spawned = std::thread::Builder::new().name("moon-lazyfree".into()).spawn(move || {
                for garbage in rx {
                    drop(garbage);
                    PENDING.fetch_sub(1, Relaxed);
                    FREED.fetch_add(1, Relaxed);
                }
            });
            // Without a thread, values are simply freed in place.
            spawned.ok().map(|_| tx)
        })
        .as_ref()
}

/// Drop `v` on the background thread (in place if it cannot run).
pub fn drop_later<T: Send + 'static>(v: T) {
    let Some(tx) = queue() else { return };
    PENDING.fetch_add(1, Relaxed);
    if let Err(back) = tx.send(Box::new(v)) {
        PENDING.fetch_sub(1, Relaxed);
        drop(back);
    }
}

/// About how many allocations freeing the value takes (Redis'
/// `lazyfreeGetFreeEffort`). Collection types report their element or
/// node counts here as they are added.
pub fn free_effort(e: &Entry) -> usize {
    match e.value() {
        ValueRef::Inline(_) => 1,
        ValueRef::Obj(o) => o.free_effort(),
    }
}

/// Free a removed entry, in the background if it is big.
pub fn free_entry(e: Entry) {
    if free_effort(&e) > THRESHOLD {
        drop_later(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    struct Canary(mpsc::Sender<std::thread::ThreadId>);
    impl Drop for Canary {
        fn drop(&mut self) {
            let _ = self.0.send(std::thread::current().id());
        }
    }

    #[test]
    fn drops_on_another_thread() {
        let (tx, rx) = mpsc::channel();
        drop_later(Canary(tx));
        let id = rx.recv_timeout(Duration::from_secs(5)).expect("dropped");
        assert_ne!(id, std::thread::current().id());
    }

    #[test]
    fn strings_are_cheap() {
        assert_eq!(free_effort(&Entry::new_str(b"k", b"v", None)), 1);
        assert_eq!(free_effort(&Entry::new_obj(b"k", moon_store::Object::Str(vec![0; 1000]), None)), 1);
    }
}
