//! Round trips of every type and encoding through DUMP payloads and whole
//! files, and corrupt-input checks (truncation at every byte, random byte
//! flips) that must error, never panic.

use crate::decode::{Limits, Value};
use crate::file::{self, AccessInfo, FileOpts, LoadOpts};
use crate::{digest, dump, SaveOpts};
use moon_store::hash::{ExpireCond, Hash};
use moon_store::list::{List, Side};
use moon_store::set::Set;
use moon_store::zset::{AddFlags, ZSet};
use moon_store::{Entry, Keyspace, Object, ValueRef};

const NOW: i64 = 1_700_000_000_000;

fn lim() -> Limits {
    Limits::default()
}

fn list(n: usize, big: bool) -> Object {
    let mut l = List::new();
    for i in 0..n {
        let v = if big && i == 3 { vec![b'L'; 10_000] } else { format!("e{i}").into_bytes() };
        l.grow_check(v.len(), 1, -2);
        l.push(Side::Right, &v);
    }
    Object::List(l)
}

fn hash(n: usize, ttl: bool) -> Object {
    let mut h = Hash::new();
    for i in 0..n {
        h.set(format!("f{i}").as_bytes(), format!("{}", i * 7).as_bytes(), false, lim().hash);
    }
    if ttl {
        h.track_ttls();
        h.set_expire(b"f1", NOW + 50_000, ExpireCond::Always, NOW);
        h.set_expire(b"f0", NOW + 10_000, ExpireCond::Always, NOW);
    }
    Object::Hash(h)
}

fn set(members: &[&str]) -> Object {
    let mut s = Set::new_intset();
    for m in members {
        s.add(m.as_bytes(), &lim().set);
    }
    Object::Set(Box::new(s))
}

fn zset(n: usize) -> Object {
    let mut z = ZSet::default();
    for i in 0..n {
        z.add(i as f64 * 1.5 - 3.0, format!("m{i}").as_bytes(), AddFlags::default(), lim().zset);
    }
    z.add(f64::INFINITY, b"inf", AddFlags::default(), lim().zset);
    z.add(-0.0, b"negzero", AddFlags::default(), lim().zset);
    Object::ZSet(z)
}

fn samples() -> Vec<Entry> {
    let long_str: Vec<u8> = b"abcdefghij".repeat(30);
    let mut v = vec![
        Entry::new_str(b"s:int", b"12345", None),
        Entry::new_str(b"s:bigint", b"12345678901234", Some(NOW + 100_000)),
        Entry::new_str(b"s:emb", b"hello", None),
        Entry::new_str(b"s:empty", b"", None),
        Entry::new_str(b"s:lzf", &long_str, None),
        Entry::new_obj(b"s:raw", Object::Str(b"raw value".to_vec()), None),
        Entry::new_obj(b"l:small", list(5, false), None),
        Entry::new_obj(b"l:big", list(2000, false), None),
        Entry::new_obj(b"l:plain", list(10, true), None),
        Entry::new_obj(b"h:lp", hash(5, false), None),
        Entry::new_obj(b"h:lpex", hash(5, true), None),
        Entry::new_obj(b"h:ht", hash(300, false), None),
        Entry::new_obj(b"h:htex", hash(300, true), Some(NOW + 5)),
        Entry::new_obj(b"set:int", set(&["1", "-5", "70000"]), None),
        Entry::new_obj(b"set:lp", set(&["a", "1", "b"]), None),
        Entry::new_obj(b"z:lp", zset(10), None),
        Entry::new_obj(b"z:skip", zset(500), None),
    ];
    let many: Vec<String> = (0..1000).map(|i| format!("m{i}")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    v.push(Entry::new_obj(b"set:ht", set(&refs), None));
    v
}

fn enc(e: &Entry) -> &'static str {
    match e.value() {
        ValueRef::Inline(_) => "inline",
        ValueRef::Obj(o) => o.encoding_name(),
    }
}

#[test]
fn dump_round_trip_keeps_value_and_encoding() {
    for e in samples() {
        for compress in [true, false] {
            let p = dump::create(e.value(), SaveOpts { compress }).unwrap();
            assert!(dump::verify(&p), "{e:?}");
            let v = dump::parse(&p, &lim(), NOW).unwrap().unwrap();
            let back = file::make_entry(e.key(), v, e.expire());
            assert_eq!(hexd(&back), hexd(&e), "{e:?} compress={compress}");
            // A loaded string takes SET's encoding, as in Redis.
            if !matches!(e.value(), ValueRef::Obj(Object::Str(_))) {
                assert_eq!(enc(&back), enc(&e), "{e:?}");
            }
            // Deterministic: the same value dumps to the same bytes (a
            // reloaded quicklist may split its nodes differently, a table
            // may iterate in another order).
            if !["quicklist", "hashtable"].contains(&enc(&e)) {
                assert!(dump::create(back.value(), SaveOpts { compress }).unwrap() == p, "{e:?}");
            }
        }
    }
}

fn hexd(e: &Entry) -> String {
    digest::hex(&digest::value(e))
}

fn keyspace() -> Keyspace {
    let ks = Keyspace::new(16, 16);
    for (i, e) in samples().into_iter().enumerate() {
        let db = &ks.dbs[if i % 3 == 0 { 5 } else { 0 }];
        db.lock(db.stripe_of(e.key())).insert(e);
    }
    ks
}

