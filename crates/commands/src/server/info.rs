//! INFO [section ...]: the server's state as "field:value" lines grouped
//! in "# Section" blocks, with Redis' section names, field names and field
//! order, because exporters and tools parse them by name.
//!
//! A field is printed only when Moon can report it truthfully: fields of
//! features Moon lacks (Lua, AOF/RDB internals beyond "off", replication
//! backlog details, per-command latency percentiles, ...) are left out
//! rather than faked. Counters of features not built yet that are
//! genuinely zero (blocked clients, pub/sub channels, forks) are printed.

use super::help::bytes_to_human;
use super::memory::{total_system_memory, MemorySnapshot};
use crate::connection::REDIS_VERSION;
use crate::ctx::Ctx;
use crate::error::CmdResult;
use crate::spec::{cat, cmd, flag::*, CommandDef, Locking};
use crate::state::Server;
use moon_resp::Argv;
use moon_store::{clock, Db};
use std::fmt::Write;
use std::sync::atomic::Ordering::Relaxed;

pub static COMMANDS: &[CommandDef] =
    &[cmd("info", -1, LOADING | STALE | SENTINEL, cat::DANGEROUS, &[], info, "server").locking(Locking::None)];

type Writer = fn(&Server, &mut String, i64);

struct Section {
    /// Lowercase name as given to INFO.
    name: &'static str,
    title: &'static str,
    in_default: bool,
    write: Writer,
}

/// Every section, in output order.
static SECTIONS: &[Section] = &[
    Section { name: "server", title: "Server", in_default: true, write: server },
    Section { name: "clients", title: "Clients", in_default: true, write: clients },
    Section { name: "memory", title: "Memory", in_default: true, write: memory },
    Section { name: "persistence", title: "Persistence", in_default: true, write: persistence },
    Section { name: "stats", title: "Stats", in_default: true, write: stats },
    Section { name: "replication", title: "Replication", in_default: true, write: replication },
    Section { name: "cpu", title: "CPU", in_default: true, write: cpu },
    Section { name: "modules", title: "Modules", in_default: true, write: |_, _, _| {} },
    Section { name: "commandstats", title: "Commandstats", in_default: false, write: commandstats },
    Section { name: "errorstats", title: "Errorstats", in_default: true, write: errorstats },
    Section { name: "cluster", title: "Cluster", in_default: true, write: cluster },
    Section { name: "keyspace", title: "Keyspace", in_default: true, write: keyspace },
];

/// Which sections the arguments ask for.
struct Selection {
    default: bool,
    all: bool,
    names: Vec<String>,
}

impl Selection {
    fn parse(argv: &Argv) -> Selection {
        let mut s = Selection { default: argv.len() == 1, all: false, names: Vec::new() };
        for a in argv.iter().skip(1) {
            let a = String::from_utf8_lossy(a).to_ascii_lowercase();
            match a.as_str() {
                // Without modules, "everything" (all + module sections) is "all".
                "all" | "everything" => s.all = true,
                "default" => s.default = true,
                _ => s.names.push(a),
            }
        }
        s
    }

    fn wants(&self, sec: &Section) -> bool {
        self.all || (self.default && sec.in_default) || self.names.iter().any(|n| n == sec.name)
    }
}

