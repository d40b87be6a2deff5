//! BGSAVE through the real binary: the file is the data of the instant it
//! began while writes continue; save points, SHUTDOWN and SIGTERM save.

use crate::harness::Moon;
use std::time::{Duration, Instant};

fn info_field(c: &mut redis::Connection, name: &str) -> String {
    let info: String = redis::cmd("INFO").arg("persistence").query(c).unwrap();
    let line = info.lines().find(|l| l.starts_with(&format!("{name}:"))).unwrap_or_else(|| panic!("{name}"));
    line[name.len() + 1..].to_string()
}

fn wait_bgsave(c: &mut redis::Connection) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while info_field(c, "rdb_bgsave_in_progress") == "1" {
        assert!(Instant::now() < deadline, "BGSAVE did not finish");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn fill(c: &mut redis::Connection, n: usize) {
    let mut p = redis::pipe();
    for i in 0..n {
        p.cmd("SET").arg(format!("key:{i}")).arg(format!("value-{i}")).ignore();
    }
    p.cmd("HSET").arg("h").arg("f").arg("v").ignore();
    p.cmd("XADD").arg("x").arg("1-1").arg("a").arg("b").ignore();
    p.query::<()>(c).unwrap();
}

#[test]
fn bgsave_is_point_in_time_while_writes_continue() {
    let m = Moon::start(&["--enable-debug-command", "yes"]);
    let mut c = m.client();
    fill(&mut c, 50_000);
    let at_start: String = redis::cmd("DEBUG").arg("DIGEST").query(&mut c).unwrap();
    let r: String = redis::cmd("BGSAVE").query(&mut c).unwrap();
    assert_eq!(r, "Background saving started");
    // A second client writes while the snapshot is written.
    let mut w = m.client();
    let mut p = redis::pipe();
    for i in (0..50_000).step_by(3) {
        p.cmd("SET").arg(format!("key:{i}")).arg("overwritten").ignore();
        p.cmd("DEL").arg(format!("key:{}", i + 1)).ignore();
        p.cmd("SET").arg(format!("fresh:{i}")).arg("new").ignore();
    }
    p.query::<()>(&mut w).unwrap();
    wait_bgsave(&mut c);
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");
    assert_eq!(info_field(&mut c, "rdb_saves"), "1");
    assert!(m.dir.join("dump.rdb").exists());
    let after: String = redis::cmd("DEBUG").arg("DIGEST").query(&mut c).unwrap();
    assert_ne!(after, at_start);
    let ok: String = redis::cmd("DEBUG").arg("RELOAD").arg("NOSAVE").query(&mut c).unwrap();
    assert_eq!(ok, "OK");
    let loaded: String = redis::cmd("DEBUG").arg("DIGEST").query(&mut c).unwrap();
    assert_eq!(loaded, at_start, "the file holds the data of the BGSAVE's start");
}

#[test]
fn save_points_shutdown_and_restart() {
    let m = Moon::start(&["--save", "1 1"]);
    let dir = m.dir.clone();
    let mut c = m.client();
    fill(&mut c, 100);
    // The cron starts a BGSAVE once a second has passed since the start.
    let deadline = Instant::now() + Duration::from_secs(10);
    while info_field(&mut c, "rdb_saves") == "0" {
        assert!(Instant::now() < deadline, "no BGSAVE from the save point");
        std::thread::sleep(Duration::from_millis(50));
    }
    wait_bgsave(&mut c);
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
    redis::cmd("SET").arg("late").arg("1").query::<()>(&mut c).unwrap();
    // SHUTDOWN saves (save points are set) and exits.
    let _ = redis::cmd("SHUTDOWN").query::<()>(&mut c);
    let mut m = m;
    assert!(m.wait_exit(Duration::from_secs(10)).expect("exit").success());
    // A new server started on a copy of the file loads it.
    let data = std::fs::read(dir.join("dump.rdb")).unwrap();
    drop(m);
    let keep = std::env::temp_dir().join(format!("moon-e2e-restart-{}", std::process::id()));
    std::fs::create_dir_all(&keep).unwrap();
    std::fs::write(keep.join("dump.rdb"), &data).unwrap();
    let m2 = Moon::start(&["--dir", keep.to_str().unwrap()]);
    let mut c2 = m2.client();
    let n: i64 = redis::cmd("DBSIZE").query(&mut c2).unwrap();
    let _ = std::fs::remove_dir_all(&keep);
    assert_eq!(n, 103);
}

#[test]
fn sigterm_saves_with_save_points() {
    let mut m = Moon::start(&["--save", "3600 1"]);
    let mut c = m.client();
    fill(&mut c, 10);
    // SAFETY: signalling the child this test started.
    unsafe { kill(m.pid(), 15) };
    assert!(m.wait_exit(Duration::from_secs(10)).expect("exit").success());
    assert!(m.dir.join("dump.rdb").exists());
}

extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
}
