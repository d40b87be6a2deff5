//! What commands journal, and that replaying it rebuilds the same data.

use super::load::{End, Replayer};
use crate::testing::TestClient;

/// The pending journal as one line per command, arguments space-separated
/// (numbers that depend on the clock replaced by `T`).
fn records(c: &TestClient) -> Vec<String> {
    let bytes = c.srv.journal.pending();
    let mut out = Vec::new();
    let mut ab = moon_resp::ArgBuf::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let Ok(moon_resp::Parsed::Command { consumed }) = ab.parse(&bytes[pos..], &moon_resp::Limits::default()) else {
            panic!("bad journal")
        };
        let argv = ab.argv(&bytes[pos..pos + consumed]);
        let words: Vec<String> = argv
            .iter()
            .map(|a| {
                let s = String::from_utf8_lossy(a).into_owned();
                // Unix ms of this decade, alone or as a stream ID's time.
                if s.len() >= 13 && s.starts_with("17") && s[..13].bytes().all(|b| b.is_ascii_digit()) {
                    format!("T{}", &s[13..])
                } else {
                    s
                }
            })
            .collect();
        out.push(words.join(" "));
        pos += consumed;
    }
    out
}

fn journaled(setup: &[&[&str]], cmd: &[&str]) -> Vec<String> {
    let mut c = TestClient::new();
    for s in setup {
        c.run(s);
    }
    c.srv.journal.capture();
    c.run(cmd);
    records(&c)
}

#[test]
fn writes_are_journaled_as_called_reads_not_at_all() {
    assert_eq!(journaled(&[], &["SET", "k", "v"]), ["SELECT 0", "SET k v"]);
    assert_eq!(journaled(&[&["SET", "k", "v"]], &["GET", "k"]), Vec::<String>::new());
    // A write that changed nothing is not journaled.
    assert_eq!(journaled(&[], &["DEL", "nothing"]), Vec::<String>::new());
}

#[test]
fn time_and_chance_become_their_effect() {
    let set = &["SET", "k", "v"][..];
    assert_eq!(journaled(&[set], &["EXPIRE", "k", "100"]), ["SELECT 0", "PEXPIREAT k T"]);
    assert_eq!(journaled(&[set], &["EXPIRE", "k", "-1"]), ["SELECT 0", "DEL k"]);
    assert_eq!(journaled(&[], &["SET", "k", "v", "EX", "100", "GET"]), ["SELECT 0", "SET k v PXAT T"]);
    assert_eq!(journaled(&[], &["SETEX", "k", "100", "v"]), ["SELECT 0", "SET k v PXAT T"]);
    assert_eq!(journaled(&[set], &["GETEX", "k", "PERSIST"]), Vec::<String>::new());
    assert_eq!(journaled(&[set], &["GETEX", "k", "PX", "5000"]), ["SELECT 0", "PEXPIREAT k T"]);
    assert_eq!(journaled(&[set], &["GETDEL", "k"]), ["SELECT 0", "DEL k"]);
    assert_eq!(journaled(&[&["SET", "f", "1"]], &["INCRBYFLOAT", "f", "1.5"]), ["SELECT 0", "SET f 2.5 KEEPTTL"]);
    assert_eq!(journaled(&[&["SADD", "s", "a"]], &["SPOP", "s"]), ["SELECT 0", "SREM s a"]);
    assert_eq!(journaled(&[&["SADD", "s", "a", "b"]], &["SPOP", "s", "5"]), ["SELECT 0", "DEL s"]);
    let r = journaled(&[&["SADD", "s", "a", "b", "c"]], &["SPOP", "s", "2"]);
    assert_eq!(r.len(), 2);
    assert!(r[1].starts_with("SREM s "), "{r:?}");
    assert_eq!(journaled(&[&["HSET", "h", "a", "1"]], &["HINCRBYFLOAT", "h", "a", "0.5"]), ["SELECT 0", "HSETEX h KEEPTTL FIELDS 1 a 1.5"]);
    assert_eq!(
        journaled(&[&["HSET", "h", "a", "1", "b", "2"]], &["HEXPIRE", "h", "100", "FIELDS", "2", "a", "zz"]),
        ["SELECT 0", "HPEXPIREAT h T FIELDS 1 a"]
    );
    assert_eq!(journaled(&[&["HSET", "h", "a", "1"]], &["HGETDEL", "h", "FIELDS", "1", "a"]), ["SELECT 0", "HDEL h a"]);
}

#[test]
fn blocking_pops_with_data_are_plain_pops() {
    let l = &["RPUSH", "l", "a", "b", "c"][..];
    assert_eq!(journaled(&[l], &["BLPOP", "l", "0"]), ["SELECT 0", "LPOP l"]);
    assert_eq!(journaled(&[l], &["BLMPOP", "0", "1", "l", "RIGHT", "COUNT", "5"]), ["SELECT 0", "RPOP l 3"]);
    assert_eq!(journaled(&[l], &["BLMOVE", "l", "m", "LEFT", "RIGHT", "0"]), ["SELECT 0", "LMOVE l m LEFT RIGHT"]);
    assert_eq!(
        journaled(&[&["ZADD", "z", "1", "a", "2", "b"]], &["BZMPOP", "0", "1", "z", "MAX", "COUNT", "9"]),
        ["SELECT 0", "ZPOPMAX z 2"]
    );
}

