use crate::testing::TestClient;

fn mail(c: &TestClient) -> String {
    String::from_utf8(c.conn.handle.take_mail()).unwrap()
}

#[test]
fn a_read_key_is_invalidated_once_when_written() {
    let mut c = TestClient::new();
    let mut w = TestClient::connect(c.srv.clone());
    c.run(&["HELLO", "3"]);
    assert_eq!(c.run(&["CLIENT", "TRACKING", "ON"]), "+OK\r\n");
    c.run(&["GET", "k"]);
    assert!(w.run(&["INFO", "stats"]).contains("tracking_total_keys:1"));
    w.run(&["SET", "k", "1"]);
    assert_eq!(mail(&c), ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n");
    // Not read again: no second message.
    w.run(&["SET", "k", "2"]);
    assert_eq!(mail(&c), "");
    // A write that changes nothing invalidates nothing.
    c.run(&["GET", "k"]);
    w.run(&["SET", "k", "x", "NX"]);
    assert_eq!(mail(&c), "");
    w.run(&["FLUSHALL"]);
    assert_eq!(mail(&c), ">2\r\n$10\r\ninvalidate\r\n_\r\n");
}

#[test]
fn redirect_to_a_resp2_subscriber_and_noloop_and_bcast() {
    let mut c = TestClient::new();
    let mut r = TestClient::connect(c.srv.clone());
    r.run(&["SUBSCRIBE", "__redis__:invalidate"]);
    let rid = r.conn.id().to_string();
    assert_eq!(c.run(&["CLIENT", "TRACKING", "ON", "REDIRECT", &rid, "NOLOOP"]), "+OK\r\n");
    assert_eq!(c.run(&["CLIENT", "GETREDIR"]), format!(":{rid}\r\n"));
    c.run(&["GET", "a"]);
    c.run(&["GET", "b"]);
    c.run(&["SET", "a", "own write"]);
    let mut w = TestClient::connect(c.srv.clone());
    w.run(&["SET", "b", "1"]);
    assert_eq!(mail(&r), "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nb\r\n");

    let mut b = TestClient::connect(c.srv.clone());
    b.run(&["HELLO", "3"]);
    assert_eq!(b.run(&["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:"]), "+OK\r\n");
    w.run(&["SET", "other", "1"]);
    w.run(&["SET", "user:1", "1"]);
    assert_eq!(mail(&b), ">2\r\n$10\r\ninvalidate\r\n*1\r\n$6\r\nuser:1\r\n");
}

#[test]
fn optin_tracks_only_after_caching_yes() {
    let mut c = TestClient::new();
    let mut w = TestClient::connect(c.srv.clone());
    c.run(&["HELLO", "3"]);
    c.run(&["CLIENT", "TRACKING", "ON", "OPTIN"]);
    c.run(&["GET", "x"]);
    c.run(&["CLIENT", "CACHING", "YES"]);
    c.run(&["GET", "y"]);
    c.run(&["GET", "z"]);
    w.run(&["MSET", "x", "1", "y", "1", "z", "1"]);
    assert_eq!(mail(&c), ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\ny\r\n");
    assert_eq!(c.run(&["CLIENT", "CACHING", "NO"]), "-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n");
    assert_eq!(c.run(&["CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"]), "-ERR You can't specify both OPTIN mode and OPTOUT mode\r\n");
    assert_eq!(c.run(&["CLIENT", "TRACKING", "OFF"]), "+OK\r\n");
    assert_eq!(c.run(&["CLIENT", "GETREDIR"]), ":-1\r\n");
}

#[test]
fn client_list_shows_tracking_flags_and_redirect() {
    let mut c = TestClient::new();
    let field = |line: &str, f: &str| line.split(' ').find_map(|kv| kv.strip_prefix(&format!("{f}="))).unwrap_or("").trim().to_string();
    let info = c.run(&["CLIENT", "INFO"]);
    assert_eq!((field(&info, "flags"), field(&info, "redir")), ("N".into(), "-1".into()));
    c.run(&["CLIENT", "TRACKING", "ON", "BCAST"]);
    let info = c.run(&["CLIENT", "INFO"]);
    assert_eq!((field(&info, "flags"), field(&info, "redir")), ("tB".into(), "0".into()));
    c.run(&["CLIENT", "TRACKING", "OFF"]);
    assert_eq!(field(&c.run(&["CLIENT", "INFO"]), "flags"), "N");
}

#[test]
fn bcast_sends_one_message_per_prefix_per_batch() {
    let mut b = TestClient::new();
    let mut w = TestClient::connect(b.srv.clone());
    b.run(&["HELLO", "3"]);
    assert_eq!(b.run(&["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "b", "PREFIX", "a"]), "+OK\r\n");
    // One command's keys, sorted, deduplicated, one message per prefix in
    // prefix order; keys of no prefix left out.
    w.run(&["MSET", "b2", "1", "a2", "1", "a1", "2", "x", "3", "a2", "4"]);
    assert_eq!(mail(&b), ">2\r\n$10\r\ninvalidate\r\n*2\r\n$2\r\na1\r\n$2\r\na2\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nb2\r\n");
    // Several commands of one batch (a pipeline, a transaction) together.
    w.run(&["SET", "a9", "1"]);
    w.run(&["DEL", "a1"]);
    assert_eq!(b.srv.tracking.clients(), 1);
    let writer = w.conn.id();
    let mut keys = vec![(b"a9".to_vec(), writer), (b"zz".to_vec(), writer), (b"a1".to_vec(), writer), (b"a9".to_vec(), writer)];
    b.srv.tracking.flush_bcast(&b.srv, &mut keys);
    assert!(keys.is_empty());
    let m = mail(&b);
    assert!(m.ends_with(">2\r\n$10\r\ninvalidate\r\n*2\r\n$2\r\na1\r\n$2\r\na9\r\n"), "{m:?}");
    w.run(&["MULTI"]);
    w.run(&["SET", "b5", "1"]);
    w.run(&["SET", "a5", "1"]);
    w.run(&["EXEC"]);
    assert_eq!(mail(&b), ">2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\na5\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nb5\r\n");
    // NOLOOP: nothing of one's own batch; no prefix: everything.
    let mut n = TestClient::connect(b.srv.clone());
    n.run(&["HELLO", "3"]);
    n.run(&["CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP"]);
    n.run(&["MSET", "q", "1", "a7", "1"]);
    assert_eq!(mail(&n), "");
    mail(&b);
    w.run(&["MSET", "q", "1", "a7", "1"]);
    assert_eq!(mail(&n), ">2\r\n$10\r\ninvalidate\r\n*2\r\n$2\r\na7\r\n$1\r\nq\r\n");
    // Once nobody broadcasts, writers queue nothing.
    b.run(&["CLIENT", "TRACKING", "OFF"]);
    n.run(&["CLIENT", "TRACKING", "OFF"]);
    let mut pending = Vec::new();
    w.srv.tracking.invalidate(&w.srv, b"a1", writer, &mut pending);
    assert!(pending.is_empty());
}
