//! HyperLogLog commands through the real dispatch path; expected bytes and
//! replies were taken from Redis 8.2.3.

use crate::string::test_util::{encoding, exists, plant_non_string};
use crate::testing::TestClient;

const NOT_HLL: &str = "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n";
const CORRUPT: &str = "-INVALIDOBJ Corrupted HLL object detected\r\n";
const EMPTY: &[u8] = b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff";
const ABC: &[u8] = b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x60\xf3\x80\x50\xb1\x84\x4b\xfb\x80\x42\x5a";

fn get(c: &mut TestClient, k: &str) -> Vec<u8> {
    let r = c.run_bytes(&[b"GET", k.as_bytes()]);
    let start = r.iter().position(|&b| b == b'\n').map_or(0, |p| p + 1);
    r[start..r.len().saturating_sub(2)].to_vec()
}

fn set(c: &mut TestClient, k: &str, v: &[u8]) {
    assert_eq!(c.run_bytes(&[b"SET", k.as_bytes(), v]), b"+OK\r\n");
}

#[test]
fn pfadd_bytes_match_redis() {
    let mut c = TestClient::new();
    assert_eq!(c.run(&["PFADD", "e"]), ":1\r\n");
    assert_eq!(get(&mut c, "e"), EMPTY);
    assert_eq!(c.run(&["PFADD", "e"]), ":0\r\n");
    assert_eq!(c.run(&["PFADD", "h", "a", "b", "c"]), ":1\r\n");
    assert_eq!(get(&mut c, "h"), ABC);
    assert_eq!(encoding(&c, "h"), "raw");
    assert_eq!(c.run(&["PFADD", "h", "a"]), ":0\r\n");
    assert_eq!(c.run(&["PFCOUNT", "h"]), ":3\r\n");
    // The count is cached in the header, valid bit cleared.
    let mut cached = ABC.to_vec();
    cached[8] = 3;
    cached[15] = 0;
    assert_eq!(get(&mut c, "h"), cached);
    assert_eq!(c.run(&["PFCOUNT", "h", "nx", "e"]), ":3\r\n");
    assert_eq!(c.run(&["PFCOUNT", "nx"]), ":0\r\n");
}

#[test]
fn pfcount_writes_back_and_unshares() {
    let mut c = TestClient::new();
    set(&mut c, "h", ABC);
    assert_eq!(encoding(&c, "h"), "embstr");
    let dirty = |c: &TestClient| c.srv.stats.dirty.load(std::sync::atomic::Ordering::Relaxed);
    let d0 = dirty(&c);
    assert_eq!(c.run(&["PFCOUNT", "h"]), ":3\r\n");
    assert_eq!(encoding(&c, "h"), "raw");
    assert_eq!(dirty(&c) - d0, 1);
    assert_eq!(c.run(&["PFCOUNT", "h"]), ":3\r\n");
    assert_eq!(dirty(&c) - d0, 1, "a valid cache is not rewritten");
    // A bogus cached value is believed, as in Redis.
    let mut lie = ABC.to_vec();
    lie[8] = 42;
    lie[15] = 0;
    set(&mut c, "l", &lie);
    assert_eq!(c.run(&["PFCOUNT", "l"]), ":42\r\n");
}

