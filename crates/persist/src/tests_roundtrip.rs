//! Round trips of every type and encoding through DUMP payloads and whole
//! files, and corrupt-input checks (truncation at every byte, random byte
//! flips) that must error, never panic.

use crate::decode::{Limits, Value};
use crate::file::{self, AccessInfo, FileOpts, LoadOpts};
use crate::{digest, dump, SaveOpts};
use moon_store::hash::{ExpireCond, Hash};
use moon_store::list::{List, Side};
use moon_store::set::Set;
use moon_store::stream::{NodeLimits, Stream, StreamId, INVALID_ENTRIES_READ};
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

/// A stream over several blocks, with deleted entries, differing field
/// names, and groups with pending entries and consumers.
fn stream(n: u64) -> Object {
    let mut s = Stream::new();
    let lim = NodeLimits { max_bytes: 4096, max_entries: 10 };
    for i in 1..=n {
        let v = format!("v{i}");
        let pairs: Vec<&[u8]> = if i % 7 == 0 { vec![b"other", v.as_bytes()] } else { vec![b"f", v.as_bytes(), b"12", b"-3"] };
        s.append(StreamId::new(1000 + i / 2, i % 2), &pairs, lim).unwrap();
    }
    for i in [2, 3, 9] {
        let id = StreamId::new(1000 + i / 2, i % 2);
        if s.delete(id) {
            s.note_deleted(id);
        }
    }
    s.refresh_first_id();
    s.create_group(b"g1", StreamId::new(1003, 0), 5);
    s.create_group(b"777", StreamId::MIN, INVALID_ENTRIES_READ);
    if let Some(g) = s.group_mut(b"g1") {
        g.create_consumer(b"alice", NOW - 50);
        g.create_consumer(b"bob", NOW - 10);
        g.assign(StreamId::new(1000, 1), b"alice", NOW - 40, 2);
        g.assign(StreamId::new(1002, 0), b"bob", NOW - 5, 1);
        g.assign(StreamId::new(1002, 1), b"alice", NOW - 4, 7);
    }
    Object::Stream(Box::new(s))
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
        Entry::new_obj(b"x:small", stream(3), None),
        Entry::new_obj(b"x:big", stream(60), Some(NOW + 7)),
        Entry::new_obj(b"x:empty", Object::Stream(Box::default()), None),
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
    FileOpts {
        value: SaveOpts::default(),
        checksum,
        access: AccessInfo::None,
        redis_ver: "8.2.3".into(),
        used_mem: 1,
        now_ms: NOW,
        functions: Vec::new(),
    }
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
    // h:htex and x:big expired as keys; s:bigint survives.
    assert_eq!(loaded.expired, 2);
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
        Entry::new_obj(b"x", stream(12), None),
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

#[test]
fn stream_round_trip_keeps_groups_and_metadata() {
    let Object::Stream(want) = stream(40) else { unreachable!() };
    let e = Entry::new_obj(b"x", Object::Stream(want.clone()), None);
    let p = dump::create(e.value(), SaveOpts::default()).unwrap();
    assert_eq!(p[0], crate::types::STREAM_LISTPACKS_3);
    let Some(Value::Obj(Object::Stream(got))) = dump::parse(&p, &lim(), NOW).unwrap() else { panic!() };
    assert_eq!((got.length, got.last_id, got.first_id), (want.length, want.last_id, want.first_id));
    assert_eq!((got.max_deleted_id, got.entries_added), (want.max_deleted_id, want.entries_added));
    assert_eq!(got.radix_tree_keys(), want.radix_tree_keys());
    let ids = |s: &Stream| s.range(StreamId::MIN, StreamId::MAX).map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(ids(&got), ids(&want));
    assert_eq!(got.groups.keys().collect::<Vec<_>>(), want.groups.keys().collect::<Vec<_>>());
    for (name, g) in &want.groups {
        let h = &got.groups[name];
        assert_eq!((h.last_id, h.entries_read), (g.last_id, g.entries_read));
        let pel = |g: &moon_store::stream::Group| {
            g.pel.iter().map(|(id, n)| (*id, n.consumer.to_vec(), n.delivery_time, n.delivery_count)).collect::<Vec<_>>()
        };
        assert_eq!(pel(h), pel(g));
        let cons = |g: &moon_store::stream::Group| {
            g.consumers.values().map(|c| (c.name.to_vec(), c.seen_time, c.active_time, c.pel.clone())).collect::<Vec<_>>()
        };
        assert_eq!(cons(h), cons(g));
    }
}

#[test]
fn older_stream_types_load() {
    // A _3 payload cut down to _2 (no consumer active time) and to the
    // original type (no first/max-deleted IDs, entries added, read counter).
    let mut s = Stream::new();
    s.append(StreamId::new(5, 0), &[b"a", b"1"], NodeLimits::default()).unwrap();
    s.append(StreamId::new(6, 0), &[b"a", b"2"], NodeLimits::default()).unwrap();
    s.create_group(b"g", StreamId::new(5, 0), 1);
    let g = s.group_mut(b"g").unwrap();
    g.create_consumer(b"c", NOW);
    g.assign(StreamId::new(5, 0), b"c", NOW, 1);
    let mut body = vec![];
    crate::stream::encode(&s, SaveOpts::default(), &mut body);
    // Locate the tail: [group count 1][name "g"] ... and rebuild by hand.
    let mut v1 = vec![];
    let mut lp_part = vec![];
    {
        let mut r = crate::reader::Reader::new(&body[1..]);
        let n = r.len().unwrap();
        assert_eq!(n, 1);
        let key = r.string().unwrap();
        let lp = r.string().unwrap();
        crate::writer::put_len(&mut lp_part, 1);
        crate::writer::put_string(&mut lp_part, &key, false);
        crate::writer::put_string(&mut lp_part, &lp, false);
    }
    use crate::writer::{put_len, put_ms, put_string};
    v1.extend_from_slice(&lp_part);
    put_len(&mut v1, 2);
    put_len(&mut v1, 6);
    put_len(&mut v1, 0);
    put_len(&mut v1, 1);
    put_string(&mut v1, b"g", false);
    put_len(&mut v1, 5);
    put_len(&mut v1, 0);
    put_len(&mut v1, 1);
    v1.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0]);
    put_ms(&mut v1, NOW);
    put_len(&mut v1, 1);
    put_len(&mut v1, 1);
    put_string(&mut v1, b"c", false);
    put_ms(&mut v1, NOW - 3);
    put_len(&mut v1, 1);
    v1.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0]);
    let got = crate::stream::decode(&mut crate::reader::Reader::new(&v1), crate::types::STREAM_LISTPACKS).unwrap();
    assert_eq!((got.first_id, got.entries_added, got.max_deleted_id), (StreamId::new(5, 0), 2, StreamId::MIN));
    let g = &got.groups[&b"g"[..]];
    // The read counter is estimated: the group read the first entry.
    assert_eq!(g.entries_read, 1);
    let c = g.consumer(b"c").unwrap();
    assert_eq!((c.seen_time, c.active_time), (NOW - 3, NOW - 3));
    assert_eq!(g.pel[&StreamId::new(5, 0)].delivery_count, 1);
}

#[test]
fn function_libraries_round_trip_in_files_and_dump_payloads() {
    let ks = Keyspace::new(16, 16);
    let code =
        b"#!lua name=lib\nredis.register_function('f', function() return 'a fairly long body that compresses, compresses, compresses' end)"
            .to_vec();
    let mut o = fopts(true);
    o.functions = vec![code.clone(), b"#!lua name=x\n".to_vec()];
    let mut buf = vec![];
    file::save(&ks, &mut buf, &o).unwrap();
    let loaded = file::parse(&buf, &lopts()).unwrap();
    assert_eq!(loaded.functions, o.functions);
    let p = crate::functions::dump_payload(&[&code]);
    assert_eq!(crate::functions::parse_payload(&p).unwrap(), vec![code]);
    let mut bad = p.clone();
    bad[3] ^= 1;
    assert_eq!(crate::functions::parse_payload(&bad).unwrap_err(), "DUMP payload version or checksum are wrong");
}
