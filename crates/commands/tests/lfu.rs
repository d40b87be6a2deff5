//! LFU access tracking and the LFU eviction policies. The LFU mode is
//! process-wide (every key's 24-bit field changes meaning with it), so
//! these tests run in their own process, one at a time.

use moon_commands::config::Config;
use moon_commands::state::MemoryInfo;
use moon_commands::testing::TestClient;
use moon_commands::Server;
use moon_store::{clock, Entry};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

static SERIAL: Mutex<()> = Mutex::new(());

const MAX: u64 = 1_000_000;
static USED: AtomicU64 = AtomicU64::new(0);

fn probe() -> MemoryInfo {
    MemoryInfo { used: USED.load(Relaxed), ..Default::default() }
}

/// A server in LFU mode (lfu-log-factor 0: every access counts, so the
/// counters are deterministic) with a memory limit the test can exceed.
fn lfu_client(policy: &str) -> TestClient {
    USED.store(0, Relaxed);
    let config = Config::default();
    for (k, v) in [
        ("enable-debug-command", "yes"),
        ("keyspace-stripes", "1"),
        ("maxmemory-samples", "64"),
        ("maxmemory-policy", policy),
        ("lfu-log-factor", "0"),
        ("maxmemory", "1000000"),
    ] {
        config.set(k, v, true).unwrap();
    }
    let mut srv = Server::new(config, 1);
    srv.set_memory_probe(probe);
    TestClient::connect(Arc::new(srv))
}

fn int(reply: &str) -> i64 {
    reply.strip_prefix(':').and_then(|r| r.trim_end().parse().ok()).unwrap_or_else(|| panic!("not an integer: {reply:?}"))
}

fn freq(c: &mut TestClient, key: &str) -> i64 {
    int(&c.run(&["OBJECT", "FREQ", key]))
}

fn field(c: &TestClient, key: &str) -> u32 {
    let d = &c.srv.ks.dbs[0];
    let f = d.lock(d.stripe_of(key.as_bytes())).peek(key.as_bytes()).unwrap().lru();
    f
}

fn set_field(c: &TestClient, key: &str, f: u32) {
    let d = &c.srv.ks.dbs[0];
    let now = clock::now_ms();
    d.lock(d.stripe_of(key.as_bytes())).get(key.as_bytes(), now).unwrap().set_lru(f);
}

fn present(c: &TestClient, key: &str) -> bool {
    let d = &c.srv.ks.dbs[0];
    let p = d.lock(d.stripe_of(key.as_bytes())).peek(key.as_bytes()).is_some();
    p
}

const LFU_SELECTED: &str = "-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n";
const LFU_NOT_SELECTED: &str = "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n";

