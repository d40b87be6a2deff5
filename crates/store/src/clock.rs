//! Time helpers and the LRU/LFU clock kept in each entry's 24-bit field,
//! with Redis' resolutions so OBJECT IDLETIME / FREQ read the same.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

thread_local! {
    static LOADING: Cell<bool> = const { Cell::new(false) };
}

/// This thread is replaying an AOF: nothing counts as expired, as Redis
/// has it while loading, so each replayed command sees the keys and fields
/// it saw when it first ran (their expire times were journaled as absolute
/// times; what has passed expires once the server runs). Per thread, as
/// only the replaying thread must see the clock stopped.
#[inline]
pub fn loading() -> bool {
    LOADING.with(Cell::get)
}

pub fn set_loading(on: bool) {
    LOADING.with(|l| l.set(on));
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

/// The counter a new key starts with under LFU (Redis' LFU_INIT_VAL), so
/// a fresh key is not evicted before it had a chance to be used.
pub const LFU_INIT_VAL: u8 = 5;

/// lfu-log-factor and lfu-decay-time (mirrored here by the config, since
/// `touch` has no access to it).
static LFU_LOG_FACTOR: AtomicU64 = AtomicU64::new(10);
static LFU_DECAY_TIME: AtomicU64 = AtomicU64::new(1);

pub fn set_lfu_log_factor(v: u64) {
    LFU_LOG_FACTOR.store(v, Ordering::Relaxed)
}

pub fn set_lfu_decay_time(v: u64) {
    LFU_DECAY_TIME.store(v, Ordering::Relaxed)
}

/// Unix minutes, wrapping at 16 bits (Redis' LFUGetTimeInMinutes).
#[inline]
pub fn lfu_minutes(now_ms: i64) -> u32 {
    ((now_ms.max(0) as u64 / 60_000) & 0xffff) as u32
}

/// The LFU field for `counter` last decremented at `now_ms`.
#[inline]
pub fn lfu_field(now_ms: i64, counter: u8) -> u32 {
    (lfu_minutes(now_ms) << 8) | counter as u32
}

/// The counter of an LFU field after the decay due since it was last
/// updated: one point per `decay_minutes` elapsed (0: no decay). Redis'
/// LFUDecrAndReturn, with the decay time passed in.
pub fn lfu_decay_with(field: u32, now_ms: i64, decay_minutes: u64) -> u8 {
    let last = (field >> 8) & 0xffff;
    let counter = (field & 0xff) as u64;
    if decay_minutes == 0 {
        return counter as u8;
    }
    let now = lfu_minutes(now_ms);
    // The minutes clock wraps at 16 bits; Redis measures across the wrap
    // from 65535, not 65536.
    let elapsed = if now >= last { now - last } else { 65535 - last + now } as u64;
    counter.saturating_sub(elapsed / decay_minutes) as u8
}

/// `lfu_decay_with` at the configured lfu-decay-time.
#[inline]
pub fn lfu_decay(field: u32, now_ms: i64) -> u8 {
    lfu_decay_with(field, now_ms, LFU_DECAY_TIME.load(Ordering::Relaxed))
}

/// Redis' LFULogIncr: count an access with probability
/// 1 / ((counter - LFU_INIT_VAL) * lfu-log-factor + 1), so the 8-bit
/// counter grows logarithmically with the number of accesses.
pub fn lfu_log_incr(counter: u8) -> u8 {
    lfu_log_incr_with(counter, LFU_LOG_FACTOR.load(Ordering::Relaxed))
}

/// `lfu_log_incr` with an explicit lfu-log-factor.
fn lfu_log_incr_with(counter: u8, factor: u64) -> u8 {
    if counter == 255 {
        return 255;
    }
    let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (base * factor as f64 + 1.0);
    if unit_random() < p {
        counter + 1
    } else {
        counter
    }
}

thread_local! {
    static RNG: Cell<u64> = const { Cell::new(0) };
}

/// A uniform number in [0, 1) from a per-thread xorshift64* generator:
/// LFU increments need cheap randomness, not good randomness.
fn unit_random() -> f64 {
    RNG.with(|c| {
        let mut x = c.get();
        if x == 0 {
            // Seed from the clock and this thread's slot address.
            x = (now_us() as u64 ^ (c as *const Cell<u64> as u64).rotate_left(32)) | 1;
        }
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        c.set(x);
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lfu_decay_and_wrap() {
        let now = 10_000 * 60_000;
        let field = |minutes: u32, counter: u32| ((minutes & 0xffff) << 8) | counter;
        assert_eq!(lfu_decay_with(field(10_000, 5), now, 1), 5);
        assert_eq!(lfu_decay_with(field(9_998, 5), now, 1), 3);
        assert_eq!(lfu_decay_with(field(9_998, 5), now, 2), 4);
        assert_eq!(lfu_decay_with(field(9_000, 5), now, 1), 0);
        assert_eq!(lfu_decay_with(field(9_000, 5), now, 0), 5);
        // 65534 -> 65540 % 65536 = 4: 65535 - 65534 + 4 = 5 minutes.
        let wrapped = 65_540 * 60_000;
        assert_eq!(lfu_decay_with(field(65_534, 9), wrapped, 1), 4);
        assert_eq!(lfu_field(now, 7), (10_000 << 8) | 7);
    }

    #[test]
    fn lfu_increments_are_logarithmic() {
        // Up to LFU_INIT_VAL every access counts; the saturated counter stays.
        assert_eq!(lfu_log_incr(0), 1);
        assert_eq!(lfu_log_incr(LFU_INIT_VAL), LFU_INIT_VAL + 1);
        assert_eq!(lfu_log_incr(255), 255);
        // With the default factor 10, 100K accesses reach about 142 and 1M
        // saturate (the table in Redis' redis.conf). The factor is passed
        // explicitly: other tests may change the global one meanwhile.
        let mut c = LFU_INIT_VAL;
        for _ in 0..100_000 {
            c = lfu_log_incr_with(c, 10);
        }
        // (The spread of 100K-access runs is about 130-165.)
        assert!((115..=185).contains(&c), "{c}");
        for _ in 0..900_000 {
            c = lfu_log_incr_with(c, 10);
        }
        assert_eq!(c, 255);
        let r: Vec<f64> = (0..1000).map(|_| unit_random()).collect();
        assert!(r.iter().all(|x| (0.0..1.0).contains(x)));
        assert!(r.iter().sum::<f64>() > 400.0 && r.iter().sum::<f64>() < 600.0);
    }
}
