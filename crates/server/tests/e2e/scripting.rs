//! A script that never ends: other clients get BUSY after
//! busy-reply-threshold, SCRIPT KILL stops it, the server stays up.

use crate::harness::Moon;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn cmd(args: &[&str]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend(format!("${}\r\n{}\r\n", a.len(), a).bytes());
    }
    v
}

/// Read one line-terminated reply (the replies here are single lines).
fn read_line(s: &mut TcpStream, within: Duration) -> Option<String> {
    s.set_read_timeout(Some(within)).unwrap();
    let mut got = Vec::new();
    let mut b = [0u8; 512];
    while !got.ends_with(b"\r\n") {
        match s.read(&mut b) {
            Ok(0) | Err(_) => return None,
            Ok(n) => got.extend_from_slice(&b[..n]),
        }
    }
    Some(String::from_utf8_lossy(&got).into_owned())
}

#[test]
fn busy_script_is_killed() {
    // One I/O thread: the script's own thread must still answer others
    // (its other connections move to another OS thread once it is busy).
    let m = Moon::start(&["--busy-reply-threshold", "100", "--threads", "1"]);
    let mut runner = m.raw();
    runner.write_all(&cmd(&["eval", "local i = 0 while true do i = i + 1 end", "0"])).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let mut others: Vec<TcpStream> = (0..3).map(|_| m.raw()).collect();
    for c in others.iter_mut() {
        c.write_all(&cmd(&["get", "k"])).unwrap();
        let r = read_line(c, Duration::from_secs(5)).expect("BUSY while the script runs");
        assert_eq!(r, "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n");
    }
    let other = &mut others[0];
    other.write_all(&cmd(&["script", "kill"])).unwrap();
    assert_eq!(read_line(other, Duration::from_secs(5)).as_deref(), Some("+OK\r\n"));
    let r = read_line(&mut runner, Duration::from_secs(5)).expect("the script's reply");
    assert!(r.starts_with("-ERR Script killed by user with SCRIPT KILL... script: "), "{r}");
    assert!(r.ends_with(", on @user_script:1.\r\n"), "{r}");
    other.write_all(&cmd(&["script", "kill"])).unwrap();
    assert_eq!(read_line(other, Duration::from_secs(5)).as_deref(), Some("-NOTBUSY No scripts in execution right now.\r\n"));
    // The script's own connection and the others go on as before.
    runner.write_all(&cmd(&["get", "k"])).unwrap();
    assert_eq!(read_line(&mut runner, Duration::from_secs(5)).as_deref(), Some("$-1\r\n"));
}

#[test]
fn busy_script_that_wrote_is_unkillable() {
    let m = Moon::start(&["--busy-reply-threshold", "100"]);
    let mut runner = m.raw();
    runner.write_all(&cmd(&["eval", "redis.call('set', 'x', 1) local t = redis.call('time') while t do end", "0"])).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut keep = Vec::new();
    while Instant::now() < deadline {
        let mut c = m.raw();
        c.write_all(&cmd(&["script", "kill"])).unwrap();
        if let Some(r) = read_line(&mut c, Duration::from_millis(800)) {
            assert!(r.starts_with("-UNKILLABLE Sorry the script already executed write commands"), "{r}");
            c.write_all(&cmd(&["shutdown", "nosave"])).unwrap();
            break;
        }
        keep.push(c);
    }
    let mut m = m;
    assert!(m.wait_exit(Duration::from_secs(10)).is_some(), "SHUTDOWN NOSAVE ends a server stuck in a script");
}