#[test]
fn object_freq_counts_accesses_like_redis() {
    let _g = SERIAL.lock();
    let mut c = lfu_client("allkeys-lfu");
    assert!(clock::lfu_enabled());
    // Sequence checked against Redis 8.2 with lfu-log-factor 0.
    assert_eq!(c.run(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(freq(&mut c, "k"), 5);
    c.run(&["SET", "k", "v2"]);
    assert_eq!(freq(&mut c, "k"), 6);
    c.run(&["GET", "k"]);
    assert_eq!(freq(&mut c, "k"), 7);
    c.run(&["SET", "k", "v3", "EX", "100"]);
    assert_eq!(freq(&mut c, "k"), 8);
    assert_eq!(c.run(&["EXISTS", "k"]), ":1\r\n");
    assert_eq!(c.run(&["TYPE", "k"]), "+string\r\n");
    assert_eq!(freq(&mut c, "k"), 8);
    c.run(&["TOUCH", "k"]);
    c.run(&["STRLEN", "k"]);
    assert_eq!(freq(&mut c, "k"), 10);
    assert_eq!(c.run(&["INCR", "n"]), ":1\r\n");
    assert_eq!(freq(&mut c, "n"), 5);
    c.run(&["INCR", "n"]);
    assert_eq!(freq(&mut c, "n"), 6);
    // OBJECT itself does not count, and IDLETIME is not tracked.
    assert_eq!(freq(&mut c, "n"), 6);
    assert_eq!(c.run(&["OBJECT", "IDLETIME", "k"]), LFU_SELECTED);
    assert_eq!(c.run(&["OBJECT", "IDLETIME", "nokey"]), "$-1\r\n");
    assert_eq!(c.run(&["OBJECT", "FREQ", "nokey"]), "$-1\r\n");
    // DEBUG OBJECT shows the raw field: [minutes][counter].
    let f = field(&c, "k");
    assert_eq!(f & 0xff, 10);
    assert_eq!(f >> 8, clock::lfu_minutes(clock::now_ms()));
    let r = c.run(&["DEBUG", "OBJECT", "k"]);
    assert!(r.contains(&format!(" lru:{f} ")), "{r}");
    // A replaced key whose old value had expired starts over.
    let d = &c.srv.ks.dbs[0];
    d.lock(0).insert(Entry::new_str(b"gone", b"x", Some(1)));
    c.run(&["SET", "gone", "y"]);
    assert_eq!(freq(&mut c, "gone"), 5);

    // Back to LRU: FREQ is refused, IDLETIME reads the field as a time.
    assert_eq!(c.run(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]), "+OK\r\n");
    assert!(!clock::lfu_enabled());
    assert_eq!(c.run(&["OBJECT", "FREQ", "k"]), LFU_NOT_SELECTED);
    assert_eq!(c.run(&["OBJECT", "FREQ", "nokey"]), "$-1\r\n");
    assert!(c.run(&["OBJECT", "IDLETIME", "k"]).starts_with(':'));
    c.run(&["CONFIG", "SET", "maxmemory-policy", "volatile-lfu"]);
    assert!(clock::lfu_enabled());
    c.run(&["CONFIG", "SET", "maxmemory-policy", "noeviction", "lfu-log-factor", "10"]);
    assert!(!clock::lfu_enabled());
}

/// Each write path counts one access per Redis lookup, and a key that is
/// new to Redis (renamed, moved, copied) starts at LFU_INIT_VAL. Expected
/// values measured on Redis 8.2 with lfu-log-factor 0.
#[test]
fn write_paths_count_like_redis() {
    let _g = SERIAL.lock();
    let mut c = lfu_client("allkeys-lfu");
    let steps: &[(&[&str], &str, i64)] = &[
        (&["SET", "k", "v"], "k", 5),
        (&["SETEX", "k", "100", "v"], "k", 6),
        (&["APPEND", "k", "x"], "k", 7),
        (&["TTL", "k"], "k", 7),
        (&["EXPIRE", "k", "1000"], "k", 8),
        (&["PERSIST", "k"], "k", 9),
        (&["GETSET", "k", "x"], "k", 11),
        (&["SET", "k", "x", "GET"], "k", 13),
        (&["SET", "k", "y", "NX"], "k", 14),
        (&["SET", "k", "y", "XX"], "k", 15),
        (&["SETNX", "k", "z"], "k", 16),
        (&["MSET", "k", "1", "other", "2"], "k", 17),
        (&["MSET", "k", "1"], "other", 5),
        (&["INCR", "k"], "k", 19),
        (&["RENAME", "k", "k2"], "k2", 5),
        (&["GET", "k2"], "k2", 6),
        (&["COPY", "k2", "k3"], "k2", 7),
        (&["GET", "k2"], "k3", 5),
        (&["MOVE", "k2", "3"], "k3", 5),
    ];
    for (cmd, key, want) in steps {
        c.run(cmd);
        assert_eq!(freq(&mut c, key), *want, "after {cmd:?}");
    }
    c.run(&["SELECT", "3"]);
    assert_eq!(freq(&mut c, "k2"), 5);
    c.run(&["CONFIG", "SET", "maxmemory-policy", "noeviction", "lfu-log-factor", "10"]);
}

#[test]
fn log_factor_slows_the_counter() {
    let _g = SERIAL.lock();
    let mut c = lfu_client("allkeys-lfu");
    c.run(&["CONFIG", "SET", "lfu-log-factor", "10"]);
    c.run(&["SET", "k", "v"]);
    // From LFU_INIT_VAL the first access always counts, then rarely.
    c.run(&["GET", "k"]);
    assert_eq!(freq(&mut c, "k"), 6);
    for _ in 0..100 {
        c.run(&["GET", "k"]);
    }
    let f = freq(&mut c, "k");
    assert!((7..=12).contains(&f), "{f}");
    c.run(&["CONFIG", "SET", "maxmemory-policy", "noeviction", "lfu-log-factor", "10"]);
}

#[test]
fn counters_decay_with_lfu_decay_time() {
    let _g = SERIAL.lock();
    let mut c = lfu_client("allkeys-lfu");
    c.run(&["SET", "k", "v"]);
    let now = clock::now_ms();
    // Last access 3 minutes ago with counter 20.
    set_field(&c, "k", clock::lfu_field(now - 180_000, 20));
    assert_eq!(freq(&mut c, "k"), 17);
    c.run(&["CONFIG", "SET", "lfu-decay-time", "2"]);
    assert_eq!(freq(&mut c, "k"), 19);
    c.run(&["CONFIG", "SET", "lfu-decay-time", "0"]);
    assert_eq!(freq(&mut c, "k"), 20);
    // An access stores the decayed counter, plus one, at the current time.
    c.run(&["CONFIG", "SET", "lfu-decay-time", "1"]);
    c.run(&["GET", "k"]);
    assert_eq!(freq(&mut c, "k"), 18);
    assert_eq!(field(&c, "k") >> 8, clock::lfu_minutes(clock::now_ms()));
    c.run(&["CONFIG", "SET", "maxmemory-policy", "noeviction", "lfu-log-factor", "10"]);
}

#[test]
fn allkeys_lfu_evicts_rarely_used_keys_first() {
    let _g = SERIAL.lock();
    let mut c = lfu_client("allkeys-lfu");
    for i in 0..20 {
        c.run(&["SET", &format!("k{i}"), "v"]);
    }
    // k10..k19 are read i times more than the others.
    for i in 10..20 {
        for _ in 0..i {
            c.run(&["GET", &format!("k{i}")]);
        }
    }
    USED.store(MAX + 1, Relaxed);
    for _ in 0..10 {
        c.run(&["PING"]);
    }
    assert!((0..10).all(|i| !present(&c, &format!("k{i}"))));
    assert!((10..20).all(|i| present(&c, &format!("k{i}"))));
    // Then the least used of the rest, one at a time.
    for i in 10..20 {
        c.run(&["PING"]);
        assert!(!present(&c, &format!("k{i}")), "k{i}");
    }
    USED.store(0, Relaxed);
    c.run(&["CONFIG", "SET", "maxmemory-policy", "noeviction", "lfu-log-factor", "10"]);
}

#[test]
fn volatile_lfu_keeps_persistent_keys() {
    let _g = SERIAL.lock();
    let mut c = lfu_client("volatile-lfu");
    for i in 0..10 {
        c.run(&["SET", &format!("p{i}"), "v"]);
        c.run(&["SET", &format!("v{i}"), "v", "EX", "1000"]);
    }
    for _ in 0..30 {
        c.run(&["GET", "v9"]);
    }
    USED.store(MAX + 1, Relaxed);
    for _ in 0..9 {
        c.run(&["PING"]);
    }
    assert!(present(&c, "v9"));
    assert!((0..9).all(|i| !present(&c, &format!("v{i}"))));
    c.run(&["PING"]);
    assert!(!present(&c, "v9"));
    assert!((0..10).all(|i| present(&c, &format!("p{i}"))));
    assert_eq!(c.run(&["SET", "x", "1"]), "-OOM command not allowed when used memory > 'maxmemory'.\r\n");
    USED.store(0, Relaxed);
    c.run(&["CONFIG", "SET", "maxmemory-policy", "noeviction", "lfu-log-factor", "10"]);
}