fn fopts(checksum: bool) -> FileOpts {
    FileOpts { value: SaveOpts::default(), checksum, access: AccessInfo::None, redis_ver: "8.2.3".into(), used_mem: 1, now_ms: NOW }
}

fn lopts() -> LoadOpts {
    LoadOpts { limits: lim(), now_ms: NOW, access: AccessInfo::None, databases: 16 }
}

#[test]
fn file_round_trip_gives_the_same_digest() {
    let ks = keyspace();
    for checksum in [true, false] {
        let mut buf = vec![];
        let st = file::save(&ks, &mut buf, &fopts(checksum)).unwrap();
        assert_eq!(st.keys, samples().len() as u64);
        assert_eq!(&buf[..9], b"REDIS0012");
        if !checksum {
            assert_eq!(&buf[buf.len() - 8..], &[0; 8]);
        }
        let loaded = file::parse(&buf, &lopts()).unwrap();
        assert_eq!(loaded.entries.len(), samples().len());
        let ks2 = Keyspace::new(16, 16);
        for (db, e) in loaded.entries {
            let d = &ks2.dbs[db];
            d.lock(d.stripe_of(e.key())).insert(e);
        }
        assert_eq!(digest::dataset(&ks), digest::dataset(&ks2));
        assert_ne!(digest::dataset(&ks), [0; 20]);
    }
}

#[test]
fn expired_keys_and_fields_are_dropped_on_load() {
    let ks = keyspace();
    let mut buf = vec![];
    file::save(&ks, &mut buf, &fopts(true)).unwrap();
    let later = LoadOpts { now_ms: NOW + 20_000, ..lopts() };
    let loaded = file::parse(&buf, &later).unwrap();
    // h:htex expired as a key; s:bigint survives.
    assert_eq!(loaded.expired, 1);
    let lpex = loaded.entries.iter().find(|(_, e)| e.key() == b"h:lpex").unwrap();
    let ValueRef::Obj(Object::Hash(h)) = lpex.1.value() else { panic!() };
    assert_eq!(h.len(), 4, "f0's TTL passed");
    assert_eq!(h.get_ttl(b"f1"), Some(Some(NOW + 50_000)));
}

#[test]
fn truncation_at_every_byte_errors() {
    let ks = Keyspace::new(16, 4);
    let small = [
        Entry::new_str(b"a", b"1", Some(NOW + 1000)),
        Entry::new_obj(b"h", hash(3, true), None),
        Entry::new_obj(b"z", zset(3), None),
        Entry::new_obj(b"s", set(&["x", "y"]), None),
        Entry::new_obj(b"l", list(3, false), None),
    ];
    for e in small {
        let d = &ks.dbs[0];
        d.lock(d.stripe_of(e.key())).insert(e);
    }
    let mut buf = vec![];
    file::save(&ks, &mut buf, &fopts(true)).unwrap();
    assert!(file::parse(&buf, &lopts()).is_ok());
    for cut in 0..buf.len() {
        assert!(file::parse(&buf[..cut], &lopts()).is_err(), "cut at {cut}");
    }
    // Flipped bytes: the checksum catches them, or parsing fails cleanly.
    for i in 9..buf.len() - 8 {
        for x in [0x01u8, 0x40, 0x80, 0xff] {
            let mut c = buf.clone();
            c[i] ^= x;
            assert!(file::parse(&c, &lopts()).is_err(), "flip at {i}");
            // Without the checksum, the parser alone must not panic.
            let n = c.len();
            c[n - 8..].fill(0);
            let _ = file::parse(&c, &lopts());
        }
    }
    for e in samples() {
        let p = dump::create(e.value(), SaveOpts::default()).unwrap();
        for cut in 0..p.len() {
            assert!(!dump::verify(&p[..cut]) || dump::parse(&p[..cut], &lim(), NOW).is_err());
        }
        for i in 0..p.len() - 10 {
            let mut c = p.clone();
            c[i] ^= 0x5a;
            let _ = dump::parse(&c, &lim(), NOW);
        }
    }
}

#[test]
fn huge_counts_do_not_allocate() {
    // A list claiming 2^60 elements in a 20-byte payload.
    let mut body = vec![1u8, 0x81];
    body.extend_from_slice(&(1u64 << 60).to_be_bytes());
    body.extend_from_slice(b"\x01a");
    assert!(crate::decode::value(&mut crate::reader::Reader::new(&body[1..]), 1, &lim(), NOW).is_err());
    // An LZF string claiming a 4 GB expansion.
    let lzf = [0xc3u8, 0x02, 0x80, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00];
    assert!(crate::reader::Reader::new(&lzf).string().is_err());
}

#[test]
fn encodings_follow_thresholds_on_load() {
    // A compact hash loaded under smaller limits becomes a hashtable.
    let p = dump::create(Entry::new_obj(b"h", hash(5, false), None).value(), SaveOpts::default()).unwrap();
    let mut small = lim();
    small.hash.max_entries = 2;
    let Some(Value::Obj(o)) = dump::parse(&p, &small, NOW).unwrap() else { panic!() };
    assert_eq!(o.encoding_name(), "hashtable");
    let p = dump::create(Entry::new_obj(b"z", zset(500), None).value(), SaveOpts::default()).unwrap();
    let mut big = lim();
    big.zset.max_entries = 1000;
    let Some(Value::Obj(o)) = dump::parse(&p, &big, NOW).unwrap() else { panic!() };
    assert_eq!(o.encoding_name(), "listpack");
}
