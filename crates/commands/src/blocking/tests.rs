use crate::blocking::WaitEnd;
use crate::testing::TestClient;

fn pair() -> (TestClient, TestClient) {
    let a = TestClient::new();
    let b = TestClient::connect(a.srv.clone());
    (a, b)
}

#[test]
fn data_present_is_served_at_once() {
    let (mut c, _) = pair();
    c.run(&["RPUSH", "l", "a", "b"]);
    assert_eq!(c.run(&["BLPOP", "none", "l", "0"]), "*2\r\n$1\r\nl\r\n$1\r\na\r\n");
    assert!(c.conn.blocked.is_none());
    assert_eq!(c.run(&["BRPOP", "l", "0"]), "*2\r\n$1\r\nl\r\n$1\r\nb\r\n");
    assert_eq!(c.run(&["SET", "s", "x"]), "+OK\r\n");
    assert!(c.run(&["BLPOP", "s", "0"]).starts_with("-WRONGTYPE"));
}

#[test]
fn push_goes_to_the_waiter_first() {
    let (mut waiter, mut pusher) = pair();
    assert_eq!(waiter.run(&["BLPOP", "l", "0"]), "");
    assert!(waiter.conn.blocked.is_some());
    assert_eq!(waiter.served(), None);
    assert_eq!(pusher.run(&["INFO", "clients"]).contains("blocked_clients:1"), true);
    // LPUSH reports the length it made; the waiter then takes the element
    // before any other command runs.
    assert_eq!(pusher.run(&["LPUSH", "l", "x"]), ":1\r\n");
    assert_eq!(pusher.run(&["EXISTS", "l"]), ":0\r\n");
    assert_eq!(waiter.served().unwrap(), "*2\r\n$1\r\nl\r\n$1\r\nx\r\n");
    assert!(pusher.run(&["INFO", "clients"]).contains("blocked_clients:0"));
}

#[test]
fn waiters_are_served_in_arrival_order() {
    let c0 = TestClient::new();
    let mut ws: Vec<TestClient> = (0..3).map(|_| TestClient::connect(c0.srv.clone())).collect();
    for w in ws.iter_mut() {
        w.run(&["BRPOP", "q", "0"]);
    }
    let mut p = TestClient::connect(c0.srv.clone());
    assert_eq!(p.run(&["RPUSH", "q", "a", "b"]), ":2\r\n");
    // BRPOP takes from the tail: the first waiter gets b, the second a.
    assert_eq!(ws[0].served().unwrap(), "*2\r\n$1\r\nq\r\n$1\r\nb\r\n");
    assert_eq!(ws[1].served().unwrap(), "*2\r\n$1\r\nq\r\n$1\r\na\r\n");
    assert_eq!(ws[2].served(), None);
    p.run(&["RPUSH", "q", "c"]);
    assert_eq!(ws[2].served().unwrap(), "*2\r\n$1\r\nq\r\n$1\r\nc\r\n");
}

#[test]
fn blmove_chains_through_waiters() {
    let (mut a, mut b) = pair();
    let mut p = TestClient::connect(a.srv.clone());
    a.run(&["BLMOVE", "src", "mid", "LEFT", "RIGHT", "0"]);
    b.run(&["BRPOPLPUSH", "mid", "dst", "0"]);
    assert_eq!(p.run(&["RPUSH", "src", "v"]), ":1\r\n");
    assert_eq!(a.served().unwrap(), "$1\r\nv\r\n");
    assert_eq!(b.served().unwrap(), "$1\r\nv\r\n");
    assert_eq!(p.run(&["LRANGE", "dst", "0", "-1"]), "*1\r\n$1\r\nv\r\n");
    assert_eq!(p.run(&["EXISTS", "src", "mid"]), ":0\r\n");
}

#[test]
fn blmove_into_a_wrong_type_destination_errors_the_waiter() {
    let (mut a, mut p) = pair();
    a.run(&["BLMOVE", "src", "dst", "LEFT", "LEFT", "0"]);
    p.run(&["SET", "dst", "string"]);
    p.run(&["RPUSH", "src", "v"]);
    assert!(a.served().unwrap().starts_with("-WRONGTYPE"));
    assert_eq!(p.run(&["LLEN", "src"]), ":1\r\n");
}

#[test]
fn a_key_of_another_type_leaves_the_client_blocked() {
    let (mut a, mut p) = pair();
    a.run(&["BLPOP", "k", "0"]);
    p.run(&["SET", "k", "x"]);
    assert_eq!(a.served(), None);
    p.run(&["DEL", "k"]);
    p.run(&["RPUSH", "k", "y"]);
    assert_eq!(a.served().unwrap(), "*2\r\n$1\r\nk\r\n$1\r\ny\r\n");
}

