//! BGSAVE through the dispatch path: point-in-time content, INFO fields,
//! LASTSAVE, errors, save points and MISCONF.

use super::bgsave;
use crate::testing::TestClient;
use std::sync::atomic::Ordering::Relaxed;

fn client(tag: &str) -> (TestClient, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("moon-bgsave-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let c = TestClient::with_config(&[("dir", dir.to_str().unwrap())]);
    // What the binary does with Server::share: BGSAVE's thread holds it.
    let _ = c.srv.this.set(std::sync::Arc::downgrade(&c.srv));
    (c, dir)
}

fn info_field(c: &mut TestClient, name: &str) -> String {
    let info = c.run(&["INFO", "persistence"]);
    let line = info.lines().find(|l| l.starts_with(&format!("{name}:"))).unwrap_or_else(|| panic!("{name} in {info}"));
    line[name.len() + 1..].to_string()
}

#[test]
fn bgsave_writes_the_data_of_its_start() {
    let (mut c, dir) = client("pit");
    for i in 0..2000 {
        c.run(&["SET", &format!("k{i}"), &format!("v{i}")]);
    }
    c.run(&["HSET", "h", "a", "1"]);
    c.run(&["XADD", "x", "1-1", "f", "v"]);
    c.run(&["SELECT", "5"]);
    c.run(&["SADD", "s", "m"]);
    c.run(&["SELECT", "0"]);
    let at_start = c.run(&["DEBUG", "DIGEST"]);
    assert_eq!(info_field(&mut c, "rdb_bgsave_in_progress"), "0");
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_time_sec"), "-1");
    assert_eq!(c.run(&["BGSAVE"]), "+Background saving started\r\n");
    // Writes go on; none of them is in the file.
    for i in 0..300 {
        c.run(&["SET", &format!("k{i}"), "changed"]);
        c.run(&["DEL", &format!("k{}", 1000 + i)]);
        c.run(&["SET", &format!("new{i}"), "x"]);
    }
    c.run(&["XADD", "x", "2-2", "f", "v"]);
    c.run(&["FLUSHDB"]);
    c.run(&["SWAPDB", "0", "5"]);
    bgsave::wait(&c.srv);
    assert_eq!(info_field(&mut c, "rdb_bgsave_in_progress"), "0");
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");
    assert_eq!(info_field(&mut c, "rdb_saves"), "1");
    assert_eq!(info_field(&mut c, "rdb_current_bgsave_time_sec"), "-1");
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_time_sec"), "0");
    // Only what came after the start is unsaved (FLUSHDB counts its keys).
    let changes: u64 = info_field(&mut c, "rdb_changes_since_last_save").parse().unwrap();
    assert!(changes >= 901, "{changes}");
    let last: i64 = c.run(&["LASTSAVE"])[1..].trim().parse().unwrap();
    assert!((moon_store::clock::now_ms() / 1000 - last).abs() <= 2);
    assert!(dir.join("dump.rdb").exists());
    assert!(!dir.join(format!("temp-bg-{}.rdb", std::process::id())).exists());
    assert_eq!(c.run(&["DEBUG", "RELOAD", "NOSAVE"]), "+OK\r\n");
    assert_eq!(c.run(&["DEBUG", "DIGEST"]), at_start);
    assert_eq!(c.run(&["XRANGE", "x", "-", "+"]), "*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bgsave_arguments_and_conflicts() {
    let (mut c, dir) = client("args");
    assert_eq!(c.run(&["BGSAVE", "foo"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["BGSAVE", "SCHEDULE", "x"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["bgsave", "schedule"]), "+Background saving started\r\n");
    bgsave::wait(&c.srv);
    // While one runs, BGSAVE (with or without SCHEDULE) and SAVE refuse.
    c.srv.rdb.bg.in_progress.store(true, Relaxed);
    assert_eq!(c.run(&["BGSAVE"]), "-ERR Background save already in progress\r\n");
    assert_eq!(c.run(&["BGSAVE", "SCHEDULE"]), "-ERR Background save already in progress\r\n");
    assert_eq!(c.run(&["SAVE"]), "-ERR Background save already in progress\r\n");
    assert_eq!(info_field(&mut c, "rdb_bgsave_in_progress"), "1");
    c.srv.rdb.bg.in_progress.store(false, Relaxed);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn failed_bgsave_reports_and_refuses_writes() {
    let (mut c, dir) = client("fail");
    std::fs::create_dir_all(dir.join("blocker")).unwrap();
    c.srv.config.set("dbfilename", "blocker", true).unwrap();
    c.run(&["SET", "a", "1"]);
    assert_eq!(c.run(&["BGSAVE"]), "+Background saving started\r\n");
    bgsave::wait(&c.srv);
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "err");
    assert!(!dir.join(format!("temp-bg-{}.rdb", std::process::id())).exists(), "the temp file is removed");
    let srv = c.srv.clone();
    let def = |name: &str| srv.table.get(srv.table.lookup(name.as_bytes()).unwrap()).def;
    assert_eq!(bgsave::misconf(&c.srv, def("set")).map(|e| e.as_str().to_string()), Some(bgsave::MISCONF.as_str().to_string()));
    assert!(bgsave::misconf(&c.srv, def("ping")).is_some());
    assert!(bgsave::misconf(&c.srv, def("get")).is_none());
    c.srv.config.set("stop-writes-on-bgsave-error", "no", false).unwrap();
    assert!(bgsave::misconf(&c.srv, def("set")).is_none());
    c.srv.config.set("stop-writes-on-bgsave-error", "yes", false).unwrap();
    c.srv.config.set("save", "", false).unwrap();
    assert!(bgsave::misconf(&c.srv, def("set")).is_none(), "no save points, no refusal");
    // A successful save clears it.
    c.srv.config.set("save", "3600 1", false).unwrap();
    c.srv.config.set("dbfilename", "dump.rdb", true).unwrap();
    assert_eq!(c.run(&["BGSAVE"]), "+Background saving started\r\n");
    bgsave::wait(&c.srv);
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");
    assert!(bgsave::misconf(&c.srv, def("set")).is_none());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn save_points_start_a_bgsave_from_the_cron() {
    let (mut c, dir) = client("cron");
    c.srv.config.set("save", "5 2", false).unwrap();
    c.srv.rdb.last_save.store(moon_store::clock::now_ms() / 1000 - 10, Relaxed);
    c.run(&["SET", "a", "1"]);
    bgsave::cron(&c.srv);
    assert_eq!(info_field(&mut c, "rdb_saves"), "0", "one change is not enough");
    c.run(&["SET", "b", "1"]);
    bgsave::cron(&c.srv);
    bgsave::wait(&c.srv);
    assert_eq!(info_field(&mut c, "rdb_saves"), "1");
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
    assert!(dir.join("dump.rdb").exists());
    // Just saved: the time condition holds the next one back.
    c.run(&["SET", "c", "1"]);
    c.run(&["SET", "d", "1"]);
    bgsave::cron(&c.srv);
    assert_eq!(info_field(&mut c, "rdb_saves"), "1");
    let _ = std::fs::remove_dir_all(dir);
}
