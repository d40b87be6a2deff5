//! Server-wide counters behind INFO stats / commandstats / errorstats.

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

#[derive(Default)]
pub struct Stats {
    pub connections_received: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub commands_processed: AtomicU64,
    pub net_input_bytes: AtomicU64,
    pub net_output_bytes: AtomicU64,
    pub expired_keys: AtomicU64,
    pub keyspace_hits: AtomicU64,
    pub keyspace_misses: AtomicU64,
    pub error_replies: AtomicU64,
    pub unexpected_error_replies: AtomicU64,
    /// Writes since the last save (rdb_changes_since_last_save).
    pub dirty: AtomicU64,
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
