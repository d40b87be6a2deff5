//! The world lock: each I/O thread holds its own reader lock while it runs
//! a command (no cache line shared between threads on the hot path); work
//! that must see the whole keyspace atomically takes every slot for write.

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

#[repr(align(128))]
struct Slot(RwLock<()>);

pub struct WorldLock {
    slots: Box<[Slot]>,
}

pub struct Exclusive<'a> {
    _guards: Vec<RwLockWriteGuard<'a, ()>>,
}

impl WorldLock {
    /// One slot per I/O thread plus one for background work.
    pub fn new(threads: usize) -> Self {
        WorldLock { slots: (0..threads + 1).map(|_| Slot(RwLock::new(()))).collect() }
    }

    pub fn background_slot(&self) -> usize {
        self.slots.len() - 1
    }

    #[inline]
    pub fn shared(&self, thread: usize) -> RwLockReadGuard<'_, ()> {
        self.slots[thread % self.slots.len()].0.read()
    }

    /// The shared slot if it is free now (no exclusive holder).
    #[inline]
    pub fn try_shared(&self, thread: usize) -> Option<RwLockReadGuard<'_, ()>> {
        self.slots[thread % self.slots.len()].0.try_read()
    }

    /// The shared slot, waiting at most `d`.
    pub fn shared_for(&self, thread: usize, d: std::time::Duration) -> Option<RwLockReadGuard<'_, ()>> {
        self.slots[thread % self.slots.len()].0.try_read_for(d)
    }

    /// Every slot, in order, waiting at most `d` for each; on a timeout
    /// the slots taken so far are released.
    pub fn exclusive_for(&self, d: std::time::Duration) -> Option<Exclusive<'_>> {
        let mut guards = Vec::with_capacity(self.slots.len());
        for s in self.slots.iter() {
            guards.push(s.0.try_write_for(d)?);
        }
        Some(Exclusive { _guards: guards })
    }

    /// Take every slot, in order. The caller must not hold its own shared slot.
    pub fn exclusive(&self) -> Exclusive<'_> {
        Exclusive { _guards: self.slots.iter().map(|s| s.0.write()).collect() }
    }
}
