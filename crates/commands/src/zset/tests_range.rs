//! Range commands through the real dispatch path: ZRANGE (all forms),
//! ZRANGESTORE, ZCOUNT, ZLEXCOUNT, ZREMRANGEBY*, on both encodings.

use crate::testing::TestClient;

fn members(reply: &str) -> Vec<String> {
    reply.split("\r\n").skip(1).filter(|l| !l.starts_with('$') && !l.starts_with('*') && !l.is_empty()).map(str::to_string).collect()
}

/// A set of 300 members "m000".."m299" with score i % 100 (skiplist) and
/// the same 5 first members in a compact set.
fn setup(c: &mut TestClient) {
    let mut args = vec!["ZADD".to_string(), "big".to_string()];
    for i in 0..300 {
        args.push((i % 100).to_string());
        args.push(format!("m{i:03}"));
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(c.run(&argv), ":300\r\n");
    assert_eq!(c.run(&["OBJECT", "ENCODING", "big"]), "$8\r\nskiplist\r\n");
    c.run(&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"]);
}

#[test]
fn by_rank() {
    let mut c = TestClient::new();
    setup(&mut c);
    assert_eq!(members(&c.run(&["ZRANGE", "z", "1", "3"])), ["b", "c", "d"]);
    assert_eq!(members(&c.run(&["ZRANGE", "z", "-2", "100"])), ["d", "e"]);
    assert_eq!(c.run(&["ZRANGE", "z", "3", "1"]), "*0\r\n");
    assert_eq!(members(&c.run(&["ZRANGE", "z", "0", "1", "REV"])), ["e", "d"]);
    assert_eq!(members(&c.run(&["ZREVRANGE", "z", "1", "2"])), ["d", "c"]);
    assert_eq!(c.run(&["ZRANGE", "z", "0", "0", "WITHSCORES"]), "*2\r\n$1\r\na\r\n$1\r\n1\r\n");
    // Scores i % 100: rank r holds m{(r % 3) * 100 + r / 3}.
    assert_eq!(members(&c.run(&["ZRANGE", "big", "0", "3"])), ["m000", "m100", "m200", "m001"]);
    assert_eq!(members(&c.run(&["ZRANGE", "big", "150", "151"])), ["m050", "m150"]);
    assert_eq!(members(&c.run(&["ZRANGE", "big", "0", "1", "REV"])), ["m299", "m199"]);
    assert_eq!(c.run(&["ZRANK", "big", "m150"]), ":151\r\n");
    assert_eq!(c.run(&["ZREVRANK", "big", "m150"]), ":148\r\n");
    assert_eq!(c.run(&["ZRANGE", "z", "a", "1"]), "-ERR value is not an integer or out of range\r\n");
    assert_eq!(
        c.run(&["ZRANGE", "z", "0", "1", "LIMIT", "0", "1"]),
        "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"
    );
    // Redis tests the LIMIT value: an explicit -1 passes by rank.
    assert_eq!(members(&c.run(&["ZRANGE", "z", "0", "1", "LIMIT", "5", "-1"])), ["a", "b"]);
    assert_eq!(c.run(&["ZRANGE", "z", "0", "1", "REV", "REV"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["ZREVRANGE", "z", "0", "1", "REV"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["ZRANGE", "nokey", "0", "-1"]), "*0\r\n");
}

#[test]
fn by_score() {
    let mut c = TestClient::new();
    setup(&mut c);
    assert_eq!(members(&c.run(&["ZRANGE", "z", "(1", "4", "BYSCORE"])), ["b", "c", "d"]);
    assert_eq!(members(&c.run(&["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"])), ["b", "c"]);
    assert_eq!(members(&c.run(&["ZRANGE", "z", "4", "(1", "BYSCORE", "REV", "LIMIT", "1", "-1"])), ["c", "b"]);
    assert_eq!(c.run(&["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"]), "*0\r\n");
    assert_eq!(members(&c.run(&["ZRANGEBYSCORE", "z", "2", "3"])), ["b", "c"]);
    assert_eq!(members(&c.run(&["ZREVRANGEBYSCORE", "z", "3", "2"])), ["c", "b"]);
    assert_eq!(c.run(&["ZRANGEBYSCORE", "z", "2", "3", "REV"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["ZRANGEBYSCORE", "z", "x", "3"]), "-ERR min or max is not a float\r\n");
    assert_eq!(c.run(&["ZRANGEBYSCORE", "z", "(nan", "3"]), "-ERR min or max is not a float\r\n");
    assert_eq!(members(&c.run(&["ZRANGEBYSCORE", "z", "", "(2"])), ["a"], "an empty bound is 0");
    assert_eq!(c.run(&["ZRANGEBYSCORE", "z", "2", "3", "WITHSCORES", "LIMIT", "1", "1"]), "*2\r\n$1\r\nc\r\n$1\r\n3\r\n");
    assert_eq!(members(&c.run(&["ZRANGE", "big", "(49", "50", "BYSCORE"])), ["m050", "m150", "m250"]);
    assert_eq!(members(&c.run(&["ZRANGE", "big", "+inf", "98", "BYSCORE", "REV", "LIMIT", "2", "3"])), ["m099", "m298", "m198"]);
    assert_eq!(c.run(&["ZCOUNT", "big", "10", "(20"]), ":30\r\n");
    assert_eq!(c.run(&["ZCOUNT", "big", "(99", "+inf"]), ":0\r\n");
    assert_eq!(c.run(&["ZCOUNT", "z", "(2", "(2"]), ":0\r\n");
    assert_eq!(c.run(&["ZCOUNT", "z", "-inf", "+inf"]), ":5\r\n");
    assert_eq!(c.run(&["ZCOUNT", "z", "x", "1"]), "-ERR min or max is not a float\r\n");
}

#[test]
fn by_lex() {
    let mut c = TestClient::new();
    c.run(&["ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"]);
    assert_eq!(members(&c.run(&["ZRANGE", "l", "[b", "(d", "BYLEX"])), ["b", "c"]);
    assert_eq!(members(&c.run(&["ZRANGE", "l", "+", "-", "BYLEX", "REV", "LIMIT", "1", "2"])), ["c", "b"]);
    assert_eq!(members(&c.run(&["ZRANGEBYLEX", "l", "-", "+"])), ["a", "b", "c", "d"]);
    assert_eq!(members(&c.run(&["ZREVRANGEBYLEX", "l", "(c", "-"])), ["b", "a"]);
    assert_eq!(c.run(&["ZLEXCOUNT", "l", "(a", "[c"]), ":2\r\n");
    assert_eq!(c.run(&["ZLEXCOUNT", "l", "+", "-"]), ":0\r\n");
    assert_eq!(c.run(&["ZRANGEBYLEX", "l", "a", "+"]), "-ERR min or max not valid string range item\r\n");
    assert_eq!(c.run(&["ZLEXCOUNT", "l", "--", "+"]), "-ERR min or max not valid string range item\r\n");
    assert_eq!(
        c.run(&["ZRANGE", "l", "-", "+", "BYLEX", "WITHSCORES"]),
        "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"
    );
    // Mixed scores in a compact set: Redis' walk from the front.
    c.run(&["ZADD", "m", "1", "d", "2", "a", "3", "c"]);
    assert_eq!(members(&c.run(&["ZRANGEBYLEX", "m", "[a", "[c"])), Vec::<String>::new());
    assert_eq!(members(&c.run(&["ZRANGEBYLEX", "m", "[b", "+"])), ["d", "a", "c"]);
}

#[test]
fn resp3_shapes() {
    let mut c = TestClient::new();
    c.run(&["HELLO", "3"]);
    c.run(&["ZADD", "z", "1", "a", "2.5", "b"]);
    assert_eq!(c.run(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]), "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n");
    assert_eq!(c.run(&["ZRANGEBYSCORE", "z", "2", "3", "WITHSCORES"]), "*1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n");
    assert_eq!(c.run(&["ZRANGE", "z", "0", "-1"]), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
}

#[test]
fn rangestore() {
    let mut c = TestClient::new();
    setup(&mut c);
    assert_eq!(c.run(&["ZRANGESTORE", "d", "z", "(1", "3", "BYSCORE"]), ":2\r\n");
    assert_eq!(c.run(&["ZRANGE", "d", "0", "-1", "WITHSCORES"]), "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n");
    assert_eq!(c.run(&["ZRANGESTORE", "d", "big", "0", "9"]), ":10\r\n");
    assert_eq!(c.run(&["OBJECT", "ENCODING", "d"]), "$8\r\nlistpack\r\n");
    assert_eq!(c.run(&["ZRANGESTORE", "d", "big", "0", "-1"]), ":300\r\n");
    assert_eq!(c.run(&["OBJECT", "ENCODING", "d"]), "$8\r\nskiplist\r\n");
    assert_eq!(c.run(&["ZRANGESTORE", "d", "z", "10", "20"]), ":0\r\n");
    assert_eq!(c.run(&["EXISTS", "d"]), ":0\r\n");
    c.run(&["SET", "d", "x"]);
    assert_eq!(c.run(&["ZRANGESTORE", "d", "nokey", "0", "-1"]), ":0\r\n");
    assert_eq!(c.run(&["EXISTS", "d"]), ":0\r\n");
    assert_eq!(c.run(&["ZRANGESTORE", "d", "z", "0", "-1", "WITHSCORES"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["ZRANGESTORE", "z", "z", "0", "0"]), ":1\r\n");
    assert_eq!(c.run(&["ZRANGE", "z", "0", "-1"]), "*1\r\n$1\r\na\r\n");
}

#[test]
fn remrange() {
    let mut c = TestClient::new();
    setup(&mut c);
    assert_eq!(c.run(&["ZREMRANGEBYRANK", "z", "-2", "-1"]), ":2\r\n");
    assert_eq!(c.run(&["ZREMRANGEBYSCORE", "z", "(1", "2"]), ":1\r\n");
    assert_eq!(c.run(&["ZRANGE", "z", "0", "-1"]), "*2\r\n$1\r\na\r\n$1\r\nc\r\n");
    assert_eq!(c.run(&["ZREMRANGEBYSCORE", "z", "x", "2"]), "-ERR min or max is not a float\r\n");
    assert_eq!(c.run(&["ZREMRANGEBYRANK", "z", "0", "x"]), "-ERR value is not an integer or out of range\r\n");
    assert_eq!(c.run(&["ZREMRANGEBYRANK", "z", "0", "-1"]), ":2\r\n");
    assert_eq!(c.run(&["EXISTS", "z"]), ":0\r\n");
    assert_eq!(c.run(&["ZREMRANGEBYSCORE", "big", "10", "(20"]), ":30\r\n");
    assert_eq!(c.run(&["ZREMRANGEBYRANK", "big", "0", "9"]), ":10\r\n");
    assert_eq!(c.run(&["ZCARD", "big"]), ":260\r\n");
    assert_eq!(members(&c.run(&["ZRANGE", "big", "0", "2"])), ["m103", "m203", "m004"]);
    c.run(&["ZADD", "l", "0", "a", "0", "b", "0", "c"]);
    assert_eq!(c.run(&["ZREMRANGEBYLEX", "l", "(a", "+"]), ":2\r\n");
    assert_eq!(c.run(&["ZREMRANGEBYLEX", "l", "x", "+"]), "-ERR min or max not valid string range item\r\n");
    assert_eq!(c.run(&["ZREMRANGEBYLEX", "l", "-", "+"]), ":1\r\n");
    assert_eq!(c.run(&["EXISTS", "l"]), ":0\r\n");
}
