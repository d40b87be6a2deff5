//! Command line and config file handling of the real binary.

use crate::harness::{free_port, Moon};
use std::process::Command;
use std::time::Duration;

fn run(args: &[&str]) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_moon")).args(args).output().unwrap();
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stderr).into_owned() + &String::from_utf8_lossy(&o.stdout))
}

#[test]
fn bad_options_exit_nonzero_naming_the_option() {
    let (code, msg) = run(&["--port", "notaport"]);
    assert_eq!(code, 1);
    assert!(msg.contains("--port notaport"), "{msg}");
    let (code, msg) = run(&["--no-such-option", "1"]);
    assert_eq!(code, 1);
    assert!(msg.contains("no-such-option"), "{msg}");
    let (code, _) = run(&["/definitely/not/here.conf"]);
    assert_eq!(code, 1);
}

#[test]
fn help_lists_every_flag() {
    let (code, msg) = run(&["--help"]);
    assert_eq!(code, 0);
    for p in moon_commands::config::PARAMS {
        assert!(msg.contains(&format!("--{}", p.name)), "--help lacks {}", p.name);
    }
}

#[test]
fn config_file_then_flags_override() {
    let dir = std::env::temp_dir().join(format!("moon-e2e-{}", free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("moon.conf");
    std::fs::write(&conf, "requirepass \"from file\"\ntimeout 0\n").unwrap();
    let m = Moon::start(&[conf.to_str().unwrap(), "--requirepass", "fromflag"]);
    let mut c = m.client();
    let err = redis::cmd("PING").query::<String>(&mut c).unwrap_err();
    assert_eq!(err.code(), Some("NOAUTH"));
    let ok: String = redis::cmd("AUTH").arg("fromflag").query(&mut c).unwrap();
    assert_eq!(ok, "OK");
}

#[test]
fn sigterm_shuts_down_cleanly() {
    let mut m = Moon::start(&[]);
    // SAFETY: sending a signal to the child we started.
    unsafe { libc_kill(m.pid(), 15) };
    let st = m.wait_exit(Duration::from_secs(5)).expect("moon should exit on SIGTERM");
    assert!(st.success());
}

extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

#[test]
fn a_port_in_use_is_refused_like_redis() {
    let first = Moon::start(&[]);
    let port = first.port.to_string();
    let (code, msg) = run(&["--port", &port, "--bind", "127.0.0.1"]);
    assert_eq!(code, 1, "{msg}");
    assert!(msg.contains("in use"), "{msg}");
}
