//! Bitmap commands through the real dispatch path; expected replies were
//! taken from Redis 8.2.3.

use crate::string::test_util::{encoding, exists, plant_non_string};
use crate::testing::TestClient;

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const BAD_OFFSET: &str = "-ERR bit offset is not an integer or out of range\r\n";
const BAD_BIT: &str = "-ERR bit is not an integer or out of range\r\n";
const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
const SYNTAX: &str = "-ERR syntax error\r\n";
const BAD_TYPE: &str = "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n";

fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

fn get(c: &mut TestClient, k: &str) -> Vec<u8> {
    let r = c.run_bytes(&[b"GET", k.as_bytes()]);
    let start = r.iter().position(|&b| b == b'\n').map_or(0, |p| p + 1);
    r[start..r.len().saturating_sub(2)].to_vec()
}

#[test]
fn setbit_getbit() {
    let mut c = TestClient::new();
    assert_eq!(c.run(&["SETBIT", "k", "7", "1"]), int(0));
    assert_eq!(encoding(&c, "k"), "raw");
    assert_eq!(get(&mut c, "k"), b"\x01");
    assert_eq!(c.run(&["SETBIT", "k", "7", "1"]), int(1));
    assert_eq!(c.run(&["SETBIT", "k", "7", "0"]), int(1));
    assert_eq!(c.run(&["SETBIT", "k", "20", "1"]), int(0));
    assert_eq!(get(&mut c, "k"), b"\x00\x00\x08");
    assert_eq!(c.run(&["GETBIT", "k", "20"]), int(1));
    assert_eq!(c.run(&["GETBIT", "k", "21"]), int(0));
    assert_eq!(c.run(&["GETBIT", "k", "4294967295"]), int(0));
    assert_eq!(c.run(&["GETBIT", "nx", "0"]), int(0));
    assert_eq!(c.run(&["SETBIT", "k", "4294967296", "1"]), BAD_OFFSET);
    assert_eq!(c.run(&["SETBIT", "k", "-1", "1"]), BAD_OFFSET);
    assert_eq!(c.run(&["SETBIT", "k", "#1", "1"]), BAD_OFFSET);
    assert_eq!(c.run(&["SETBIT", "k", "0", "2"]), BAD_BIT);
    assert_eq!(c.run(&["SETBIT", "k", "0", "-1"]), BAD_BIT);
    assert_eq!(c.run(&["SETBIT", "k", "0", "x"]), BAD_BIT);
    assert_eq!(c.run(&["GETBIT", "k", "x"]), BAD_OFFSET);
    // An integer-encoded string is read as its decimal text.
    c.run(&["SET", "n", "1"]);
    assert_eq!(c.run(&["GETBIT", "n", "2"]), int(1));
    assert_eq!(c.run(&["SETBIT", "n", "7", "0"]), int(1));
    assert_eq!(get(&mut c, "n"), b"0");
    assert_eq!(encoding(&c, "n"), "raw");
    if plant_non_string(&mut c, "w") {
        assert_eq!(c.run(&["SETBIT", "w", "0", "1"]), WRONGTYPE);
        assert_eq!(c.run(&["SETBIT", "w", "x", "1"]), BAD_OFFSET);
        assert_eq!(c.run(&["GETBIT", "w", "0"]), WRONGTYPE);
    }
}

#[test]
fn setbit_respects_proto_max_bulk_len() {
    let mut c = TestClient::with_config(&[("proto-max-bulk-len", "1mb")]);
    assert_eq!(c.run(&["SETBIT", "k", "8388608", "1"]), BAD_OFFSET);
    assert_eq!(c.run(&["SETBIT", "k", "8388607", "1"]), int(0));
    assert_eq!(c.run(&["STRLEN", "k"]), int(1048576));
}

#[test]
fn setbit_dirty_counts_changes_only() {
    let mut c = TestClient::new();
    let dirty = |c: &TestClient| c.srv.stats.dirty.load(std::sync::atomic::Ordering::Relaxed);
    let d0 = dirty(&c);
    c.run(&["SETBIT", "k", "0", "0"]);
    assert_eq!(dirty(&c) - d0, 1, "creation counts once");
    c.run(&["SETBIT", "k", "0", "0"]);
    assert_eq!(dirty(&c) - d0, 1, "no change");
    c.run(&["SETBIT", "k", "15", "0"]);
    assert_eq!(dirty(&c) - d0, 2, "growth counts");
}

