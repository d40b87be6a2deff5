//! The memory limit (Redis' maxmemory): before each command the dispatcher
//! calls [`before_command`]; when used memory is over the limit, keys are
//! evicted by maxmemory-policy until it is under again or the time budget
//! of maxmemory-eviction-tenacity runs out. When nothing can be evicted
//! (noeviction, or no candidate keys) commands flagged DENYOOM are refused
//! with the OOM error, as Redis does.
//!
//! The LRU, LFU and TTL policies approximate the best victim the way Redis
//! does: each round samples maxmemory-samples keys per database into a
//! 16-entry pool of the best candidates seen so far (kept across rounds and
//! commands), then evicts the best one still present. Sampling locks one
//! stripe at a time, and eviction runs before the dispatcher locks the
//! command's own stripes, so it can never wait on a lock its own command
//! holds.

use crate::error::CmdError;
use crate::exec::WorldHold;
use crate::spec::{flag, CommandDef};
use crate::state::Server;
use moon_store::{clock, Db, Entry, Stripe};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

/// maxmemory-policy values, in Redis' order (the error text lists them so).
pub const POLICY_NAMES: &[&str] =
    &["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"];

#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    NoEviction,
}

impl Policy {
    const ALL: [Policy; 8] = [
        Policy::VolatileLru,
        Policy::VolatileLfu,
        Policy::VolatileRandom,
        Policy::VolatileTtl,
        Policy::AllkeysLru,
        Policy::AllkeysLfu,
        Policy::AllkeysRandom,
        Policy::NoEviction,
    ];

    /// The policy named `s` (already validated by the config); anything
    /// else reads as noeviction.
    pub fn from_name(s: &str) -> Policy {
        POLICY_NAMES.iter().position(|n| n.eq_ignore_ascii_case(s)).map_or(Policy::NoEviction, |i| Self::ALL[i])
    }

    pub fn from_index(i: u8) -> Policy {
        Self::ALL.get(i as usize).copied().unwrap_or(Policy::NoEviction)
    }

    pub fn is_lfu(self) -> bool {
        matches!(self, Policy::VolatileLfu | Policy::AllkeysLfu)
    }

    /// Only keys with an expire time are candidates.
    fn volatile_only(self) -> bool {
        matches!(self, Policy::VolatileLru | Policy::VolatileLfu | Policy::VolatileRandom | Policy::VolatileTtl)
    }

    fn is_random(self) -> bool {
        matches!(self, Policy::VolatileRandom | Policy::AllkeysRandom)
    }
}

pub const OOM: CmdError = CmdError::fixed("OOM command not allowed when used memory > 'maxmemory'.");

/// Result of an eviction attempt (Redis' EVICT_OK / EVICT_RUNNING /
/// EVICT_FAIL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Under the limit (or eviction is not allowed to run now).
    Ok,
    /// Still over, but the time budget ran out while keys were being
    /// evicted: commands go on, and the background task keeps evicting.
    Running,
    /// Over the limit with nothing that may be evicted.
    Fail,
}

/// Eviction state shared by every thread.
pub struct Evictor {
    /// Held while evicting: one thread evicts at a time (the others, once
    /// they get it, usually find memory back under the limit).
    inner: Mutex<Inner>,
    evicted_keys: AtomicU64,
    /// Microseconds since `origin` (+1, so 0 means "not over") at which
    /// memory went over the limit without eviction bringing it back.
    exceeded_since: AtomicU64,
    exceeded_total_us: AtomicU64,
    /// Whether the background task should keep evicting.
    running: AtomicBool,
    /// maxmemory the background task last saw (a new limit starts it).
    seen_max: AtomicU64,
    /// Round-robin database for the random policies.
    next_db: AtomicUsize,
    origin: Instant,
}

impl Default for Evictor {
    fn default() -> Self {
        Evictor {
            inner: Mutex::new(Inner { pool: Pool::new(), rng: Rng(rand::random::<u64>() | 1), scratch: Vec::new() }),
            evicted_keys: AtomicU64::new(0),
            exceeded_since: AtomicU64::new(0),
            exceeded_total_us: AtomicU64::new(0),
            running: AtomicBool::new(false),
            seen_max: AtomicU64::new(0),
            next_db: AtomicUsize::new(0),
            origin: Instant::now(),
        }
    }
}