fn info(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let text = render(ctx.srv, argv, ctx.now());
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

/// The INFO text for `argv` (argv[0] is "INFO").
pub fn render(srv: &Server, argv: &Argv, now_ms: i64) -> String {
    let sel = Selection::parse(argv);
    let mut s = String::with_capacity(4096);
    for sec in SECTIONS.iter().filter(|sec| sel.wants(sec)) {
        if !s.is_empty() {
            s.push_str("\r\n");
        }
        let _ = write!(s, "# {}\r\n", sec.title);
        (sec.write)(srv, &mut s, now_ms);
    }
    s
}

/// Append "name:value\r\n".
macro_rules! field {
    ($s:expr, $name:expr, $($fmt:tt)+) => {{
        let _ = write!($s, concat!($name, ":"));
        let _ = write!($s, $($fmt)+);
        $s.push_str("\r\n");
    }};
}

fn server(srv: &Server, s: &mut String, now_ms: i64) {
    let uptime = srv.started.elapsed().as_secs();
    let hz = srv.config.hot.hz.load(Relaxed);
    let port = srv.tcp_port.load(Relaxed);
    field!(s, "redis_version", "{REDIS_VERSION}");
    field!(s, "moon_version", "{}", env!("CARGO_PKG_VERSION"));
    field!(s, "redis_mode", "standalone");
    field!(s, "os", "{}", os_name());
    field!(s, "arch_bits", "{}", usize::BITS);
    // Rust's Instant is CLOCK_MONOTONIC via clock_gettime on Unix.
    field!(s, "monotonic_clock", "POSIX clock_gettime");
    field!(s, "multiplexing_api", "{}", if cfg!(target_os = "linux") { "epoll" } else { "kqueue" });
    field!(s, "process_id", "{}", std::process::id());
    // Moon has no upstart/systemd supervision mode.
    field!(s, "process_supervised", "no");
    field!(s, "run_id", "{}", srv.run_id);
    field!(s, "tcp_port", "{port}");
    field!(s, "server_time_usec", "{}", clock::now_us());
    field!(s, "uptime_in_seconds", "{uptime}");
    field!(s, "uptime_in_days", "{}", uptime / 86400);
    // Moon's background work runs at the configured rate (no dynamic hz).
    field!(s, "hz", "{hz}");
    field!(s, "configured_hz", "{hz}");
    field!(s, "lru_clock", "{}", clock::lru_clock(now_ms));
    let exe = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default();
    field!(s, "executable", "{exe}");
    let config_file = srv.config.file.read().as_ref().map(|p| absolute(p)).unwrap_or_default();
    field!(s, "config_file", "{config_file}");
    // Every I/O thread serves clients; with one thread there is no
    // threaded I/O in Redis' sense.
    field!(s, "io_threads_active", "{}", (srv.threads > 1) as u8);
    let mut n = 0;
    if port != 0 {
        let binds: Vec<String> = srv.config.get_str("bind").split_whitespace().map(|b| format!("bind={b}")).collect();
        field!(s, "listener0", "name=tcp,{},port={port}", binds.join(","));
        n += 1;
    }
    let unix = srv.config.get_str("unixsocket");
    if !unix.is_empty() {
        let _ = write!(s, "listener{n}:name=unix,bind={unix}\r\n");
    }
}

fn absolute(p: &std::path::Path) -> String {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()).display().to_string()
}

/// "Linux 6.1.0 x86_64", as uname(2) reports it.
fn os_name() -> String {
    // SAFETY: utsname is plain old data; uname fills it with NUL-terminated
    // strings on success.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return std::env::consts::OS.to_string();
        }
        let f = |c: &[libc::c_char]| std::ffi::CStr::from_ptr(c.as_ptr()).to_string_lossy().into_owned();
        format!("{} {} {}", f(&u.sysname), f(&u.release), f(&u.machine))
    }
}

fn clients(srv: &Server, s: &mut String, _now: i64) {
    let (mut max_in, mut max_out) = (0, 0);
    let all = srv.clients.all();
    for c in &all {
        max_in = max_in.max(c.qbuf.load(Relaxed));
        max_out = max_out.max(c.omem.load(Relaxed));
    }
    field!(s, "connected_clients", "{}", all.len());
    field!(s, "cluster_connections", "0");
    field!(s, "maxclients", "{}", srv.config.hot.maxclients.load(Relaxed));
    field!(s, "client_recent_max_input_buffer", "{max_in}");
    field!(s, "client_recent_max_output_buffer", "{max_out}");
    field!(s, "blocked_clients", "{}", srv.blocking.blocked_clients());
    field!(s, "tracking_clients", "{}", srv.tracking.clients());
    field!(s, "pubsub_clients", "{}", srv.pubsub.clients.load(Relaxed));
    field!(s, "watching_clients", "{}", srv.watches.watching_clients());
    field!(s, "clients_in_timeout_table", "{}", srv.blocking.clients_with_timeout());
    field!(s, "total_watched_keys", "{}", srv.watches.watched_keys());
    field!(s, "total_blocking_keys", "{}", srv.blocking.blocking_keys());
    field!(s, "total_blocking_keys_on_nokey", "{}", srv.blocking.blocking_keys_on_nokey());
}

