//! What expiry tells others: "hexpired"/"del" notifications of hash field
//! expiry, and tracking invalidations of expired keys. Recording what
//! expiry removed is switched process-wide (every new server's default
//! config, and the last tracking client of any server going away, switch
//! it off), so these tests run in their own process, one at a time.

use moon_commands::testing::TestClient;
use moon_store::clock::now_ms;
use parking_lot::Mutex;
use std::time::Duration;

static SERIAL: Mutex<()> = Mutex::new(());

/// The keyevent names a pattern subscriber got, as "event key".
fn events(s: &mut TestClient) -> Vec<String> {
    let mail = String::from_utf8(s.conn.handle.take_mail()).unwrap();
    let parts: Vec<&str> = mail.split("\r\n").collect();
    let mut out = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if let Some(ev) = p.strip_prefix("__keyevent@0__:") {
            out.push(format!("{ev} {}", parts[i + 2]));
        }
    }
    out
}

/// Give `key` a field "a" that expires within a few ms, and wait for it.
fn expire_field_a(c: &mut TestClient, s: &mut TestClient, key: &str) {
    let at = (now_ms() + 10).to_string();
    c.run(&["HPEXPIREAT", key, &at, "FIELDS", "1", "a"]);
    events(s);
    std::thread::sleep(Duration::from_millis(20));
}

#[test]
fn field_expiry_publishes_hexpired_then_del() {
    let _serial = SERIAL.lock();
    let mut s = TestClient::new();
    let mut c = TestClient::connect(s.srv.clone());
    s.run(&["PSUBSCRIBE", "__keyevent@*"]);
    c.run(&["CONFIG", "SET", "notify-keyspace-events", "Ehg"]);
    c.run(&["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    let at = (now_ms() + 10).to_string();
    c.run(&["HPEXPIREAT", "h", &at, "FIELDS", "2", "a", "b"]);
    events(&mut s);
    std::thread::sleep(Duration::from_millis(20));
    // Lazily: one event for both fields, before the command's own.
    c.run(&["HINCRBY", "h", "a", "1"]);
    assert_eq!(events(&mut s), ["hexpired h", "hincrby h"]);
    // The last field: the hash goes too.
    c.run(&["HSET", "one", "a", "1"]);
    expire_field_a(&mut c, &mut s, "one");
    assert_eq!(c.run(&["HGET", "one", "a"]), "$-1\r\n");
    assert_eq!(events(&mut s), ["hexpired one", "del one"]);
    // By the active expiry.
    c.run(&["HSET", "act", "a", "1"]);
    expire_field_a(&mut c, &mut s, "act");
    let srv = c.srv.clone();
    let now = now_ms();
    srv.ks.dbs[0].for_each_stripe(|_, st| {
        st.expire_step(now, 1 << 20);
        moon_commands::notify::publish_expired(&srv, 0, st.take_expired_keys());
    });
    assert_eq!(events(&mut s), ["hexpired act", "del act"]);
    // Only the classes asked for.
    c.run(&["CONFIG", "SET", "notify-keyspace-events", "Eh"]);
    c.run(&["HSET", "two", "a", "1"]);
    expire_field_a(&mut c, &mut s, "two");
    c.run(&["HGET", "two", "a"]);
    assert_eq!(events(&mut s), ["hexpired two"]);
    c.run(&["CONFIG", "SET", "notify-keyspace-events", "Eg"]);
    c.run(&["HSET", "three", "a", "1", "b", "1"]);
    expire_field_a(&mut c, &mut s, "three");
    c.run(&["HGET", "three", "a"]);
    assert!(events(&mut s).is_empty());
    // Key expiry still says "expired" (class x).
    c.run(&["CONFIG", "SET", "notify-keyspace-events", "Ex"]);
    c.run(&["SET", "k", "1", "PX", "5"]);
    std::thread::sleep(Duration::from_millis(15));
    c.run(&["GET", "k"]);
    assert_eq!(events(&mut s), ["expired k"]);
}

fn mail(c: &TestClient) -> String {
    String::from_utf8(c.conn.handle.take_mail()).unwrap()
}

#[test]
fn expired_keys_are_invalidated_for_tracking_clients() {
    let _serial = SERIAL.lock();
    let mut n = TestClient::new();
    let mut w = TestClient::connect(n.srv.clone());
    let mut b = TestClient::connect(n.srv.clone());
    w.run(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    n.run(&["HELLO", "3"]);
    b.run(&["HELLO", "3"]);
    n.run(&["CLIENT", "TRACKING", "ON"]);
    b.run(&["CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP"]);
    w.run(&["SET", "j", "1", "PX", "10"]);
    w.run(&["HSET", "h", "a", "1", "b", "1"]);
    w.run(&["HPEXPIRE", "h", "10", "FIELDS", "1", "a"]);
    n.run(&["GET", "j"]);
    n.run(&["HGET", "h", "b"]);
    mail(&b);
    std::thread::sleep(Duration::from_millis(20));
    // Lazily, found by another client: both trackers hear of it.
    w.run(&["HGET", "h", "a"]);
    assert_eq!(mail(&n), ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nh\r\n");
    assert_eq!(mail(&b), ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nh\r\n");
    // By the reader itself: told, and the key is tracked again after.
    assert_eq!(n.run(&["GET", "j"]), "_\r\n");
    assert_eq!(mail(&n), ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nj\r\n");
    w.run(&["SET", "j", "2"]);
    assert_eq!(mail(&n), ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nj\r\n");
    // NOLOOP hides a client's own writes, not expiry it ran into.
    mail(&b);
    b.run(&["SET", "k", "1", "PX", "10"]);
    assert_eq!(mail(&b), "");
    std::thread::sleep(Duration::from_millis(20));
    b.run(&["GET", "k"]);
    assert_eq!(mail(&b), ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n");
    // By the active expiry.
    w.run(&["PEXPIRE", "j", "10"]);
    n.run(&["GET", "j"]);
    mail(&n);
    mail(&b);
    std::thread::sleep(Duration::from_millis(20));
    let srv = n.srv.clone();
    let now = now_ms();
    srv.ks.dbs[0].for_each_stripe(|_, st| {
        st.expire_step(now, 1 << 20);
        let gone = st.take_expired_keys();
        srv.tracking.invalidate_expired(&srv, gone.iter().map(|(k, _)| k.as_slice()), None);
    });
    assert_eq!(mail(&n), ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nj\r\n");
    assert_eq!(mail(&b), ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nj\r\n");
}
