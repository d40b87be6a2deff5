//! Protocol robustness: garbage, oversized lengths, pipelining, RESP3.

use crate::harness::{closed, exchange, Moon};
use rand::{Rng, SeedableRng};
use std::io::Write;

#[test]
fn protocol_errors_reply_then_close() {
    let m = Moon::start(&[]);
    for (input, reply) in [
        (&b"*1\r\n+x\r\n"[..], &b"-ERR Protocol error: expected '$', got '+'\r\n"[..]),
        (b"*2147483648\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
        (b"*1\r\n$600000000\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
        (b"SET a \"b\r\n", b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    ] {
        let mut s = m.raw();
        assert_eq!(exchange(&mut s, input, reply.len()), reply);
        assert!(closed(&mut s));
    }
}

#[test]
fn oversized_inline_and_headers_are_refused() {
    let m = Moon::start(&[]);
    let mut s = m.raw();
    let big = vec![b'a'; 70 * 1024];
    let r = exchange(&mut s, &big, 44);
    assert_eq!(r, b"-ERR Protocol error: too big inline request\r\n");
    let mut s = m.raw();
    let mut hdr = b"*".to_vec();
    hdr.extend(vec![b'9'; 70 * 1024]);
    let r = exchange(&mut s, &hdr, 10);
    assert!(r.starts_with(b"-ERR Protocol error: "), "{:?}", String::from_utf8_lossy(&r));
}

#[test]
fn random_bytes_never_kill_the_server() {
    let mut m = Moon::start(&[]);
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x6d6f6f6e);
    for _ in 0..200 {
        let mut s = m.raw();
        s.set_read_timeout(Some(std::time::Duration::from_millis(50))).unwrap();
        let len = rng.gen_range(1..2048);
        let mut data: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
        // Bias towards protocol-looking input.
        if rng.gen_bool(0.5) {
            data[0] = if rng.gen_bool(0.5) { b'*' } else { b'$' };
        }
        let _ = s.write_all(&data);
        let _ = exchange(&mut s, b"", 1);
    }
    assert!(m.alive());
    let mut c = m.client();
    let pong: String = redis::cmd("PING").query(&mut c).unwrap();
    assert_eq!(pong, "PONG");
}

#[test]
fn pipelined_replies_arrive_in_order() {
    let m = Moon::start(&[]);
    let mut s = m.raw();
    let mut req = Vec::new();
    let mut want = Vec::new();
    for i in 0..5000 {
        let msg = format!("m{i}");
        req.extend(format!("*2\r\n$4\r\nECHO\r\n${}\r\n{msg}\r\n", msg.len()).bytes());
        want.extend(format!("${}\r\n{msg}\r\n", msg.len()).bytes());
    }
    assert_eq!(exchange(&mut s, &req, want.len()), want);
}

#[test]
fn hello_switches_to_resp3() {
    let m = Moon::start(&[]);
    let mut s = m.raw();
    let r = exchange(&mut s, b"HELLO 3\r\n", 10);
    assert!(r.starts_with(b"%7\r\n$6\r\nserver\r\n"), "{:?}", String::from_utf8_lossy(&r));
}

#[test]
fn unauthenticated_clients_cannot_make_the_server_allocate() {
    let m = Moon::start(&["--requirepass", "pw"]);
    let mut s = m.raw();
    assert_eq!(exchange(&mut s, b"*100\r\n", 60), b"-ERR Protocol error: unauthenticated multibulk length\r\n");
    let mut s = m.raw();
    assert_eq!(exchange(&mut s, b"*1\r\n$100000\r\n", 60), b"-ERR Protocol error: unauthenticated bulk length\r\n");
}
