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
    let m = Moon::start(&["--busy-reply-threshold", "100"]);
    let mut runner = m.raw();
    runner.write_all(&cmd(&["eval", "local i = 0 while true do i = i + 1 end", "0"])).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    // Connections land on the I/O threads by the kernel's choice; one on
    // the script's own thread waits for it, so find one that answers.
    let mut stuck = Vec::new();
    let mut other = None;
    let deadline = Instant::now() + Duration::from_secs(20);
    while other.is_none() && Instant::now() < deadline {
        let mut c = m.raw();
        c.write_all(&cmd(&["get", "k"])).unwrap();
        match read_line(&mut c, Duration::from_millis(800)) {
            Some(r) => {
                assert_eq!(r, "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n");
                other = Some(c);
            }
            None => stuck.push(c),
        }
    }
    let mut other = other.expect("a connection on another I/O thread");
    other.write_all(&cmd(&["script", "kill"])).unwrap();
    assert_eq!(read_line(&mut other, Duration::from_secs(5)).as_deref(), Some("+OK\r\n"));
    let r = read_line(&mut runner, Duration::from_secs(5)).expect("the script's reply");
    assert!(r.starts_with("-ERR Script killed by user with SCRIPT KILL... script: "), "{r}");
    assert!(r.ends_with(", on @user_script:1.\r\n"), "{r}");
    // Clients that waited are served once the script is gone.
    for mut c in stuck {
        assert_eq!(read_line(&mut c, Duration::from_secs(5)).as_deref(), Some("$-1\r\n"));
    }
    other.write_all(&cmd(&["script", "kill"])).unwrap();
    assert_eq!(read_line(&mut other, Duration::from_secs(5)).as_deref(), Some("-NOTBUSY No scripts in execution right now.\r\n"));
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
