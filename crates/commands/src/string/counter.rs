//! Counters: INCR DECR INCRBY DECRBY on 64-bit integers and INCRBYFLOAT on
//! C long doubles (through the C helper, so results match Redis digit for
//! digit). Results are stored inline, keeping the key's TTL.

use super::ldouble::LongDouble;
use crate::ctx::{str_of, Ctx};
use crate::error::{CmdError, CmdResult, NOT_FLOAT, NOT_INTEGER, OVERFLOW};
use crate::notify::class::STRING;
use crate::util::parse_i64;
use moon_resp::Argv;
use moon_store::entry::fits_embstr;
use moon_store::{Entry, StrEncoding};

fn incr_by(ctx: &mut Ctx, key: &[u8], incr: i64) -> CmdResult {
    let value = match ctx.ks.write(key) {
        None => {
            ctx.ks.insert(Entry::new_str(key, itoa::Buffer::new().format(incr).as_bytes(), None));
            incr
        }
        Some(e) => {
            let old = parse_i64(str_of(e)?).ok_or(NOT_INTEGER)?;
            let value = old.checked_add(incr).ok_or(OVERFLOW)?;
            e.set_str(itoa::Buffer::new().format(value).as_bytes());
            ctx.ks.dirty += 1;
            value
        }
    };
    ctx.notify(STRING, "incrby", key);
    ctx.out.int(value);
    Ok(())
}

pub fn incr(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    incr_by(ctx, argv.get(1), 1)
}

pub fn decr(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    incr_by(ctx, argv.get(1), -1)
}

pub fn incrby(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let incr = parse_i64(argv.get(2)).ok_or(NOT_INTEGER)?;
    incr_by(ctx, argv.get(1), incr)
}

pub fn decrby(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let decr = parse_i64(argv.get(2)).ok_or(NOT_INTEGER)?;
    // i64::MIN has no negation.
    let incr = decr.checked_neg().ok_or_else(|| CmdError::err("decrement would overflow"))?;
    incr_by(ctx, argv.get(1), incr)
}