/// The Lua fields of INFO memory. EVAL scripts and function libraries
/// share one Lua VM in Moon, so its memory is reported as the EVAL VM's
/// and as the total. A running script holds the engine: its last figures
/// are not available then, and the fields are left out.
fn scripting_memory(srv: &Server, s: &mut String) {
    let Some(engine) = srv.scripting.engine.try_lock() else { return };
    let (vm, scripts, cached) = (engine.used_memory(), engine.scripts_memory(), engine.script_count());
    drop(engine);
    let (libraries, functions) = *srv.scripting.lib_counts.lock();
    field!(s, "used_memory_lua", "{vm}");
    field!(s, "used_memory_vm_eval", "{vm}");
    field!(s, "used_memory_lua_human", "{}", bytes_to_human(vm as u64));
    field!(s, "used_memory_scripts_eval", "{scripts}");
    field!(s, "number_of_cached_scripts", "{cached}");
    field!(s, "number_of_functions", "{functions}");
    field!(s, "number_of_libraries", "{libraries}");
    field!(s, "used_memory_vm_total", "{vm}");
    field!(s, "used_memory_vm_total_human", "{}", bytes_to_human(vm as u64));
}

fn memory(srv: &Server, s: &mut String, _now: i64) {
    let snap = MemorySnapshot::take(srv);
    let m = snap.m;
    let sys = total_system_memory();
    let maxmemory: u64 = srv.config.get("maxmemory").and_then(|v| v.parse().ok()).unwrap_or(0);
    let policy = srv.config.get("maxmemory-policy").unwrap_or_else(|| "noeviction".into());
    field!(s, "used_memory", "{}", m.used);
    field!(s, "used_memory_human", "{}", bytes_to_human(m.used));
    field!(s, "used_memory_rss", "{}", m.rss);
    field!(s, "used_memory_rss_human", "{}", bytes_to_human(m.rss));
    field!(s, "used_memory_peak", "{}", snap.peak);
    field!(s, "used_memory_peak_human", "{}", bytes_to_human(snap.peak));
    field!(s, "used_memory_peak_perc", "{:.2}%", snap.peak_perc());
    field!(s, "used_memory_overhead", "{}", snap.overhead);
    field!(s, "used_memory_startup", "{}", snap.startup);
    field!(s, "used_memory_dataset", "{}", snap.dataset);
    field!(s, "used_memory_dataset_perc", "{:.2}%", snap.dataset_perc());
    if m.allocator_active > 0 {
        field!(s, "allocator_allocated", "{}", m.used);
        field!(s, "allocator_active", "{}", m.allocator_active);
    }
    if m.allocator_resident > 0 {
        field!(s, "allocator_resident", "{}", m.allocator_resident);
    }
    field!(s, "total_system_memory", "{sys}");
    field!(s, "total_system_memory_human", "{}", bytes_to_human(sys));
    scripting_memory(srv, s);
    field!(s, "maxmemory", "{maxmemory}");
    field!(s, "maxmemory_human", "{}", bytes_to_human(maxmemory));
    field!(s, "maxmemory_policy", "{policy}");
    let (used, active, resident) = (m.used, m.allocator_active, m.allocator_resident);
    if active > 0 && used > 0 {
        field!(s, "allocator_frag_ratio", "{:.2}", active as f32 / used as f32);
        field!(s, "allocator_frag_bytes", "{}", active as i64 - used as i64);
    }
    if resident > 0 && active > 0 {
        field!(s, "allocator_rss_ratio", "{:.2}", resident as f32 / active as f32);
        field!(s, "allocator_rss_bytes", "{}", resident as i64 - active as i64);
    }
    if resident > 0 {
        field!(s, "rss_overhead_ratio", "{:.2}", m.rss as f32 / resident as f32);
        field!(s, "rss_overhead_bytes", "{}", m.rss as i64 - resident as i64);
    }
    field!(s, "mem_fragmentation_ratio", "{:.2}", snap.frag_ratio());
    field!(s, "mem_fragmentation_bytes", "{}", snap.frag_bytes());
    // Replication and AOF buffers, which Redis leaves out of eviction
    // accounting, do not exist in Moon.
    field!(s, "mem_not_counted_for_evict", "0");
    field!(s, "mem_clients_normal", "{}", snap.clients_normal);
    if !m.allocator.is_empty() {
        field!(s, "mem_allocator", "{}", m.allocator);
    }
}

