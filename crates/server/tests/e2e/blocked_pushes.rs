//! A blocked client still gets its pushes (pub/sub messages, tracking
//! invalidations) while it waits, as Redis writes them, and its reply
//! comes where Redis puts it among them.

use crate::harness::{exchange, Moon};
use std::io::Write;
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

/// Read exactly `want` (or fail after the socket's timeout).
fn expect(s: &mut TcpStream, want: &str) {
    let got = exchange(s, b"", want.len());
    assert_eq!(String::from_utf8_lossy(&got), want);
}

fn send(s: &mut TcpStream, cmd: &str) {
    s.write_all(cmd.as_bytes()).unwrap();
}

fn resp3(m: &Moon) -> TcpStream {
    let mut s = m.raw();
    send(&mut s, "HELLO 3\r\n");
    // The HELLO map's length varies with the version string: read it all.
    thread::sleep(Duration::from_millis(50));
    s.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let mut buf = [0u8; 4096];
    let _ = std::io::Read::read(&mut s, &mut buf);
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

fn wait_blocked(c: &mut redis::Connection, n: usize) {
    let start = Instant::now();
    loop {
        let info: String = redis::cmd("INFO").arg("clients").query(c).unwrap();
        if info.contains(&format!("blocked_clients:{n}\r")) {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "never saw {n} blocked clients");
        thread::sleep(Duration::from_millis(2));
    }
}

fn msg(ch: &str, data: &str) -> String {
    format!(">3\r\n$7\r\nmessage\r\n${}\r\n{ch}\r\n${}\r\n{data}\r\n", ch.len(), data.len())
}

#[test]
fn subscriber_gets_messages_while_blocked_and_its_reply_in_order() {
    let m = Moon::start(&[]);
    let mut ctl = m.client();
    let _: () = redis::cmd("CONFIG").arg("SET").arg("notify-keyspace-events").arg("El").query(&mut ctl).unwrap();
    let mut a = resp3(&m);
    send(&mut a, "SUBSCRIBE ch\r\nPSUBSCRIBE __keyevent@0__:*\r\n");
    expect(&mut a, ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n>3\r\n$10\r\npsubscribe\r\n$16\r\n__keyevent@0__:*\r\n:2\r\n");
    send(&mut a, "BLPOP l 0\r\nPING\r\n");
    wait_blocked(&mut ctl, 1);
    let _: i64 = redis::cmd("PUBLISH").arg("ch").arg("m1").query(&mut ctl).unwrap();
    expect(&mut a, &msg("ch", "m1"));
    // The serving write's event comes before the reply, the pop's after,
    // then the command queued behind.
    let _: i64 = redis::cmd("RPUSH").arg("l").arg("x").query(&mut ctl).unwrap();
    let ev = |e: &str| format!(">4\r\n$8\r\npmessage\r\n$16\r\n__keyevent@0__:*\r\n${}\r\n__keyevent@0__:{e}\r\n$1\r\nl\r\n", 15 + e.len());
    expect(&mut a, &format!("{}*2\r\n$1\r\nl\r\n$1\r\nx\r\n{}+PONG\r\n", ev("rpush"), ev("lpop")));
    // A timeout answers after what was pushed before it.
    send(&mut a, "BLPOP l 0.3\r\n");
    wait_blocked(&mut ctl, 1);
    let _: i64 = redis::cmd("PUBLISH").arg("ch").arg("m3").query(&mut ctl).unwrap();
    expect(&mut a, &format!("{}_\r\n", msg("ch", "m3")));
}

#[test]
fn tracking_client_gets_invalidations_while_blocked() {
    let m = Moon::start(&[]);
    let mut ctl = m.client();
    let mut t = resp3(&m);
    send(&mut t, "CLIENT TRACKING ON\r\nGET k\r\n");
    expect(&mut t, "+OK\r\n_\r\n");
    send(&mut t, "XREAD BLOCK 0 STREAMS s $\r\n");
    wait_blocked(&mut ctl, 1);
    let _: () = redis::cmd("SET").arg("k").arg("1").query(&mut ctl).unwrap();
    expect(&mut t, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n");
    // CLIENT UNBLOCK still ends the wait.
    let list: String = redis::cmd("CLIENT").arg("LIST").query(&mut ctl).unwrap();
    let tid = list
        .lines()
        .find(|l| l.contains("cmd=xread"))
        .and_then(|l| l.split(' ').next())
        .and_then(|f| f.strip_prefix("id="))
        .unwrap()
        .to_string();
    let n: i64 = redis::cmd("CLIENT").arg("UNBLOCK").arg(&tid).arg("ERROR").query(&mut ctl).unwrap();
    assert_eq!(n, 1);
    expect(&mut t, "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
    // A broadcasting client blocked and served by the same write: the
    // reply, then the invalidation (sent at the end of the writer's batch).
    let mut b = resp3(&m);
    send(&mut b, "CLIENT TRACKING ON BCAST PREFIX q\r\n");
    expect(&mut b, "+OK\r\n");
    send(&mut b, "BLPOP q1 0\r\n");
    wait_blocked(&mut ctl, 1);
    let _: i64 = redis::cmd("RPUSH").arg("q1").arg("v").query(&mut ctl).unwrap();
    expect(&mut b, "*2\r\n$2\r\nq1\r\n$1\r\nv\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nq1\r\n");
    // Killing a blocked client still works.
    send(&mut b, "BLPOP q2 0\r\n");
    wait_blocked(&mut ctl, 1);
    let list: String = redis::cmd("CLIENT").arg("LIST").query(&mut ctl).unwrap();
    let bid = list
        .lines()
        .find(|l| l.contains("cmd=blpop"))
        .and_then(|l| l.split(' ').next())
        .and_then(|f| f.strip_prefix("id="))
        .unwrap()
        .to_string();
    let n: i64 = redis::cmd("CLIENT").arg("KILL").arg("ID").arg(&bid).query(&mut ctl).unwrap();
    assert_eq!(n, 1);
    assert!(crate::harness::closed(&mut b));
    wait_blocked(&mut ctl, 0);
}