impl Evictor {
    /// INFO's evicted_keys.
    pub fn evicted_keys(&self) -> u64 {
        self.evicted_keys.load(Relaxed)
    }

    /// INFO's total_eviction_exceeded_time and current_eviction_exceeded_time
    /// (ms): how long memory stayed over the limit, in all and right now.
    pub fn exceeded_ms(&self) -> (u64, u64) {
        let since = self.exceeded_since.load(Relaxed);
        let current = if since == 0 { 0 } else { self.now_us().saturating_sub(since) };
        ((self.exceeded_total_us.load(Relaxed) + current) / 1000, current / 1000)
    }

    /// CONFIG RESETSTAT.
    pub fn reset_stats(&self) {
        self.evicted_keys.store(0, Relaxed);
        self.exceeded_total_us.store(0, Relaxed);
        self.exceeded_since.store(0, Relaxed);
    }

    fn now_us(&self) -> u64 {
        self.origin.elapsed().as_micros() as u64 + 1
    }

    /// Redis' update_metrics step of performEvictions.
    fn note(&self, r: Outcome) {
        if r == Outcome::Ok {
            // Load first: the common case writes nothing shared.
            if self.exceeded_since.load(Relaxed) != 0 {
                let since = self.exceeded_since.swap(0, Relaxed);
                if since != 0 {
                    self.exceeded_total_us.fetch_add(self.now_us().saturating_sub(since), Relaxed);
                }
            }
        } else if self.exceeded_since.load(Relaxed) == 0 {
            let _ = self.exceeded_since.compare_exchange(0, self.now_us(), Relaxed, Relaxed);
        }
    }
}

/// The dispatcher's check before a command runs (only called when
/// maxmemory is set): evict as needed, and refuse DENYOOM commands when
/// memory cannot be brought under the limit. `world` is the thread's
/// shared world hold, taken here if eviction has to delete keys.
pub fn before_command<'s>(srv: &'s Server, thread: usize, def: &CommandDef, now: i64, world: &mut WorldHold<'s>) -> Result<(), CmdError> {
    if perform(srv, now, thread, world) == Outcome::Fail && def.has(flag::DENYOOM) {
        return Err(OOM);
    }
    Ok(())
}

/// Redis' performEvictions. `slot` is the world-lock slot to take shared
/// (into `world`) before deleting anything, unless already held.
pub fn perform<'s>(srv: &'s Server, now: i64, slot: usize, world: &mut WorldHold<'s>) -> Outcome {
    let max = srv.config.hot.maxmemory.load(Relaxed);
    if max == 0 {
        return Outcome::Ok;
    }
    // While clients are paused the dataset must stay as it is (Redis
    // pauses evictions with writes).
    let until = srv.pause_until.load(std::sync::atomic::Ordering::Acquire);
    if until != 0 && now < until {
        return Outcome::Ok;
    }
    let r = if srv.used_memory() <= max {
        Outcome::Ok
    } else {
        if world.is_none() {
            *world = Some(srv.world.shared(slot));
        }
        evict(srv, now)
    };
    // Written only on change: this runs before every command.
    let running = r == Outcome::Running;
    if srv.evict.running.load(Relaxed) != running {
        srv.evict.running.store(running, Relaxed);
    }
    srv.evict.note(r);
    r
}

/// Keep evicting from the background task (cron) after a command ran out
/// of time budget, or after the limit changed (Redis starts its eviction
/// timer on CONFIG SET maxmemory). Redis runs that timer on every event
/// loop turn; here one call keeps going, a budget at a time, for up to
/// `max_ms`, releasing the world lock between budgets.
pub fn background(srv: &Server, max_ms: u64) {
    let max = srv.config.hot.maxmemory.load(Relaxed);
    let changed = srv.evict.seen_max.swap(max, Relaxed) != max;
    if max == 0 || !(changed || srv.evict.running.load(Relaxed)) {
        return;
    }
    let start = Instant::now();
    loop {
        let mut world = None;
        let r = perform(srv, clock::now_ms(), srv.world.background_slot(), &mut world);
        drop(world);
        if r != Outcome::Running || start.elapsed().as_millis() as u64 >= max_ms {
            return;
        }
    }
}