/// RDB and AOF state (loads are synchronous; BGSAVE and AOF rewrites run
/// on a thread, with no fork and so no copy-on-write numbers).
fn persistence(srv: &Server, s: &mut String, now: i64) {
    let rdb = &srv.rdb;
    let bg = &rdb.bg;
    let dirty = rdb.changes_since_save(srv);
    field!(s, "loading", "0");
    field!(s, "async_loading", "0");
    field!(s, "current_cow_peak", "0");
    field!(s, "current_cow_size", "0");
    field!(s, "current_cow_size_age", "0");
    field!(s, "current_fork_perc", "0.00");
    field!(s, "current_save_keys_processed", "0");
    field!(s, "current_save_keys_total", "0");
    field!(s, "rdb_changes_since_last_save", "{dirty}");
    field!(s, "rdb_bgsave_in_progress", "{}", bg.in_progress.load(Relaxed) as u8);
    // As in Redis, the "last save" of a server that never saved is its start.
    field!(s, "rdb_last_save_time", "{}", rdb.last_save_secs(srv));
    field!(s, "rdb_last_bgsave_status", "{}", if rdb.last_failed.load(Relaxed) { "err" } else { "ok" });
    field!(s, "rdb_last_bgsave_time_sec", "{}", bg.last_secs.load(Relaxed));
    let current = if bg.in_progress.load(Relaxed) { (now - bg.started_ms.load(Relaxed)) / 1000 } else { -1 };
    field!(s, "rdb_current_bgsave_time_sec", "{current}");
    field!(s, "rdb_saves", "{}", rdb.saves.load(Relaxed));
    field!(s, "rdb_last_cow_size", "0");
    field!(s, "rdb_last_load_keys_expired", "{}", rdb.last_load_keys_expired.load(Relaxed));
    field!(s, "rdb_last_load_keys_loaded", "{}", rdb.last_load_keys_loaded.load(Relaxed));
    let j = &srv.journal;
    let aof = &j.aof;
    let ok = |b: bool| if b { "ok" } else { "err" };
    let rewriting = aof.rewrite_in_progress.load(Relaxed);
    field!(s, "aof_enabled", "{}", j.on() as u8);
    field!(s, "aof_rewrite_in_progress", "{}", rewriting as u8);
    field!(s, "aof_rewrite_scheduled", "{}", aof.rewrite_scheduled.load(Relaxed) as u8);
    field!(s, "aof_last_rewrite_time_sec", "{}", aof.last_rewrite_secs.load(Relaxed));
    let current = if rewriting { (now - aof.rewrite_started_ms.load(Relaxed)) / 1000 } else { -1 };
    field!(s, "aof_current_rewrite_time_sec", "{current}");
    field!(s, "aof_last_bgrewrite_status", "{}", ok(aof.last_rewrite_ok.load(Relaxed)));
    field!(s, "aof_rewrites", "{}", aof.rewrites.load(Relaxed));
    field!(s, "aof_rewrites_consecutive_failures", "{}", aof.consecutive_failures.load(Relaxed));
    field!(s, "aof_last_write_status", "{}", ok(!j.write_failed.load(Relaxed)));
    field!(s, "aof_last_cow_size", "0");
    field!(s, "module_fork_in_progress", "0");
    field!(s, "module_fork_last_cow_size", "0");
    if j.on() {
        field!(s, "aof_current_size", "{}", crate::journal::aof::current_size(srv));
        field!(s, "aof_base_size", "{}", aof.rewrite_base_size.load(Relaxed));
        field!(s, "aof_pending_rewrite", "{}", aof.rewrite_scheduled.load(Relaxed) as u8);
        field!(s, "aof_buffer_length", "{}", j.buffered());
        field!(s, "aof_pending_bio_fsync", "0");
        field!(s, "aof_delayed_fsync", "0");
    }
}

