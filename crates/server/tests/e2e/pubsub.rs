//! Pub/Sub through the real server: ordering, and a subscriber that stops
//! reading being disconnected at the pubsub output limit.

use crate::harness::Moon;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

#[test]
fn messages_from_one_publisher_arrive_in_order() {
    let m = Moon::start(&[]);
    let mut sub = m.client();
    let mut ps = sub.as_pubsub();
    ps.subscribe("ordered").unwrap();
    ps.psubscribe("ord*").unwrap();
    let mut publisher = m.client();
    for i in 0..500 {
        let n: i64 = redis::cmd("PUBLISH").arg("ordered").arg(i).query(&mut publisher).unwrap();
        assert_eq!(n, 2);
    }
    let (mut plain, mut pattern) = (0, 0);
    ps.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    while plain < 500 || pattern < 500 {
        let msg = ps.get_message().unwrap();
        let v: i64 = msg.get_payload().unwrap();
        if msg.from_pattern() {
            assert_eq!(v, pattern);
            pattern += 1;
        } else {
            assert_eq!(v, plain);
            plain += 1;
        }
    }
}

#[test]
fn a_subscriber_that_stops_reading_is_disconnected() {
    let m = Moon::start(&[]);
    let mut ctl = m.client();
    let _: () = redis::cmd("CONFIG").arg("SET").arg("client-output-buffer-limit").arg("pubsub 1mb 0 0").query(&mut ctl).unwrap();
    let mut s = m.raw();
    s.write_all(b"*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nslow\r\n").unwrap();
    let mut buf = [0u8; 64];
    let _ = s.read(&mut buf).unwrap();
    let payload = vec![b'x'; 64 * 1024];
    let start = Instant::now();
    // Far more than the socket buffers and the 1 MB limit can hold.
    loop {
        let n: i64 = redis::cmd("PUBLISH").arg("slow").arg(&payload[..]).query(&mut ctl).unwrap();
        if n == 0 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "the stalled subscriber was never dropped");
    }
    let clients: String = redis::cmd("CLIENT").arg("LIST").query(&mut ctl).unwrap();
    assert_eq!(clients.lines().count(), 1, "{clients}");
    let info: String = redis::cmd("INFO").arg("clients").query(&mut ctl).unwrap();
    assert!(info.contains("pubsub_clients:0"), "{info}");
}
