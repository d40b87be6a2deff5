//! Consumer groups: XGROUP, XREADGROUP, XACK, XACKDEL, XPENDING, XCLAIM,
//! XAUTOCLAIM, XINFO GROUPS / CONSUMERS.

use crate::testing::TestClient;
use moon_resp::Protocol;

fn setup() -> TestClient {
    let mut c = TestClient::new();
    for id in ["1-1", "2-1", "3-1"] {
        c.run(&["XADD", "s", id, "f", "v"]);
    }
    assert_eq!(c.run(&["XGROUP", "CREATE", "s", "g", "0"]), "+OK\r\n");
    c
}

fn ids_of(reply: &str) -> Vec<String> {
    reply.split("\r\n").filter(|l| l.contains('-') && !l.starts_with('$') && !l.starts_with('-')).map(str::to_string).collect()
}

#[test]
fn xgroup_subcommands() {
    let mut c = setup();
    assert_eq!(c.run(&["XGROUP", "CREATE", "s", "g", "0"]), "-BUSYGROUP Consumer Group name already exists\r\n");
    assert!(c.run(&["XGROUP", "CREATE", "nokey", "g", "0"]).starts_with("-ERR The XGROUP subcommand requires the key to exist."));
    assert_eq!(c.run(&["XGROUP", "CREATE", "nokey", "g", "$", "MKSTREAM"]), "+OK\r\n");
    assert_eq!(c.run(&["XGROUP", "CREATE", "s", "h", "0", "ENTRIESREAD", "-2"]), "-ERR value for ENTRIESREAD must be positive or -1\r\n");
    assert_eq!(
        c.run(&["XGROUP", "CREATE", "s", "h", "0", "foo"]),
        "-ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP.\r\n"
    );
    assert_eq!(c.run(&["XGROUP", "SETID", "s", "nog", "0"]), "-NOGROUP No such consumer group 'nog' for key name 's'\r\n");
    assert_eq!(c.run(&["XGROUP", "CREATECONSUMER", "s", "g", "alice"]), ":1\r\n");
    assert_eq!(c.run(&["XGROUP", "CREATECONSUMER", "s", "g", "alice"]), ":0\r\n");
    assert_eq!(c.run(&["XGROUP", "DELCONSUMER", "s", "g", "alice"]), ":0\r\n");
    assert_eq!(c.run(&["XGROUP", "DESTROY", "s", "g"]), ":1\r\n");
    assert_eq!(c.run(&["XGROUP", "DESTROY", "s", "g"]), ":0\r\n");
    assert!(c.run(&["XGROUP", "HELP"]).starts_with("*17\r\n+XGROUP <subcommand>"));
    // ENTRIESREAD beyond what was ever added is clamped.
    c.run(&["XGROUP", "CREATE", "s", "h", "0", "ENTRIESREAD", "99"]);
    assert!(c.run(&["XINFO", "GROUPS", "s"]).contains("entries-read\r\n:3\r\n$3\r\nlag\r\n:3\r\n"));
}

