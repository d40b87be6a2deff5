//! Time helpers and the LRU/LFU clock kept in each entry's 24-bit field,
//! with Redis' resolutions so OBJECT IDLETIME / FREQ read the same.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub const LRU_BITS: u32 = 24;
pub const LRU_CLOCK_MAX: u64 = (1 << LRU_BITS) - 1;
/// Redis' LRU_CLOCK_RESOLUTION.
pub const LRU_RESOLUTION_MS: u64 = 1000;

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

pub fn now_us() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}

/// Current LRU clock (seconds, wrapping at 24 bits).
pub fn lru_clock(now_ms: i64) -> u32 {
    ((now_ms as u64 / LRU_RESOLUTION_MS) & LRU_CLOCK_MAX) as u32
}

/// Idle time in ms of an entry whose LRU field is `lru`, as Redis'
/// `estimateObjectIdleTime`.
pub fn idle_ms(lru: u32, now_ms: i64) -> u64 {
    let clock = lru_clock(now_ms) as u64;
    let lru = lru as u64;
    if clock >= lru {
        (clock - lru) * LRU_RESOLUTION_MS
    } else {
        (clock + (LRU_CLOCK_MAX - lru)) * LRU_RESOLUTION_MS
    }
}

/// Whether the LFU policy is active: then the 24-bit field holds
/// [16-bit minutes][8-bit log counter] instead of an LRU time.
static LFU: AtomicBool = AtomicBool::new(false);

pub fn lfu_enabled() -> bool {
    LFU.load(Ordering::Relaxed)
}

pub fn set_lfu_enabled(on: bool) {
    LFU.store(on, Ordering::Relaxed)
}