/// Redis' evictionTimeLimitUs: 50us per tenacity step up to 10, then a
/// 15% geometric progression; 100 means no limit.
fn time_limit_us(tenacity: i64) -> u64 {
    match tenacity {
        t if t <= 10 => 50 * t.max(0) as u64,
        t if t < 100 => (500.0 * 1.15f64.powi(t as i32 - 10)) as u64,
        _ => u64::MAX,
    }
}

/// Evict until used memory is at the limit (estimating what each deleted
/// key gave back from its allocation sizes, as Redis measures the
/// allocator around each delete), the time budget is spent, or nothing
/// evictable is left.
fn evict(srv: &Server, now: i64) -> Outcome {
    let hot = &srv.config.hot;
    let policy = Policy::from_index(hot.maxmemory_policy.load(Relaxed));
    if policy == Policy::NoEviction {
        return Outcome::Fail;
    }
    let limit_us = time_limit_us(hot.eviction_tenacity.load(Relaxed));
    let samples = hot.maxmemory_samples.load(Relaxed).clamp(1, 64) as usize;
    let latency_ms = hot.latency_threshold.load(Relaxed);
    let start = Instant::now();
    let mut inner = srv.evict.inner.lock();
    // Another thread may have evicted while this one waited.
    let (max, used) = (hot.maxmemory.load(Relaxed), srv.used_memory());
    if max == 0 || used <= max {
        return Outcome::Ok;
    }
    let to_free = used - max;
    let mut freed = 0u64;
    let mut keys = 0u64;
    let mut r = Outcome::Ok;
    while freed < to_free {
        let got = if policy.is_random() {
            evict_random(srv, &mut inner, policy, now)
        } else {
            evict_pooled(srv, &mut inner, policy, samples, now)
        };
        let Some(bytes) = got else {
            r = Outcome::Fail;
            break;
        };
        srv.evict.evicted_keys.fetch_add(1, Relaxed);
        freed += bytes;
        keys += 1;
        if keys.is_multiple_of(16) && start.elapsed().as_micros() as u64 > limit_us {
            r = Outcome::Running;
            break;
        }
    }
    if latency_ms > 0 {
        let ms = start.elapsed().as_millis() as u64;
        if ms as i64 >= latency_ms {
            srv.latency.lock().add("eviction-cycle", now / 1000, ms);
        }
    }
    r
}

/// State behind the eviction lock.
struct Inner {
    pool: Pool,
    rng: Rng,
    /// Key bytes of the victim of a random policy (reused, no allocation).
    scratch: Vec<u8>,
}

struct Rng(u64);

impl Rng {
    /// splitmix64: sampling needs speed, not quality.
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

const POOL_SIZE: usize = 16;
/// Random stripes tried per database before walking them in order (a
/// dense database is sampled from the first; a sparse one needs the walk).
const RANDOM_STRIPE_TRIES: usize = 8;
/// SCAN steps per stripe when looking for keys with an expire among many
/// without one.
const VOLATILE_SCAN_STEPS: usize = 16;
/// Sampling rounds whose candidates all vanished before giving up.
const MAX_ROUNDS: usize = 64;

struct Candidate {
    /// Higher is a better victim: idle ms (LRU), 255 - counter (LFU), or
    /// u64::MAX - expire time (TTL).
    score: u64,
    db: usize,
    key: Vec<u8>,
}

/// Redis' eviction pool: the best candidates seen, sorted by ascending
/// score in `entries[..len]`. The key buffers stay allocated and move with
/// their entries, so steady-state sampling allocates nothing.
struct Pool {
    entries: Vec<Candidate>,
    len: usize,
}

impl Pool {
    fn new() -> Pool {
        Pool { entries: (0..POOL_SIZE).map(|_| Candidate { score: 0, db: 0, key: Vec::new() }).collect(), len: 0 }
    }

