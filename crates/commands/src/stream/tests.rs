//! XADD, XTRIM, XDEL, XDELEX, XRANGE, XREAD, XSETID, XINFO STREAM through
//! the real dispatch path.

use crate::testing::TestClient;
use moon_resp::Protocol;

fn entry(id: &str, kv: &[&str]) -> String {
    let mut s = format!("*2\r\n${}\r\n{id}\r\n*{}\r\n", id.len(), kv.len());
    for x in kv {
        s += &format!("${}\r\n{x}\r\n", x.len());
    }
    s
}

fn client_with(ids: &[&str]) -> TestClient {
    let mut c = TestClient::new();
    for id in ids {
        c.run(&["XADD", "s", id, "f", "v"]);
    }
    c
}

#[test]
fn xadd_ids_and_errors() {
    let mut c = TestClient::new();
    assert_eq!(c.run(&["XADD", "s", "1-1", "a", "1"]), "$3\r\n1-1\r\n");
    assert_eq!(c.run(&["XADD", "s", "1-*", "a", "1"]), "$3\r\n1-2\r\n");
    assert_eq!(
        c.run(&["XADD", "s", "1", "a", "1"]),
        "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n"
    );
    assert_eq!(c.run(&["XADD", "s", "0-0", "a", "1"]), "-ERR The ID specified in XADD must be greater than 0-0\r\n");
    assert_eq!(c.run(&["XADD", "s", "1-x", "a", "1"]), "-ERR Invalid stream ID specified as stream command argument\r\n");
    assert_eq!(c.run(&["XADD", "s", "2-1", "a"]), "-ERR wrong number of arguments for 'xadd' command\r\n");
    assert_eq!(c.run(&["XADD", "s", "MAXLEN", "-1", "2-1", "a", "1"]), "-ERR The MAXLEN argument must be >= 0.\r\n");
    assert_eq!(
        c.run(&["XADD", "s", "MAXLEN", "1", "LIMIT", "2", "2-1", "a", "1"]),
        "-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n"
    );
    assert_eq!(
        c.run(&["XADD", "s", "MAXLEN", "1", "MINID", "1", "2-1", "a", "1"]),
        "-ERR syntax error, MAXLEN and MINID options at the same time are not compatible\r\n"
    );
    assert_eq!(c.run(&["XADD", "t", "NOMKSTREAM", "1-1", "a", "1"]), "$-1\r\n");
    assert_eq!(c.run(&["EXISTS", "t"]), ":0\r\n");
    c.run(&["SET", "str", "x"]);
    assert!(c.run(&["XADD", "str", "1-1", "a", "1"]).starts_with("-WRONGTYPE"));
    // The auto ID is time based and greater than anything before.
    let auto = c.run(&["XADD", "s", "*", "a", "1"]);
    assert!(auto.ends_with("-0\r\n") && auto.len() > 12, "{auto}");
}

#[test]
fn xadd_exhausted_stream() {
    let mut c = TestClient::new();
    c.run(&["XADD", "s", "18446744073709551615-18446744073709551615", "a", "1"]);
    let e = "-ERR The stream has exhausted the last possible ID, unable to add more items\r\n";
    assert_eq!(c.run(&["XADD", "s", "*", "a", "1"]), e);
    assert_eq!(c.run(&["XADD", "s", "1-1", "a", "1"]), e);
}

