//! Encoding transitions, checked against what Redis 8.2 reports with
//! OBJECT ENCODING for the same sequences.

use super::*;

const L: SetLimits = SetLimits::DEFAULT;

fn build(members: &[&str], lim: &SetLimits) -> Set {
    let mut s = Set::create(members[0].as_bytes(), members.len(), lim);
    for m in members {
        s.add(m.as_bytes(), lim);
    }
    s
}

fn members(s: &Set) -> Vec<String> {
    s.iter().map(|m| String::from_utf8(m.to_vec()).unwrap()).collect()
}

#[test]
fn parse_int_is_string2ll() {
    assert_eq!(parse_int(b"0"), Some(0));
    assert_eq!(parse_int(b"-9223372036854775808"), Some(i64::MIN));
    assert_eq!(parse_int(b"9223372036854775807"), Some(i64::MAX));
    for bad in [&b"9223372036854775808"[..], b"-0", b"01", b"+1", b" 1", b"1 ", b"", b"-", b"1.0", b"0x1"] {
        assert_eq!(parse_int(bad), None, "{:?}", String::from_utf8_lossy(bad));
    }
    let mut buf = [0; 20];
    assert_eq!(format_int(i64::MIN, &mut buf), b"-9223372036854775808");
    assert_eq!(format_int(0, &mut buf), b"0");
    assert_eq!(format_int(-7, &mut buf), b"-7");
}

#[test]
fn intset_sorted_then_listpack_keeps_sorted_prefix() {
    let mut s = build(&["3", "1", "2"], &L);
    assert_eq!(s.encoding_name(), "intset");
    assert_eq!(members(&s), ["1", "2", "3"]);
    assert!(s.add(b"x", &L));
    assert_eq!(s.encoding_name(), "listpack");
    assert_eq!(members(&s), ["1", "2", "3", "x"]);
    assert!(!s.add(b"2", &L));
    assert!(s.remove(b"2"));
    assert_eq!(members(&s), ["1", "3", "x"]);
}

#[test]
fn creation_follows_the_size_hint() {
    // SADD k 1 ... with 200 arguments: an intset (hint <= 512).
    let lim = L;
    assert_eq!(Set::create(b"1", 200, &lim).encoding_name(), "intset");
    assert_eq!(Set::create(b"a", 128, &lim).encoding_name(), "listpack");
    assert_eq!(Set::create(b"a", 129, &lim).encoding_name(), "hashtable");
    assert_eq!(Set::create(b"1", 513, &lim).encoding_name(), "hashtable");
    let mut s = build(&["1", "2"], &lim);
    s.maybe_convert(513, &lim);
    assert_eq!(s.encoding_name(), "hashtable");
    let mut s = build(&["a"], &lim);
    s.maybe_convert(128, &lim);
    assert_eq!(s.encoding_name(), "listpack");
    s.maybe_convert(129, &lim);
    assert_eq!(s.encoding_name(), "hashtable");
}

#[test]
fn thresholds() {
    let lim = SetLimits::new(4, 3, 5);
    let mut s = build(&["1", "2", "3", "4"], &lim);
    assert_eq!(s.encoding_name(), "intset");
    s.add(b"5", &lim);
    assert_eq!(s.encoding_name(), "hashtable", "intset overflow goes straight to a table");

    let mut s = build(&["1", "2"], &lim);
    s.add(b"abcde", &lim);
    assert_eq!(s.encoding_name(), "listpack");
    s.add(b"z", &lim);
    assert_eq!(s.encoding_name(), "hashtable", "a 4th member exceeds 3 entries");

    let mut s = build(&["1", "2"], &lim);
    s.add(b"abcdef", &lim);
    assert_eq!(s.encoding_name(), "hashtable", "member longer than the value limit");

    let mut s = build(&["1", "2", "3"], &lim);
    s.add(b"a", &lim);
    assert_eq!(s.encoding_name(), "hashtable", "3 integers already fill 3 entries");

    // Integers wider than the value limit keep an intset from becoming a listpack.
    let mut s = build(&["123456"], &lim);
    s.add(b"a", &lim);
    assert_eq!(s.encoding_name(), "hashtable");
    let mut s = build(&["-1234"], &lim);
    s.add(b"a", &lim);
    assert_eq!(s.encoding_name(), "listpack");
    assert_eq!(members(&s), ["-1234", "a"]);

    let mut s = build(&["a", "b", "c"], &lim);
    assert_eq!(s.encoding_name(), "listpack");
    assert!(!s.add(b"c", &lim));
    assert_eq!(s.encoding_name(), "listpack", "a duplicate converts nothing");
    s.add(b"d", &lim);
    assert_eq!(s.encoding_name(), "hashtable");
    assert!(s.contains(b"a") && s.contains(b"d") && s.len() == 4);
}

#[test]
fn back_to_intset() {
    let mut s = build(&["a", "1", "2"], &L);
    assert!(!s.convert_to_intset_if_fits(&L));
    s.remove(b"a");
    assert!(s.convert_to_intset_if_fits(&L));
    assert_eq!(s.encoding_name(), "intset");
    let lim = SetLimits::new(1, 128, 64);
    let mut s = build(&["a", "1", "2"], &lim);
    s.remove(b"a");
    assert!(!s.convert_to_intset_if_fits(&lim), "too many for the intset limit");
}

#[test]
fn random_and_pop() {
    let mut x = 7u64;
    let mut rand = move || {
        x = crate::table::splitmix(x);
        x
    };
    for mut s in [build(&["1", "2", "3"], &L), build(&["a", "b", "c"], &L), {
        let mut t = build(&["a", "b", "c"], &L);
        t.convert_to_table(3);
        t
    }] {
        for _ in 0..20 {
            let m = s.random(&mut rand).unwrap().to_vec();
            assert!(s.contains(&m));
        }
        let mut popped = Vec::new();
        while let Some(m) = s.pop_random(&mut rand) {
            assert!(!s.contains(&m));
            popped.push(m);
        }
        popped.sort();
        assert_eq!(popped.len(), 3);
        assert!(s.random(&mut rand).is_none());
    }
}

#[test]
fn retain_positions_and_scan() {
    let mut s = build(&["a", "b", "c", "d"], &L);
    s.retain_positions(|i| i != 1);
    assert_eq!(members(&s), ["a", "c", "d"]);
    let mut seen = Vec::new();
    assert_eq!(s.scan(12345, 1, |m| seen.push(m.to_vec())), 0, "compact sets scan in one call");
    assert_eq!(seen.len(), 3);
    let mut s = build(&["5", "6", "7"], &L);
    s.retain_positions(|i| i == 2);
    assert_eq!(members(&s), ["7"]);
    let mut t = build(&["x", "y", "z"], &L);
    t.convert_to_table(3);
    t.retain_positions(|i| i == 0);
    assert_eq!(t.len(), 1);
}
