use crate::testing::TestClient;

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

fn enc(c: &mut TestClient, key: &str) -> String {
    c.run(&["OBJECT", "ENCODING", key])
}

#[test]
fn push_pop_and_lengths() {
    let mut c = TestClient::new();
    assert_eq!(c.run(&["LPUSHX", "l", "a"]), ":0\r\n");
    assert_eq!(c.run(&["EXISTS", "l"]), ":0\r\n");
    assert_eq!(c.run(&["RPUSH", "l", "a", "b", "c"]), ":3\r\n");
    assert_eq!(c.run(&["LPUSH", "l", "x", "y"]), ":5\r\n");
    assert_eq!(c.run(&["RPUSHX", "l", "z"]), ":6\r\n");
    assert_eq!(c.run(&["LRANGE", "l", "0", "-1"]), "*6\r\n$1\r\ny\r\n$1\r\nx\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nz\r\n");
    assert_eq!(c.run(&["LLEN", "l"]), ":6\r\n");
    assert_eq!(c.run(&["LLEN", "nokey"]), ":0\r\n");
    assert_eq!(c.run(&["LPOP", "l"]), "$1\r\ny\r\n");
    assert_eq!(c.run(&["RPOP", "l"]), "$1\r\nz\r\n");
    assert_eq!(c.run(&["RPOP", "l", "2"]), "*2\r\n$1\r\nc\r\n$1\r\nb\r\n");
    assert_eq!(c.run(&["LPOP", "l", "0"]), "*0\r\n");
    assert_eq!(c.run(&["LPOP", "l", "10"]), "*2\r\n$1\r\nx\r\n$1\r\na\r\n");
    assert_eq!(c.run(&["EXISTS", "l"]), ":0\r\n", "an emptied list is deleted");
    assert_eq!(c.run(&["LPOP", "l"]), "$-1\r\n");
    assert_eq!(c.run(&["LPOP", "l", "0"]), "*-1\r\n");
    assert_eq!(c.run(&["RPOP", "l", "3"]), "*-1\r\n");
    assert_eq!(c.run(&["LPOP", "l", "-1"]), "-ERR value is out of range, must be positive\r\n");
    assert_eq!(c.run(&["LPOP", "l", "x"]), "-ERR value is out of range, must be positive\r\n");
    assert_eq!(c.run(&["LPOP", "l", "1", "2"]), "-ERR wrong number of arguments for 'lpop' command\r\n");
    assert_eq!(c.run(&["LPUSH", "l"]), "-ERR wrong number of arguments for 'lpush' command\r\n");
    c.run(&["HELLO", "3"]);
    assert_eq!(c.run(&["LPOP", "l"]), "_\r\n");
    assert_eq!(c.run(&["LPOP", "l", "2"]), "_\r\n");
}

#[test]
fn exact_bytes_are_kept() {
    let mut c = TestClient::new();
    for v in ["007", "+1", " 1", "-0", "1", "-9223372036854775808", "9223372036854775808", "", "1.0"] {
        c.run(&["RPUSH", "l", v]);
        assert_eq!(c.run(&["RPOP", "l"]), format!("${}\r\n{v}\r\n", v.len()));
    }
    let bin: &[u8] = b"a\x00b\r\n\xff";
    c.run_bytes(&[b"LPUSH", b"l", bin]);
    assert_eq!(c.run_bytes(&[b"LINDEX", b"l", b"0"]), [&b"$6\r\n"[..], bin, b"\r\n"].concat());
}

#[test]
fn wrong_type_and_argument_order() {
    let mut c = TestClient::new();
    c.run(&["SET", "s", "v"]);
    for cmd in [
        &["LPUSH", "s", "a"][..],
        &["RPUSHX", "s", "a"],
        &["LPOP", "s"],
        &["RPOP", "s", "0"],
        &["LLEN", "s"],
        &["LRANGE", "s", "0", "1"],
        &["LINDEX", "s", "x"],
        &["LSET", "s", "x", "v"],
        &["LINSERT", "s", "BEFORE", "a", "b"],
        &["LREM", "s", "0", "a"],
        &["LTRIM", "s", "0", "1"],
        &["LPOS", "s", "a"],
        &["LMOVE", "s", "d", "LEFT", "RIGHT"],
        &["RPOPLPUSH", "s", "d"],
        &["LMPOP", "2", "nokey", "s", "LEFT"],
    ] {
        assert_eq!(c.run(cmd), WRONGTYPE, "{cmd:?}");
    }
    // Arguments parsed before the lookup win over a missing key...
    assert_eq!(c.run(&["LRANGE", "nokey", "x", "1"]), "-ERR value is not an integer or out of range\r\n");
    assert_eq!(c.run(&["LREM", "nokey", "x", "a"]), "-ERR value is not an integer or out of range\r\n");
    assert_eq!(c.run(&["LTRIM", "nokey", "0", "x"]), "-ERR value is not an integer or out of range\r\n");
    assert_eq!(c.run(&["LINSERT", "nokey", "middle", "a", "b"]), "-ERR syntax error\r\n");
    // ...and those parsed after it lose to it.
    assert_eq!(c.run(&["LINDEX", "nokey", "x"]), "$-1\r\n");
    assert_eq!(c.run(&["LSET", "nokey", "x", "v"]), "-ERR no such key\r\n");
    c.run(&["RPUSH", "l", "a"]);
    assert_eq!(c.run(&["LINDEX", "l", "x"]), "-ERR value is not an integer or out of range\r\n");
    assert_eq!(c.run(&["LSET", "l", "x", "v"]), "-ERR value is not an integer or out of range\r\n");
}