#[test]
fn sorted_set_waiters() {
    let (mut a, mut p) = pair();
    a.out.proto = moon_resp::Protocol::Resp3;
    a.run(&["BZPOPMIN", "z", "0"]);
    let mut b = TestClient::connect(a.srv.clone());
    b.run(&["BZMPOP", "0", "1", "z", "MAX", "COUNT", "5"]);
    p.run(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(a.served().unwrap(), "*3\r\n$1\r\nz\r\n$1\r\na\r\n,1\r\n");
    assert_eq!(b.served().unwrap(), "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
    // A list push does not serve a sorted set waiter.
    a.run(&["BZPOPMAX", "k", "0"]);
    p.run(&["RPUSH", "k", "x"]);
    assert_eq!(a.served(), None);
}

#[test]
fn blmpop_pops_up_to_count_from_the_first_filled_key() {
    let (mut a, mut p) = pair();
    a.run(&["BLMPOP", "0", "2", "x", "y", "RIGHT", "COUNT", "2"]);
    p.run(&["RPUSH", "y", "1", "2", "3"]);
    assert_eq!(a.served().unwrap(), "*2\r\n$1\r\ny\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n");
}

#[test]
fn client_unblock_ends_the_wait() {
    let (mut a, mut p) = pair();
    let id = a.conn.id().to_string();
    assert_eq!(p.run(&["CLIENT", "UNBLOCK", &id]), ":0\r\n");
    a.run(&["BLPOP", "k", "0"]);
    assert!(p.run(&["CLIENT", "LIST", "ID", &id]).contains("flags=b"));
    assert_eq!(p.run(&["CLIENT", "UNBLOCK", &id, "TIMEOUT"]), ":1\r\n");
    assert_eq!(a.wait_end(), Some(WaitEnd::TimedOut));
    a.run(&["BLPOP", "k", "0"]);
    assert_eq!(p.run(&["CLIENT", "UNBLOCK", &id, "ERROR"]), ":1\r\n");
    assert_eq!(a.wait_end(), Some(WaitEnd::Error));
    assert_eq!(p.run(&["CLIENT", "UNBLOCK", &id, "NOW"]), "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n");
    assert_eq!(p.run(&["CLIENT", "UNBLOCK", "x"]), "-ERR value is not an integer or out of range\r\n");
    // The registry forgot the client: a push is not handed to it.
    p.run(&["RPUSH", "k", "v"]);
    assert_eq!(p.run(&["LLEN", "k"]), ":1\r\n");
    assert!(p.run(&["INFO", "clients"]).contains("total_blocking_keys:0"));
}

#[test]
fn clients_that_must_not_block_get_the_timeout_reply() {
    let (mut a, _) = pair();
    a.conn.no_block = true;
    assert_eq!(a.run(&["BLPOP", "k", "0"]), "*-1\r\n");
    assert_eq!(a.run(&["BLMOVE", "k", "d", "LEFT", "LEFT", "0"]), "$-1\r\n");
    assert!(a.conn.blocked.is_none());
}

#[test]
fn argument_errors() {
    let (mut a, _) = pair();
    assert_eq!(a.run(&["BLPOP", "k", "x"]), "-ERR timeout is not a float or out of range\r\n");
    assert_eq!(a.run(&["BLPOP", "k", "-1"]), "-ERR timeout is negative\r\n");
    assert_eq!(a.run(&["BLMOVE", "a", "b", "UP", "LEFT", "0"]), "-ERR syntax error\r\n");
    assert_eq!(a.run(&["BLMPOP", "0", "0", "k", "LEFT"]), "-ERR numkeys should be greater than 0\r\n");
    assert_eq!(a.run(&["BZMPOP", "0", "1", "k", "MID"]), "-ERR syntax error\r\n");
    assert!(a.conn.blocked.is_none());
}

#[test]
fn a_transaction_runs_whole_before_waiters_are_served() {
    let (mut waiter, mut tx) = pair();
    waiter.run(&["BLPOP", "k", "0"]);
    tx.run(&["MULTI"]);
    tx.run(&["RPUSH", "k", "a", "b"]);
    tx.run(&["LPOP", "k"]);
    // The transaction's own LPOP takes "a"; the waiter gets "b" after EXEC.
    assert_eq!(tx.run(&["EXEC"]), "*2\r\n:2\r\n$1\r\na\r\n");
    assert_eq!(waiter.served().unwrap(), "*2\r\n$1\r\nk\r\n$1\r\nb\r\n");
}