#[test]
fn xreadgroup_new_and_history() {
    let mut c = setup();
    let r = c.run(&["XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"]);
    assert_eq!(ids_of(&r), ["1-1", "2-1"]);
    let r = c.run(&["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"]);
    assert_eq!(ids_of(&r), ["3-1"]);
    assert_eq!(c.run(&["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"]), "*-1\r\n");
    // History: the consumer's own pending entries; a deleted one reads as nil.
    c.run(&["XDEL", "s", "1-1"]);
    let r = c.run(&["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"]);
    assert!(r.starts_with("*1\r\n*2\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n1-1\r\n*-1\r\n"), "{r}");
    assert_eq!(c.run(&["XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", "0"]), "*1\r\n*2\r\n$1\r\ns\r\n*0\r\n");
    assert_eq!(
        c.run(&["XREADGROUP", "GROUP", "nog", "alice", "STREAMS", "s", ">"]),
        "-NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option\r\n"
    );
    assert!(c.run(&["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "$"]).starts_with("-ERR The $ ID is meaningless"));
    assert_eq!(c.run(&["XREADGROUP", "NOACK", "COUNT", "1", "STREAMS", "s", ">"]), "-ERR Missing GROUP option for XREADGROUP\r\n");
    assert_eq!(
        c.run(&["XPENDING", "s", "g"]),
        "*4\r\n:3\r\n$3\r\n1-1\r\n$3\r\n3-1\r\n*2\r\n*2\r\n$5\r\nalice\r\n$1\r\n2\r\n*2\r\n$3\r\nbob\r\n$1\r\n1\r\n"
    );
    c.out.proto = Protocol::Resp3;
    let r = c.run(&["XINFO", "GROUPS", "s"]);
    assert!(r.starts_with("*1\r\n%6\r\n$4\r\nname\r\n$1\r\ng\r\n$9\r\nconsumers\r\n:3\r\n$7\r\npending\r\n:3\r\n"), "{r}");
}

#[test]
fn noack_moves_the_group_without_pending() {
    let mut c = setup();
    c.run(&["XREADGROUP", "GROUP", "g", "alice", "NOACK", "STREAMS", "s", ">"]);
    assert_eq!(c.run(&["XPENDING", "s", "g"]), "*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n");
    assert!(c
        .run(&["XINFO", "GROUPS", "s"])
        .contains("last-delivered-id\r\n$3\r\n3-1\r\n$12\r\nentries-read\r\n:3\r\n$3\r\nlag\r\n:0\r\n"));
}

#[test]
fn xack_and_xackdel() {
    let mut c = setup();
    c.run(&["XGROUP", "CREATE", "s", "h", "0"]);
    c.run(&["XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">"]);
    c.run(&["XREADGROUP", "GROUP", "h", "a", "COUNT", "1", "STREAMS", "s", ">"]);
    assert_eq!(c.run(&["XACK", "s", "g", "1-1", "9-9"]), ":1\r\n");
    assert_eq!(c.run(&["XACK", "s", "g", "abc"]), "-ERR Invalid stream ID specified as stream command argument\r\n");
    assert_eq!(c.run(&["XACK", "s", "nog", "abc"]), ":0\r\n");
    // 2-1 was never delivered to h: ACKED keeps it.
    assert_eq!(c.run(&["XACKDEL", "s", "g", "ACKED", "IDS", "1", "2-1"]), "*1\r\n:2\r\n");
    assert_eq!(c.run(&["XACKDEL", "s", "g", "IDS", "1", "2-1"]), "*1\r\n:-1\r\n");
    assert_eq!(c.run(&["XACKDEL", "s", "h", "DELREF", "IDS", "1", "1-1"]), "*1\r\n:1\r\n");
    assert_eq!(c.run(&["XACKDEL", "s", "g", "IDS", "1", "3-1"]), "*1\r\n:1\r\n");
    assert_eq!(ids_of(&c.run(&["XRANGE", "s", "-", "+"])), ["2-1"]);
    assert_eq!(c.run(&["XACKDEL", "nokey", "g", "IDS", "1", "1-1"]), "*1\r\n:-1\r\n");
}

#[test]
fn xpending_extended_and_errors() {
    let mut c = setup();
    c.run(&["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"]);
    let r = c.run(&["XPENDING", "s", "g", "-", "+", "2"]);
    assert_eq!(ids_of(&r), ["1-1", "2-1"]);
    assert!(r.contains("$5\r\nalice\r\n:"), "{r}");
    assert_eq!(c.run(&["XPENDING", "s", "g", "-", "+", "10", "nobody"]), "*0\r\n");
    assert_eq!(c.run(&["XPENDING", "s", "g", "IDLE", "100000000", "-", "+", "10"]), "*0\r\n");
    assert_eq!(c.run(&["XPENDING", "s", "g", "-", "+"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["XPENDING", "s", "g", "IDLE", "1", "-", "+"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["XPENDING", "s", "nog"]), "-NOGROUP No such key 's' or consumer group 'nog'\r\n");
}

#[test]
fn xclaim_and_xautoclaim() {
    let mut c = setup();
    c.run(&["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"]);
    assert_eq!(c.run(&["XCLAIM", "s", "g", "bob", "0", "1-1", "JUSTID"]), "*1\r\n$3\r\n1-1\r\n");
    assert_eq!(c.run(&["XCLAIM", "s", "g", "bob", "100000000", "2-1"]), "*0\r\n");
    let r = c.run(&["XCLAIM", "s", "g", "bob", "0", "2-1", "RETRYCOUNT", "7"]);
    assert!(r.starts_with("*1\r\n*2\r\n$3\r\n2-1\r\n"), "{r}");
    assert!(c.run(&["XPENDING", "s", "g", "2-1", "2-1", "1"]).ends_with(":7\r\n"));
    assert_eq!(c.run(&["XCLAIM", "s", "g", "bob", "0", "2-1", "FOO"]), "-ERR Unrecognized XCLAIM option 'FOO'\r\n");
    assert_eq!(c.run(&["XCLAIM", "s", "g", "bob", "x", "2-1"]), "-ERR Invalid min-idle-time argument for XCLAIM\r\n");
    // A deleted entry leaves the PEL when claimed.
    c.run(&["XDEL", "s", "3-1"]);
    assert_eq!(c.run(&["XCLAIM", "s", "g", "bob", "0", "3-1"]), "*0\r\n");
    assert!(c.run(&["XPENDING", "s", "g"]).starts_with("*4\r\n:2\r\n"));
    c.run(&["XADD", "s", "4-1", "f", "v"]);
    c.run(&["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"]);
    c.run(&["XDEL", "s", "1-1"]);
    // Cursor, claimed, deleted: 1-1 is gone, 2-1 claimed, next is 4-1.
    assert_eq!(
        c.run(&["XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "2", "JUSTID"]),
        "*3\r\n$3\r\n4-1\r\n*1\r\n$3\r\n2-1\r\n*1\r\n$3\r\n1-1\r\n"
    );
    assert_eq!(c.run(&["XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "0"]), "-ERR COUNT must be > 0\r\n");
    assert_eq!(c.run(&["XAUTOCLAIM", "s", "g", "carol", "0", "(4-1", "JUSTID"]), "*3\r\n$3\r\n0-0\r\n*0\r\n*0\r\n");
    assert_eq!(c.run(&["XAUTOCLAIM", "s", "nog", "carol", "0", "0"]), "-NOGROUP No such key 's' or consumer group 'nog'\r\n");
}

#[test]
fn xinfo_subcommands() {
    let mut c = setup();
    c.run(&["XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">"]);
    let r = c.run(&["XINFO", "CONSUMERS", "s", "g"]);
    assert!(r.starts_with("*1\r\n*8\r\n$4\r\nname\r\n$5\r\nalice\r\n$7\r\npending\r\n:1\r\n$4\r\nidle\r\n:"), "{r}");
    let r = c.run(&["XINFO", "STREAM", "s", "FULL", "COUNT", "1"]);
    assert!(r.starts_with("*18\r\n$6\r\nlength\r\n:3\r\n"), "{r}");
    assert!(r.contains("$7\r\nentries\r\n*1\r\n"), "{r}");
    assert!(r.contains("$9\r\npel-count\r\n:1\r\n$7\r\npending\r\n*1\r\n*4\r\n$3\r\n1-1\r\n$5\r\nalice\r\n"), "{r}");
    assert_eq!(
        c.run(&["XINFO", "STREAM", "s", "FOO"]),
        "-ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.\r\n"
    );
    assert_eq!(c.run(&["XINFO", "STREAM", "nokey", "FOO"]), "-ERR no such key\r\n");
    assert_eq!(c.run(&["XINFO", "CONSUMERS", "s", "nog"]), "-NOGROUP No such consumer group 'nog' for key name 's'\r\n");
    assert!(c.run(&["XINFO", "HELP"]).starts_with("*9\r\n"));
    c.out.proto = Protocol::Resp3;
    assert!(c.run(&["XINFO", "STREAM", "s"]).starts_with("%10\r\n"));
}
