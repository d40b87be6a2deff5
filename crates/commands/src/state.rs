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
    /// Users and permissions (ACL).
    pub acl: crate::acl::Acl,
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
    /// Highest `used` memory seen, for INFO's used_memory_peak (updated
    /// whenever [`Server::memory`] reads the probe).
    pub peak_memory: AtomicU64,
    /// Where memory numbers come from. The default reads the process RSS;
    /// the binary installs its allocator's numbers with
    /// [`Server::set_memory_probe`].
    pub memory_probe: fn() -> MemoryInfo,
    /// `used` right after start-up (INFO used_memory_startup, MEMORY STATS).
    pub startup_memory: u64,
    /// The replication id INFO reports as master_replid (DEBUG
    /// CHANGE-REPL-ID replaces it).
    pub replid: Mutex<String>,
    /// A cheap reading of `used` alone, for the maxmemory check before
    /// every command (None: `memory_probe` is called instead).
    pub used_probe: Option<fn() -> u64>,
    /// maxmemory eviction state and counters.
    pub evict: crate::evict::Evictor,
    /// Clients blocked on keys.
    pub blocking: crate::blocking::Registry,
    /// Keys WATCHed by clients.
    pub watches: crate::multi::WatchRegistry,
    pub pubsub: crate::pubsub::PubSub,
    pub tracking: crate::tracking::Tracking,
    /// Last save / load bookkeeping (LASTSAVE, INFO persistence).
    pub rdb: crate::persistence::RdbState,
    /// The `Arc` this server lives in, for background threads (BGSAVE);
    /// set by whoever shares it ([`Server::share`]).
    pub this: std::sync::OnceLock<std::sync::Weak<Server>>,
    /// The Lua engine and the running script's state.
    pub scripting: crate::scripting::Scripting,
    /// The ordered stream of changes and the AOF it feeds.
    pub journal: crate::journal::Journal,
}

/// A reading of the process' memory. Zero in an allocator field means the
/// allocator does not report it (INFO then omits the fields built on it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryInfo {
    /// Bytes in use by the program (INFO used_memory).
    pub used: u64,
    /// Resident set size of the process.
    pub rss: u64,
    /// Bytes in pages the allocator has committed to (jemalloc's "active").
    pub allocator_active: u64,
    /// Bytes of the allocator's memory resident in RAM.
    pub allocator_resident: u64,
    /// Allocator name for INFO mem_allocator ("" when unknown).
    pub allocator: &'static str,
}

/// The default probe: RSS from /proc/self/statm, also reported as `used`
/// (without allocator statistics that is the best truthful number).
pub fn rss_memory_probe() -> MemoryInfo {
    let rss = read_rss().unwrap_or(0);
    MemoryInfo { used: rss, rss, ..Default::default() }
}

fn read_rss() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * if page > 0 { page as u64 } else { 4096 })
}

/// 40 random hex digits (run ids, replication ids).
pub fn random_hex_id() -> String {
    (0..40).map(|_| char::from_digit(rand::random::<u32>() % 16, 16).unwrap_or('0')).collect()
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
        crate::stats::ensure_shards(threads);
        moon_store::ticks::init();
        let databases = config.get_i64("databases") as usize;
        let stripes = config.get_i64("keyspace-stripes") as usize;
        let run_id = random_hex_id();
        let startup_memory = rss_memory_probe().used;
        let table = Table::build();
        let acl = crate::acl::Acl::new(&table);
        let requirepass = config.get_str("requirepass");
        if !requirepass.is_empty() {
            acl.set_default_password(&table, &requirepass);
        }
        Server {
            ks: Keyspace::new(databases, stripes),
            stats: Stats::default(),
            clients: Clients::default(),
            world: WorldLock::new(threads),
            table,
            acl,
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
            peak_memory: AtomicU64::new(startup_memory),
            memory_probe: rss_memory_probe,
            startup_memory,
            replid: Mutex::new(random_hex_id()),
            used_probe: None,
            evict: Default::default(),
            blocking: Default::default(),
            watches: Default::default(),
            pubsub: Default::default(),
            tracking: Default::default(),
            rdb: Default::default(),
            this: Default::default(),
            scripting: Default::default(),
            journal: Default::default(),
            config,
        }
    }

    /// Put the server in an `Arc` that background work can hold on to.
    pub fn share(self) -> std::sync::Arc<Server> {
        let srv = std::sync::Arc::new(self);
        let _ = srv.this.set(std::sync::Arc::downgrade(&srv));
        srv
    }

    /// Install the allocator's memory probe (before serving clients) and
    /// re-measure the start-up baseline with it.
    pub fn set_memory_probe(&mut self, probe: fn() -> MemoryInfo) {
        self.memory_probe = probe;
        self.startup_memory = probe().used;
        self.peak_memory.store(self.startup_memory, Ordering::Relaxed);
    }

    /// Install a cheap probe of used memory alone (the maxmemory check
    /// reads it before every command while a limit is set).
    pub fn set_used_probe(&mut self, probe: fn() -> u64) {
        self.used_probe = Some(probe);
    }

    /// Bytes in use as the maxmemory limit counts them.
    #[inline]
    pub fn used_memory(&self) -> u64 {
        match self.used_probe {
            Some(f) => f(),
            None => (self.memory_probe)().used,
        }
    }

    /// Read the memory probe, keeping the peak up to date.
    pub fn memory(&self) -> MemoryInfo {
        let m = (self.memory_probe)();
        self.peak_memory.fetch_max(m.used, Ordering::Relaxed);
        m
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
