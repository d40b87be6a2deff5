//! Users from the config file (`user` lines) and from an ACL file, through
//! the real binary.

use crate::harness::{free_port, Moon};
use std::process::Command;

fn tmpdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("moon-e2e-acl-{}", free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn query(c: &mut redis::Connection, args: &[&str]) -> redis::RedisResult<redis::Value> {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c)
}

#[test]
fn user_lines_in_the_config_file() {
    let dir = tmpdir();
    let conf = dir.join("moon.conf");
    std::fs::write(&conf, "user default on >dpw ~* &* +@all\nuser alice on >apw ~a* +get +set (+@read ~r*)\n").unwrap();
    let m = Moon::start(&[conf.to_str().unwrap()]);
    let mut c = m.client();
    assert_eq!(query(&mut c, &["PING"]).unwrap_err().code(), Some("NOAUTH"));
    assert_eq!(query(&mut c, &["AUTH", "alice", "bad"]).unwrap_err().code(), Some("WRONGPASS"));
    query(&mut c, &["AUTH", "alice", "apw"]).unwrap();
    query(&mut c, &["SET", "a1", "v"]).unwrap();
    let e = query(&mut c, &["SET", "b1", "v"]).unwrap_err();
    assert_eq!(e.code(), Some("NOPERM"));
    let e = query(&mut c, &["DEL", "a1"]).unwrap_err();
    assert_eq!(e.to_string(), "NOPERM: User alice has no permissions to run the 'del' command");
    // The selector allows reading r* keys with any read command.
    query(&mut c, &["STRLEN", "r1"]).unwrap();
    let mut d = m.client();
    query(&mut d, &["AUTH", "dpw"]).unwrap();
    let list: Vec<String> = redis::cmd("ACL").arg("LIST").query(&mut d).unwrap();
    let want =
        format!("user alice on sanitize-payload #{} ~a* resetchannels -@all +get +set (~r* resetchannels -@all +@read)", sha256_hex("apw"));
    assert_eq!(list[0], want);
    // ACL SAVE needs an ACL file.
    assert!(query(&mut d, &["ACL", "SAVE"]).unwrap_err().to_string().contains("not configured to use an ACL file"));
}

#[test]
fn acl_file_at_startup_and_acl_load() {
    let dir = tmpdir();
    let acl = dir.join("users.acl");
    std::fs::write(&acl, "user default on nopass ~* &* +@all\nuser bob on >bpw ~* +@all -flushall\n").unwrap();
    let m = Moon::start(&["--aclfile", acl.to_str().unwrap()]);
    let mut c = m.client();
    query(&mut c, &["AUTH", "bob", "bpw"]).unwrap();
    assert_eq!(query(&mut c, &["FLUSHALL"]).unwrap_err().code(), Some("NOPERM"));
    let mut d = m.client();
    query(&mut d, &["ACL", "SETUSER", "carol", "on", "nopass", "+ping"]).unwrap();
    query(&mut d, &["ACL", "SAVE"]).unwrap();
    let saved = std::fs::read_to_string(&acl).unwrap();
    assert!(saved.contains("user carol on nopass sanitize-payload resetchannels -@all +ping\n"), "{saved}");
    // Loading a file without bob disconnects bob's clients.
    std::fs::write(&acl, "user default on nopass ~* &* +@all\n").unwrap();
    query(&mut d, &["ACL", "LOAD"]).unwrap();
    assert!(query(&mut c, &["PING"]).is_err());
    let users: Vec<String> = redis::cmd("ACL").arg("USERS").query(&mut d).unwrap();
    assert_eq!(users, vec!["default"]);
}

#[test]
fn bad_acl_setups_refuse_to_start() {
    let dir = tmpdir();
    let acl = dir.join("bad.acl");
    std::fs::write(&acl, "user x on +nosuch\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_moon"))
        .args(["--port", &free_port().to_string(), "--aclfile", acl.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(out.contains("Unknown command or category name in ACL"), "{out}");
    let conf = dir.join("both.conf");
    std::fs::write(&conf, format!("aclfile {}\nuser y on\n", acl.display())).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_moon")).args([conf.to_str().unwrap(), "--port", &free_port().to_string()]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(out.contains("but not both"), "{out}");
}

fn sha256_hex(s: &str) -> String {
    moon_commands::acl::sha256::hash_hex(s.as_bytes())
}