#[test]
fn ranges_and_counts() {
    let mut c = client_with(&["1-1", "2-1", "3-1"]);
    assert_eq!(c.run(&["XRANGE", "s", "(1-1", "2"]), format!("*1\r\n{}", entry("2-1", &["f", "v"])));
    assert_eq!(c.run(&["XREVRANGE", "s", "+", "-", "COUNT", "1"]), format!("*1\r\n{}", entry("3-1", &["f", "v"])));
    assert_eq!(c.run(&["XRANGE", "s", "-", "+", "COUNT", "0"]), "*-1\r\n");
    assert_eq!(c.run(&["XRANGE", "nokey", "-", "+", "COUNT", "0"]), "*0\r\n");
    assert_eq!(c.run(&["XRANGE", "s", "(-", "+"]), "-ERR Invalid stream ID specified as stream command argument\r\n");
    assert_eq!(c.run(&["XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"]), "-ERR invalid start ID for the interval\r\n");
    assert_eq!(c.run(&["XRANGE", "s", "-", "(0-0"]), "-ERR invalid end ID for the interval\r\n");
    assert_eq!(c.run(&["XRANGE", "s", "-", "+", "FOO"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["XLEN", "s"]), ":3\r\n");
}

#[test]
fn xdel_updates_first_and_tombstone() {
    let mut c = client_with(&["1-1", "2-1", "3-1"]);
    assert_eq!(c.run(&["XDEL", "s", "1-1", "9-9"]), ":1\r\n");
    let info = c.run(&["XINFO", "STREAM", "s"]);
    assert!(info.contains("max-deleted-entry-id\r\n$3\r\n1-1"), "{info}");
    assert!(info.contains("recorded-first-entry-id\r\n$3\r\n2-1"), "{info}");
    assert_eq!(c.run(&["XDEL", "s", "2-1", "3-1"]), ":2\r\n");
    let info = c.run(&["XINFO", "STREAM", "s"]);
    assert!(info.contains("recorded-first-entry-id\r\n$3\r\n0-0"), "{info}");
    assert!(info.contains("first-entry\r\n$-1\r\n"), "{info}");
    assert_eq!(c.run(&["EXISTS", "s"]), ":1\r\n");
}

#[test]
fn trimming_whole_blocks_and_exact() {
    let mut c = TestClient::with_config(&[("stream-node-max-entries", "4")]);
    for i in 1..=10 {
        c.run(&["XADD", "s", &format!("{i}-0"), "f", "v"]);
    }
    assert_eq!(c.run(&["XTRIM", "s", "MAXLEN", "~", "7"]), ":0\r\n");
    assert_eq!(c.run(&["XTRIM", "s", "MAXLEN", "~", "5"]), ":4\r\n");
    assert_eq!(c.run(&["XTRIM", "s", "MAXLEN", "=", "3"]), ":3\r\n");
    assert_eq!(c.run(&["XTRIM", "s", "MINID", "9"]), ":1\r\n");
    assert_eq!(c.run(&["XTRIM", "s", "FOO", "1"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["XTRIM", "s", "LIMIT", "1"]), "-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy\r\n");
    assert_eq!(c.run(&["XTRIM", "nokey", "MAXLEN", "1"]), ":0\r\n");
    let info = c.run(&["XINFO", "STREAM", "s"]);
    assert!(info.contains("radix-tree-keys\r\n:1\r\n"), "{info}");
}

#[test]
fn xsetid_rules() {
    let mut c = client_with(&["5-5"]);
    assert_eq!(c.run(&["XSETID", "s", "5-4"]), "-ERR The ID specified in XSETID is smaller than the target stream top item\r\n");
    assert_eq!(
        c.run(&["XSETID", "s", "9-0", "ENTRIESADDED", "0"]),
        "-ERR The entries_added specified in XSETID is smaller than the target stream length\r\n"
    );
    assert_eq!(
        c.run(&["XSETID", "s", "9-0", "MAXDELETEDID", "10-0"]),
        "-ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id\r\n"
    );
    assert_eq!(c.run(&["XSETID", "s", "9-0", "ENTRIESADDED", "5", "MAXDELETEDID", "2-0"]), "+OK\r\n");
    assert_eq!(c.run(&["XSETID", "s", "1-0"]), "-ERR The ID specified in XSETID is smaller than current max_deleted_entry_id\r\n");
    assert_eq!(c.run(&["XSETID", "nokey", "1-0"]), "-ERR no such key\r\n");
    assert_eq!(
        c.run(&["XADD", "s", "9-0", "a", "1"]),
        "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n"
    );
}

#[test]
fn xread_shapes_and_special_ids() {
    let mut c = client_with(&["1-1", "2-1"]);
    let one = entry("2-1", &["f", "v"]);
    assert_eq!(c.run(&["XREAD", "STREAMS", "s", "1-1"]), format!("*1\r\n*2\r\n$1\r\ns\r\n*1\r\n{one}"));
    assert_eq!(c.run(&["XREAD", "STREAMS", "s", "+"]), format!("*1\r\n*2\r\n$1\r\ns\r\n*1\r\n{one}"));
    assert_eq!(c.run(&["XREAD", "STREAMS", "s", "$"]), "*-1\r\n");
    // Nothing new: the client blocks (no reply yet).
    assert_eq!(c.run(&["XREAD", "BLOCK", "10", "STREAMS", "s", "$"]), "");
    assert!(c.conn.blocked.take().is_some());
    assert_eq!(
        c.run(&["XREAD", "STREAMS", "s", ">"]),
        "-ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.\r\n"
    );
    assert_eq!(c.run(&["XREAD", "BLOCK", "-1", "STREAMS", "s", "0"]), "-ERR timeout is negative\r\n");
    assert_eq!(
        c.run(&["XREAD", "STREAMS", "s", "s", "0"]),
        "-ERR Unbalanced 'xread' list of streams: for each stream key an ID, '+', or '$' must be specified.\r\n"
    );
    c.out.proto = Protocol::Resp3;
    assert_eq!(c.run(&["XREAD", "COUNT", "1", "STREAMS", "s", "0"]), format!("%1\r\n$1\r\ns\r\n*1\r\n{}", entry("1-1", &["f", "v"])));
    assert_eq!(c.run(&["XREAD", "STREAMS", "nokey", "0"]), "_\r\n");
}

#[test]
fn xdelex_policies() {
    let mut c = client_with(&["1-1", "2-1", "3-1"]);
    c.run(&["XGROUP", "CREATE", "s", "g", "0"]);
    c.run(&["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">"]);
    assert_eq!(c.run(&["XDELEX", "s", "ACKED", "IDS", "2", "1-1", "2-1"]), "*2\r\n:2\r\n:2\r\n");
    assert_eq!(c.run(&["XDELEX", "s", "IDS", "2", "1-1", "9-9"]), "*2\r\n:1\r\n:-1\r\n");
    assert!(c.run(&["XPENDING", "s", "g"]).starts_with("*4\r\n:1\r\n"));
    assert_eq!(c.run(&["XDELEX", "s", "DELREF", "IDS", "1", "2-1"]), "*1\r\n:1\r\n");
    assert_eq!(c.run(&["XDELEX", "s", "IDS", "2", "1-1"]), "-ERR The `numids` parameter must match the number of arguments\r\n");
    assert_eq!(c.run(&["XDELEX", "s", "IDS", "0", "1-1"]), "-ERR Number of IDs must be a positive integer\r\n");
    assert_eq!(c.run(&["XDELEX", "s", "KEEPREF", "DELREF", "IDS", "1", "1-1"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["XDELEX", "nokey", "IDS", "1", "bad"]), "*1\r\n:-1\r\n");
}
