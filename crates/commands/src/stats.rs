//! Server-wide counters behind INFO stats / commandstats / errorstats.

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};

/// How many shards new counters get: shard 0 for atomic adds from any
/// thread, then one per I/O thread.
static SHARDS: AtomicUsize = AtomicUsize::new(2);

/// Make counters created from now on have room for `io_threads`.
pub fn ensure_shards(io_threads: usize) {
    SHARDS.fetch_max(io_threads + 1, Ordering::Relaxed);
}

#[repr(align(64))]
#[derive(Default)]
struct Shard(AtomicU64);

/// A counter bumped on every command. Each I/O thread owns a cache line
/// and adds with a plain load + store (no `lock`-prefixed instruction, no
/// line shared between threads); reads sum the shards. Shard 0 takes
/// `fetch_add` from anywhere. The method names mirror AtomicU64 so cold
/// call sites read the same.
pub struct ShardedCounter {
    shards: Box<[Shard]>,
}

impl Default for ShardedCounter {
    fn default() -> Self {
        ShardedCounter { shards: (0..SHARDS.load(Ordering::Relaxed)).map(|_| Shard::default()).collect() }
    }
}

impl ShardedCounter {
    /// Add from I/O thread `thread`, the only writer of its shard.
    #[inline]
    pub fn add_local(&self, thread: usize, n: u64) {
        // A bounds check, not `%`: a 64-bit division costs ~40 cycles and
        // this runs several times per command.
        let i = thread + 1;
        let s = &self.shards[if i < self.shards.len() { i } else { 0 }].0;
        s.store(s.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
    }
    pub fn fetch_add(&self, n: u64, o: Ordering) -> u64 {
        self.shards[0].0.fetch_add(n, o)
    }
    pub fn load(&self, _o: Ordering) -> u64 {
        self.shards.iter().fold(0u64, |a, s| a.wrapping_add(s.0.load(Ordering::Relaxed)))
    }
    /// Set the total (resets, tests): shard 0 holds it, the others restart.
    pub fn store(&self, v: u64, _o: Ordering) {
        for s in self.shards.iter().skip(1) {
            s.0.store(0, Ordering::Relaxed);
        }
        self.shards[0].0.store(v, Ordering::Relaxed);
    }
}

#[derive(Default)]
pub struct Stats {
    pub connections_received: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub commands_processed: ShardedCounter,
    pub net_input_bytes: ShardedCounter,
    pub net_output_bytes: ShardedCounter,
    pub expired_keys: AtomicU64,
    pub keyspace_hits: ShardedCounter,
    pub keyspace_misses: ShardedCounter,
    pub error_replies: AtomicU64,
    pub unexpected_error_replies: AtomicU64,
    /// Writes since the last save (rdb_changes_since_last_save).
    pub dirty: ShardedCounter,
    pub errors: Mutex<BTreeMap<String, u64>>,
    /// Ring of (time ms, ops, net in, net out) samples for instantaneous_*.
    pub samples: Mutex<Samples>,
    pub expire_cycle_cpu_us: AtomicU64,
    pub expired_stale_perc: AtomicI64,
}

pub const SAMPLES: usize = 16;

#[derive(Default)]
pub struct Samples {
    pub last: Option<(i64, u64, u64, u64)>,
    pub ops: [f64; SAMPLES],
    pub net_in: [f64; SAMPLES],
    pub net_out: [f64; SAMPLES],
    pub idx: usize,
}

impl Stats {
    pub fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    pub fn record_error(&self, code: &str) {
        Self::add(&self.error_replies, 1);
        let mut e = self.errors.lock();
        // Redis caps distinct error codes at 128 to bound memory.
        if e.len() >= 128 && !e.contains_key(code) {
            return;
        }
        *e.entry(code.to_string()).or_default() += 1;
    }

    /// Take a sample (called ~every 100 ms) for the instantaneous metrics.
    pub fn sample(&self, now_ms: i64) {
        let ops = self.commands_processed.load(Ordering::Relaxed);
        let nin = self.net_input_bytes.load(Ordering::Relaxed);
        let nout = self.net_output_bytes.load(Ordering::Relaxed);
        let mut s = self.samples.lock();
        if let Some((t, o, i, w)) = s.last {
            let dt = (now_ms - t).max(1) as f64 / 1000.0;
            let k = s.idx;
            s.ops[k] = (ops - o) as f64 / dt;
            s.net_in[k] = (nin - i) as f64 / dt;
            s.net_out[k] = (nout - w) as f64 / dt;
            s.idx = (k + 1) % SAMPLES;
        }
        s.last = Some((now_ms, ops, nin, nout));
    }

    pub fn instantaneous(&self) -> (f64, f64, f64) {
        let s = self.samples.lock();
        let avg = |a: &[f64; SAMPLES]| a.iter().sum::<f64>() / SAMPLES as f64;
        (avg(&s.ops), avg(&s.net_in), avg(&s.net_out))
    }
}