    /// Offer a sampled key (Redis' evictionPoolPopulate insertion). A key
    /// already pooled is re-ranked by its new score (Redis would keep a
    /// stale duplicate, which can evict a key that was just used).
    fn offer(&mut self, score: u64, db: usize, key: &[u8]) {
        if let Some(j) = self.entries[..self.len].iter().position(|c| c.db == db && c.key == key) {
            if self.entries[j].score == score {
                return;
            }
            self.entries[j..self.len].rotate_left(1);
            self.len -= 1;
        }
        let mut k = 0;
        while k < self.len && self.entries[k].score < score {
            k += 1;
        }
        if k == 0 && self.len == POOL_SIZE {
            // Worse than everything in a full pool.
            return;
        }
        if self.len < POOL_SIZE {
            // Move the free entry at `len` to `k`, shifting the rest right.
            self.entries[k..=self.len].rotate_right(1);
            self.len += 1;
        } else {
            // Full: drop the worst (entry 0) by shifting left into k - 1.
            k -= 1;
            self.entries[..=k].rotate_left(1);
        }
        let c = &mut self.entries[k];
        c.score = score;
        c.db = db;
        if c.key.capacity() > 1024 && key.len() <= 255 {
            // Don't keep a huge key's buffer around for short keys.
            c.key = Vec::new();
        }
        c.key.clear();
        c.key.extend_from_slice(key);
    }

