//! In-place edits and partial reads: APPEND STRLEN SETRANGE GETRANGE
//! (SUBSTR). An edited value becomes a boxed `Object::Str` (Redis' "raw"
//! encoding) that grows in place.

use super::{check_string_length, raw_mut};
use crate::ctx::{str_of, Ctx};
use crate::error::{CmdError, CmdResult, NOT_INTEGER};
use crate::notify::class::STRING;
use crate::util::parse_i64;
use moon_resp::Argv;
use moon_store::{Entry, Object};

pub fn append(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let (key, add) = (argv.get(1), argv.get(2));
    let srv = ctx.srv;
    let total = match ctx.ks.write(key) {
        None => {
            ctx.ks.insert(Entry::new_str(key, add, None));
            add.len()
        }
        Some(e) => {
            let cur = str_of(e)?.len();
            check_string_length(srv, cur as u64, add.len() as u64)?;
            let v = raw_mut(e, cur + add.len())?;
            v.extend_from_slice(add);
            let n = v.len();
            ctx.ks.dirty += 1;
            n
        }
    };
    ctx.notify(STRING, "append", key);
    ctx.out.int(total as i64);
    Ok(())
}

pub fn strlen(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let n = match ctx.ks.read_str(argv.get(1))? {
        None => 0,
        Some(v) => v.len(),
    };
    ctx.out.int(n as i64);
    Ok(())
}

pub fn setrange(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let (key, val) = (argv.get(1), argv.get(3));
    let offset = parse_i64(argv.get(2)).ok_or(NOT_INTEGER)?;
    if offset < 0 {
        return Err(CmdError::err("offset is out of range"));
    }
    let srv = ctx.srv;
    let len = match ctx.ks.write(key) {
        None => {
            // Setting nothing on a missing key creates nothing.
            if val.is_empty() {
                ctx.out.int(0);
                return Ok(());
            }
            check_string_length(srv, offset as u64, val.len() as u64)?;
            // Bounded by proto-max-bulk-len just above.
            let offset = offset as usize;
            let mut v = vec![0u8; offset + val.len()];
            v[offset..].copy_from_slice(val);
            let n = v.len();
            ctx.ks.insert(Entry::new_obj(key, Object::Str(v), None));
            n
        }
        Some(e) => {
            let cur = str_of(e)?.len();
            if val.is_empty() {
                ctx.out.int(cur as i64);
                return Ok(());
            }
            check_string_length(srv, offset as u64, val.len() as u64)?;
            let (offset, end) = (offset as usize, offset as usize + val.len());
            let v = raw_mut(e, end)?;
            if v.len() < end {
                v.resize(end, 0);
            }
            v[offset..end].copy_from_slice(val);
            let n = v.len();
            ctx.ks.dirty += 1;
            n
        }
    };
    ctx.notify(STRING, "setrange", key);
    ctx.out.int(len as i64);
    Ok(())
}

/// GETRANGE and its old name SUBSTR: inclusive byte range, negative
/// indexes count from the end, out-of-range ends are clamped.
pub fn getrange(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let start = parse_i64(argv.get(2)).ok_or(NOT_INTEGER)?;
    let end = parse_i64(argv.get(3)).ok_or(NOT_INTEGER)?;
    let s = ctx.ks.read_str(argv.get(1))?.unwrap_or(b"");
    match byte_range(s.len(), start, end) {
        Some((a, b)) => ctx.out.bulk(&s[a..=b]),
        None => ctx.out.bulk(b""),
    }
    Ok(())
}

