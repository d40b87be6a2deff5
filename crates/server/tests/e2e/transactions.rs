//! MULTI/EXEC/WATCH through the real server across I/O threads.

use crate::harness::Moon;
use std::thread;

/// Clients race optimistic increments (WATCH, GET, MULTI, SET, EXEC) on
/// one key from connections spread over several I/O threads: every EXEC
/// that succeeded added exactly one, and no other write got through.
#[test]
fn watch_races_lose_no_increment() {
    let m = Moon::start(&["--threads", "4"]);
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let mut c = m.client();
            thread::spawn(move || {
                let mut won = 0u64;
                for _ in 0..300 {
                    let _: () = redis::cmd("WATCH").arg("counter").query(&mut c).unwrap();
                    let v: Option<u64> = redis::cmd("GET").arg("counter").query(&mut c).unwrap();
                    let r: Option<(String,)> =
                        redis::pipe().atomic().cmd("SET").arg("counter").arg(v.unwrap_or(0) + 1).query(&mut c).unwrap();
                    if r.is_some() {
                        won += 1;
                    }
                }
                won
            })
        })
        .collect();
    let won: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    let mut c = m.client();
    let v: u64 = redis::cmd("GET").arg("counter").query(&mut c).unwrap();
    assert_eq!(v, won, "the counter must equal the number of successful EXECs");
    assert!(won > 0);
}