/// The stored value's type and number are checked before the increment
/// argument, as in Redis (so a list key answers WRONGTYPE to any increment).
pub fn incrbyfloat(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let key = argv.get(1);
    let current = match ctx.ks.write(key) {
        None => None,
        Some(e) => Some(LongDouble::parse(str_of(e)?).ok_or(NOT_FLOAT)?),
    };
    let incr = LongDouble::parse(argv.get(2)).ok_or(NOT_FLOAT)?;
    let sum = current
        .unwrap_or_else(|| LongDouble::from_i64(0))
        .checked_add(incr)
        .ok_or_else(|| CmdError::err("increment would produce NaN or Infinity"))?;
    let text = sum.format_human();
    // Redis builds the result with createStringObject, never as an
    // integer object: "3" from 1.5+1.5 is embstr, not int.
    let float_encoding = |e: &Entry| {
        if fits_embstr(e.key().len(), text.len(), e.expire().is_some()) {
            StrEncoding::Embstr
        } else {
            StrEncoding::Raw
        }
    };
    match ctx.ks.write(key) {
        Some(e) => {
            e.set_str(&text);
            let enc = float_encoding(e);
            e.set_str_encoding(enc);
            ctx.ks.dirty += 1;
        }
        None => {
            let mut e = Entry::new_str(key, &text, None);
            let enc = float_encoding(&e);
            e.set_str_encoding(enc);
            ctx.ks.insert(e);
        }
    }
    ctx.notify(STRING, "incrbyfloat", key);
    // The result, not the increment: float arithmetic is not replayed.
    ctx.ks.propagate(&[b"SET", key, &text, b"KEEPTTL"]);
    ctx.out.bulk(&text);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{encoding, expire_of, plant_non_string};
    use crate::testing::TestClient;

    const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
    const OVERFLOW: &str = "-ERR increment or decrement would overflow\r\n";
    const NOT_FLOAT: &str = "-ERR value is not a valid float\r\n";
    const NAN_INF: &str = "-ERR increment would produce NaN or Infinity\r\n";
    const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

    fn bulk(s: &str) -> String {
        format!("${}\r\n{}\r\n", s.len(), s)
    }

    #[test]
    fn integer_counters() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["INCR", "a"]), ":1\r\n");
        assert_eq!(encoding(&c, "a"), "int");
        assert_eq!(c.run(&["INCRBY", "a", "10"]), ":11\r\n");
        assert_eq!(c.run(&["DECR", "a"]), ":10\r\n");
        assert_eq!(c.run(&["DECRBY", "a", "5"]), ":5\r\n");
        assert_eq!(c.run(&["DECRBY", "a", "-5"]), ":10\r\n");
        assert_eq!(c.run(&["GET", "a"]), bulk("10"));
        assert_eq!(c.run(&["DECR", "n"]), ":-1\r\n");
        assert_eq!(c.run(&["INCRBY", "m", "-7"]), ":-7\r\n");
        assert_eq!(c.run(&["DECRBY", "d", "3"]), ":-3\r\n");
        assert_eq!(c.run(&["DECRBY", "a", "-9223372036854775808"]), "-ERR decrement would overflow\r\n");
        assert_eq!(c.run(&["DECRBY", "a", "abc"]), NOT_INT);
        assert_eq!(c.run(&["INCRBY", "a", "abc"]), NOT_INT);
        assert_eq!(c.run(&["INCRBY", "a", "9223372036854775808"]), NOT_INT);
        assert_eq!(c.run(&["INCRBY", "a", " 1"]), NOT_INT);
        c.run(&["SET", "a", "9223372036854775807"]);
        assert_eq!(c.run(&["INCR", "a"]), OVERFLOW);
        assert_eq!(c.run(&["INCRBY", "a", "0"]), ":9223372036854775807\r\n");
        c.run(&["SET", "a", "-9223372036854775808"]);
        assert_eq!(c.run(&["DECR", "a"]), OVERFLOW);
        assert_eq!(c.run(&["DECRBY", "a", "1"]), OVERFLOW);
        assert_eq!(c.run(&["INCRBY", "a", "-1"]), OVERFLOW);
        assert_eq!(c.run(&["INCRBY", "a", "9223372036854775807"]), ":-1\r\n");
        for bad in [" 1", "+1", "01", "1.0", "", "-0", "12345678901234567890123", "1 "] {
            c.run(&["SET", "a", bad]);
            assert_eq!(c.run(&["INCR", "a"]), NOT_INT, "{bad:?}");
        }
        // Counters on a raw (appended) string work, and go back inline.
        c.run(&["SET", "r", "1"]);
        c.run(&["APPEND", "r", "0"]);
        assert_eq!(encoding(&c, "r"), "raw");
        assert_eq!(c.run(&["INCR", "r"]), ":11\r\n");
        assert_eq!(encoding(&c, "r"), "int");
        if plant_non_string(&mut c, "w") {
            assert_eq!(c.run(&["INCR", "w"]), WRONGTYPE);
            assert_eq!(c.run(&["INCRBY", "w", "abc"]), NOT_INT);
            assert_eq!(c.run(&["DECRBY", "w", "1"]), WRONGTYPE);
        }
    }

    #[test]
    fn counters_keep_ttl() {
        let mut c = TestClient::new();
        c.run(&["SET", "t", "5", "EX", "100"]);
        let t = expire_of(&c, "t");
        assert!(t.is_some());
        assert_eq!(c.run(&["INCR", "t"]), ":6\r\n");
        assert_eq!(c.run(&["INCRBYFLOAT", "t", "1.5"]), bulk("7.5"));
        assert_eq!(expire_of(&c, "t"), t);
    }

    #[test]
    fn incrbyfloat_matches_redis_formatting() {
        let mut c = TestClient::new();
        c.run(&["SET", "f", "10.5"]);
        for (incr, want) in [("0.1", "10.6"), ("5.0e3", "5010.60000000000000009"), ("-10.6", "5000"), ("-5000", "0"), ("0.5", "0.5")] {
            assert_eq!(c.run(&["INCRBYFLOAT", "f", incr]), bulk(want), "{incr}");
        }
        assert_eq!(encoding(&c, "f"), "embstr");
        for (key, incr, want) in [
            ("g", "0x10", "16"),
            ("h", "-0.0", "0"),
            ("h2", "1e-20", "0"),
            ("h3", "1e-17", "0.00000000000000001"),
            ("h4", "1.23456789012345678901234", "1.23456789012345679"),
            ("h5", "-1e-18", "0"),
            ("h6", "3.0000000000000000001", "3"),
            ("h7", "+2.5", "2.5"),
        ] {
            assert_eq!(c.run(&["INCRBYFLOAT", key, incr]), bulk(want), "{incr}");
            assert_eq!(c.run(&["GET", key]), bulk(want));
        }
        let r = c.run(&["INCRBYFLOAT", "big", "1e308"]);
        assert!(
            r.starts_with("$308\r\n99999999999999999996685879655845645660560099847415567207797047994921734868838061872100126921888539"),
            "{r}"
        );
        let r = c.run(&["INCRBYFLOAT", "huge", "1e4000"]);
        assert!(r.starts_with("$4000\r\n99999999999999999999654638730996237849"), "{}", &r[..40]);
        assert_eq!(encoding(&c, "huge"), "raw");
    }

    #[test]
    fn incrbyfloat_errors() {
        let mut c = TestClient::new();
        for bad in ["abc", "nan", " 1", "1 ", "1e-5000", "1e99999", ""] {
            assert_eq!(c.run(&["INCRBYFLOAT", "g", bad]), NOT_FLOAT, "{bad:?}");
        }
        assert_eq!(c.run_bytes(&[b"INCRBYFLOAT", b"g", b"1\x00abc"]), NOT_FLOAT.as_bytes());
        assert_eq!(c.run(&["INCRBYFLOAT", "g", "inf"]), NAN_INF);
        assert_eq!(c.run(&["INCRBYFLOAT", "g", "-inf"]), NAN_INF);
        assert_eq!(c.run(&["GET", "g"]), "$-1\r\n");
        c.run(&["SET", "g", "1e4932"]);
        assert_eq!(c.run(&["INCRBYFLOAT", "g", "1e4932"]), NAN_INF);
        c.run(&["SET", "s", "abc"]);
        assert_eq!(c.run(&["INCRBYFLOAT", "s", "1"]), NOT_FLOAT);
        assert_eq!(c.run(&["INCRBYFLOAT", "s", "abc"]), NOT_FLOAT);
        if plant_non_string(&mut c, "w") {
            assert_eq!(c.run(&["INCRBYFLOAT", "w", "abc"]), WRONGTYPE);
        }
    }
}
