//! The append-only file through the real binary: what was acknowledged
//! survives SIGKILL, across rewrites and a runtime CONFIG SET appendonly,
//! and a cut-off tail is handled as aof-load-truncated says.

use crate::harness::Moon;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A data directory that outlives the servers started on it.
struct Keep(PathBuf);

impl Keep {
    fn new(name: &str) -> Keep {
        let d = std::env::temp_dir().join(format!("moon-e2e-aof-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Keep(d)
    }
    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Keep {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn start(dir: &Keep, extra: &[&str]) -> Moon {
    let mut args = vec!["--dir", dir.path(), "--appendonly", "yes", "--enable-debug-command", "yes"];
    args.extend_from_slice(extra);
    Moon::start(&args)
}

fn digest(c: &mut redis::Connection) -> String {
    redis::cmd("DEBUG").arg("DIGEST").query(c).unwrap()
}

fn info_field(c: &mut redis::Connection, name: &str) -> String {
    let info: String = redis::cmd("INFO").arg("persistence").query(c).unwrap();
    let line = info.lines().find(|l| l.starts_with(&format!("{name}:"))).unwrap_or_else(|| panic!("{name}"));
    line[name.len() + 1..].to_string()
}

fn wait_rewrite(c: &mut redis::Connection) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while info_field(c, "aof_rewrite_in_progress") == "1" || info_field(c, "aof_rewrite_scheduled") == "1" {
        assert!(Instant::now() < deadline, "rewrite did not finish");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn kill9(m: &mut Moon) {
    // SAFETY: signalling the child this test started.
    unsafe { kill(m.pid(), 9) };
    m.wait_exit(Duration::from_secs(10)).expect("killed");
}

/// Writes of every kind, including the ones journaled as their effect.
fn workload(c: &mut redis::Connection, tag: &str) {
    let mut p = redis::pipe();
    for i in 0..200 {
        p.cmd("SET").arg(format!("{tag}:s:{i}")).arg(i).arg("EX").arg(10_000).ignore();
        p.cmd("RPUSH").arg(format!("{tag}:l")).arg(i).ignore();
        p.cmd("SADD").arg(format!("{tag}:set")).arg(i).ignore();
        p.cmd("HSET").arg(format!("{tag}:h")).arg(format!("f{i}")).arg(i).ignore();
        p.cmd("ZADD").arg(format!("{tag}:z")).arg(i).arg(format!("m{i}")).ignore();
        p.cmd("XADD").arg(format!("{tag}:x")).arg("*").arg("i").arg(i).ignore();
    }
    p.cmd("SPOP").arg(format!("{tag}:set")).arg(17).ignore();
    p.cmd("INCRBYFLOAT").arg(format!("{tag}:f")).arg("1.5").ignore();
    p.cmd("EXPIRE").arg(format!("{tag}:l")).arg(5000).ignore();
    p.cmd("BLMPOP").arg(0).arg(1).arg(format!("{tag}:l")).arg("LEFT").arg("COUNT").arg(3).ignore();
    p.cmd("HEXPIRE").arg(format!("{tag}:h")).arg(9000).arg("FIELDS").arg(1).arg("f1").ignore();
    p.cmd("XGROUP").arg("CREATE").arg(format!("{tag}:x")).arg("g").arg("0").ignore();
    p.cmd("XREADGROUP").arg("GROUP").arg("g").arg("c").arg("COUNT").arg(5).arg("STREAMS").arg(format!("{tag}:x")).arg(">").ignore();
    p.cmd("EVAL")
        .arg("redis.call('incr', KEYS[1]) return redis.call('spop', KEYS[2])")
        .arg(2)
        .arg(format!("{tag}:n"))
        .arg(format!("{tag}:set"))
        .ignore();
    p.query::<()>(c).unwrap();
    redis::cmd("MULTI").query::<()>(c).unwrap();
    redis::cmd("INCR").arg(format!("{tag}:n")).query::<()>(c).unwrap();
    redis::cmd("ZPOPMIN").arg(format!("{tag}:z")).query::<()>(c).unwrap();
    redis::cmd("EXEC").query::<()>(c).unwrap();
}

#[test]
fn acknowledged_writes_survive_sigkill_with_fsync_always() {
    let dir = Keep::new("always");
    let mut m = start(&dir, &["--appendfsync", "always"]);
    let mut c = m.client();
    workload(&mut c, "a");
    let before = digest(&mut c);
    kill9(&mut m);
    let m2 = start(&dir, &[]);
    let mut c2 = m2.client();
    assert_eq!(digest(&mut c2), before);
    assert_eq!(info_field(&mut c2, "aof_enabled"), "1");
}

#[test]
fn rewrite_while_writing_then_restart() {
    let dir = Keep::new("rewrite");
    let mut m = start(&dir, &[]);
    let mut c = m.client();
    workload(&mut c, "a");
    let r: String = redis::cmd("BGREWRITEAOF").query(&mut c).unwrap();
    assert_eq!(r, "Background append only file rewriting started");
    workload(&mut c, "b");
    wait_rewrite(&mut c);
    workload(&mut c, "c");
    assert_eq!(info_field(&mut c, "aof_rewrites"), "1");
    let before = digest(&mut c);
    // DEBUG LOADAOF rebuilds the same data from the files, and journals
    // nothing of its own.
    let size = info_field(&mut c, "aof_current_size");
    let ok: String = redis::cmd("DEBUG").arg("LOADAOF").query(&mut c).unwrap();
    assert_eq!(ok, "OK");
    assert_eq!(digest(&mut c), before);
    assert_eq!(info_field(&mut c, "aof_current_size"), size);
    kill9(&mut m);
    let manifest = std::fs::read_to_string(Path::new(dir.path()).join("appendonlydir/appendonly.aof.manifest")).unwrap();
    // The new base and the incr file begun at the rewrite's instant; the
    // older files are gone from the list.
    assert!(
        manifest.starts_with("file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i startoffset "),
        "{manifest}"
    );
    assert_eq!(manifest.lines().count(), 2, "{manifest}");
    let m2 = start(&dir, &[]);
    assert_eq!(digest(&mut m2.client()), before);
}

#[test]
fn config_set_appendonly_starts_it_at_runtime() {
    let dir = Keep::new("runtime");
    let mut m = Moon::start(&["--dir", dir.path(), "--enable-debug-command", "yes"]);
    let mut c = m.client();
    workload(&mut c, "a");
    let ok: String = redis::cmd("CONFIG").arg("SET").arg("appendonly").arg("yes").query(&mut c).unwrap();
    assert_eq!(ok, "OK");
    let deadline = Instant::now() + Duration::from_secs(10);
    while info_field(&mut c, "aof_enabled") != "1" {
        assert!(Instant::now() < deadline, "the AOF did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    workload(&mut c, "b");
    wait_rewrite(&mut c);
    let before = digest(&mut c);
    kill9(&mut m);
    let m2 = start(&dir, &[]);
    assert_eq!(digest(&mut m2.client()), before);
}

#[test]
fn a_cut_off_last_command_is_truncated_or_refused() {
    let dir = Keep::new("truncated");
    let mut m = start(&dir, &[]);
    let mut c = m.client();
    redis::cmd("SET").arg("k").arg("v").query::<()>(&mut c).unwrap();
    kill9(&mut m);
    let incr = Path::new(dir.path()).join("appendonlydir/appendonly.aof.1.incr.aof");
    let mut data = std::fs::read(&incr).unwrap();
    data.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$5\r\nab");
    std::fs::write(&incr, &data).unwrap();
    // aof-load-truncated no: refused, naming the file.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_moon"))
        .args(["--port", "0", "--dir", dir.path(), "--appendonly", "yes", "--aof-load-truncated", "no"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("appendonly.aof.1.incr.aof"));
    // The default loads what is complete and cuts the rest off.
    let m2 = start(&dir, &[]);
    let mut c2 = m2.client();
    let v: Option<String> = redis::cmd("GET").arg("k").query(&mut c2).unwrap();
    assert_eq!(v.as_deref(), Some("v"));
    let x: Option<String> = redis::cmd("GET").arg("x").query(&mut c2).unwrap();
    assert_eq!(x, None);
    assert!(std::fs::read(&incr).unwrap().len() < data.len());
}

#[test]
fn bgrewriteaof_with_the_aof_off_writes_a_base_only() {
    let dir = Keep::new("off");
    let mut m = Moon::start(&["--dir", dir.path(), "--enable-debug-command", "yes"]);
    let mut c = m.client();
    workload(&mut c, "a");
    let r: String = redis::cmd("BGREWRITEAOF").query(&mut c).unwrap();
    assert_eq!(r, "Background append only file rewriting started");
    wait_rewrite(&mut c);
    assert_eq!(info_field(&mut c, "aof_enabled"), "0");
    let before = digest(&mut c);
    kill9(&mut m);
    let manifest = std::fs::read_to_string(Path::new(dir.path()).join("appendonlydir/appendonly.aof.manifest")).unwrap();
    assert_eq!(manifest, "file appendonly.aof.1.base.rdb seq 1 type b\n");
    // Started with appendonly yes, the base is the data.
    let m2 = start(&dir, &[]);
    assert_eq!(digest(&mut m2.client()), before);
}

extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
}
