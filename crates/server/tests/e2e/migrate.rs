//! MIGRATE between two real servers.

use crate::harness::Moon;

#[test]
fn migrate_moves_copies_and_replaces() {
    let a = Moon::start(&[]);
    let b = Moon::start(&["--requirepass", "secret"]);
    let mut ca = a.client();
    let mut cb = b.client();
    let _: () = redis::cmd("AUTH").arg("secret").query(&mut cb).unwrap();
    let _: () = redis::cmd("SET").arg("k1").arg("v1").query(&mut ca).unwrap();
    let _: () = redis::cmd("RPUSH").arg("k2").arg("x").arg("y").query(&mut ca).unwrap();
    let _: () = redis::cmd("PEXPIRE").arg("k2").arg(100_000).query(&mut ca).unwrap();
    let port = b.port.to_string();
    let migrate = |c: &mut redis::Connection, extra: &[&str]| -> redis::RedisResult<String> {
        redis::cmd("MIGRATE").arg("127.0.0.1").arg(&port).arg("").arg(3).arg(2000).arg(extra).query(c)
    };
    // Without the password the target refuses.
    let err = migrate(&mut ca, &["KEYS", "k1"]).unwrap_err();
    assert!(err.to_string().contains("Target instance replied with error: NOAUTH"), "{err}");
    assert_eq!(migrate(&mut ca, &["COPY", "AUTH", "secret", "KEYS", "k1", "k2", "nokey"]).unwrap(), "OK");
    let n: i64 = redis::cmd("EXISTS").arg("k1").arg("k2").query(&mut ca).unwrap();
    assert_eq!(n, 2, "COPY keeps the source keys");
    let _: () = redis::cmd("SELECT").arg(3).query(&mut cb).unwrap();
    let v: String = redis::cmd("GET").arg("k1").query(&mut cb).unwrap();
    assert_eq!(v, "v1");
    let ttl: i64 = redis::cmd("PTTL").arg("k2").query(&mut cb).unwrap();
    assert!(ttl > 90_000 && ttl <= 100_000, "{ttl}");
    // The keys exist there now: BUSYKEY unless REPLACE.
    let err = migrate(&mut ca, &["AUTH", "secret", "KEYS", "k1"]).unwrap_err();
    assert!(err.to_string().contains("BUSYKEY"), "{err}");
    assert_eq!(migrate(&mut ca, &["REPLACE", "AUTH", "secret", "KEYS", "k1", "k2"]).unwrap(), "OK");
    let n: i64 = redis::cmd("EXISTS").arg("k1").arg("k2").query(&mut ca).unwrap();
    assert_eq!(n, 0, "moved keys are deleted here");
    assert_eq!(migrate(&mut ca, &["KEYS", "k1"]).unwrap(), "NOKEY");
}
