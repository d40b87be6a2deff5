//! The state every command can reach: keyspace, config, stats, clients.

use crate::client::Clients;
use crate::config::Config;
use crate::stats::Stats;
use crate::table::Table;
use crate::world::WorldLock;
use moon_store::Keyspace;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

pub struct Server {
    pub ks: Keyspace,
    pub config: Config,
    pub stats: Stats,
    pub clients: Clients,
    pub world: WorldLock,
    pub table: Table,
    pub started: Instant,
    pub start_unix_ms: i64,
    pub run_id: String,
    pub threads: usize,
    pub tcp_port: AtomicI64,
    pub slowlog: Mutex<SlowLog>,
    pub latency: Mutex<crate::latency::LatencyMonitor>,
    pub pause: Mutex<Pause>,
    /// End of the current CLIENT PAUSE in unix ms (0: none), for a cheap check.
    pub pause_until: AtomicI64,
    pub shutdown_requested: AtomicBool,
    pub active_expire_enabled: AtomicBool,
    /// Highest RSS seen, for INFO's used_memory_peak.
    pub peak_memory: AtomicU64,
}

#[derive(Default)]
pub struct SlowLog {
    pub next_id: u64,
    pub entries: VecDeque<SlowLogEntry>,
}

pub struct SlowLogEntry {
    pub id: u64,
    pub time: i64,
    pub duration_us: u64,
    pub args: Vec<Vec<u8>>,
    pub addr: String,
    pub name: Vec<u8>,
}

#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
pub enum PauseMode {
    #[default]
    None,
    Write,
    All,
}

#[derive(Default)]
pub struct Pause {
    pub mode: PauseMode,
    pub until_ms: i64,
}

impl Server {
    pub fn new(config: Config, threads: usize) -> Server {
        let databases = config.get_i64("databases") as usize;
        let stripes = config.get_i64("keyspace-stripes") as usize;
        let run_id: String = (0..40).map(|_| char::from_digit(rand::random::<u32>() % 16, 16).unwrap()).collect();
        Server {
            ks: Keyspace::new(databases, stripes),
            stats: Stats::default(),
            clients: Clients::default(),
            world: WorldLock::new(threads),
            table: Table::build(),
            started: Instant::now(),
            start_unix_ms: moon_store::clock::now_ms(),
            run_id,
            threads,
            tcp_port: AtomicI64::new(config.get_i64("port")),
            slowlog: Mutex::new(SlowLog::default()),
            latency: Mutex::new(Default::default()),
            pause: Mutex::new(Pause::default()),
            pause_until: AtomicI64::new(0),
            shutdown_requested: AtomicBool::new(false),
            active_expire_enabled: AtomicBool::new(true),
            peak_memory: AtomicU64::new(0),
            config,
        }
    }

    pub fn databases(&self) -> usize {
        self.ks.dbs.len()
    }

    /// The pause that applies to a command, if any: returns its end (ms).
    pub fn paused_for(&self, is_write: bool, now: i64) -> Option<i64> {
        let until = self.pause_until.load(Ordering::Acquire);
        if until == 0 || now >= until {
            return None;
        }
        let p = self.pause.lock();
        match p.mode {
            PauseMode::All => Some(p.until_ms),
            PauseMode::Write if is_write => Some(p.until_ms),
            _ => None,
        }
    }
}