/// The inclusive range GETRANGE selects in a string of `len` bytes, or
/// None for an empty reply (Redis' getrangeCommand rules).
fn byte_range(len: usize, mut start: i64, mut end: i64) -> Option<(usize, usize)> {
    let n = len as i64;
    if start < 0 && end < 0 && start > end {
        return None;
    }
    if start < 0 {
        start += n;
    }
    if end < 0 {
        end += n;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= n {
        end = n - 1;
    }
    if start > end || n == 0 {
        return None;
    }
    Some((start as usize, end as usize))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::test_util::{encoding, exists, plant_non_string};
    use super::*;
    use crate::testing::TestClient;

    const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
    const TOO_BIG: &str = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";

    fn bulk(s: &str) -> String {
        format!("${}\r\n{}\r\n", s.len(), s)
    }

    #[test]
    fn append_creates_and_grows() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["APPEND", "a", "123"]), ":3\r\n");
        assert_eq!(encoding(&c, "a"), "int");
        assert_eq!(c.run(&["APPEND", "a", "4"]), ":4\r\n");
        assert_eq!(encoding(&c, "a"), "raw");
        assert_eq!(c.run(&["GET", "a"]), bulk("1234"));
        assert_eq!(c.run(&["APPEND", "b", "hello"]), ":5\r\n");
        assert_eq!(encoding(&c, "b"), "embstr");
        assert_eq!(c.run(&["APPEND", "c", ""]), ":0\r\n");
        assert!(exists(&c, "c"));
        assert_eq!(encoding(&c, "c"), "embstr");
        c.run(&["SET", "d", "12"]);
        assert_eq!(c.run(&["APPEND", "d", ""]), ":2\r\n");
        assert_eq!(encoding(&c, "d"), "raw");
        for i in 0..1000 {
            c.run(&["APPEND", "big", &i.to_string()]);
        }
        let expect: String = (0..1000).map(|i| i.to_string()).collect();
        assert_eq!(c.run(&["GET", "big"]), bulk(&expect));
        assert_eq!(c.run(&["STRLEN", "big"]), format!(":{}\r\n", expect.len()));
        // Appending keeps the TTL.
        c.run(&["SET", "t", "x", "EX", "100"]);
        c.run(&["APPEND", "t", "y"]);
        assert!(super::super::test_util::expire_of(&c, "t").is_some());
        // Binary safe.
        assert_eq!(c.run_bytes(&[b"APPEND", b"bin", b"\x00\r\n"]), b":3\r\n");
        assert_eq!(c.run_bytes(&[b"APPEND", b"bin", b"\xff"]), b":4\r\n");
        assert_eq!(c.run_bytes(&[b"GET", b"bin"]), b"$4\r\n\x00\r\n\xff\r\n");
        if plant_non_string(&mut c, "w") {
            assert_eq!(c.run(&["APPEND", "w", "x"]), WRONGTYPE);
        }
    }

    #[test]
    fn append_and_setrange_obey_proto_max_bulk_len() {
        let mut c = TestClient::with_config(&[("proto-max-bulk-len", "1mb")]);
        let half = "x".repeat(512 * 1024);
        assert_eq!(c.run(&["APPEND", "a", &half]), format!(":{}\r\n", half.len()));
        assert_eq!(c.run(&["APPEND", "a", &half]), format!(":{}\r\n", 2 * half.len()));
        assert_eq!(c.run(&["APPEND", "a", "x"]), TOO_BIG);
        assert_eq!(c.run(&["SETRANGE", "n", "1048576", "x"]), TOO_BIG);
        assert_eq!(c.run(&["SETRANGE", "n", "1048575", "x"]), ":1048576\r\n");
        assert_eq!(c.run(&["SETRANGE", "a", "1048576", "x"]), TOO_BIG);
        assert_eq!(c.run(&["SETRANGE", "a", "9223372036854775807", "x"]), TOO_BIG);
        assert_eq!(c.run(&["SETRANGE", "a", "1048575", "y"]), ":1048576\r\n");
    }

    #[test]
    fn setrange_rules() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["SETRANGE", "s1", "0", "123"]), ":3\r\n");
        assert_eq!(encoding(&c, "s1"), "raw");
        assert_eq!(c.run(&["SETRANGE", "s2", "5", "x"]), ":6\r\n");
        assert_eq!(c.run_bytes(&[b"GET", b"s2"]), b"$6\r\n\0\0\0\0\0x\r\n");
        assert_eq!(c.run(&["SETRANGE", "s3", "0", ""]), ":0\r\n");
        assert!(!exists(&c, "s3"));
        assert_eq!(c.run(&["SETRANGE", "s3", "-1", "x"]), "-ERR offset is out of range\r\n");
        assert_eq!(c.run(&["SETRANGE", "s3", "abc", "x"]), NOT_INT);
        c.run(&["SET", "n", "123"]);
        assert_eq!(c.run(&["SETRANGE", "n", "0", ""]), ":3\r\n");
        assert_eq!(encoding(&c, "n"), "int");
        assert_eq!(c.run(&["SETRANGE", "n", "1", "9"]), ":3\r\n");
        assert_eq!(encoding(&c, "n"), "raw");
        assert_eq!(c.run(&["GET", "n"]), bulk("193"));
        assert_eq!(c.run(&["SETRANGE", "n", "5", "ab"]), ":7\r\n");
        assert_eq!(c.run_bytes(&[b"GET", b"n"]), b"$7\r\n193\0\0ab\r\n");
        assert_eq!(c.run(&["SETRANGE", "n", "0", "xyz"]), ":7\r\n");
        assert_eq!(c.run_bytes(&[b"GET", b"n"]), b"$7\r\nxyz\0\0ab\r\n");
        c.run(&["SET", "h", "Hello World"]);
        assert_eq!(c.run(&["SETRANGE", "h", "6", "Redis"]), ":11\r\n");
        assert_eq!(c.run(&["GET", "h"]), bulk("Hello Redis"));
        if plant_non_string(&mut c, "w") {
            assert_eq!(c.run(&["SETRANGE", "w", "0", "x"]), WRONGTYPE);
            assert_eq!(c.run(&["SETRANGE", "w", "0", ""]), WRONGTYPE);
            assert_eq!(c.run(&["SETRANGE", "w", "-1", "x"]), "-ERR offset is out of range\r\n");
        }
    }

    #[test]
    fn strlen_and_getrange() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["STRLEN", "zz"]), ":0\r\n");
        c.run(&["SET", "g", "Hello World"]);
        assert_eq!(c.run(&["STRLEN", "g"]), ":11\r\n");
        for (a, b, want) in [
            ("-3", "-1", "rld"),
            ("-1", "-3", ""),
            ("5", "2", ""),
            ("0", "100", "Hello World"),
            ("-100", "-50", "H"),
            ("-100", "2", "Hel"),
            ("20", "30", ""),
            ("0", "0", "H"),
            ("-9223372036854775808", "9223372036854775807", "Hello World"),
        ] {
            assert_eq!(c.run(&["GETRANGE", "g", a, b]), bulk(want), "{a} {b}");
        }
        assert_eq!(c.run(&["SUBSTR", "g", "0", "3"]), bulk("Hell"));
        assert_eq!(c.run(&["GETRANGE", "g", "0", "9223372036854775808"]), NOT_INT);
        assert_eq!(c.run(&["GETRANGE", "zz", "a", "0"]), NOT_INT);
        assert_eq!(c.run(&["GETRANGE", "zz", "0", "-1"]), bulk(""));
        c.run(&["SET", "e", ""]);
        assert_eq!(c.run(&["GETRANGE", "e", "0", "-1"]), bulk(""));
        assert_eq!(c.run(&["GETRANGE", "e", "0", "0"]), bulk(""));
        c.run(&["SET", "i", "12345"]);
        assert_eq!(c.run(&["GETRANGE", "i", "1", "2"]), bulk("23"));
        c.run(&["APPEND", "i", "6"]);
        assert_eq!(c.run(&["GETRANGE", "i", "-2", "-1"]), bulk("56"));
        if plant_non_string(&mut c, "w") {
            assert_eq!(c.run(&["STRLEN", "w"]), WRONGTYPE);
            assert_eq!(c.run(&["GETRANGE", "w", "0", "-1"]), WRONGTYPE);
            assert_eq!(c.run(&["GETRANGE", "w", "a", "-1"]), NOT_INT);
        }
    }

    #[test]
    fn byte_range_edges() {
        assert_eq!(byte_range(0, 0, -1), None);
        assert_eq!(byte_range(3, i64::MIN, i64::MIN), Some((0, 0)));
        assert_eq!(byte_range(3, i64::MIN + 1, i64::MIN), None);
        assert_eq!(byte_range(3, i64::MIN, -1), Some((0, 2)));
        assert_eq!(byte_range(3, 2, i64::MAX), Some((2, 2)));
        assert_eq!(byte_range(3, 3, i64::MAX), None);
    }
}
