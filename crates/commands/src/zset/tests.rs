//! Sorted set commands through the real dispatch path: writes, lookups,
//! pops, set operations, ZSCAN, encodings. Ranges are in tests_range.rs.

use crate::testing::TestClient;

fn resp3() -> TestClient {
    let mut c = TestClient::new();
    c.run(&["HELLO", "3"]);
    c
}

#[test]
fn zadd_options_and_replies() {
    let mut c = TestClient::new();
    assert_eq!(c.run(&["ZADD", "z", "1", "a", "2", "b"]), ":2\r\n");
    assert_eq!(c.run(&["ZADD", "z", "1", "a", "3", "b", "4", "c"]), ":1\r\n");
    assert_eq!(c.run(&["ZADD", "z", "CH", "5", "a", "3", "b"]), ":1\r\n");
    assert_eq!(c.run(&["ZADD", "z", "NX", "9", "a", "9", "d"]), ":1\r\n");
    assert_eq!(c.run(&["ZADD", "z", "XX", "CH", "9", "a", "9", "e"]), ":1\r\n");
    assert_eq!(c.run(&["ZADD", "z", "GT", "CH", "1", "a", "10", "b"]), ":1\r\n");
    assert_eq!(c.run(&["ZADD", "z", "LT", "CH", "100", "a", "0", "f"]), ":1\r\n");
    assert_eq!(c.run(&["ZSCORE", "z", "a"]), "$1\r\n9\r\n");
    assert_eq!(c.run(&["ZSCORE", "z", "b"]), "$2\r\n10\r\n");
    assert_eq!(c.run(&["ZADD", "z", "INCR", "1.5", "a"]), "$4\r\n10.5\r\n");
    assert_eq!(c.run(&["ZADD", "z", "INCR", "NX", "1", "a"]), "$-1\r\n");
    assert_eq!(c.run(&["ZADD", "z", "INCR", "GT", "-1", "a"]), "$-1\r\n");
    assert_eq!(c.run(&["ZADD", "nokey", "XX", "1", "a"]), ":0\r\n");
    assert_eq!(c.run(&["EXISTS", "nokey"]), ":0\r\n");
}