#[test]
fn bitcount_ranges() {
    let mut c = TestClient::new();
    c.run(&["SET", "f", "foobar"]);
    for (args, want) in [
        (&["f"][..], 26),
        (&["f", "0", "0"], 4),
        (&["f", "1", "1"], 6),
        (&["f", "1", "1", "BYTE"], 6),
        (&["f", "5", "30", "BIT"], 17),
        (&["f", "-1", "-2"], 0),
        (&["f", "-2", "-1"], 7),
        (&["f", "2", "1"], 0),
        (&["f", "-100", "100"], 26),
        (&["f", "0", "-1", "bit"], 26),
        (&["f", "-3", "-1", "BIT"], 1),
        (&["f", "9223372036854775807", "-9223372036854775808"], 0),
        (&["nx", "0", "-1"], 0),
        (&["nx"], 0),
    ] {
        let mut cmd = vec!["BITCOUNT"];
        cmd.extend_from_slice(args);
        assert_eq!(c.run(&cmd), int(want), "{args:?}");
    }
    c.run(&["SET", "e", ""]);
    assert_eq!(c.run(&["BITCOUNT", "e"]), int(0));
    assert_eq!(c.run(&["BITCOUNT", "e", "0", "-1", "BIT"]), int(0));
    assert_eq!(c.run(&["BITCOUNT", "f", "0"]), SYNTAX);
    assert_eq!(c.run(&["BITCOUNT", "f", "0", "1", "x"]), SYNTAX);
    assert_eq!(c.run(&["BITCOUNT", "f", "0", "1", "BIT", "x"]), SYNTAX);
    assert_eq!(c.run(&["BITCOUNT", "f", "a", "1"]), NOT_INT);
    let long: String = "\u{7f}".repeat(100);
    c.run(&["SET", "l", &long]);
    assert_eq!(c.run(&["BITCOUNT", "l"]), int(700));
    assert_eq!(c.run(&["BITCOUNT", "l", "3", "797", "BIT"]), int(696));
    if plant_non_string(&mut c, "w") {
        assert_eq!(c.run(&["BITCOUNT", "w"]), WRONGTYPE);
        assert_eq!(c.run(&["BITCOUNT", "w", "0", "1", "x"]), SYNTAX);
    }
}

#[test]
fn bitpos_edges() {
    let mut c = TestClient::new();
    c.run_bytes(&[b"SET", b"a", b"\xff\xf0\x00"]);
    c.run_bytes(&[b"SET", b"ones", b"\xff\xff\xff"]);
    c.run_bytes(&[b"SET", b"zeros", b"\x00\x00\x00"]);
    c.run(&["SET", "e", ""]);
    for (args, want) in [
        (&["a", "0"][..], 12),
        (&["a", "1"], 0),
        (&["a", "1", "2"], -1),
        (&["a", "0", "2"], 16),
        (&["a", "1", "1", "-1"], 8),
        (&["a", "0", "8", "11", "BIT"], -1),
        (&["a", "0", "8", "12", "BIT"], 12),
        (&["a", "1", "7", "15", "bit"], 7),
        (&["ones", "0"], 24),
        (&["ones", "0", "0"], 24),
        (&["ones", "0", "0", "-1"], -1),
        (&["ones", "0", "0", "-1", "BIT"], -1),
        (&["zeros", "1"], -1),
        (&["zeros", "0", "1", "1"], 8),
        (&["zeros", "1", "3", "20", "BIT"], -1),
        (&["e", "0"], -1),
        (&["e", "1"], -1),
        (&["e", "0", "0", "-1"], -1),
        (&["nx", "0"], 0),
        (&["nx", "1"], -1),
        (&["nx", "0", "5", "2"], 0),
        (&["a", "1", "2", "1"], -1),
        (&["a", "0", "-9223372036854775808", "9223372036854775807", "BIT"], 12),
    ] {
        let mut cmd = vec!["BITPOS"];
        cmd.extend_from_slice(args);
        assert_eq!(c.run(&cmd), int(want), "{args:?}");
    }
    assert_eq!(c.run(&["BITPOS", "a", "2"]), "-ERR The bit argument must be 1 or 0.\r\n");
    assert_eq!(c.run(&["BITPOS", "a", "x"]), NOT_INT);
    assert_eq!(c.run(&["BITPOS", "a", "1", "0", "1", "BIT", "x"]), SYNTAX);
    assert_eq!(c.run(&["BITPOS", "a", "1", "0", "x", "foo"]), SYNTAX);
    assert_eq!(c.run(&["BITPOS", "a", "1", "0", "x", "BIT"]), NOT_INT);
    if plant_non_string(&mut c, "w") {
        assert_eq!(c.run(&["BITPOS", "w", "1"]), WRONGTYPE);
        assert_eq!(c.run(&["BITPOS", "w", "2"]), "-ERR The bit argument must be 1 or 0.\r\n");
    }
}

