//! Eviction through the real dispatch path, with a fake memory probe the
//! test controls. The LFU policies switch the process-wide LFU mode, so
//! their tests live in tests/lfu.rs (a process of their own).

use super::*;
use crate::config::Config;
use crate::state::MemoryInfo;
use crate::testing::TestClient;
use moon_store::Entry;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

const MAX: u64 = 1_000_000;

/// Defines `probe`, a memory probe reporting the static `$used`.
macro_rules! probe {
    ($used:ident) => {
        static $used: AtomicU64 = AtomicU64::new(0);
        fn probe() -> MemoryInfo {
            MemoryInfo { used: $used.load(Relaxed), ..Default::default() }
        }
    };
}

/// One stripe per database (keyspace-stripes 1), so small test key sets
/// are sampled completely and the chosen victim is deterministic.
fn client(probe: fn() -> MemoryInfo, policy: &str) -> TestClient {
    let config = Config::default();
    for (k, v) in [("enable-debug-command", "yes"), ("keyspace-stripes", "1"), ("maxmemory-samples", "64"), ("maxmemory-policy", policy)] {
        config.set(k, v, true).unwrap();
    }
    config.set("maxmemory", &MAX.to_string(), true).unwrap();
    let mut srv = Server::new(config, 1);
    srv.set_memory_probe(probe);
    TestClient::connect(Arc::new(srv))
}

fn put(c: &TestClient, db: usize, key: &str, val: &str, expire: Option<i64>) {
    let d = &c.srv.ks.dbs[db];
    d.lock(d.stripe_of(key.as_bytes())).insert(Entry::new_str(key.as_bytes(), val.as_bytes(), expire));
}

/// Whether a key is present, looked at without running a command (which
/// would evict) or touching its LRU.
fn present(c: &TestClient, db: usize, key: &str) -> bool {
    let d = &c.srv.ks.dbs[db];
    let found = d.lock(d.stripe_of(key.as_bytes())).peek(key.as_bytes()).is_some();
    found
}

fn count(c: &TestClient, db: usize) -> usize {
    c.srv.ks.dbs[db].sizes().0
}

fn set_idle(c: &TestClient, key: &str, idle_s: i64) {
    let d = &c.srv.ks.dbs[0];
    let mut s = d.lock(d.stripe_of(key.as_bytes()));
    let now = clock::now_ms();
    s.get(key.as_bytes(), now).unwrap().set_lru(clock::lru_clock(now - idle_s * 1000));
}

fn info_field(c: &mut TestClient, section: &str, name: &str) -> String {
    let r = c.run(&["INFO", section]);
    let prefix = format!("{name}:");
    r.split("\r\n").find_map(|l| l.strip_prefix(&prefix)).unwrap_or_else(|| panic!("{name} missing: {r}")).to_string()
}

fn config_err(param: &str, reason: &str) -> String {
    format!("-ERR CONFIG SET failed (possibly related to argument '{param}') - {reason}\r\n")
}