#[test]
fn ranges_and_indexes() {
    let mut c = TestClient::new();
    c.run(&["RPUSH", "l", "a", "b", "c", "d", "e"]);
    assert_eq!(c.run(&["LRANGE", "l", "1", "2"]), "*2\r\n$1\r\nb\r\n$1\r\nc\r\n");
    assert_eq!(c.run(&["LRANGE", "l", "-2", "100"]), "*2\r\n$1\r\nd\r\n$1\r\ne\r\n");
    assert_eq!(c.run(&["LRANGE", "l", "-100", "0"]), "*1\r\n$1\r\na\r\n");
    assert_eq!(c.run(&["LRANGE", "l", "3", "1"]), "*0\r\n");
    assert_eq!(c.run(&["LRANGE", "l", "5", "10"]), "*0\r\n");
    assert_eq!(c.run(&["LRANGE", "l", "-9223372036854775808", "9223372036854775807"]).len(), 39);
    assert_eq!(c.run(&["LRANGE", "nokey", "0", "-1"]), "*0\r\n");
    assert_eq!(c.run(&["LINDEX", "l", "-1"]), "$1\r\ne\r\n");
    assert_eq!(c.run(&["LINDEX", "l", "5"]), "$-1\r\n");
    assert_eq!(c.run(&["LINDEX", "l", "-6"]), "$-1\r\n");
    assert_eq!(c.run(&["LSET", "l", "-1", "E"]), "+OK\r\n");
    assert_eq!(c.run(&["LSET", "l", "5", "x"]), "-ERR index out of range\r\n");
    assert_eq!(c.run(&["LINDEX", "l", "4"]), "$1\r\nE\r\n");
}

#[test]
fn insert_remove_trim() {
    let mut c = TestClient::new();
    c.run(&["RPUSH", "l", "a", "b", "a", "c", "a"]);
    assert_eq!(c.run(&["LINSERT", "l", "before", "b", "x"]), ":6\r\n");
    assert_eq!(c.run(&["LINSERT", "l", "AFTER", "a", "y"]), ":7\r\n");
    assert_eq!(c.run(&["LINSERT", "l", "AFTER", "zz", "y"]), ":-1\r\n");
    assert_eq!(c.run(&["LINSERT", "nokey", "AFTER", "a", "y"]), ":0\r\n");
    assert_eq!(c.run(&["LRANGE", "l", "0", "-1"]), "*7\r\n$1\r\na\r\n$1\r\ny\r\n$1\r\nx\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nc\r\n$1\r\na\r\n");
    assert_eq!(c.run(&["LREM", "l", "-1", "a"]), ":1\r\n");
    assert_eq!(c.run(&["LREM", "l", "0", "a"]), ":2\r\n");
    assert_eq!(c.run(&["LREM", "l", "1", "nope"]), ":0\r\n");
    assert_eq!(c.run(&["LRANGE", "l", "0", "-1"]), "*4\r\n$1\r\ny\r\n$1\r\nx\r\n$1\r\nb\r\n$1\r\nc\r\n");
    assert_eq!(c.run(&["LTRIM", "l", "1", "-2"]), "+OK\r\n");
    assert_eq!(c.run(&["LRANGE", "l", "0", "-1"]), "*2\r\n$1\r\nx\r\n$1\r\nb\r\n");
    assert_eq!(c.run(&["LTRIM", "nokey", "0", "1"]), "+OK\r\n");
    assert_eq!(c.run(&["LTRIM", "l", "5", "1"]), "+OK\r\n");
    assert_eq!(c.run(&["EXISTS", "l"]), ":0\r\n");
    c.run(&["RPUSH", "l", "a", "a"]);
    assert_eq!(
        c.run(&["LREM", "l", "-9223372036854775808", "a"]),
        "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
    );
    assert_eq!(c.run(&["LREM", "l", "-9223372036854775807", "a"]), ":2\r\n");
    assert_eq!(c.run(&["EXISTS", "l"]), ":0\r\n");
}