fn stats(srv: &Server, s: &mut String, _now: i64) {
    let st = &srv.stats;
    let ld = |a: &std::sync::atomic::AtomicU64| a.load(Relaxed);
    let sum = |c: &crate::stats::ShardedCounter| c.load(Relaxed);
    let (ops, net_in, net_out) = st.instantaneous();
    field!(s, "total_connections_received", "{}", ld(&st.connections_received));
    field!(s, "total_commands_processed", "{}", sum(&st.commands_processed));
    field!(s, "instantaneous_ops_per_sec", "{}", ops as i64);
    field!(s, "total_net_input_bytes", "{}", sum(&st.net_input_bytes));
    field!(s, "total_net_output_bytes", "{}", sum(&st.net_output_bytes));
    field!(s, "instantaneous_input_kbps", "{:.2}", (net_in / 1024.0) as f32);
    field!(s, "instantaneous_output_kbps", "{:.2}", (net_out / 1024.0) as f32);
    field!(s, "rejected_connections", "{}", ld(&st.rejected_connections));
    field!(s, "expired_keys", "{}", ld(&st.expired_keys));
    // expired_stale_perc is kept in hundredths of a percent.
    field!(s, "expired_stale_perc", "{:.2}", st.expired_stale_perc.load(Relaxed) as f64 / 100.0);
    field!(s, "expire_cycle_cpu_milliseconds", "{}", ld(&st.expire_cycle_cpu_us) / 1000);
    let (exceeded_total, exceeded_now) = srv.evict.exceeded_ms();
    field!(s, "evicted_keys", "{}", srv.evict.evicted_keys());
    // Moon has no client or script eviction yet: nothing is ever evicted.
    field!(s, "evicted_clients", "0");
    field!(s, "evicted_scripts", "0");
    field!(s, "total_eviction_exceeded_time", "{exceeded_total}");
    field!(s, "current_eviction_exceeded_time", "{exceeded_now}");
    field!(s, "keyspace_hits", "{}", sum(&st.keyspace_hits));
    field!(s, "keyspace_misses", "{}", sum(&st.keyspace_misses));
    field!(s, "pubsub_channels", "{}", srv.pubsub.channels.active());
    field!(s, "pubsub_patterns", "{}", srv.pubsub.numpat());
    field!(s, "pubsubshard_channels", "{}", srv.pubsub.shard_channels.active());
    // Moon never forks (snapshots are taken in-process).
    field!(s, "latest_fork_usec", "0");
    field!(s, "total_forks", "0");
    field!(s, "tracking_total_keys", "{}", srv.tracking.total_keys());
    field!(s, "tracking_total_items", "{}", srv.tracking.total_items());
    field!(s, "tracking_total_prefixes", "{}", srv.tracking.total_prefixes());
    field!(s, "unexpected_error_replies", "{}", ld(&st.unexpected_error_replies));
    field!(s, "total_error_replies", "{}", ld(&st.error_replies));
}