    /// Take the best candidate; its index stays readable until the next offer.
    fn pop(&mut self) -> Option<usize> {
        self.len = self.len.checked_sub(1)?;
        Some(self.len)
    }
}

fn score(policy: Policy, e: &Entry, now: i64) -> u64 {
    match policy {
        Policy::VolatileTtl => u64::MAX - e.expire().unwrap_or(i64::MAX).max(0) as u64,
        p if p.is_lfu() => 255 - clock::lfu_decay(e.lru(), now) as u64,
        _ => clock::idle_ms(e.lru(), now),
    }
}

/// One key of an LRU/LFU/TTL policy: sample every database into the pool,
/// then evict the best candidate that still exists. None if there are no
/// candidate keys at all.
fn evict_pooled(srv: &Server, inner: &mut Inner, policy: Policy, samples: usize, now: i64) -> Option<u64> {
    let volatile = policy.volatile_only();
    for _ in 0..MAX_ROUNDS {
        let mut sampled = 0;
        for (i, db) in srv.ks.dbs.iter().enumerate() {
            if db.allocated() {
                sampled += populate(db, i, inner, policy, samples, now);
            }
        }
        if sampled == 0 {
            return None;
        }
        while let Some(i) = inner.pool.pop() {
            let c = &inner.pool.entries[i];
            let db = &srv.ks.dbs[c.db];
            let s = db.lock(db.stripe_of(&c.key));
            // The key may have been deleted or lost its expire since it
            // was sampled (Redis calls such entries ghosts).
            if s.peek(&c.key).is_some_and(|e| !volatile || e.expire().is_some()) {
                return Some(delete(srv, s, c.db, &c.key, now));
            }
        }
    }
    None
}

/// Sample about `samples` keys of one database into the pool; returns how
/// many were sampled.
fn populate(db: &Db, dbi: usize, inner: &mut Inner, policy: Policy, samples: usize, now: i64) -> usize {
    let Inner { pool, rng, .. } = inner;
    let mut sampled = 0;
    visit_stripes(db, rng, policy.volatile_only(), |s, rng| {
        sampled += sample_stripe(s, dbi, pool, rng, policy, samples - sampled, now);
        sampled >= samples
    });
    sampled
}

/// Lock candidate stripes of `db` one at a time and call `f` on those that
/// hold candidates (keys, or keys with an expire), until it returns true:
/// a few random stripes first, then every stripe from a random start.
fn visit_stripes(db: &Db, rng: &mut Rng, volatile: bool, mut f: impl FnMut(&mut Stripe, &mut Rng) -> bool) {
    let n = db.nstripes();
    let mask = n - 1;
    let has = |s: &Stripe| if volatile { s.volatile() > 0 } else { !s.is_empty() };
    for _ in 0..RANDOM_STRIPE_TRIES.min(n) {
        let mut s = db.lock(rng.next() as usize & mask);
        if has(&s) && f(&mut s, rng) {
            return;
        }
    }
    let start = rng.next() as usize;
    for k in 0..n {
        let mut s = db.lock((start + k) & mask);
        if has(&s) && f(&mut s, rng) {
            return;
        }
    }
}

/// Offer up to `want` keys of one stripe to the pool.
fn sample_stripe(s: &Stripe, dbi: usize, pool: &mut Pool, rng: &mut Rng, policy: Policy, want: usize, now: i64) -> usize {
    let volatile = policy.volatile_only();
    let avail = if volatile { s.volatile() } else { s.len() };
    let want = want.min(avail);
    let mut got = 0;
    if avail == want && s.len() <= 4 * want {
        // A small stripe: every candidate, not random draws with repeats.
        for e in s.iter().filter(|e| !volatile || e.expire().is_some()) {
            pool.offer(score(policy, e, now), dbi, e.key());
        }
        return avail;
    }
    if !volatile || avail == s.len() {
        for _ in 0..want {
            if let Some(e) = s.random(rng.next()) {
                pool.offer(score(policy, e, now), dbi, e.key());
                got += 1;
            }
        }
        return got;
    }
    // Keys with an expire are a minority here: walk from a random point,
    // wrapping around once.
    let mut cursor = rng.next();
    let mut wrapped = false;
    for _ in 0..VOLATILE_SCAN_STEPS {
        cursor = s.scan(cursor, want, |e| {
            if got < want && e.expire().is_some() {
                pool.offer(score(policy, e, now), dbi, e.key());
                got += 1;
            }
        });
        if got >= want || (cursor == 0 && std::mem::replace(&mut wrapped, true)) {
            break;
        }
    }
    got
}

/// One key of a random policy, visiting databases round-robin as Redis.
fn evict_random(srv: &Server, inner: &mut Inner, policy: Policy, now: i64) -> Option<u64> {
    let volatile = policy.volatile_only();
    let ndb = srv.ks.dbs.len();
    for _ in 0..ndb {
        let j = srv.evict.next_db.fetch_add(1, Relaxed).wrapping_add(1) % ndb;
        let db = &srv.ks.dbs[j];
        if !db.allocated() {
            continue;
        }
        let Inner { rng, scratch, .. } = inner;
        let mut found = false;
        visit_stripes(db, rng, volatile, |s, rng| {
            found = pick_random(s, rng, volatile, scratch);
            found
        });
        if found {
            let s = db.lock(db.stripe_of(scratch));
            // The stripe was unlocked in between: check again.
            if s.peek(scratch).is_some_and(|e| !volatile || e.expire().is_some()) {
                let key = std::mem::take(scratch);
                let bytes = delete(srv, s, j, &key, now);
                *scratch = key;
                return Some(bytes);
            }
        }
    }
    None
}

/// Copy a random key of the stripe (one with an expire if `volatile`)
/// into `out`.
fn pick_random(s: &Stripe, rng: &mut Rng, volatile: bool, out: &mut Vec<u8>) -> bool {
    let mut take = |e: &Entry| {
        out.clear();
        out.extend_from_slice(e.key());
    };
    for _ in 0..16 {
        match s.random(rng.next()) {
            Some(e) if !volatile || e.expire().is_some() => {
                take(e);
                return true;
            }
            Some(_) => {}
            None => return false,
        }
    }
    // Few keys with an expire: one pass from a random point finds one.
    let mut found = false;
    let mut cursor = rng.next();
    for _pass in 0..2 {
        loop {
            cursor = s.scan(cursor, 16, |e| {
                if !found && e.expire().is_some() {
                    take(e);
                    found = true;
                }
            });
            if found {
                return true;
            }
            if cursor == 0 {
                break;
            }
        }
    }
    false
}

/// Delete `key` from its locked stripe; the value is freed after the
/// lock is released. Returns the bytes the entry occupied.
fn delete(srv: &Server, mut s: moon_store::spin::SpinGuard<'_, Stripe>, db: usize, key: &[u8], now: i64) -> u64 {
    let latency_ms = srv.config.hot.latency_threshold.load(Relaxed);
    let t0 = (latency_ms > 0).then(Instant::now);
    let e = s.remove(key);
    if e.is_some() && srv.journal.on() {
        // Journaled under the stripe lock, in order with the key's writes.
        srv.journal.append_args(db, &[b"DEL", key]);
    }
    drop(s);
    let bytes = e.as_ref().map_or(0, |e| e.mem_usage() as u64);
    drop(e);
    if crate::notify::wanted(srv, crate::notify::class::EVICTED) {
        crate::notify::publish(srv, db, "evicted", key);
    }
    if let Some(t0) = t0 {
        let ms = t0.elapsed().as_millis() as u64;
        if ms as i64 >= latency_ms {
            srv.latency.lock().add("eviction-del", now / 1000, ms);
        }
    }
    // Count at least a byte so a run of empty values still ends.
    bytes.max(1)
}

#[cfg(test)]
#[path = "evict_tests.rs"]
mod tests;