#[test]
fn bitop_all_operations() {
    let mut c = TestClient::new();
    c.run_bytes(&[b"SET", b"a", b"\xff\x0f"]);
    c.run_bytes(&[b"SET", b"b", b"\x0f"]);
    c.run_bytes(&[b"SET", b"c", b"\xf0\xf0\xf0"]);
    for (op, srcs, want) in [
        ("AND", &["a", "b"][..], &b"\x0f\x00"[..]),
        ("OR", &["a", "b", "c"], b"\xff\xff\xf0"),
        ("XOR", &["a", "b", "c"], b"\x00\xff\xf0"),
        ("NOT", &["a"], b"\x00\xf0"),
        ("DIFF", &["a", "b"], b"\xf0\x0f"),
        ("DIFF", &["a", "b", "c"], b"\x00\x0f\x00"),
        ("DIFF1", &["a", "b", "c"], b"\x00\xf0\xf0"),
        ("ANDOR", &["a", "b", "c"], b"\xff\x00\x00"),
        ("ONE", &["a", "b", "c"], b"\x00\xff\xf0"),
        ("ONE", &["a"], b"\xff\x0f"),
        ("one", &["a", "a"], b"\x00\x00"),
    ] {
        let mut cmd = vec!["BITOP", op, "d"];
        cmd.extend_from_slice(srcs);
        assert_eq!(c.run(&cmd), int(want.len() as i64), "{op} {srcs:?}");
        assert_eq!(get(&mut c, "d"), want, "{op} {srcs:?}");
    }
    // Long inputs exercise the word-at-a-time paths.
    let x: Vec<u8> = (0..100u8).collect();
    let y: Vec<u8> = (0..77u8).map(|i| i.wrapping_mul(37)).collect();
    c.run_bytes(&[b"SET", b"x", &x]);
    c.run_bytes(&[b"SET", b"y", &y]);
    c.run(&["BITOP", "OR", "d", "x", "y"]);
    let want: Vec<u8> = (0..100).map(|i| x[i] | y.get(i).copied().unwrap_or(0)).collect();
    assert_eq!(get(&mut c, "d"), want);
    c.run(&["BITOP", "AND", "d", "x", "y"]);
    let want: Vec<u8> = (0..100).map(|i| x[i] & y.get(i).copied().unwrap_or(0)).collect();
    assert_eq!(get(&mut c, "d"), want);
    c.run(&["BITOP", "DIFF1", "d", "y", "x"]);
    let want: Vec<u8> = (0..100).map(|i| !y.get(i).copied().unwrap_or(0) & x[i]).collect();
    assert_eq!(get(&mut c, "d"), want);

    assert_eq!(c.run(&["BITOP", "NOT", "d", "a", "b"]), "-ERR BITOP NOT must be called with a single source key.\r\n");
    assert_eq!(c.run(&["BITOP", "diff", "d", "a"]), "-ERR BITOP DIFF must be called with at least two source keys.\r\n");
    assert_eq!(c.run(&["BITOP", "AndOr", "d", "a"]), "-ERR BITOP ANDOR must be called with at least two source keys.\r\n");
    assert_eq!(c.run(&["BITOP", "foo", "d", "a"]), SYNTAX);
    // An empty result deletes the destination, TTL or not.
    c.run(&["SET", "d", "x", "EX", "100"]);
    assert_eq!(c.run(&["BITOP", "AND", "d", "nx1", "nx2"]), int(0));
    assert!(!exists(&c, "d"));
    c.run(&["SET", "d", "x", "EX", "100"]);
    c.run(&["BITOP", "OR", "d", "a"]);
    assert_eq!(c.run(&["TTL", "d"]), int(-1));
    assert_eq!(encoding(&c, "d"), "raw");
    if plant_non_string(&mut c, "w") {
        assert_eq!(c.run(&["BITOP", "AND", "d", "a", "w"]), WRONGTYPE);
        assert_eq!(c.run(&["BITOP", "NOT", "d", "w"]), WRONGTYPE);
        assert_eq!(c.run(&["BITOP", "OR", "w", "a"]), int(2), "the destination may be of any type");
    }
}