fn replication(srv: &Server, s: &mut String, _now: i64) {
    field!(s, "role", "master");
    field!(s, "connected_slaves", "0");
    field!(s, "master_failover_state", "no-failover");
    field!(s, "master_replid", "{}", srv.replid.lock());
    field!(s, "master_replid2", "0000000000000000000000000000000000000000");
    field!(s, "master_repl_offset", "0");
    field!(s, "second_repl_offset", "-1");
    field!(s, "repl_backlog_active", "0");
    field!(s, "repl_backlog_first_byte_offset", "0");
    field!(s, "repl_backlog_histlen", "0");
}

fn cpu(_srv: &Server, s: &mut String, _now: i64) {
    let (su, uu) = rusage(libc::RUSAGE_SELF);
    let (sc, uc) = rusage(libc::RUSAGE_CHILDREN);
    field!(s, "used_cpu_sys", "{su}");
    field!(s, "used_cpu_user", "{uu}");
    field!(s, "used_cpu_sys_children", "{sc}");
    field!(s, "used_cpu_user_children", "{uc}");
}

/// (system, user) CPU time as "seconds.micros".
fn rusage(who: libc::c_int) -> (String, String) {
    // SAFETY: rusage is plain old data that getrusage fills.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        if libc::getrusage(who, &mut ru) != 0 {
            return ("0.000000".into(), "0.000000".into());
        }
        ru
    };
    let f = |t: libc::timeval| format!("{}.{:06}", t.tv_sec, t.tv_usec);
    (f(ru.ru_stime), f(ru.ru_utime))
}

fn commandstats(srv: &Server, s: &mut String, _now: i64) {
    for e in &srv.table.entries {
        let st = &e.stats;
        let (calls, usec, rejected, failed) =
            (st.calls.load(Relaxed), st.usec.load(Relaxed), st.rejected.load(Relaxed), st.failed.load(Relaxed));
        if calls == 0 && rejected == 0 && failed == 0 {
            continue;
        }
        let per_call = if calls > 0 { usec as f32 / calls as f32 } else { 0.0 };
        let _ = write!(
            s,
            "cmdstat_{}:calls={calls},usec={usec},usec_per_call={per_call:.2},rejected_calls={rejected},failed_calls={failed}\r\n",
            e.full_name
        );
    }
}

fn errorstats(srv: &Server, s: &mut String, _now: i64) {
    for (code, n) in srv.stats.errors.lock().iter() {
        let _ = write!(s, "errorstat_{code}:count={n}\r\n");
    }
}

fn cluster(_srv: &Server, s: &mut String, _now: i64) {
    field!(s, "cluster_enabled", "0");
}

fn keyspace(srv: &Server, s: &mut String, now_ms: i64) {
    for (i, db) in srv.ks.dbs.iter().enumerate() {
        let k = db_summary(db, now_ms);
        if k.keys > 0 {
            // subexpiry counts hashes with field TTLs.
            let _ = write!(s, "db{i}:keys={},expires={},avg_ttl={},subexpiry={}\r\n", k.keys, k.expires, k.avg_ttl, k.subexpiry);
        }
    }
}

/// Volatile keys examined per stripe for the average-TTL estimate (Redis
/// estimates it from the keys its expiry cycle samples, too).
const TTL_SAMPLES_PER_STRIPE: usize = 16;
/// Entries looked at per stripe while searching for volatile ones.
const TTL_SCAN_LIMIT: usize = 64;

struct DbSummary {
    keys: usize,
    expires: usize,
    /// Estimated average remaining TTL of volatile keys, in ms.
    avg_ttl: i64,
    subexpiry: usize,
}

