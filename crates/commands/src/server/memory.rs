//! MEMORY USAGE / STATS / DOCTOR / HELP, and the memory accounting INFO's
//! memory section shares with them.
//!
//! Moon's overhead model: what was allocated at start-up plus client
//! buffers is "overhead"; everything else (keys, values, the hash table
//! slots that hold them) is "dataset". MALLOC-STATS and PURGE are not
//! offered: they need the allocator, which only the binary knows.

use super::help::reply_help;
use crate::ctx::Ctx;
use crate::error::{CmdResult, SYNTAX};
use crate::spec::{cmd, flag::*, kf, CommandDef, KeySpec, Locking};
use crate::state::{MemoryInfo, Server};
use crate::util::{eq_ic, int_arg};
use moon_resp::{Argv, Out};
use std::sync::atomic::Ordering::Relaxed;

static SUBS: &[CommandDef] = &[
    cmd("doctor", 2, 0, 0, &[], doctor, "server").locking(Locking::None),
    cmd("help", 2, LOADING | STALE, 0, &[], help, "server").locking(Locking::None),
    cmd("stats", 2, 0, 0, &[], stats, "server").locking(Locking::None),
    cmd("usage", -3, READONLY, 0, &[KeySpec::single(2, kf::RO)], usage, "server"),
];

pub static COMMANDS: &[CommandDef] = &[cmd("memory", -2, 0, 0, &[], help, "server").locking(Locking::None).subs(SUBS)];

/// Bytes a key costs in its stripe's hash table beyond its own
/// allocation: one 8-byte entry pointer plus hashbrown's control byte.
pub const SLOT_OVERHEAD: usize = std::mem::size_of::<moon_store::Entry>() + 1;

/// One consistent reading of the memory numbers INFO and MEMORY report.
pub struct MemorySnapshot {
    pub m: MemoryInfo,
    pub peak: u64,
    pub startup: u64,
    /// Query and output buffers of normal clients.
    pub clients_normal: u64,
    pub max_input_buffer: u64,
    pub max_output_buffer: u64,
    pub overhead: u64,
    pub dataset: u64,
    /// Memory used beyond the start-up baseline (at least 1, a divisor).
    pub net_usage: u64,
}

impl MemorySnapshot {
    pub fn take(srv: &Server) -> MemorySnapshot {
        let m = srv.memory();
        let peak = srv.peak_memory.load(Relaxed).max(m.used);
        let (mut clients_normal, mut max_in, mut max_out) = (0, 0, 0);
        for c in srv.clients.all() {
            let (q, o) = (c.qbuf.load(Relaxed), c.omem.load(Relaxed));
            clients_normal += q + o;
            max_in = max_in.max(q);
            max_out = max_out.max(o);
        }
        let startup = srv.startup_memory;
        let overhead = startup + clients_normal;
        MemorySnapshot {
            m,
            peak,
            startup,
            clients_normal,
            max_input_buffer: max_in,
            max_output_buffer: max_out,
            overhead,
            dataset: m.used.saturating_sub(overhead),
            net_usage: m.used.saturating_sub(startup).max(1),
        }
    }

    pub fn dataset_perc(&self) -> f32 {
        self.dataset as f32 * 100.0 / self.net_usage as f32
    }

    pub fn peak_perc(&self) -> f32 {
        if self.peak == 0 {
            0.0
        } else {
            self.m.used as f32 * 100.0 / self.peak as f32
        }
    }

    /// RSS over used memory (Redis' mem_fragmentation_ratio).
    pub fn frag_ratio(&self) -> f32 {
        if self.m.used == 0 {
            0.0
        } else {
            self.m.rss as f32 / self.m.used as f32
        }
    }

    pub fn frag_bytes(&self) -> i64 {
        self.m.rss as i64 - self.m.used as i64
    }
}

