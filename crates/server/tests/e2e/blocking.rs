//! Blocking commands through the real server: FIFO hand-off across
//! connections, BLMOVE chains, timeouts, disconnects, CLIENT UNBLOCK.

use crate::harness::Moon;
use std::thread;
use std::time::{Duration, Instant};

fn info_field(c: &mut redis::Connection, field: &str) -> String {
    let info: String = redis::cmd("INFO").arg("clients").query(c).unwrap();
    info.lines().find_map(|l| l.strip_prefix(&format!("{field}:"))).unwrap_or("").trim().to_string()
}

/// Wait until `n` clients are blocked (so arrival order is known).
fn wait_blocked(c: &mut redis::Connection, n: usize) {
    let start = Instant::now();
    while info_field(c, "blocked_clients") != n.to_string() {
        assert!(start.elapsed() < Duration::from_secs(5), "never saw {n} blocked clients");
        thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn many_waiters_on_one_key_are_served_in_order() {
    let m = Moon::start(&[]);
    let mut ctl = m.client();
    let mut handles = Vec::new();
    for i in 0..20 {
        let mut c = m.client();
        handles.push(thread::spawn(move || {
            let r: (String, String) = redis::cmd("BLPOP").arg("q").arg(0).query(&mut c).unwrap();
            (i, r.1)
        }));
        // Each one blocks before the next arrives.
        wait_blocked(&mut ctl, i + 1);
    }
    let items: Vec<String> = (0..20).map(|i| format!("e{i}")).collect();
    let n: i64 = redis::cmd("RPUSH").arg("q").arg(&items).query(&mut ctl).unwrap();
    assert_eq!(n, 20);
    for h in handles {
        let (i, got) = h.join().unwrap();
        assert_eq!(got, format!("e{i}"), "waiter {i} got the wrong element");
    }
    let len: i64 = redis::cmd("LLEN").arg("q").query(&mut ctl).unwrap();
    assert_eq!(len, 0);
    assert_eq!(info_field(&mut ctl, "blocked_clients"), "0");
}

#[test]
fn blmove_chain_across_connections() {
    let m = Moon::start(&[]);
    let mut ctl = m.client();
    let mut hs = Vec::new();
    for (i, (src, dst)) in [("a", "b"), ("b", "c"), ("c", "d")].into_iter().enumerate() {
        let mut c = m.client();
        hs.push(thread::spawn(move || -> String {
            redis::cmd("BLMOVE").arg(src).arg(dst).arg("LEFT").arg("RIGHT").arg(0).query(&mut c).unwrap()
        }));
        wait_blocked(&mut ctl, i + 1);
    }
    let _: i64 = redis::cmd("LPUSH").arg("a").arg("x").query(&mut ctl).unwrap();
    for h in hs {
        assert_eq!(h.join().unwrap(), "x");
    }
    let d: Vec<String> = redis::cmd("LRANGE").arg("d").arg(0).arg(-1).query(&mut ctl).unwrap();
    assert_eq!(d, vec!["x"]);
}

#[test]
fn timeouts_are_within_ten_percent() {
    let m = Moon::start(&[]);
    let mut c = m.client();
    for secs in [0.1f64, 0.25, 0.5] {
        let t = Instant::now();
        let r: Option<(String, String)> = redis::cmd("BRPOP").arg("none").arg(secs).query(&mut c).unwrap();
        let took = t.elapsed().as_secs_f64();
        assert!(r.is_none());
        // Within 10% of the request (the server counts whole milliseconds,
        // so it may fire a fraction of one early).
        assert!((took - secs).abs() <= secs * 0.1, "timeout {secs}s took {took}s");
    }
    let t = Instant::now();
    let r: Option<String> = redis::cmd("BLMOVE").arg("none").arg("x").arg("LEFT").arg("LEFT").arg(0.2).query(&mut c).unwrap();
    assert!(r.is_none());
    assert!(t.elapsed() >= Duration::from_millis(180));
}

#[test]
fn pipelined_commands_after_a_blocking_one_wait_for_it() {
    let m = Moon::start(&[]);
    let mut s = m.raw();
    use std::io::{Read, Write};
    s.write_all(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$3\r\n0.1\r\n*1\r\n$4\r\nPING\r\n").unwrap();
    let mut buf = Vec::new();
    let start = Instant::now();
    while !buf.ends_with(b"+PONG\r\n") {
        let mut chunk = [0u8; 64];
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0);
        buf.extend_from_slice(&chunk[..n]);
    }
    assert_eq!(buf, b"*-1\r\n+PONG\r\n");
    assert!(start.elapsed() >= Duration::from_millis(90));
}

#[test]
fn a_disconnected_waiter_is_forgotten_and_unblock_works() {
    let m = Moon::start(&[]);
    let mut ctl = m.client();
    {
        let mut gone = m.raw();
        use std::io::Write;
        gone.write_all(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n").unwrap();
        wait_blocked(&mut ctl, 1);
    }
    wait_blocked(&mut ctl, 0);
    let _: i64 = redis::cmd("RPUSH").arg("k").arg("v").query(&mut ctl).unwrap();
    let len: i64 = redis::cmd("LLEN").arg("k").query(&mut ctl).unwrap();
    assert_eq!(len, 1, "the element went to a client that had left");

    let mut c = m.client();
    let id: i64 = redis::cmd("CLIENT").arg("ID").query(&mut c).unwrap();
    let h = thread::spawn(move || redis::cmd("BLPOP").arg("other").arg(0).query::<Option<(String, String)>>(&mut c));
    wait_blocked(&mut ctl, 1);
    let n: i64 = redis::cmd("CLIENT").arg("UNBLOCK").arg(id).arg("ERROR").query(&mut ctl).unwrap();
    assert_eq!(n, 1);
    let err = h.join().unwrap().unwrap_err();
    assert!(err.to_string().contains("client unblocked via CLIENT UNBLOCK"), "{err}");
}