fn db_summary(db: &Db, now_ms: i64) -> DbSummary {
    let mut d = DbSummary { keys: 0, expires: 0, avg_ttl: 0, subexpiry: 0 };
    let (mut ttl_sum, mut ttl_n) = (0i128, 0i128);
    db.for_each_stripe(|_, st| {
        d.keys += st.len();
        d.expires += st.volatile();
        d.subexpiry += st.field_ttl_keys();
        if st.volatile() == 0 {
            return;
        }
        let mut found = 0;
        for e in st.iter().take(TTL_SCAN_LIMIT) {
            if let Some(t) = e.expire() {
                if t > now_ms {
                    ttl_sum += (t - now_ms) as i128;
                    ttl_n += 1;
                }
                found += 1;
                if found == TTL_SAMPLES_PER_STRIPE {
                    break;
                }
            }
        }
    });
    if ttl_n > 0 {
        d.avg_ttl = (ttl_sum / ttl_n) as i64;
    }
    d
}

#[cfg(test)]
mod tests {
    use crate::testing::TestClient;
    use moon_resp::Protocol;
    use moon_store::Entry;

    fn put(c: &TestClient, db: usize, key: &str, expire: Option<i64>) {
        let d = &c.srv.ks.dbs[db];
        d.lock(d.stripe_of(key.as_bytes())).insert(Entry::new_str(key.as_bytes(), b"v", expire));
    }

    /// Section titles in order.
    fn titles(text: &str) -> Vec<String> {
        text.split("\r\n").filter(|l| l.starts_with("# ")).map(|l| l[2..].to_string()).collect()
    }

    /// The payload of a RESP2 bulk reply.
    fn body(r: &str) -> &str {
        let nl = r.find("\r\n").unwrap();
        let len: usize = r[1..nl].parse().unwrap();
        &r[nl + 2..nl + 2 + len]
    }