#[test]
fn zadd_errors() {
    let mut c = TestClient::new();
    c.run(&["ZADD", "z", "1", "a"]);
    assert_eq!(c.run(&["ZADD", "z", "NX", "XX", "1", "a"]), "-ERR XX and NX options at the same time are not compatible\r\n");
    assert_eq!(c.run(&["ZADD", "z", "GT", "LT", "1", "a"]), "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n");
    assert_eq!(c.run(&["ZADD", "z", "NX", "GT", "1", "a"]), "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n");
    assert_eq!(c.run(&["ZADD", "z", "INCR", "1", "a", "2", "b"]), "-ERR INCR option supports a single increment-element pair\r\n");
    assert_eq!(c.run(&["ZADD", "z", "1", "a", "2"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["ZADD", "z", "nan", "a"]), "-ERR value is not a valid float\r\n");
    assert_eq!(c.run(&["ZADD", "z", "1e400", "a"]), "-ERR value is not a valid float\r\n");
    assert_eq!(c.run(&["ZADD", "z", "2", "b", "x", "c"]), "-ERR value is not a valid float\r\n");
    assert_eq!(c.run(&["ZCARD", "z"]), ":1\r\n", "all or nothing");
    assert_eq!(c.run(&["ZADD", "z"]), "-ERR wrong number of arguments for 'zadd' command\r\n");
    c.run(&["ZADD", "z", "inf", "i"]);
    assert_eq!(c.run(&["ZADD", "z", "INCR", "-inf", "i"]), "-ERR resulting score is not a number (NaN)\r\n");
    assert_eq!(c.run(&["ZINCRBY", "z", "-inf", "i"]), "-ERR resulting score is not a number (NaN)\r\n");
    assert_eq!(c.run(&["ZINCRBY", "z", "nx", "i"]), "-ERR syntax error\r\n");
    c.run(&["SET", "s", "x"]);
    assert_eq!(c.run(&["ZADD", "s", "1", "a"]), "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    assert_eq!(c.run(&["ZSCORE", "s", "a"]), "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
}

#[test]
fn zincrby_and_score_formatting() {
    let mut c = TestClient::new();
    assert_eq!(c.run(&["ZINCRBY", "z", "1", "a"]), "$1\r\n1\r\n");
    assert_eq!(c.run(&["ZINCRBY", "z", "0.1", "a"]), "$3\r\n1.1\r\n");
    c.run(&["ZADD", "z", "1e17", "b", "-0", "c", "4611686018427387904", "d"]);
    assert_eq!(c.run(&["ZSCORE", "z", "b"]), "$18\r\n100000000000000000\r\n");
    assert_eq!(c.run(&["ZSCORE", "z", "c"]), "$1\r\n0\r\n", "a compact set drops the sign of zero");
    assert_eq!(c.run(&["ZSCORE", "z", "d"]), "$19\r\n4611686018427387904\r\n");
    let mut c = TestClient::with_config(&[("zset-max-listpack-entries", "0")]);
    c.run(&["ZADD", "z", "-0", "c"]);
    assert_eq!(c.run(&["ZSCORE", "z", "c"]), "$2\r\n-0\r\n");
}

#[test]
fn zrem_deletes_emptied_keys() {
    let mut c = TestClient::new();
    c.run(&["ZADD", "z", "1", "a", "2", "b"]);
    assert_eq!(c.run(&["ZREM", "z", "a", "x", "a"]), ":1\r\n");
    assert_eq!(c.run(&["ZREM", "z", "b", "c"]), ":1\r\n");
    assert_eq!(c.run(&["EXISTS", "z"]), ":0\r\n");
    assert_eq!(c.run(&["ZREM", "z", "b"]), ":0\r\n");
}

#[test]
fn lookups_in_both_protocols() {
    let mut c = TestClient::new();
    c.run(&["ZADD", "z", "1", "a", "2.5", "b"]);
    assert_eq!(c.run(&["ZCARD", "z"]), ":2\r\n");
    assert_eq!(c.run(&["ZCARD", "nokey"]), ":0\r\n");
    assert_eq!(c.run(&["ZMSCORE", "z", "b", "x"]), "*2\r\n$3\r\n2.5\r\n$-1\r\n");
    assert_eq!(c.run(&["ZRANK", "z", "b"]), ":1\r\n");
    assert_eq!(c.run(&["ZREVRANK", "z", "b", "WITHSCORE"]), "*2\r\n:0\r\n$3\r\n2.5\r\n");
    assert_eq!(c.run(&["ZRANK", "z", "x", "WITHSCORE"]), "*-1\r\n");
    assert_eq!(c.run(&["ZRANK", "z", "x"]), "$-1\r\n");
    assert_eq!(c.run(&["ZRANK", "z", "a", "WITHSCORES"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["ZRANK", "z", "a", "WITHSCORE", "x"]), "-ERR wrong number of arguments for 'zrank' command\r\n");
    let mut c = resp3();
    c.run(&["ZADD", "z", "1", "a", "2.5", "b"]);
    assert_eq!(c.run(&["ZSCORE", "z", "b"]), ",2.5\r\n");
    assert_eq!(c.run(&["ZSCORE", "z", "x"]), "_\r\n");
    assert_eq!(c.run(&["ZMSCORE", "z", "a", "x"]), "*2\r\n,1\r\n_\r\n");
    assert_eq!(c.run(&["ZRANK", "z", "a", "WITHSCORE"]), "*2\r\n:0\r\n,1\r\n");
    assert_eq!(c.run(&["ZRANK", "z", "x", "WITHSCORE"]), "_\r\n");
    assert_eq!(c.run(&["ZADD", "z", "INCR", "1", "a"]), ",2\r\n");
    assert_eq!(c.run(&["ZADD", "z", "NX", "INCR", "1", "a"]), "_\r\n");
}

#[test]
fn pops() {
    let mut c = TestClient::new();
    c.run(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(c.run(&["ZPOPMIN", "z"]), "*2\r\n$1\r\na\r\n$1\r\n1\r\n");
    assert_eq!(c.run(&["ZPOPMAX", "z", "5"]), "*4\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n");
    assert_eq!(c.run(&["EXISTS", "z"]), ":0\r\n");
    assert_eq!(c.run(&["ZPOPMIN", "z"]), "*0\r\n");
    assert_eq!(c.run(&["ZPOPMIN", "z", "-1"]), "-ERR value is out of range, must be positive\r\n");
    assert_eq!(c.run(&["ZPOPMIN", "z", "1", "2"]), "-ERR syntax error\r\n");
    c.run(&["ZADD", "z2", "1", "a", "2", "b"]);
    assert_eq!(c.run(&["ZPOPMIN", "z2", "0"]), "*0\r\n");
    assert_eq!(
        c.run(&["ZMPOP", "2", "z", "z2", "MAX", "COUNT", "5"]),
        "*2\r\n$2\r\nz2\r\n*2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    assert_eq!(c.run(&["ZMPOP", "1", "z2", "MIN"]), "*-1\r\n");
    assert_eq!(c.run(&["ZMPOP", "0", "z", "MIN"]), "-ERR numkeys should be greater than 0\r\n");
    assert_eq!(c.run(&["ZMPOP", "2", "z", "MIN"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["ZMPOP", "1", "z", "MIN", "COUNT", "0"]), "-ERR count should be greater than 0\r\n");
    assert_eq!(c.run(&["ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"]), "-ERR syntax error\r\n");
    c.run(&["SET", "s", "x"]);
    assert_eq!(c.run(&["ZMPOP", "2", "nokey", "s", "MIN"]), "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    let mut c = resp3();
    c.run(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(c.run(&["ZPOPMIN", "z"]), "*2\r\n$1\r\na\r\n,1\r\n");
    assert_eq!(c.run(&["ZPOPMIN", "z", "1"]), "*1\r\n*2\r\n$1\r\nb\r\n,2\r\n");
    assert_eq!(c.run(&["ZMPOP", "1", "z", "MIN"]), "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nc\r\n,3\r\n");
    assert_eq!(c.run(&["ZMPOP", "1", "z", "MIN"]), "_\r\n");
}

#[test]
fn set_operations() {
    let mut c = TestClient::new();
    c.run(&["ZADD", "a", "1", "x", "2", "y", "3", "z"]);
    c.run(&["ZADD", "b", "10", "y", "20", "z", "30", "w"]);
    assert_eq!(c.run(&["ZUNION", "2", "a", "b"]), "*4\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n$1\r\nw\r\n");
    assert_eq!(
        c.run(&["ZINTER", "2", "a", "b", "WEIGHTS", "2", "1", "WITHSCORES"]),
        "*4\r\n$1\r\ny\r\n$2\r\n14\r\n$1\r\nz\r\n$2\r\n26\r\n"
    );
    assert_eq!(c.run(&["ZINTER", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"]), "*4\r\n$1\r\ny\r\n$1\r\n2\r\n$1\r\nz\r\n$1\r\n3\r\n");
    assert_eq!(c.run(&["ZDIFF", "2", "b", "a", "WITHSCORES"]), "*2\r\n$1\r\nw\r\n$2\r\n30\r\n");
    assert_eq!(c.run(&["ZINTERCARD", "2", "a", "b", "LIMIT", "1"]), ":1\r\n");
    assert_eq!(c.run(&["ZINTERCARD", "2", "a", "b"]), ":2\r\n");
    assert_eq!(c.run(&["ZUNIONSTORE", "d", "2", "a", "b", "AGGREGATE", "MAX"]), ":4\r\n");
    assert_eq!(
        c.run(&["ZRANGE", "d", "0", "-1", "WITHSCORES"]),
        "*8\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\ny\r\n$2\r\n10\r\n$1\r\nz\r\n$2\r\n20\r\n$1\r\nw\r\n$2\r\n30\r\n"
    );
    assert_eq!(c.run(&["ZINTERSTORE", "d", "2", "a", "nokey"]), ":0\r\n");
    assert_eq!(c.run(&["EXISTS", "d"]), ":0\r\n");
    assert_eq!(c.run(&["ZUNION", "0", "a"]), "-ERR at least 1 input key is needed for 'zunion' command\r\n");
    assert_eq!(c.run(&["ZUNIONSTORE", "d", "0", "a"]), "-ERR at least 1 input key is needed for 'zunionstore' command\r\n");
    assert_eq!(c.run(&["ZUNION", "3", "a", "b"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"]), "-ERR weight value is not a float\r\n");
    assert_eq!(c.run(&["ZUNION", "2", "a", "b", "AGGREGATE", "avg"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["ZDIFF", "2", "a", "b", "WEIGHTS", "1", "1"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["ZUNIONSTORE", "d", "1", "a", "WITHSCORES"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["ZINTERCARD", "1", "a", "LIMIT", "-1"]), "-ERR LIMIT can't be negative\r\n");
    // inf - inf sums to 0; 0 * inf counts as 0.
    c.run(&["ZADD", "i1", "inf", "x"]);
    c.run(&["ZADD", "i2", "-inf", "x"]);
    assert_eq!(c.run(&["ZUNION", "2", "i1", "i2", "WITHSCORES"]), "*2\r\n$1\r\nx\r\n$1\r\n0\r\n");
    assert_eq!(c.run(&["ZUNION", "1", "i1", "WEIGHTS", "0", "WITHSCORES"]), "*2\r\n$1\r\nx\r\n$1\r\n0\r\n");
    // Plain sets take part with score 1.
    c.run(&["SADD", "s", "x", "q", "7"]);
    assert_eq!(c.run(&["ZINTER", "2", "s", "a", "WITHSCORES"]), "*2\r\n$1\r\nx\r\n$1\r\n2\r\n");
    assert_eq!(c.run(&["ZDIFF", "2", "s", "a"]), "*2\r\n$1\r\n7\r\n$1\r\nq\r\n");
    c.run(&["RPUSH", "l", "x"]);
    assert_eq!(c.run(&["ZUNION", "2", "a", "l"]), "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    let mut c = resp3();
    c.run(&["ZADD", "a", "1", "x"]);
    assert_eq!(c.run(&["ZUNION", "1", "a", "WITHSCORES"]), "*1\r\n*2\r\n$1\r\nx\r\n,1\r\n");
}

#[test]
fn zscan_compact_and_skiplist() {
    let mut c = TestClient::new();
    c.run(&["ZADD", "z", "1", "a", "1.5", "b", "1e17", "c"]);
    assert_eq!(
        c.run(&["ZSCAN", "z", "0"]),
        "*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n1.5\r\n$1\r\nc\r\n$18\r\n100000000000000000\r\n"
    );
    assert_eq!(c.run(&["ZSCAN", "z", "0", "MATCH", "b*"]), "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$3\r\n1.5\r\n");
    assert_eq!(c.run(&["ZSCAN", "z", "x"]), "-ERR invalid cursor\r\n");
    assert_eq!(c.run(&["ZSCAN", "z", "0", "COUNT", "0"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["ZSCAN", "z", "0", "NOVALUES"]), "-ERR NOVALUES option can only be used in HSCAN\r\n");
    assert_eq!(c.run(&["ZSCAN", "nokey", "0", "COUNT", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    let mut c = TestClient::with_config(&[("zset-max-listpack-entries", "0")]);
    c.run(&["ZADD", "z", "1e17", "c"]);
    assert_eq!(c.run(&["ZSCAN", "z", "0"]), "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nc\r\n$5\r\n1e+17\r\n");
    // A full iteration over a big set returns every member.
    let mut args = vec!["ZADD".to_string(), "big".to_string()];
    for i in 0..500 {
        args.push(i.to_string());
        args.push(format!("m{i}"));
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(c.run(&argv), ":500\r\n");
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    loop {
        let r = c.run(&["ZSCAN", "big", &cursor, "COUNT", "7"]);
        let lines: Vec<&str> = r.split("\r\n").collect();
        cursor = lines[2].to_string();
        for pair in lines[4..].chunks(4) {
            if pair.len() == 4 {
                seen.insert(pair[1].to_string());
            }
        }
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 500);
}

#[test]
fn encodings_follow_the_thresholds() {
    let mut c = TestClient::with_config(&[("zset-max-listpack-entries", "3"), ("zset-max-listpack-value", "4")]);
    c.run(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(c.run(&["OBJECT", "ENCODING", "z"]), "$8\r\nlistpack\r\n");
    c.run(&["ZADD", "z", "4", "d"]);
    assert_eq!(c.run(&["OBJECT", "ENCODING", "z"]), "$8\r\nskiplist\r\n");
    c.run(&["ZREM", "z", "a", "b", "c"]);
    assert_eq!(c.run(&["OBJECT", "ENCODING", "z"]), "$8\r\nskiplist\r\n", "no conversion back on shrink");
    assert_eq!(c.run(&["ZUNIONSTORE", "u", "1", "z"]), ":1\r\n");
    assert_eq!(c.run(&["OBJECT", "ENCODING", "u"]), "$8\r\nlistpack\r\n", "a stored result converts back");
    c.run(&["ZADD", "v", "1", "abcde"]);
    assert_eq!(c.run(&["OBJECT", "ENCODING", "v"]), "$8\r\nskiplist\r\n");
    c.run(&["ZADD", "w", "1", "a", "1", "a", "1", "a", "1", "a"]);
    assert_eq!(c.run(&["OBJECT", "ENCODING", "w"]), "$8\r\nskiplist\r\n", "sized by the pair count");
    c.run(&["ZADD", "x", "1", "a"]);
    c.run(&["ZADD", "x", "XX", "1", "abcdefgh"]);
    assert_eq!(c.run(&["OBJECT", "ENCODING", "x"]), "$8\r\nlistpack\r\n");
    c.run(&["ZADD", "y", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"]);
    assert_eq!(c.run(&["ZRANGESTORE", "r", "y", "0", "2"]), ":3\r\n");
    assert_eq!(c.run(&["OBJECT", "ENCODING", "r"]), "$8\r\nlistpack\r\n");
    assert_eq!(c.run(&["ZRANGESTORE", "r", "y", "0", "3"]), ":4\r\n");
    assert_eq!(c.run(&["OBJECT", "ENCODING", "r"]), "$8\r\nskiplist\r\n");
    assert_eq!(c.run(&["COPY", "r", "r2"]), ":1\r\n");
    assert_eq!(c.run(&["OBJECT", "ENCODING", "r2"]), "$8\r\nskiplist\r\n");
    assert_eq!(c.run(&["ZRANGE", "r2", "0", "-1"]), "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n");
}

#[test]
fn zrandmember_invariants() {
    let mut c = TestClient::new();
    c.run(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(c.run(&["ZRANDMEMBER", "z", "5", "WITHSCORES"]), "*6\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n");
    assert_eq!(c.run(&["ZRANDMEMBER", "z", "0"]), "*0\r\n");
    assert_eq!(c.run(&["ZRANDMEMBER", "nokey"]), "$-1\r\n");
    assert_eq!(c.run(&["ZRANDMEMBER", "nokey", "3"]), "*0\r\n");
    assert_eq!(c.run(&["ZRANDMEMBER", "z", "1", "WITHSCORE"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["ZRANDMEMBER", "z", "-9223372036854775807", "WITHSCORES"]), "-ERR value is out of range\r\n");
    assert_eq!(
        c.run(&["ZRANDMEMBER", "z", "-9223372036854775808"]),
        "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
    );
    for _ in 0..20 {
        let one = c.run(&["ZRANDMEMBER", "z"]);
        assert!(["$1\r\na\r\n", "$1\r\nb\r\n", "$1\r\nc\r\n"].contains(&one.as_str()));
        let r = c.run(&["ZRANDMEMBER", "z", "-7"]);
        assert!(r.starts_with("*7\r\n") && r.matches("$1\r\n").count() == 7);
        let r = c.run(&["ZRANDMEMBER", "z", "2"]);
        let got: Vec<&str> = r.split("\r\n").filter(|l| l.len() == 1).collect();
        assert_eq!(got.len(), 2);
        assert_ne!(got[0], got[1], "distinct members");
    }
}