#[test]
fn config_defaults_ranges_and_errors() {
    let mut c = TestClient::new();
    for (k, v) in [
        ("maxmemory", "0"),
        ("maxmemory-policy", "noeviction"),
        ("maxmemory-samples", "5"),
        ("maxmemory-eviction-tenacity", "10"),
        ("lfu-log-factor", "10"),
        ("lfu-decay-time", "1"),
    ] {
        assert_eq!(c.run(&["CONFIG", "GET", k]), format!("*2\r\n${}\r\n{k}\r\n${}\r\n{v}\r\n", k.len(), v.len()));
    }
    let policies = "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction";
    assert_eq!(c.run(&["CONFIG", "SET", "maxmemory-policy", "foo"]), config_err("maxmemory-policy", policies));
    assert_eq!(
        c.run(&["CONFIG", "SET", "maxmemory-samples", "0"]),
        config_err("maxmemory-samples", "argument must be between 1 and 64 inclusive")
    );
    assert_eq!(
        c.run(&["CONFIG", "SET", "maxmemory-samples", "65"]),
        config_err("maxmemory-samples", "argument must be between 1 and 64 inclusive")
    );
    let tenacity = "argument must be between 0 and 100 inclusive";
    assert_eq!(c.run(&["CONFIG", "SET", "maxmemory-eviction-tenacity", "101"]), config_err("maxmemory-eviction-tenacity", tenacity));
    let int_range = "argument must be between 0 and 2147483647 inclusive";
    assert_eq!(c.run(&["CONFIG", "SET", "lfu-log-factor", "-1"]), config_err("lfu-log-factor", int_range));
    assert_eq!(c.run(&["CONFIG", "SET", "lfu-decay-time", "2147483648"]), config_err("lfu-decay-time", int_range));
    assert_eq!(c.run(&["CONFIG", "SET", "maxmemory", "-1"]), config_err("maxmemory", "argument must be a memory value"));
    assert_eq!(c.run(&["CONFIG", "SET", "maxmemory", "1x"]), config_err("maxmemory", "argument must be a memory value"));
    assert_eq!(
        c.run(&["CONFIG", "SET", "maxmemory", "9223372036854775808"]),
        config_err("maxmemory", "argument must be greater or equal to 0")
    );

    assert_eq!(c.run(&["CONFIG", "SET", "maxmemory-policy", "ALLKEYS-LRU", "maxmemory-samples", "64"]), "+OK\r\n");
    assert_eq!(c.run(&["CONFIG", "GET", "maxmemory-policy"]), "*2\r\n$16\r\nmaxmemory-policy\r\n$11\r\nallkeys-lru\r\n");
    assert_eq!(Policy::from_index(c.srv.config.hot.maxmemory_policy.load(Relaxed)), Policy::AllkeysLru);
    assert_eq!(c.srv.config.hot.maxmemory_samples.load(Relaxed), 64);
    // A huge limit is never reached: commands run as without one.
    assert_eq!(c.run(&["CONFIG", "SET", "maxmemory", "10GB"]), "+OK\r\n");
    assert_eq!(c.run(&["CONFIG", "GET", "maxmemory"]), "*2\r\n$9\r\nmaxmemory\r\n$11\r\n10737418240\r\n");
    assert_eq!(c.run(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(info_field(&mut c, "memory", "maxmemory"), "10737418240");
    assert_eq!(info_field(&mut c, "memory", "maxmemory_human"), "10.00G");
    assert_eq!(info_field(&mut c, "memory", "maxmemory_policy"), "allkeys-lru");
    assert_eq!(info_field(&mut c, "memory", "mem_not_counted_for_evict"), "0");
}

#[test]
fn policy_names_round_trip() {
    for (i, name) in POLICY_NAMES.iter().enumerate() {
        let p = Policy::from_name(name);
        assert_eq!(p as usize, i);
        assert_eq!(Policy::from_index(i as u8), p);
        assert_eq!(p.is_lfu(), name.ends_with("-lfu"));
        assert_eq!(p.volatile_only(), name.starts_with("volatile-"));
    }
    assert_eq!(Policy::from_index(200), Policy::NoEviction);
}

#[test]
fn noeviction_refuses_denyoom_commands_only() {
    probe!(USED);
    let mut c = client(probe, "noeviction");
    put(&c, 0, "a", "1", None);
    assert_eq!(c.run(&["SET", "b", "2"]), "+OK\r\n");
    USED.store(MAX + 1, Relaxed);
    let oom = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
    assert_eq!(c.run(&["SET", "b", "3"]), oom);
    assert_eq!(c.run(&["INCR", "a"]), oom);
    assert_eq!(c.run(&["GET", "b"]), "$1\r\n2\r\n");
    assert_eq!(c.run(&["DEL", "b"]), ":1\r\n");
    assert_eq!(c.run(&["EXPIRE", "a", "100"]), ":1\r\n");
    assert_eq!(count(&c, 0), 1);
    let r = c.run(&["INFO", "commandstats"]);
    assert!(r.contains("cmdstat_set:calls=1,") && r.contains("rejected_calls=1,failed_calls=0"), "{r}");
    assert!(r.contains("cmdstat_incr:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0"), "{r}");
    assert!(c.run(&["INFO", "errorstats"]).contains("errorstat_OOM:count=2"));
    assert_eq!(info_field(&mut c, "stats", "evicted_keys"), "0");
    // The time spent over the limit is measured until memory is back.
    std::thread::sleep(std::time::Duration::from_millis(5));
    let (total, current) = c.srv.evict.exceeded_ms();
    assert!(total >= 5 && current >= 5, "{total} {current}");
    USED.store(MAX, Relaxed);
    assert_eq!(c.run(&["SET", "b", "4"]), "+OK\r\n");
    assert_eq!(info_field(&mut c, "stats", "current_eviction_exceeded_time"), "0");
    let total: u64 = info_field(&mut c, "stats", "total_eviction_exceeded_time").parse().unwrap();
    assert!(total >= 5, "{total}");
    c.run(&["CONFIG", "RESETSTAT"]);
    assert_eq!(info_field(&mut c, "stats", "total_eviction_exceeded_time"), "0");
    // Without a limit nothing is checked.
    USED.store(u64::MAX, Relaxed);
    assert_eq!(c.run(&["SET", "b", "5"]), oom);
    c.run(&["CONFIG", "SET", "maxmemory", "0"]);
    assert_eq!(c.run(&["SET", "b", "5"]), "+OK\r\n");
}

#[test]
fn volatile_policies_never_evict_persistent_keys() {
    probe!(USED);
    for policy in ["volatile-lru", "volatile-random", "volatile-ttl"] {
        let mut c = client(probe, policy);
        USED.store(0, Relaxed);
        let far = clock::now_ms() + 1_000_000;
        for i in 0..30 {
            put(&c, 0, &format!("p{i}"), "v", None);
        }
        for i in 0..5 {
            put(&c, 0, &format!("v{i}"), "v", Some(far + i));
            put(&c, 2, &format!("w{i}"), "v", Some(far + i));
        }
        USED.store(MAX + 1, Relaxed);
        // Each command frees about a byte over: one key each.
        for _ in 0..10 {
            assert_eq!(c.run(&["PING"]), "+PONG\r\n");
        }
        assert_eq!((count(&c, 0), count(&c, 2)), (30, 0), "{policy}");
        assert!((0..30).all(|i| present(&c, 0, &format!("p{i}"))), "{policy}");
        assert_eq!(c.srv.evict.evicted_keys(), 10, "{policy}");
        // Only persistent keys left: nothing evictable.
        assert_eq!(c.run(&["SET", "x", "1"]), "-OOM command not allowed when used memory > 'maxmemory'.\r\n", "{policy}");
        assert_eq!(count(&c, 0), 30);
        assert_eq!(info_field(&mut c, "stats", "evicted_keys"), "10");
    }
}

#[test]
fn volatile_ttl_evicts_the_nearest_expiry_first() {
    probe!(USED);
    let mut c = client(probe, "volatile-ttl");
    let now = clock::now_ms();
    for (i, secs) in [500, 100, 900, 300, 700].iter().enumerate() {
        put(&c, 0, &format!("t{i}"), "v", Some(now + secs * 1000));
    }
    for i in 0..20 {
        put(&c, 0, &format!("p{i}"), "v", None);
    }
    USED.store(MAX + 1, Relaxed);
    for gone in ["t1", "t3", "t0", "t4", "t2"] {
        c.run(&["PING"]);
        assert!(!present(&c, 0, gone), "{gone}");
        assert_eq!(count(&c, 0), 20 + ["t0", "t1", "t2", "t3", "t4"].iter().filter(|k| present(&c, 0, k)).count());
    }
    assert_eq!(count(&c, 0), 20);
}

#[test]
fn allkeys_lru_prefers_idle_keys() {
    probe!(USED);
    let c = &mut client(probe, "allkeys-lru");
    for i in 0..40 {
        put(c, 0, &format!("k{i}"), "v", None);
    }
    // k0..k19 idle for 20000s down to 1010s; k20..k39 fresh.
    for i in 0..20 {
        set_idle(c, &format!("k{i}"), 1000 + (20 - i as i64) * 1000 - 990);
    }
    USED.store(MAX + 1, Relaxed);
    for i in 0..20 {
        c.run(&["PING"]);
        assert!(!present(c, 0, &format!("k{i}")), "k{i} should be the oldest left");
        assert!(present(c, 0, &format!("k{}", i + 1)));
    }
    assert!((20..40).all(|i| present(c, 0, &format!("k{i}"))));
    // A read refreshes a key: k20 was read, so it outlives the others.
    USED.store(0, Relaxed);
    for i in 21..40 {
        set_idle(c, &format!("k{i}"), 50);
    }
    set_idle(c, "k20", 100);
    assert_eq!(c.run(&["GET", "k20"]), "$1\r\nv\r\n");
    USED.store(MAX + 1, Relaxed);
    for _ in 0..19 {
        c.run(&["PING"]);
    }
    assert_eq!(count(c, 0), 1);
    assert!(present(c, 0, "k20"));
}

#[test]
fn random_policies_visit_every_database() {
    probe!(USED);
    let mut c = client(probe, "allkeys-random");
    for i in 0..10 {
        put(&c, 0, &format!("a{i}"), "v", None);
        put(&c, 5, &format!("b{i}"), "v", Some(clock::now_ms() + 100_000));
    }
    USED.store(MAX + 1, Relaxed);
    for _ in 0..20 {
        assert_eq!(c.run(&["PING"]), "+PONG\r\n");
    }
    assert_eq!((count(&c, 0), count(&c, 5)), (0, 0));
    assert_eq!(c.run(&["SET", "x", "1"]), "-OOM command not allowed when used memory > 'maxmemory'.\r\n");
    assert_eq!(c.srv.evict.evicted_keys(), 20);
    c.run(&["CONFIG", "RESETSTAT"]);
    assert_eq!(info_field(&mut c, "stats", "evicted_keys"), "0");
}

#[test]
fn pooled_policies_sample_every_database() {
    probe!(USED);
    let c = client(probe, "allkeys-lru");
    put(&c, 0, "fresh", "v", None);
    put(&c, 9, "old", "v", None);
    {
        let d = &c.srv.ks.dbs[9];
        let now = clock::now_ms();
        d.lock(0).get(b"old", now).unwrap().set_lru(clock::lru_clock(now - 5_000_000));
    }
    USED.store(MAX + 1, Relaxed);
    let mut c = c;
    c.run(&["PING"]);
    assert!(!present(&c, 9, "old") && present(&c, 0, "fresh"));
}

#[test]
fn frees_about_what_is_over_the_limit() {
    probe!(USED);
    let mut c = client(probe, "allkeys-random");
    let val = "x".repeat(1000);
    for i in 0..100 {
        put(&c, 0, &format!("k{i:02}"), &val, None);
    }
    // Each entry is 12 header + 3 key + 1000 value bytes: 3 cover 3000.
    USED.store(MAX + 3000, Relaxed);
    c.run(&["PING"]);
    assert_eq!(count(&c, 0), 97);
}

#[test]
fn tenacity_bounds_the_time_spent_per_command() {
    probe!(USED);
    let mut c = client(probe, "allkeys-random");
    c.run(&["CONFIG", "SET", "maxmemory-eviction-tenacity", "0"]);
    for i in 0..200 {
        put(&c, 0, &format!("k{i}"), "v", None);
    }
    USED.store(MAX * 1000, Relaxed);
    // The budget (0us) ends the cycle after the first 16 keys, and the
    // command still runs: memory is being freed.
    assert_eq!(c.run(&["SET", "new", "1"]), "+OK\r\n");
    let left = count(&c, 0);
    assert!(left < 201 && (201 - left).is_multiple_of(16), "{left}");
    assert!(c.srv.evict.running.load(Relaxed));
    // The background task carries on.
    background(&c.srv, 0);
    assert!(count(&c, 0) < left);
    assert_eq!(time_limit_us(0), 0);
    assert_eq!(time_limit_us(10), 500);
    assert_eq!(time_limit_us(11), 575);
    assert_eq!(time_limit_us(100), u64::MAX);
}

#[test]
fn background_task_evicts_after_the_limit_changes() {
    probe!(USED);
    let mut c = client(probe, "allkeys-random");
    for i in 0..5 {
        put(&c, 0, &format!("k{i}"), "v", None);
    }
    USED.store(MAX + 1, Relaxed);
    // The limit set at start-up counts as a change.
    background(&c.srv, 0);
    assert_eq!(count(&c, 0), 4);
    // Nothing new: the background task leaves memory to the commands.
    background(&c.srv, 0);
    assert_eq!(count(&c, 0), 4);
    c.run(&["CONFIG", "SET", "maxmemory", "999999"]);
    // (CONFIG SET itself evicted one key on the way in.)
    assert_eq!(count(&c, 0), 3);
    background(&c.srv, 0);
    assert_eq!(count(&c, 0), 2);
}

#[test]
fn pool_keeps_the_best_sixteen_in_order() {
    let mut p = Pool::new();
    for (i, score) in [50u64, 10, 30, 20, 40].iter().enumerate() {
        p.offer(*score, 0, format!("k{i}").as_bytes());
    }
    p.offer(30, 0, b"k2");
    let scores = |p: &Pool| p.entries[..p.len].iter().map(|c| c.score).collect::<Vec<_>>();
    assert_eq!(scores(&p), [10, 20, 30, 40, 50]);
    for s in 100..111 {
        p.offer(s, 1, format!("x{s}").as_bytes());
    }
    assert_eq!(p.len, 16);
    // Full: worse than the worst is refused, better pushes the worst out.
    p.offer(5, 0, b"bad");
    assert_eq!(scores(&p)[0], 10);
    p.offer(35, 0, b"mid");
    assert_eq!(&scores(&p)[..5], &[20, 30, 35, 40, 50]);
    let best = p.pop().unwrap();
    assert_eq!((p.entries[best].score, p.entries[best].db, &p.entries[best].key[..]), (110, 1, &b"x110"[..]));
    while p.pop().is_some() {}
    assert_eq!(p.len, 0);
    p.offer(1, 0, b"again");
    assert_eq!(scores(&p), [1]);
}

/// Redis' lookupKeyWrite is an access too: writes reset the idle time,
/// while EXISTS, TYPE, TTL and OBJECT do not (checked on Redis 8.2).
#[test]
fn write_lookups_refresh_the_lru() {
    let mut c = TestClient::new();
    let idle = |c: &mut TestClient, k: &str| c.run(&["OBJECT", "IDLETIME", k]);
    for (cmd, refreshes) in [
        (&["INCR", "k"][..], true),
        (&["APPEND", "k", "1"], true),
        (&["EXPIRE", "k", "100"], true),
        (&["SET", "k", "1", "NX"], true),
        (&["SET", "k", "2", "XX", "EX", "100"], true),
        (&["MSET", "k", "3"], true),
        (&["EXISTS", "k"], false),
        (&["TYPE", "k"], false),
        (&["TTL", "k"], false),
    ] {
        put(&c, 0, "k", "5", None);
        set_idle(&c, "k", 100);
        c.run(cmd);
        let want = if refreshes { ":0\r\n" } else { ":100\r\n" };
        assert_eq!(idle(&mut c, "k"), want, "{cmd:?}");
    }
    // CLIENT NO-TOUCH turns the write lookups' access off too.
    c.run(&["CLIENT", "NO-TOUCH", "on"]);
    set_idle(&c, "k", 100);
    c.run(&["INCR", "k"]);
    assert_eq!(idle(&mut c, "k"), ":100\r\n");
    c.run(&["SET", "k", "x", "XX"]);
    assert_eq!(idle(&mut c, "k"), ":100\r\n");
    c.run(&["SET", "new", "x"]);
    assert_eq!(idle(&mut c, "new"), ":0\r\n");
}