/// Total physical memory of the machine (0 if unknown).
pub fn total_system_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let (pages, size) = unsafe { (libc::sysconf(libc::_SC_PHYS_PAGES), libc::sysconf(libc::_SC_PAGESIZE)) };
    if pages > 0 && size > 0 {
        pages as u64 * size as u64
    } else {
        0
    }
}

/// Key count over every database (each stripe locked in turn).
pub fn total_keys(srv: &Server) -> u64 {
    srv.ks.dbs.iter().filter(|d| d.allocated()).map(|d| d.sizes().0 as u64).sum()
}

fn help(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    reply_help(
        ctx.out,
        "MEMORY",
        &[
            "DOCTOR",
            "    Describe memory problems found, in plain text.",
            "STATS",
            "    Show the server's memory accounting as a map.",
            "USAGE <key> [SAMPLES <count>]",
            "    Show the bytes <key> and its value take. SAMPLES is accepted for",
            "    compatibility; Moon measures values exactly.",
        ],
    );
    Ok(())
}

fn usage(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let mut j = 3;
    while j < argv.len() {
        if eq_ic(argv.get(j), "SAMPLES") && j + 1 < argv.len() {
            if int_arg(argv.get(j + 1))? < 0 {
                return Err(SYNTAX);
            }
            j += 2;
        } else {
            return Err(SYNTAX);
        }
    }
    let key = argv.get(2);
    // Like Redis (dbFind), an expired key not yet reclaimed still counts.
    match ctx.ks.stripe(key).peek(key) {
        Some(e) => {
            let bytes = e.mem_usage() + SLOT_OVERHEAD;
            ctx.out.int(bytes as i64);
        }
        None => ctx.out.null(),
    }
    Ok(())
}

/// Writes map pairs and counts them for the deferred header.
struct Pairs<'o> {
    out: &'o mut Out,
    n: usize,
}

impl Pairs<'_> {
    fn int(&mut self, k: &str, v: i64) {
        self.out.bulk(k.as_bytes());
        self.out.int(v);
        self.n += 1;
    }
    /// Redis computes these as C floats; keep that precision so the
    /// printed digits look alike.
    fn float(&mut self, k: &str, v: f32) {
        self.out.bulk(k.as_bytes());
        self.out.double(v as f64);
        self.n += 1;
    }
}

fn stats(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    let s = MemorySnapshot::take(ctx.srv);
    let keys = total_keys(ctx.srv);
    let m = s.m;
    let d = ctx.out.defer();
    let mut p = Pairs { out: &mut *ctx.out, n: 0 };
    p.int("peak.allocated", s.peak as i64);
    p.int("total.allocated", m.used as i64);
    p.int("startup.allocated", s.startup as i64);
    p.int("clients.normal", s.clients_normal as i64);
    p.int("overhead.total", s.overhead as i64);
    p.int("keys.count", keys as i64);
    p.int("keys.bytes-per-key", s.net_usage.checked_div(keys).unwrap_or(0) as i64);
    p.int("dataset.bytes", s.dataset as i64);
    p.float("dataset.percentage", s.dataset_perc());
    p.float("peak.percentage", s.peak_perc());
    let (used, active, resident) = (m.used, m.allocator_active, m.allocator_resident);
    if active > 0 {
        p.int("allocator.allocated", used as i64);
        p.int("allocator.active", active as i64);
    }
    if resident > 0 {
        p.int("allocator.resident", resident as i64);
    }
    if active > 0 && used > 0 {
        p.float("allocator-fragmentation.ratio", active as f32 / used as f32);
        p.int("allocator-fragmentation.bytes", active as i64 - used as i64);
    }
    if resident > 0 && active > 0 {
        p.float("allocator-rss.ratio", resident as f32 / active as f32);
        p.int("allocator-rss.bytes", resident as i64 - active as i64);
    }
    if resident > 0 {
        p.float("rss-overhead.ratio", m.rss as f32 / resident as f32);
        p.int("rss-overhead.bytes", m.rss as i64 - resident as i64);
    }
    p.float("fragmentation", s.frag_ratio());
    p.int("fragmentation.bytes", s.frag_bytes());
    let n = p.n;
    ctx.out.end_map(d, n);
    Ok(())
}

