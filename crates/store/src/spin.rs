//! The stripe lock: a test-and-test-and-set spin lock whose unlock is a
//! plain release store.
//!
//! Why not parking_lot's mutex: its unlock is a `lock cmpxchg` (it must
//! check for parked waiters), and every lock-prefixed instruction drains
//! the store buffer full of the previous command's reply bytes. Profiles
//! of GET/SET pipelines put ~15% of CPU on the two locked instructions;
//! with a plain-store unlock only the acquire pays. Stripe critical
//! sections are short (one command's work on one stripe), so waiters spin
//! briefly and then yield the CPU rather than park.

use std::sync::atomic::{AtomicBool, Ordering};

pub struct RawSpin(AtomicBool);

// SAFETY: acquire/release pairs make the lock a proper mutex: `lock`
// returns only after winning the flag with Acquire; `unlock` releases it
// with Release, publishing the critical section's writes.
unsafe impl lock_api::RawMutex for RawSpin {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: Self = RawSpin(AtomicBool::new(false));
    type GuardMarker = lock_api::GuardSend;

    #[inline]
    fn lock(&self) {
        if self.0.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            self.lock_contended();
        }
    }

    #[inline]
    fn try_lock(&self) -> bool {
        self.0.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_ok()
    }

    #[inline]
    unsafe fn unlock(&self) {
        self.0.store(false, Ordering::Release);
    }
}

impl RawSpin {
    #[cold]
    fn lock_contended(&self) {
        let mut spins = 0u32;
        loop {
            // Read-only spinning keeps the line shared until it frees up.
            while self.0.load(Ordering::Relaxed) {
                if spins < 64 {
                    std::hint::spin_loop();
                    spins += 1;
                } else {
                    std::thread::yield_now();
                }
            }
            if self.0.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                return;
            }
        }
    }
}

pub type SpinMutex<T> = lock_api::Mutex<RawSpin, T>;
pub type SpinGuard<'a, T> = lock_api::MutexGuard<'a, RawSpin, T>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn excludes_across_threads() {
        let m = Arc::new(SpinMutex::new(0u64));
        let hs: Vec<_> = (0..4)
            .map(|_| {
                let m = m.clone();
                std::thread::spawn(move || {
                    for _ in 0..100_000 {
                        *m.lock() += 1;
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        assert_eq!(*m.lock(), 400_000);
    }
}