    fn field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
        text.split("\r\n").find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
    }

    #[test]
    fn section_selection() {
        let mut c = TestClient::new();
        let default =
            ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules", "Errorstats", "Cluster", "Keyspace"];
        assert_eq!(titles(body(&c.run(&["INFO"]))), default);
        assert_eq!(titles(body(&c.run(&["INFO", "default"]))), default);
        let mut all = default.to_vec();
        all.insert(8, "Commandstats");
        assert_eq!(titles(body(&c.run(&["INFO", "all"]))), all);
        assert_eq!(titles(body(&c.run(&["INFO", "EVERYTHING"]))), all);
        assert_eq!(titles(body(&c.run(&["INFO", "default", "commandstats"]))), all);
        // Output order is fixed, duplicates collapse, names are case-insensitive.
        assert_eq!(titles(body(&c.run(&["INFO", "KeySpace", "cluster", "cluster"]))), ["Cluster", "Keyspace"]);
        assert_eq!(c.run(&["INFO", "nosuch"]), "$0\r\n\r\n");
        assert_eq!(c.run(&["INFO", "cluster", "keyspace"]), "$44\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n# Keyspace\r\n\r\n");
        c.out.proto = Protocol::Resp3;
        assert_eq!(c.run(&["INFO", "nosuch"]), "=4\r\ntxt:\r\n");
        assert_eq!(c.run(&["INFO", "cluster"]), "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n");
    }

    #[test]
    fn server_and_memory_fields() {
        let mut c = TestClient::new();
        let r = c.run(&["INFO", "server", "memory", "replication"]);
        let t = body(&r);
        assert_eq!(field(t, "redis_version"), Some(crate::connection::REDIS_VERSION));
        assert_eq!(field(t, "moon_version"), Some(env!("CARGO_PKG_VERSION")));
        assert_eq!(field(t, "redis_mode"), Some("standalone"));
        assert_eq!(field(t, "run_id"), Some(c.srv.run_id.as_str()));
        assert_eq!(field(t, "tcp_port"), Some("6379"));
        assert_eq!(field(t, "process_id").unwrap(), std::process::id().to_string());
        assert_eq!(field(t, "listener0"), Some("name=tcp,bind=127.0.0.1,bind=-::1,port=6379"));
        assert!(field(t, "os").unwrap().len() > 2);
        let used: u64 = field(t, "used_memory").unwrap().parse().unwrap();
        let peak: u64 = field(t, "used_memory_peak").unwrap().parse().unwrap();
        assert!(used > 0 && peak >= used);
        assert_eq!(c.srv.peak_memory.load(std::sync::atomic::Ordering::Relaxed), peak);
        assert_eq!(field(t, "maxmemory_policy"), Some("noeviction"));
        assert!(field(t, "mem_fragmentation_ratio").is_some());
        assert!(field(t, "allocator_active").is_none(), "no allocator numbers with the default probe");
        assert_eq!(field(t, "role"), Some("master"));
        assert_eq!(field(t, "master_replid").unwrap().len(), 40);
    }

    #[test]
    fn stats_errorstats_commandstats() {
        let mut c = TestClient::new();
        c.run(&["PING"]);
        c.run(&["PING"]);
        c.run(&["nosuch"]);
        c.run(&["SELECT", "99"]);
        c.run(&["ECHO"]);
        let r = c.run(&["INFO", "commandstats", "errorstats", "stats"]);
        let t = body(&r);
        assert!(t.contains("\r\ncmdstat_ping:calls=2,usec="), "{t}");
        assert!(t.contains("rejected_calls=0,failed_calls=0\r\n"));
        assert!(t.contains(",rejected_calls=0,failed_calls=1\r\n"), "select failed: {t}");
        assert!(t.contains("cmdstat_echo:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0\r\n"), "{t}");
        assert_eq!(field(t, "errorstat_ERR"), Some("count=3"));
        assert_eq!(field(t, "total_error_replies"), Some("3"));
        assert_eq!(field(t, "total_commands_processed"), Some("3"));
        // Subcommands are reported as parent|sub.
        c.run(&["SLOWLOG", "LEN"]);
        assert!(c.run(&["INFO", "commandstats"]).contains("cmdstat_slowlog|len:calls=1,"));
    }

    #[test]
    fn keyspace_and_persistence() {
        let mut c = TestClient::new();
        let now = moon_store::clock::now_ms();
        put(&c, 0, "a", None);
        put(&c, 0, "b", Some(now + 100_000));
        put(&c, 3, "c", None);
        let r = c.run(&["INFO", "keyspace"]);
        let t = body(&r);
        let db0 = field(t, "db0").unwrap();
        assert!(db0.starts_with("keys=2,expires=1,avg_ttl="), "{db0}");
        let ttl: i64 = db0.split("avg_ttl=").nth(1).unwrap().split(',').next().unwrap().parse().unwrap();
        assert!(ttl > 90_000 && ttl <= 100_000, "{ttl}");
        assert!(db0.ends_with(",subexpiry=0"));
        assert_eq!(field(t, "db3"), Some("keys=1,expires=0,avg_ttl=0,subexpiry=0"));
        assert_eq!(field(t, "db1"), None);
        c.srv.stats.dirty.store(7, std::sync::atomic::Ordering::Relaxed);
        let r = c.run(&["INFO", "persistence"]);
        assert_eq!(field(body(&r), "rdb_changes_since_last_save"), Some("7"));
        assert_eq!(field(body(&r), "aof_enabled"), Some("0"));
    }

    #[test]
    fn cpu_and_clients() {
        let mut c = TestClient::new();
        let _other = TestClient::connect(c.srv.clone());
        let r = c.run(&["INFO", "cpu", "clients"]);
        let t = body(&r);
        assert_eq!(field(t, "connected_clients"), Some("2"));
        assert_eq!(field(t, "maxclients"), Some("10000"));
        assert_eq!(field(t, "blocked_clients"), Some("0"));
        let user = field(t, "used_cpu_user").unwrap();
        assert!(user.split_once('.').is_some_and(|(_, f)| f.len() == 6), "{user}");
    }
}