#[test]
fn bitfield_basics() {
    let mut c = TestClient::new();
    assert_eq!(c.run(&["BITFIELD", "k", "SET", "i8", "0", "-100", "GET", "i8", "0"]), "*2\r\n:0\r\n:-100\r\n");
    assert_eq!(c.run(&["BITFIELD", "k", "GET", "u8", "0", "GET", "u4", "0", "GET", "i4", "4"]), "*3\r\n:156\r\n:9\r\n:-4\r\n");
    assert_eq!(c.run(&["BITFIELD", "k", "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT", "INCRBY", "u2", "102", "1"]), "*2\r\n:1\r\n:1\r\n");
    assert_eq!(c.run(&["BITFIELD", "k", "SET", "u8", "#1", "255", "GET", "u8", "8"]), "*2\r\n:0\r\n:255\r\n");
    assert_eq!(
        c.run(&["BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "8", "1", "OVERFLOW", "WRAP", "INCRBY", "u8", "8", "1"]),
        "*2\r\n$-1\r\n:0\r\n"
    );
    assert_eq!(c.run(&["BITFIELD", "k", "OVERFLOW", "SAT", "SET", "u8", "0", "-1", "SET", "i8", "0", "300"]), "*2\r\n:156\r\n:-1\r\n");
    assert_eq!(c.run(&["BITFIELD", "k", "GET", "i8", "0"]), "*1\r\n:127\r\n");
    assert_eq!(
        c.run(&["BITFIELD", "k", "SET", "i64", "0", "-1", "GET", "u63", "1", "GET", "i64", "0"]),
        "*3\r\n:9151314442816847872\r\n:9223372036854775807\r\n:-1\r\n"
    );
    assert_eq!(c.run(&["BITFIELD", "k", "INCRBY", "i64", "0", "-9223372036854775808"]), "*1\r\n:9223372036854775807\r\n");
    assert_eq!(c.run(&["BITFIELD", "nx"]), "*0\r\n");
    assert_eq!(c.run(&["BITFIELD", "nx", "OVERFLOW", "SAT"]), "*0\r\n");
    assert_eq!(c.run(&["BITFIELD", "nx", "GET", "u8", "100"]), "*1\r\n:0\r\n");
    assert!(!exists(&c, "nx"));
    // The key is created even when every write fails.
    assert_eq!(c.run(&["BITFIELD", "f", "OVERFLOW", "FAIL", "SET", "u2", "0", "5"]), "*1\r\n$-1\r\n");
    assert_eq!(get(&mut c, "f"), b"\x00");
    c.out.proto = moon_resp::Protocol::Resp3;
    assert_eq!(c.run(&["BITFIELD", "f", "OVERFLOW", "FAIL", "SET", "u2", "0", "5"]), "*1\r\n_\r\n");
}

#[test]
fn bitfield_errors() {
    let mut c = TestClient::new();
    assert_eq!(c.run(&["BITFIELD", "k", "GET", "I8", "0"]), BAD_TYPE);
    assert_eq!(c.run(&["BITFIELD", "k", "GET", "u64", "0"]), BAD_TYPE);
    assert_eq!(c.run(&["BITFIELD", "k", "GET", "i65", "0"]), BAD_TYPE);
    assert_eq!(c.run(&["BITFIELD", "k", "GET", "i0", "0"]), BAD_TYPE);
    assert_eq!(c.run(&["BITFIELD", "k", "GET", "i", "0"]), BAD_TYPE);
    assert_eq!(c.run(&["BITFIELD", "k", "GET", "", "0"]), BAD_TYPE);
    assert_eq!(c.run(&["BITFIELD", "k", "GET", "i8", "-1"]), BAD_OFFSET);
    assert_eq!(c.run(&["BITFIELD", "k", "GET", "i8", "#"]), BAD_OFFSET);
    assert_eq!(c.run(&["BITFIELD", "k", "GET", "i8", "#-1"]), BAD_OFFSET);
    assert_eq!(c.run(&["BITFIELD", "k", "GET", "i8", "#536870912"]), BAD_OFFSET);
    assert_eq!(c.run(&["BITFIELD", "k", "GET", "i8", "#536870911"]), "*1\r\n:0\r\n");
    assert_eq!(c.run(&["BITFIELD", "k", "GET", "i64", "#9223372036854775807"]), BAD_OFFSET, "the multiplication wraps negative, as in C");
    assert_eq!(c.run(&["BITFIELD", "k", "OVERFLOW", "foo"]), "-ERR Invalid OVERFLOW type specified\r\n");
    assert_eq!(c.run(&["BITFIELD", "k", "OVERFLOW"]), SYNTAX);
    assert_eq!(c.run(&["BITFIELD", "k", "GET", "i8"]), SYNTAX);
    assert_eq!(c.run(&["BITFIELD", "k", "SET", "i8", "0"]), SYNTAX);
    assert_eq!(c.run(&["BITFIELD", "k", "SET", "i8", "0", "x"]), NOT_INT);
    assert_eq!(c.run(&["BITFIELD", "k", "SET", "i8", "0", "1", "BAD"]), SYNTAX);
    assert!(!exists(&c, "k"), "nothing runs when a later argument is bad");
    let ro = "-ERR BITFIELD_RO only supports the GET subcommand\r\n";
    assert_eq!(c.run(&["BITFIELD_RO", "k", "SET", "i8", "0", "1"]), ro);
    assert_eq!(c.run(&["BITFIELD_RO", "k", "GET", "i8", "0", "INCRBY", "i8", "0", "1"]), ro);
    assert_eq!(c.run(&["BITFIELD_RO", "k", "SET", "i8", "0", "x"]), NOT_INT);
    assert_eq!(c.run(&["BITFIELD_RO", "k", "GET", "u8", "0"]), "*1\r\n:0\r\n");
    if plant_non_string(&mut c, "w") {
        assert_eq!(c.run(&["BITFIELD", "w", "GET", "i8", "0"]), WRONGTYPE);
        assert_eq!(c.run(&["BITFIELD", "w", "SET", "i8", "0", "1"]), WRONGTYPE);
        assert_eq!(c.run(&["BITFIELD", "w", "GET", "i8", "x"]), BAD_OFFSET);
        assert_eq!(c.run(&["BITFIELD", "w"]), WRONGTYPE);
    }
}

#[test]
fn bitfield_key_flags() {
    use super::bitfield::key_flags;
    use crate::spec::kf;
    let rw = kf::RW | kf::ACCESS | kf::UPDATE;
    assert_eq!(key_flags(&[b"bitfield", b"k", b"GET", b"u8", b"0"]), kf::RO | kf::ACCESS);
    assert_eq!(key_flags(&[b"bitfield", b"k", b"OVERFLOW", b"SAT", b"GET", b"u8", b"0"]), kf::RO | kf::ACCESS);
    assert_eq!(key_flags(&[b"bitfield", b"k", b"GET", b"u8", b"0", b"SET", b"u8", b"0", b"1"]), rw);
    assert_eq!(key_flags(&[b"bitfield", b"k", b"junk"]), rw);
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
