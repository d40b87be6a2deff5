use crate::testing::TestClient;

/// A client whose `dir` is a fresh temp directory (set at start-up so no
/// other test's working directory changes).
fn client(tag: &str) -> (TestClient, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("moon-persist-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let c = TestClient::with_config(&[("dir", dir.to_str().unwrap()), ("enable-debug-command", "yes")]);
    (c, dir)
}

/// Bulk payload of a DUMP reply.
fn bulk(reply: &[u8]) -> Vec<u8> {
    let nl = reply.iter().position(|&b| b == b'\n').unwrap();
    reply[nl + 1..reply.len() - 2].to_vec()
}

fn fill(c: &mut TestClient) {
    c.run(&["SET", "s", "hello"]);
    c.run(&["SET", "n", "12345"]);
    c.run(&["SET", "long", &"abc".repeat(50)]);
    c.run(&["PEXPIRE", "long", "1000000"]);
    c.run(&["RPUSH", "l", "a", "b", "1", "2"]);
    c.run(&["HSET", "h", "f1", "v1", "f2", "v2", "f3", "3"]);
    c.run(&["HPEXPIRE", "h", "1000000", "FIELDS", "1", "f2"]);
    c.run(&["SADD", "si", "1", "2", "-100000"]);
    c.run(&["SADD", "sl", "x", "y", "1"]);
    c.run(&["ZADD", "z", "1.5", "a", "-2", "b", "1e20", "c"]);
    c.run(&["SELECT", "3"]);
    c.run(&["SET", "other", "db"]);
    c.run(&["SELECT", "0"]);
}

#[test]
fn dump_restore_every_type() {
    let (mut c, _d) = client("dr");
    fill(&mut c);
    // RESTORE with TTL 0 gives no expire; the digest counts one.
    c.run(&["PERSIST", "long"]);
    for k in ["s", "n", "long", "l", "h", "si", "sl", "z"] {
        let p = bulk(&c.run_bytes(&[b"DUMP", k.as_bytes()]));
        let before = c.run(&["DEBUG", "DIGEST-VALUE", k]);
        let enc = c.run(&["OBJECT", "ENCODING", k]);
        assert_eq!(c.run_bytes(&[b"RESTORE", k.as_bytes(), b"0", &p]), b"-BUSYKEY Target key name already exists.\r\n");
        assert_eq!(c.run_bytes(&[b"RESTORE", b"copy", b"0", &p, b"REPLACE"]), b"+OK\r\n");
        assert_eq!(c.run(&["DEBUG", "DIGEST-VALUE", "copy"]), before, "{k}");
        assert_eq!(c.run(&["OBJECT", "ENCODING", "copy"]), enc, "{k}");
    }
    assert_eq!(c.run(&["DUMP", "nosuch"]), "$-1\r\n");
}

#[test]
fn restore_errors_and_options() {
    let (mut c, _d) = client("re");
    c.run(&["SET", "k", "v"]);
    let p = bulk(&c.run_bytes(&[b"DUMP", b"k"]));
    let r = |c: &mut TestClient, args: &[&[u8]]| String::from_utf8(c.run_bytes(args)).unwrap();
    assert_eq!(r(&mut c, &[b"RESTORE", b"k", b"0", b"xx", b"foo"]), "-ERR syntax error\r\n");
    assert_eq!(r(&mut c, &[b"RESTORE", b"k2", b"-1", b"xx"]), "-ERR Invalid TTL value, must be >= 0\r\n");
    assert_eq!(r(&mut c, &[b"RESTORE", b"k2", b"abc", b"xx"]), "-ERR value is not an integer or out of range\r\n");
    assert_eq!(r(&mut c, &[b"RESTORE", b"k2", b"0", b"xx"]), "-ERR DUMP payload version or checksum are wrong\r\n");
    assert_eq!(r(&mut c, &[b"RESTORE", b"k2", b"0", b"xx", b"IDLETIME", b"-1"]), "-ERR Invalid IDLETIME value, must be >= 0\r\n");
    assert_eq!(r(&mut c, &[b"RESTORE", b"k2", b"0", b"xx", b"FREQ", b"256"]), "-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n");
    assert_eq!(r(&mut c, &[b"RESTORE", b"k2", b"0", b"xx", b"FREQ", b"1", b"IDLETIME", b"1"]), "-ERR syntax error\r\n");
    assert_eq!(r(&mut c, &[b"RESTORE", b"k2", b"0", b"xx", b"IDLETIME"]), "-ERR syntax error\r\n");
    // A payload with a valid footer but a bad body.
    let mut bad = vec![0u8, 0x05, b'a'];
    bad.extend_from_slice(&12u16.to_le_bytes());
    let crc = moon_persist::crc64(&bad);
    bad.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(r(&mut c, &[b"RESTORE", b"k2", b"0", &bad]), "-ERR Bad data format\r\n");
    // A newer RDB version is refused.
    let mut newer = p.clone();
    let n = newer.len();
    newer[n - 10] = 13;
    assert_eq!(r(&mut c, &[b"RESTORE", b"k2", b"0", &newer]), "-ERR DUMP payload version or checksum are wrong\r\n");
    assert_eq!(r(&mut c, &[b"RESTORE", b"k2", b"5000", &p]), "+OK\r\n");
    let pttl: i64 = c.run(&["PTTL", "k2"])[1..].trim().parse().unwrap();
    assert!((4000..=5000).contains(&pttl));
    // ABSTTL in the past: nothing is created; REPLACE deletes the old key.
    assert_eq!(r(&mut c, &[b"RESTORE", b"k2", b"1", &p, b"ABSTTL", b"REPLACE"]), "+OK\r\n");
    assert_eq!(c.run(&["EXISTS", "k2"]), ":0\r\n");
    assert_eq!(r(&mut c, &[b"RESTORE", b"k3", b"0", &p, b"IDLETIME", b"100"]), "+OK\r\n");
    assert_eq!(c.run(&["GET", "k3"]), "$1\r\nv\r\n");
}

#[test]
fn save_reload_and_lastsave() {
    let (mut c, dir) = client("sv");
    fill(&mut c);
    let digest = c.run(&["DEBUG", "DIGEST"]);
    assert_ne!(digest, format!("+{}\r\n", "0".repeat(40)));
    assert!(c.run(&["INFO", "persistence"]).contains("rdb_changes_since_last_save:"));
    assert_eq!(c.run(&["SAVE"]), "+OK\r\n");
    assert!(dir.join("dump.rdb").exists());
    assert!(!dir.join(format!("temp-{}.rdb", std::process::id())).exists());
    let info = c.run(&["INFO", "persistence"]);
    assert!(info.contains("rdb_changes_since_last_save:0\r\n"), "{info}");
    assert!(info.contains("rdb_saves:1\r\n"));
    let last: i64 = c.run(&["LASTSAVE"])[1..].trim().parse().unwrap();
    assert!((moon_store::clock::now_ms() / 1000 - last).abs() <= 2);
    c.run(&["SET", "extra", "1"]);
    assert_eq!(c.run(&["DEBUG", "RELOAD", "NOSAVE"]), "+OK\r\n");
    assert_eq!(c.run(&["DEBUG", "DIGEST"]), digest, "the file holds the data as saved");
    assert_eq!(c.run(&["OBJECT", "ENCODING", "h"]), "$10\r\nlistpackex\r\n");
    assert_eq!(c.run(&["OBJECT", "ENCODING", "si"]), "$6\r\nintset\r\n");
    c.run(&["SET", "extra", "1"]);
    assert_eq!(c.run(&["DEBUG", "RELOAD"]), "+OK\r\n");
    assert_eq!(c.run(&["GET", "extra"]), "$1\r\n1\r\n");
    assert_eq!(c.run(&["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH"]), "-ERR Error trying to load the RDB dump, check server logs.\r\n");
    assert_eq!(c.run(&["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"]), "+OK\r\n");
    assert_eq!(c.run(&["DEBUG", "RELOAD", "FOO"]), "-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n");
    // A corrupt file is refused and the data is left alone.
    let before = c.run(&["DEBUG", "DIGEST"]);
    let path = dir.join("dump.rdb");
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(c.run(&["DEBUG", "RELOAD", "NOSAVE"]), "-ERR Error trying to load the RDB dump, check server logs.\r\n");
    assert_eq!(c.run(&["DEBUG", "DIGEST"]), before);
    c.run(&["FLUSHALL"]);
    assert_eq!(c.run(&["DEBUG", "DIGEST"]), format!("+{}\r\n", "0".repeat(40)));
    assert_eq!(c.run(&["DEBUG", "DIGEST-VALUE", "nosuch"]), format!("*1\r\n+{}\r\n", "0".repeat(40)));
    assert_eq!(c.run(&["DEBUG", "DIGEST-VALUE"]), "*0\r\n");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn save_point_and_file_configs() {
    let mut c = TestClient::new();
    let set = |c: &mut TestClient, k: &str, v: &str| c.run(&["CONFIG", "SET", k, v]);
    let bad = "-ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters\r\n";
    assert_eq!(set(&mut c, "save", "1 2 3"), bad);
    assert_eq!(set(&mut c, "save", "0 1"), bad);
    assert_eq!(set(&mut c, "save", "3600 1  300 100"), bad);
    assert_eq!(set(&mut c, "save", "01 +1 300 100"), "+OK\r\n");
    assert_eq!(c.run(&["CONFIG", "GET", "save"]), "*2\r\n$4\r\nsave\r\n$11\r\n1 1 300 100\r\n");
    assert_eq!(set(&mut c, "save", ""), "+OK\r\n");
    assert_eq!(
        set(&mut c, "rdbcompression", "maybe"),
        "-ERR CONFIG SET failed (possibly related to argument 'rdbcompression') - argument must be 'yes' or 'no'\r\n"
    );
    assert_eq!(set(&mut c, "rdbchecksum", "no"), "+OK\r\n");
    assert!(set(&mut c, "dbfilename", "x.rdb").contains("can't set protected config"));
}