#[test]
fn streams_journal_ids_exact_trims_and_group_effects() {
    let r = journaled(&[], &["XADD", "s", "MAXLEN", "~", "5", "*", "f", "v"]);
    assert_eq!(r, ["SELECT 0", "XADD s MAXLEN = 1 T-0 f v"]);
    let setup: &[&[&str]] = &[&["XADD", "s", "1-1", "f", "v"], &["XGROUP", "CREATE", "s", "g", "0"]];
    let r = journaled(setup, &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"]);
    assert_eq!(
        r,
        [
            "SELECT 0",
            "MULTI",
            "XCLAIM s g c 0 1-1 TIME T RETRYCOUNT 1 FORCE JUSTID LASTID 1-1",
            "XGROUP SETID s g 1-1 ENTRIESREAD 1",
            "EXEC"
        ]
    );
}

#[test]
fn transactions_and_scripts_are_wrapped_effects() {
    let mut c = TestClient::new();
    c.srv.journal.capture();
    c.run(&["MULTI"]);
    c.run(&["SET", "a", "1"]);
    c.run(&["EXPIRE", "a", "100"]);
    c.run(&["GET", "a"]);
    c.run(&["EXEC"]);
    assert_eq!(records(&c), ["SELECT 0", "MULTI", "SET a 1", "PEXPIREAT a T", "EXEC"]);
    let mut c = TestClient::new();
    c.srv.journal.capture();
    c.run(&["EVAL", "redis.call('set','x','1') redis.call('incr','x') return 1", "0"]);
    assert_eq!(records(&c), ["SELECT 0", "MULTI", "set x 1", "incr x", "EXEC"]);
}

#[test]
fn a_key_found_expired_is_journaled_as_del() {
    let mut c = TestClient::new();
    c.run(&["SET", "k", "v", "PX", "1"]);
    std::thread::sleep(std::time::Duration::from_millis(5));
    c.srv.journal.capture();
    c.run(&["GET", "k"]);
    assert_eq!(records(&c), ["SELECT 0", "DEL k"]);
}

/// A workload of every kind of journaled command, then the journal
/// replayed into a fresh server: both datasets have the same digest.
#[test]
fn replaying_the_journal_rebuilds_the_same_data() {
    let mut c = TestClient::new();
    c.srv.journal.capture();
    let script: &[&[&str]] = &[
        &["SET", "s1", "v", "EX", "1000"],
        &["SETEX", "s2", "1000", "v"],
        &["SET", "f", "1.25"],
        &["INCRBYFLOAT", "f", "2"],
        &["APPEND", "s1", "tail"],
        &["EXPIRE", "s1", "5000"],
        &["SADD", "set", "1", "2", "3", "4", "5", "6", "7", "8", "a", "b"],
        &["SPOP", "set"],
        &["SPOP", "set", "3"],
        &["RPUSH", "l", "a", "b", "c", "d"],
        &["BLPOP", "l", "0"],
        &["LMPOP", "1", "l", "RIGHT", "COUNT", "2"],
        &["ZADD", "z", "1", "a", "2", "b", "3", "c"],
        &["ZMPOP", "1", "z", "MIN"],
        &["HSET", "h", "a", "1", "b", "2", "c", "3"],
        &["HEXPIRE", "h", "1000", "FIELDS", "1", "a"],
        &["HINCRBYFLOAT", "h", "b", "0.5"],
        &["HSETEX", "h", "PX", "90000", "FIELDS", "1", "d", "4"],
        &["XADD", "st", "*", "a", "1"],
        &["XADD", "st", "MAXLEN", "~", "1", "*", "b", "2"],
        &["XGROUP", "CREATE", "st", "g", "0"],
        &["XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "st", ">"],
        &["XREADGROUP", "GROUP", "g", "c2", "STREAMS", "st", ">"],
        &["XCLAIM", "st", "g", "c3", "0", "0-1"],
        &["SELECT", "2"],
        &["SET", "other", "db"],
        &["SELECT", "0"],
        &["MULTI"],
        &["INCR", "n"],
        &["SPOP", "set"],
        &["EXEC"],
        &["EVAL", "redis.call('sadd', KEYS[1], 'x', 'y') return redis.call('spop', KEYS[1])", "1", "ev"],
        &["PFADD", "hll", "a", "b", "c"],
    ];
    for cmd in script {
        c.run(cmd);
    }
    let digest = c.run(&["DEBUG", "DIGEST"]);
    let data = c.srv.journal.pending();
    let mut fresh = TestClient::new();
    assert_eq!(Replayer::new(&fresh.srv).run(&data, "test.aof"), Ok(End::Clean));
    assert_eq!(fresh.run(&["DEBUG", "DIGEST"]), digest, "{:#?}", records(&c));
}

#[test]
fn expired_hash_fields_are_journaled_as_hdel() {
    let mut c = TestClient::new();
    c.run(&["HSET", "h", "gone", "1", "kept", "2"]);
    c.run(&["HPEXPIRE", "h", "1", "FIELDS", "1", "gone"]);
    std::thread::sleep(std::time::Duration::from_millis(5));
    c.srv.journal.capture();
    // A write over the expired field: on replay it must find it gone too.
    c.run(&["HSETNX", "h", "gone", "new"]);
    assert_eq!(records(&c), ["SELECT 0", "MULTI", "HDEL h gone", "HSETNX h gone new", "EXEC"]);
}
