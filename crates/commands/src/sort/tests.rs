//! SORT / SORT_RO through the real dispatch path (replies as Redis 8.2
//! gives them).

use crate::testing::TestClient;

fn arr(items: &[&str]) -> String {
    let mut s = format!("*{}\r\n", items.len());
    for i in items {
        if *i == "(nil)" {
            s.push_str("$-1\r\n");
        } else {
            s.push_str(&format!("${}\r\n{}\r\n", i.len(), i));
        }
    }
    s
}

#[test]
fn numeric_alpha_limit_and_errors() {
    let mut c = TestClient::new();
    c.run(&["RPUSH", "l", "3", "1", "2", "10", "-1", "1.5", "2"]);
    assert_eq!(c.run(&["SORT", "l"]), arr(&["-1", "1", "1.5", "2", "2", "3", "10"]));
    assert_eq!(c.run(&["SORT", "l", "DESC", "LIMIT", "1", "2"]), arr(&["3", "2"]));
    assert_eq!(c.run(&["SORT", "l", "ALPHA"]), arr(&["-1", "1", "1.5", "10", "2", "2", "3"]));
    assert_eq!(c.run(&["SORT", "l", "LIMIT", "100", "1"]), "*0\r\n");
    assert_eq!(c.run(&["SORT", "l", "LIMIT", "-5", "2"]), arr(&["-1", "1"]));
    assert_eq!(c.run(&["SORT_RO", "l", "LIMIT", "0", "1"]), arr(&["-1"]));
    assert_eq!(c.run(&["SORT", "l", "LIMIT", "0"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["SORT", "l", "LIMIT", "a", "1"]), "-ERR value is not an integer or out of range\r\n");
    assert_eq!(c.run(&["SORT_RO", "l", "STORE", "x"]), "-ERR syntax error\r\n");
    c.run(&["RPUSH", "bad", "1", " 5"]);
    assert_eq!(c.run(&["SORT", "bad"]), "-ERR One or more scores can't be converted into double\r\n");
    c.run(&["RPUSH", "odd", "", "+5", "inf", "1e5", "1E5"]);
    // Empty is 0; equal weights compare the elements' bytes.
    assert_eq!(c.run(&["SORT", "odd"]), arr(&["", "+5", "1E5", "1e5", "inf"]));
    c.run(&["SET", "str", "x"]);
    assert!(c.run(&["SORT", "str"]).starts_with("-WRONGTYPE"));
    assert_eq!(c.run(&["SORT", "str", "foo"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["SORT", "nokey"]), "*0\r\n");
}

#[test]
fn by_and_get_patterns() {
    let mut c = TestClient::new();
    c.run(&["RPUSH", "l", "3", "1", "2", "4"]);
    c.run(&["MSET", "w_1", "40", "w_2", "30", "w_3", "10", "name_1", "one", "name_2", "two", "name_3", "three"]);
    c.run(&["HSET", "h_1", "f", "100"]);
    c.run(&["HSET", "h_2", "f", "50"]);
    assert_eq!(c.run(&["SORT", "l", "BY", "w_*"]), arr(&["4", "3", "2", "1"]));
    assert_eq!(c.run(&["SORT", "l", "BY", "w_*", "GET", "name_*", "GET", "#"]), arr(&["(nil)", "4", "three", "3", "two", "2", "one", "1"]));
    assert_eq!(c.run(&["SORT", "l", "BY", "h_*->f", "DESC", "GET", "h_*->f"]), arr(&["100", "50", "(nil)", "(nil)"]));
    assert_eq!(c.run(&["SORT", "l", "BY", "nosort"]), arr(&["3", "1", "2", "4"]));
    assert_eq!(c.run(&["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2"]), arr(&["2", "1"]));
    assert_eq!(c.run(&["SORT", "l", "BY", "name_*", "ALPHA"]), arr(&["4", "1", "3", "2"]));
    assert_eq!(c.run(&["SORT", "l", "GET", "constant"]), arr(&["(nil)", "(nil)", "(nil)", "(nil)"]));
    c.run(&["SET", "bad_1", "abc"]);
    assert_eq!(c.run(&["SORT", "l", "BY", "bad_*"]), "-ERR One or more scores can't be converted into double\r\n");
    c.run(&["HELLO", "3"]);
    assert_eq!(c.run(&["SORT", "l", "BY", "nosort", "GET", "name_*", "LIMIT", "3", "1"]), "*1\r\n_\r\n");
}

#[test]
fn many_computed_keys_are_all_found() {
    // Pattern keys are built in fresh buffers; each must be looked up in its
    // own stripe, however the allocator reuses addresses.
    let mut c = TestClient::new();
    let mut push = vec!["RPUSH", "l"];
    let names: Vec<String> = (0..200).map(|i| i.to_string()).collect();
    push.extend(names.iter().map(String::as_str));
    c.run(&push);
    let kv: Vec<(String, String)> = (0..200).map(|i| (format!("w_{i}"), (1000 - i).to_string())).collect();
    for (k, v) in &kv {
        c.run(&["SET", k, v]);
    }
    let want: Vec<String> = (0..200).rev().map(|i| i.to_string()).collect();
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    assert_eq!(c.run(&["SORT", "l", "BY", "w_*"]), arr(&want));
}

#[test]
fn sets_zsets_and_store() {
    let mut c = TestClient::new();
    c.run(&["SADD", "s", "b", "a", "c"]);
    assert_eq!(c.run(&["SORT", "s", "BY", "nosort"]), arr(&["b", "a", "c"]));
    // Stored, a set is sorted even BY a constant.
    assert_eq!(c.run(&["SORT", "s", "BY", "nosort", "STORE", "d"]), ":3\r\n");
    assert_eq!(c.run(&["LRANGE", "d", "0", "-1"]), arr(&["a", "b", "c"]));
    assert_eq!(c.run(&["OBJECT", "ENCODING", "d"]), "$8\r\nlistpack\r\n");
    c.run(&["ZADD", "z", "3", "a", "1", "b", "2", "c"]);
    assert_eq!(c.run(&["SORT_RO", "z", "BY", "nosort", "DESC", "LIMIT", "1", "5"]), arr(&["c", "b"]));
    // Redis converts a compact sorted set for SORT, for good.
    assert_eq!(c.run(&["OBJECT", "ENCODING", "z"]), "$8\r\nskiplist\r\n");
    assert_eq!(c.run(&["SORT", "z", "ALPHA", "STORE", "d", "GET", "#", "GET", "x_*"]), ":6\r\n");
    assert_eq!(c.run(&["LRANGE", "d", "0", "-1"]), arr(&["a", "", "b", "", "c", ""]));
    assert_eq!(c.run(&["SORT", "nokey", "STORE", "d"]), ":0\r\n");
    assert_eq!(c.run(&["EXISTS", "d"]), ":0\r\n");
    c.run(&["CONFIG", "SET", "list-max-listpack-size", "4"]);
    c.run(&["RPUSH", "many", "5", "4", "3", "2", "1"]);
    assert_eq!(c.run(&["SORT", "many", "STORE", "d"]), ":5\r\n");
    assert_eq!(c.run(&["OBJECT", "ENCODING", "d"]), "$9\r\nquicklist\r\n");
    assert_eq!(c.run(&["SORT", "many", "LIMIT", "0", "4", "STORE", "d"]), ":4\r\n");
    assert_eq!(c.run(&["OBJECT", "ENCODING", "d"]), "$8\r\nlistpack\r\n");
}