#[test]
fn lpos_options() {
    let mut c = TestClient::new();
    c.run(&["RPUSH", "l", "a", "b", "c", "a", "b", "c", "a"]);
    assert_eq!(c.run(&["LPOS", "l", "a"]), ":0\r\n");
    assert_eq!(c.run(&["LPOS", "l", "a", "RANK", "2"]), ":3\r\n");
    assert_eq!(c.run(&["LPOS", "l", "a", "RANK", "-1"]), ":6\r\n");
    assert_eq!(c.run(&["LPOS", "l", "a", "COUNT", "0"]), "*3\r\n:0\r\n:3\r\n:6\r\n");
    assert_eq!(c.run(&["LPOS", "l", "a", "RANK", "-2", "COUNT", "5"]), "*2\r\n:3\r\n:0\r\n");
    assert_eq!(c.run(&["LPOS", "l", "a", "COUNT", "2", "MAXLEN", "3"]), "*1\r\n:0\r\n");
    assert_eq!(c.run(&["LPOS", "l", "c", "MAXLEN", "2"]), "$-1\r\n");
    assert_eq!(c.run(&["LPOS", "l", "z", "COUNT", "1"]), "*0\r\n");
    assert_eq!(c.run(&["LPOS", "nokey", "z", "COUNT", "1"]), "*0\r\n");
    assert_eq!(c.run(&["LPOS", "nokey", "z"]), "$-1\r\n");
    assert_eq!(
        c.run(&["LPOS", "l", "a", "RANK", "0"]),
        "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list\r\n"
    );
    assert_eq!(
        c.run(&["LPOS", "l", "a", "RANK", "-9223372036854775808"]),
        "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
    );
    assert_eq!(c.run(&["LPOS", "l", "a", "RANK", "x"]), "-ERR value is not an integer or out of range\r\n");
    assert_eq!(c.run(&["LPOS", "l", "a", "COUNT", "x"]), "-ERR COUNT can't be negative\r\n");
    assert_eq!(c.run(&["LPOS", "l", "a", "MAXLEN", "-1"]), "-ERR MAXLEN can't be negative\r\n");
    assert_eq!(c.run(&["LPOS", "l", "a", "COUNT"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["LPOS", "nokey", "a", "bogus"]), "-ERR syntax error\r\n");
}

#[test]
fn lmove_and_rpoplpush() {
    let mut c = TestClient::new();
    c.run(&["RPUSH", "{k}a", "1", "2", "3"]);
    assert_eq!(c.run(&["LMOVE", "{k}a", "{k}b", "LEFT", "RIGHT"]), "$1\r\n1\r\n");
    assert_eq!(c.run(&["LMOVE", "{k}a", "{k}b", "right", "left"]), "$1\r\n3\r\n");
    assert_eq!(c.run(&["LRANGE", "{k}b", "0", "-1"]), "*2\r\n$1\r\n3\r\n$1\r\n1\r\n");
    assert_eq!(c.run(&["RPOPLPUSH", "{k}a", "{k}b"]), "$1\r\n2\r\n");
    assert_eq!(c.run(&["EXISTS", "{k}a"]), ":0\r\n");
    assert_eq!(c.run(&["RPOPLPUSH", "{k}a", "{k}b"]), "$-1\r\n");
    // Rotation on one key.
    assert_eq!(c.run(&["LMOVE", "{k}b", "{k}b", "LEFT", "RIGHT"]), "$1\r\n2\r\n");
    assert_eq!(c.run(&["LRANGE", "{k}b", "0", "-1"]), "*3\r\n$1\r\n3\r\n$1\r\n1\r\n$1\r\n2\r\n");
    // Keys in different stripes, and a wrong-typed destination.
    assert_eq!(c.run(&["LMOVE", "{k}b", "other", "LEFT", "LEFT"]), "$1\r\n3\r\n");
    c.run(&["SET", "str", "x"]);
    assert_eq!(c.run(&["LMOVE", "{k}b", "str", "LEFT", "LEFT"]), WRONGTYPE);
    assert_eq!(c.run(&["LLEN", "{k}b"]), ":2\r\n", "nothing popped on error");
    assert_eq!(c.run(&["LMOVE", "nokey", "str", "LEFT", "LEFT"]), "$-1\r\n");
    assert_eq!(c.run(&["LMOVE", "{k}b", "other", "UP", "LEFT"]), "-ERR syntax error\r\n");
    // A single-element list rotated onto itself stays.
    c.run(&["RPUSH", "one", "x"]);
    assert_eq!(c.run(&["RPOPLPUSH", "one", "one"]), "$1\r\nx\r\n");
    assert_eq!(c.run(&["LRANGE", "one", "0", "-1"]), "*1\r\n$1\r\nx\r\n");
}

#[test]
fn lmpop_forms() {
    let mut c = TestClient::new();
    c.run(&["RPUSH", "b", "1", "2", "3"]);
    assert_eq!(c.run(&["LMPOP", "2", "a", "b", "LEFT"]), "*2\r\n$1\r\nb\r\n*1\r\n$1\r\n1\r\n");
    assert_eq!(c.run(&["LMPOP", "2", "a", "b", "RIGHT", "COUNT", "5"]), "*2\r\n$1\r\nb\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n");
    assert_eq!(c.run(&["LMPOP", "1", "b", "LEFT"]), "*-1\r\n");
    assert_eq!(c.run(&["LMPOP", "0", "b", "LEFT"]), "-ERR numkeys should be greater than 0\r\n");
    assert_eq!(c.run(&["LMPOP", "x", "b", "LEFT"]), "-ERR numkeys should be greater than 0\r\n");
    assert_eq!(c.run(&["LMPOP", "5", "b", "LEFT"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["LMPOP", "9223372036854775807", "b", "LEFT"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["LMPOP", "1", "b", "UP"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["LMPOP", "1", "b", "LEFT", "COUNT", "0"]), "-ERR count should be greater than 0\r\n");
    assert_eq!(c.run(&["LMPOP", "1", "b", "LEFT", "COUNT", "1", "COUNT", "1"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["LMPOP", "1", "b", "LEFT", "COUNT"]), "-ERR syntax error\r\n");
    c.run(&["HELLO", "3"]);
    assert_eq!(c.run(&["LMPOP", "1", "b", "LEFT"]), "_\r\n");
}

#[test]
fn encodings_follow_list_max_listpack_size() {
    let mut c = TestClient::with_config(&[("list-max-listpack-size", "4")]);
    c.run(&["RPUSH", "l", "a", "b", "c", "d"]);
    assert_eq!(enc(&mut c, "l"), "$8\r\nlistpack\r\n");
    c.run(&["RPUSH", "l", "e"]);
    assert_eq!(enc(&mut c, "l"), "$9\r\nquicklist\r\n");
    c.run(&["RPOP", "l", "2"]);
    assert_eq!(enc(&mut c, "l"), "$9\r\nquicklist\r\n", "3 > 4/2: hysteresis");
    c.run(&["RPOP", "l"]);
    assert_eq!(enc(&mut c, "l"), "$8\r\nlistpack\r\n");
    // LSET checks growth as if adding an element.
    c.run(&["RPUSH", "m", "a", "b", "c", "d"]);
    assert_eq!(c.run(&["LSET", "m", "9", "x"]), "-ERR index out of range\r\n");
    assert_eq!(enc(&mut c, "m"), "$9\r\nquicklist\r\n");
    // A big element in the default byte budget.
    c.run(&["CONFIG", "SET", "list-max-listpack-size", "-2"]);
    let big = "x".repeat(9000);
    c.run(&["RPUSH", "n", "a"]);
    assert_eq!(enc(&mut c, "n"), "$8\r\nlistpack\r\n");
    c.run(&["RPUSH", "n", &big]);
    assert_eq!(enc(&mut c, "n"), "$9\r\nquicklist\r\n");
    assert_eq!(c.run(&["LINDEX", "n", "1"]).len(), 9000 + 9);
    // COPY keeps the encoding.
    c.run(&["COPY", "n", "n2"]);
    assert_eq!(enc(&mut c, "n2"), "$9\r\nquicklist\r\n");
    assert_eq!(c.run(&["TYPE", "n2"]), "+list\r\n");
}

#[test]
fn dirty_counts_like_redis() {
    let mut c = TestClient::new();
    let dirty = |c: &TestClient| c.srv.stats.dirty.load(std::sync::atomic::Ordering::Relaxed);
    let d0 = dirty(&c);
    c.run(&["RPUSH", "l", "a", "b", "c"]);
    assert_eq!(dirty(&c) - d0, 3);
    c.run(&["LMOVE", "l", "m", "LEFT", "LEFT"]);
    assert_eq!(dirty(&c) - d0, 4);
    c.run(&["RPOP", "l", "5"]);
    assert_eq!(dirty(&c) - d0, 6);
    c.run(&["LPUSHX", "nokey", "a"]);
    assert_eq!(dirty(&c) - d0, 6);
}
