use crate::testing::TestClient;

fn pair() -> (TestClient, TestClient) {
    let a = TestClient::new();
    let b = TestClient::connect(a.srv.clone());
    (a, b)
}

#[test]
fn queued_commands_run_at_exec() {
    let (mut c, mut other) = pair();
    assert_eq!(c.run(&["MULTI"]), "+OK\r\n");
    assert_eq!(c.run(&["SET", "k", "1"]), "+QUEUED\r\n");
    assert_eq!(c.run(&["INCR", "k"]), "+QUEUED\r\n");
    // Nothing ran yet.
    assert_eq!(other.run(&["EXISTS", "k"]), ":0\r\n");
    let id = c.conn.id().to_string();
    let line = other.run(&["CLIENT", "LIST", "ID", &id]);
    assert!(line.contains("flags=x") && line.contains("multi=2"), "{line}");
    assert_eq!(c.run(&["EXEC"]), "*2\r\n+OK\r\n:2\r\n");
    assert_eq!(other.run(&["GET", "k"]), "$1\r\n2\r\n");
    assert!(other.run(&["CLIENT", "LIST", "ID", &id]).contains("multi=-1"));
    // Each queued command counts as a call, EXEC too.
    let stats = c.run(&["INFO", "commandstats"]);
    assert!(stats.contains("cmdstat_incr:calls=1"), "{stats}");
    assert!(stats.contains("cmdstat_exec:calls=1"), "{stats}");
}

#[test]
fn queue_time_errors_abort_and_runtime_errors_do_not() {
    let (mut c, _) = pair();
    c.run(&["MULTI"]);
    assert!(c.run(&["NOPE"]).starts_with("-ERR unknown command"));
    c.run(&["SET", "a", "1"]);
    assert_eq!(c.run(&["EXEC"]), "-EXECABORT Transaction discarded because of previous errors.\r\n");
    assert_eq!(c.run(&["EXISTS", "a"]), ":0\r\n");
    c.run(&["SET", "s", "x"]);
    c.run(&["MULTI"]);
    c.run(&["INCR", "s"]);
    c.run(&["SET", "a", "1"]);
    let r = c.run(&["EXEC"]);
    assert!(r.starts_with("*2\r\n-ERR value is not an integer") && r.ends_with("+OK\r\n"), "{r}");
}

#[test]
fn watch_fails_exec_after_a_change_by_another_client() {
    let (mut c, mut other) = pair();
    c.run(&["SET", "w", "1"]);
    c.run(&["WATCH", "w"]);
    assert!(other.run(&["INFO", "clients"]).contains("watching_clients:1"));
    other.run(&["SET", "w", "2"]);
    c.run(&["MULTI"]);
    c.run(&["SET", "w", "3"]);
    assert_eq!(c.run(&["EXEC"]), "*-1\r\n");
    assert_eq!(c.run(&["GET", "w"]), "$1\r\n2\r\n");
    // EXEC unwatched everything: the next transaction runs.
    assert!(other.run(&["INFO", "clients"]).contains("total_watched_keys:0"));
    c.run(&["MULTI"]);
    c.run(&["SET", "w", "4"]);
    assert_eq!(c.run(&["EXEC"]), "*1\r\n+OK\r\n");
}

#[test]
fn a_write_that_changes_nothing_does_not_touch() {
    let (mut c, mut other) = pair();
    c.run(&["SET", "w", "1"]);
    c.run(&["WATCH", "w", "gone"]);
    other.run(&["SET", "w", "9", "NX"]);
    other.run(&["DEL", "gone"]);
    c.run(&["MULTI"]);
    c.run(&["PING"]);
    assert_eq!(c.run(&["EXEC"]), "*1\r\n+PONG\r\n");
}

#[test]
fn watch_inside_multi_and_stray_exec_discard() {
    let (mut c, _) = pair();
    assert_eq!(c.run(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
    assert_eq!(c.run(&["DISCARD"]), "-ERR DISCARD without MULTI\r\n");
    c.run(&["MULTI"]);
    assert_eq!(c.run(&["MULTI"]), "-ERR MULTI calls can not be nested\r\n");
    assert_eq!(c.run(&["WATCH", "x"]), "-ERR WATCH inside MULTI is not allowed\r\n");
    assert_eq!(c.run(&["EXEC"]), "*0\r\n");
}