#[test]
fn invalid_and_corrupt_values() {
    let mut c = TestClient::new();
    c.run(&["SET", "s", "foo"]);
    assert_eq!(c.run(&["PFADD", "s", "a"]), NOT_HLL);
    assert_eq!(c.run(&["PFCOUNT", "s"]), NOT_HLL);
    assert_eq!(c.run(&["PFCOUNT", "s", "nx"]), NOT_HLL);
    assert_eq!(c.run(&["PFMERGE", "d", "s"]), NOT_HLL);
    assert_eq!(c.run(&["PFDEBUG", "encoding", "s"]), NOT_HLL);
    c.run(&["SET", "n", "12345678901234567890"]);
    assert_eq!(c.run(&["PFCOUNT", "n"]), NOT_HLL);
    let mut bad_enc = EMPTY.to_vec();
    bad_enc[4] = 2;
    set(&mut c, "be", &bad_enc);
    assert_eq!(c.run(&["PFADD", "be", "a"]), NOT_HLL);
    let mut short_dense = EMPTY.to_vec();
    short_dense[4] = 0;
    set(&mut c, "sd", &short_dense);
    assert_eq!(c.run(&["PFCOUNT", "sd"]), NOT_HLL);
    // One register too many: PFADD may still succeed, counting fails.
    let mut extra = EMPTY.to_vec();
    extra.push(0x80);
    set(&mut c, "bad", &extra);
    assert_eq!(c.run(&["PFCOUNT", "bad"]), CORRUPT);
    assert_eq!(c.run(&["PFADD", "bad", "x"]), ":1\r\n");
    assert_eq!(get(&mut c, "bad"), b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xf5\x84\x08\x80");
    assert_eq!(c.run(&["PFCOUNT", "bad", "x"]), CORRUPT);
    assert_eq!(c.run(&["PFMERGE", "d", "bad"]), CORRUPT);
    assert!(!exists(&c, "d"));
    assert_eq!(c.run(&["PFDEBUG", "todense", "bad"]), CORRUPT);
    if plant_non_string(&mut c, "w") {
        let wt = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
        assert_eq!(c.run(&["PFADD", "w", "a"]), wt);
        assert_eq!(c.run(&["PFCOUNT", "w"]), wt);
        assert_eq!(c.run(&["PFMERGE", "w", "nx"]), wt);
    }
}

#[test]
fn pfmerge_rules() {
    let mut c = TestClient::new();
    c.run(&["PFADD", "h", "a", "b", "c"]);
    c.run(&["PFADD", "e"]);
    assert_eq!(c.run(&["PFMERGE", "m", "h", "e"]), "+OK\r\n");
    assert_eq!(get(&mut c, "m"), ABC);
    assert_eq!(c.run(&["PFMERGE", "m2"]), "+OK\r\n");
    assert_eq!(get(&mut c, "m2"), EMPTY);
    // A dense input makes the destination dense.
    c.run(&["PFADD", "d", "x"]);
    assert_eq!(c.run(&["PFDEBUG", "todense", "d"]), ":1\r\n");
    assert_eq!(c.run(&["PFDEBUG", "todense", "d"]), ":0\r\n");
    assert_eq!(c.run(&["PFMERGE", "m", "d"]), "+OK\r\n");
    assert_eq!(c.run(&["PFDEBUG", "encoding", "m"]), "+dense\r\n");
    assert_eq!(c.run(&["PFCOUNT", "m"]), ":4\r\n");
    assert_eq!(c.run(&["PFCOUNT", "h", "d"]), ":4\r\n");
}

#[test]
fn sparse_limit_promotes() {
    let mut c = TestClient::with_config(&[("hll-sparse-max-bytes", "21")]);
    c.run(&["PFADD", "s", "a"]);
    assert_eq!(c.run(&["PFDEBUG", "encoding", "s"]), "+sparse\r\n");
    c.run(&["PFADD", "s", "b", "c", "d", "e"]);
    assert_eq!(c.run(&["PFDEBUG", "encoding", "s"]), "+dense\r\n");
    assert_eq!(c.run(&["STRLEN", "s"]), ":12304\r\n");
    assert_eq!(c.run(&["PFCOUNT", "s"]), ":5\r\n");
}

#[test]
fn pfdebug_subcommands() {
    let mut c = TestClient::new();
    assert_eq!(c.run(&["PFDEBUG", "getreg", "nx"]), "-ERR The specified key does not exist\r\n");
    c.run(&["PFADD", "h", "a", "b", "c"]);
    assert_eq!(c.run(&["PFDEBUG", "foo", "h"]), "-ERR Unknown PFDEBUG subcommand 'foo'\r\n");
    assert_eq!(c.run(&["PFDEBUG", "decode", "h"]), "$44\r\nZ:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603\r\n");
    assert_eq!(c.run(&["PFDEBUG", "ENCODING", "h"]), "+sparse\r\n");
    let regs = c.run(&["PFDEBUG", "GETREG", "h"]);
    assert!(regs.starts_with("*16384\r\n"));
    assert_eq!(regs.matches(":1\r\n").count(), 2);
    assert_eq!(regs.matches(":2\r\n").count(), 1);
    assert_eq!(c.run(&["PFDEBUG", "encoding", "h"]), "+dense\r\n");
    assert_eq!(c.run(&["PFDEBUG", "decode", "h"]), "-ERR HLL encoding is not sparse\r\n");
    assert_eq!(c.run(&["PFCOUNT", "h"]), ":3\r\n");
    assert_eq!(c.run(&["PFADD", "h", "a"]), ":0\r\n");
    assert_eq!(c.run(&["PFADD", "h", "zz"]), ":1\r\n");
    assert_eq!(c.run(&["PFCOUNT", "h"]), ":4\r\n");
}

#[test]
fn counts_are_accurate() {
    let mut c = TestClient::new();
    let mut n = 0;
    for batch in 0..20 {
        let mut cmd = vec!["PFADD".to_string(), "big".to_string()];
        for i in 0..500 {
            cmd.push(format!("ele:{}", batch * 500 + i));
        }
        n += 500;
        let refs: Vec<&str> = cmd.iter().map(|s| s.as_str()).collect();
        c.run(&refs);
    }
    let r = c.run(&["PFCOUNT", "big"]);
    let est: f64 = r.trim_start_matches(':').trim().parse().unwrap();
    assert!((est - n as f64).abs() / (n as f64) < 0.03, "{est} vs {n}");
}

#[test]
fn table_matches_redis_spec() {
    let spec: serde_json::Value = serde_json::from_str(include_str!("../../spec/redis-7.4.1-commands.json")).expect("spec parses");
    for def in super::COMMANDS {
        let s = &spec[def.name.to_uppercase()];
        assert_eq!(s["arity"].as_i64(), Some(def.arity as i64), "{}", def.name);
        assert_eq!(s["group"].as_str(), Some(def.group), "{}", def.name);
        assert_eq!(s["key_specs"].as_array().map_or(0, |a| a.len()), def.key_specs.len(), "{}", def.name);
    }
}