/// Memory below which a diagnosis says nothing useful.
const DOCTOR_MIN_USED: u64 = 5 << 20;

fn doctor(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    let s = MemorySnapshot::take(ctx.srv);
    let report = doctor_report(&s, ctx.srv.clients.count() as u64);
    ctx.out.verbatim("txt", report.as_bytes());
    Ok(())
}

fn doctor_report(s: &MemorySnapshot, clients: u64) -> String {
    use super::help::bytes_to_human as h;
    let m = s.m;
    if m.used < DOCTOR_MIN_USED {
        return format!(
            "Memory doctor: this instance uses only {} so far, too little for a meaningful diagnosis. Load some data and ask again.\n",
            h(m.used)
        );
    }
    let mut findings = Vec::new();
    if s.peak > m.used + m.used / 2 {
        findings.push(format!(
            "Peak memory ({}) is more than 150% of what is in use now ({}). Memory was freed since the peak; the allocator may keep some of it for reuse, so RSS can stay high.",
            h(s.peak),
            h(m.used)
        ));
    }
    if s.frag_ratio() > 1.4 && s.frag_bytes() > 10 << 20 {
        findings.push(format!(
            "The process RSS ({}) is {:.2} times the memory in use ({}): fragmentation is high. It usually shrinks as the workload reuses the freed space; a restart compacts it at once.",
            h(m.rss),
            s.frag_ratio(),
            h(m.used)
        ));
    }
    if clients > 0 && s.clients_normal / clients > 200 << 10 {
        findings.push(format!(
            "Client buffers take {} over {} clients ({} each on average). Large pipelines or slow readers (MONITOR, pub/sub) keep output buffers big; consider client-output-buffer-limit.",
            h(s.clients_normal),
            clients,
            h(s.clients_normal / clients)
        ));
    }
    if findings.is_empty() {
        return format!("Memory doctor: no problems found. In use: {}, RSS: {}, peak: {}.\n", h(m.used), h(m.rss), h(s.peak));
    }
    let mut r = format!("Memory doctor found {} thing(s) worth a look:\n\n", findings.len());
    for (i, f) in findings.iter().enumerate() {
        r.push_str(&format!(" * {}. {f}\n", i + 1));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestClient;
    use moon_resp::Protocol;
    use moon_store::{Entry, Object};

    fn put(c: &TestClient, key: &str, val: &str) {
        let db = &c.srv.ks.dbs[0];
        db.lock(db.stripe_of(key.as_bytes())).insert(Entry::new_str(key.as_bytes(), val.as_bytes(), None));
    }

    #[test]
    fn usage_and_errors() {
        let mut c = TestClient::new();
        put(&c, "k", "hello");
        let expect = Entry::new_str(b"k", b"hello", None).mem_usage() + SLOT_OVERHEAD;
        assert_eq!(c.run(&["MEMORY", "USAGE", "k"]), format!(":{expect}\r\n"));
        assert_eq!(c.run(&["MEMORY", "USAGE", "k", "SAMPLES", "0"]), format!(":{expect}\r\n"));
        assert_eq!(c.run(&["memory", "usage", "nokey"]), "$-1\r\n");
        assert_eq!(c.run(&["MEMORY", "USAGE", "k", "SAMPLES", "-1"]), "-ERR syntax error\r\n");
        assert_eq!(c.run(&["MEMORY", "USAGE", "k", "SAMPLES", "x"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(c.run(&["MEMORY", "USAGE", "k", "SAMPLES"]), "-ERR syntax error\r\n");
        assert_eq!(c.run(&["MEMORY", "USAGE", "k", "bar"]), "-ERR syntax error\r\n");
        assert_eq!(c.run(&["MEMORY", "USAGE"]), "-ERR wrong number of arguments for 'memory|usage' command\r\n");
        assert_eq!(c.run(&["MEMORY", "nosuch"]), "-ERR unknown subcommand 'nosuch'. Try MEMORY HELP.\r\n");
        // A big boxed value costs its capacity too.
        let db = &c.srv.ks.dbs[0];
        db.lock(db.stripe_of(b"big")).insert(Entry::new_obj(b"big", Object::Str(vec![b'x'; 10_000]), None));
        let r = c.run(&["MEMORY", "USAGE", "big"]);
        let n: usize = r[1..r.len() - 2].parse().unwrap();
        assert!(n > 10_000, "{r}");
        c.out.proto = Protocol::Resp3;
        assert_eq!(c.run(&["memory", "usage", "nokey"]), "_\r\n");
    }

    #[test]
    fn stats_shape() {
        let mut c = TestClient::new();
        put(&c, "a", "1");
        put(&c, "b", "2");
        let r = c.run(&["MEMORY", "STATS"]);
        assert!(r.starts_with('*'), "{r}");
        let lines: Vec<&str> = r.split("\r\n").collect();
        let n: usize = lines[0][1..].parse().unwrap();
        assert_eq!(n % 2, 0);
        let keys_at = lines.iter().position(|l| *l == "keys.count").unwrap();
        assert_eq!(lines[keys_at + 1], ":2");
        for k in ["peak.allocated", "total.allocated", "startup.allocated", "dataset.bytes", "fragmentation.bytes"] {
            assert!(lines.contains(&k), "{k} missing from {r}");
        }
        c.out.proto = Protocol::Resp3;
        let r = c.run(&["MEMORY", "STATS"]);
        assert!(r.starts_with(&format!("%{}\r\n", n / 2)), "{r}");
        assert!(r.contains("$18\r\ndataset.percentage\r\n,"), "{r}");
    }

    #[test]
    fn stats_with_allocator_numbers() {
        fn probe() -> MemoryInfo {
            MemoryInfo { used: 1000, rss: 4000, allocator_active: 1500, allocator_resident: 2000, allocator: "test" }
        }
        let mut c = TestClient::new();
        server_mut(&mut c).set_memory_probe(probe);
        let r = c.run(&["MEMORY", "STATS"]);
        assert!(r.contains("allocator.active\r\n:1500\r\n"), "{r}");
        assert!(r.contains("allocator-rss.bytes\r\n:500\r\n"), "{r}");
        assert!(r.contains("rss-overhead.bytes\r\n:2000\r\n"), "{r}");
        assert!(r.contains("$19\r\nfragmentation.bytes\r\n:3000\r\n"), "{r}");
    }

    /// The test server is shared only by this client right after creation.
    fn server_mut(c: &mut TestClient) -> &mut Server {
        std::sync::Arc::get_mut(&mut c.srv).expect("sole owner")
    }

    #[test]
    fn doctor_and_help() {
        let mut c = TestClient::new();
        let r = c.run(&["MEMORY", "DOCTOR"]);
        assert!(r.starts_with('$') && r.contains("Memory doctor"), "{r}");
        c.out.proto = Protocol::Resp3;
        assert!(c.run(&["MEMORY", "DOCTOR"]).contains("txt:Memory doctor"));
        let h = c.run(&["MEMORY", "HELP"]);
        assert!(h.starts_with("*10\r\n+MEMORY <subcommand>"), "{h}");
        let snap = |used, rss, peak| MemorySnapshot {
            m: MemoryInfo { used, rss, ..Default::default() },
            peak,
            startup: 0,
            clients_normal: 0,
            max_input_buffer: 0,
            max_output_buffer: 0,
            overhead: 0,
            dataset: used,
            net_usage: used,
        };
        assert!(doctor_report(&snap(100 << 20, 100 << 20, 100 << 20), 1).contains("no problems"));
        let r = doctor_report(&snap(100 << 20, 300 << 20, 400 << 20), 1);
        assert!(r.contains("2 thing(s)") && r.contains("fragmentation is high") && r.contains("Peak memory"), "{r}");
    }
}
