use super::*;

const LIM: Limits = Limits { max_entries: 128, max_value: 64 };

fn fields(h: &Hash) -> Vec<String> {
    h.iter().map(|(f, _)| String::from_utf8_lossy(f).into_owned()).collect()
}

#[test]
fn hash_fits_the_object_without_growing_it() {
    assert!(std::mem::size_of::<Hash>() <= 24);
    assert!(std::mem::size_of::<Object>() <= 32);
}

#[test]
fn set_get_remove_compact() {
    let mut h = Hash::new();
    assert_eq!(h.encoding_name(), "listpack");
    assert!(h.set(b"a", b"1", false, LIM));
    assert!(h.set(b"b", b"2", false, LIM));
    assert!(!h.set(b"a", b"11", false, LIM));
    assert_eq!(h.get(b"a"), Some(&b"11"[..]));
    assert_eq!(h.get(b"zz"), None);
    assert_eq!(fields(&h), ["a", "b"]);
    assert_eq!(h.get_ttl(b"a"), Some(None));
    assert_eq!(h.get_ttl(b"zz"), None);
    assert!(h.remove(b"a"));
    assert!(!h.remove(b"a"));
    assert_eq!(h.len(), 1);
    assert!(!h.has_field_ttl());
    assert_eq!(h.free_effort(), 1);
}

#[test]
fn conversions_follow_the_limits() {
    let lim = Limits { max_entries: 3, max_value: 4 };
    let mut h = Hash::new();
    for f in ["a", "b", "c"] {
        h.set(f.as_bytes(), b"v", false, lim);
    }
    assert_eq!(h.encoding_name(), "listpack");
    h.set(b"d", b"v", false, lim);
    assert_eq!(h.encoding_name(), "hashtable");
    assert_eq!(h.len(), 4);
    assert_eq!(h.get(b"b"), Some(&b"v"[..]));

    let mut h = Hash::new();
    h.set(b"abcd", b"abcd", false, lim);
    assert_eq!(h.encoding_name(), "listpack");
    h.set(b"x", b"abcde", false, lim);
    assert_eq!(h.encoding_name(), "hashtable");

    // prepare() converts up front, even for duplicate fields.
    let mut h = Hash::new();
    h.prepare(4, [1, 1, 1, 1, 1, 1, 1, 1].into_iter(), lim);
    assert_eq!(h.encoding_name(), "hashtable");
    let mut h = Hash::new();
    h.prepare(1, [1, 5].into_iter(), lim);
    assert_eq!(h.encoding_name(), "hashtable");
    let mut h = Hash::new();
    h.prepare(3, [4, 4].into_iter(), lim);
    assert_eq!(h.encoding_name(), "listpack");
}

#[test]
fn ttls_in_both_encodings() {
    for big in [false, true] {
        let lim = if big { Limits { max_entries: 0, max_value: 64 } } else { LIM };
        let mut h = Hash::new();
        for f in ["a", "b", "c", "d"] {
            h.set(f.as_bytes(), b"v", false, lim);
        }
        h.track_ttls();
        assert_eq!(h.encoding_name(), if big { "hashtable" } else { "listpackex" });
        let now = 1000;
        assert_eq!(h.set_expire(b"zz", 2000, ExpireCond::Always, now), SetTtl::NoField);
        assert_eq!(h.set_expire(b"a", 2000, ExpireCond::Xx, now), SetTtl::NotMet);
        assert_eq!(h.set_expire(b"a", 2000, ExpireCond::Gt, now), SetTtl::NotMet);
        assert_eq!(h.set_expire(b"a", 2000, ExpireCond::Lt, now), SetTtl::Set);
        assert_eq!(h.set_expire(b"a", 3000, ExpireCond::Nx, now), SetTtl::NotMet);
        assert_eq!(h.set_expire(b"a", 2000, ExpireCond::Gt, now), SetTtl::NotMet);
        assert_eq!(h.set_expire(b"a", 2001, ExpireCond::Gt, now), SetTtl::Set);
        assert_eq!(h.set_expire(b"a", 2001, ExpireCond::Lt, now), SetTtl::NotMet);
        assert_eq!(h.set_expire(b"b", 1500, ExpireCond::Nx, now), SetTtl::Set);
        assert_eq!(h.set_expire(b"c", now, ExpireCond::Always, now), SetTtl::Deleted);
        assert_eq!(h.get(b"c"), None);
        assert_eq!(h.next_expire(), Some(1500));
        assert_eq!(h.get_ttl(b"a"), Some(Some(2001)));
        if !big {
            assert_eq!(fields(&h), ["b", "a", "d"]);
        }
        // HSET drops the TTL; HINCRBY-style writes keep it.
        h.set(b"a", b"w", true, lim);
        assert_eq!(h.get_ttl(b"a"), Some(Some(2001)));
        h.set(b"b", b"w", false, lim);
        assert_eq!(h.get_ttl(b"b"), Some(None));
        if !big {
            assert_eq!(fields(&h), ["a", "d", "b"]);
        }
        assert_eq!(h.persist(b"zz"), Persist::NoField);
        assert_eq!(h.persist(b"d"), Persist::NoTtl);
        assert_eq!(h.persist(b"a"), Persist::Done);
        assert!(!h.has_field_ttl());
        h.set_expire(b"a", 5000, ExpireCond::Always, now);
        h.set_expire(b"d", 6000, ExpireCond::Always, now);
        assert_eq!(h.expire_fields(5000, usize::MAX), 0, "a TTL equal to now has not expired");
        assert_eq!(h.expire_fields(6001, 1), 1);
        assert_eq!(h.expire_fields(6001, 5), 1);
        assert_eq!(fields(&h), ["b"]);
        assert!(!h.has_field_ttl());
    }
}

#[test]
fn conversion_keeps_ttls() {
    let lim = Limits { max_entries: 2, max_value: 64 };
    let mut h = Hash::new();
    h.set(b"a", b"1", false, lim);
    h.track_ttls();
    h.set_expire(b"a", 9000, ExpireCond::Always, 1);
    h.set(b"b", b"2", false, lim);
    h.set(b"c", b"3", false, lim);
    assert_eq!(h.encoding_name(), "hashtable");
    assert_eq!(h.get_ttl(b"a"), Some(Some(9000)));
    assert_eq!(h.next_expire(), Some(9000));
    let c = h.clone();
    assert_eq!(c.get_ttl(b"a"), Some(Some(9000)));
    assert_eq!(c.len(), 3);
}

#[test]
fn scan_and_random() {
    let mut h = Hash::new();
    for i in 0..10 {
        h.set(format!("f{i}").as_bytes(), b"v", false, LIM);
    }
    let mut n = 0;
    assert_eq!(h.scan(0, 1, |_, _| n += 1), 0);
    assert_eq!(n, 10);
    for r in 0..50 {
        let (f, v) = h.random(r).unwrap();
        assert!(h.contains(f));
        assert_eq!(v, b"v");
    }
    assert!(Hash::new().random(3).is_none());
}

#[test]
fn purge_helpers_for_the_keyspace() {
    let mut h = Hash::new();
    h.set(b"a", b"1", false, LIM);
    let mut e = Entry::new_obj(b"k", Object::Hash(h.clone()), None);
    assert!(!entry_has_field_ttl(&e));
    h.track_ttls();
    h.set_expire(b"a", 50, ExpireCond::Always, 1);
    e.set_obj(Object::Hash(h));
    assert!(entry_has_field_ttl(&e));
    let p = purge_entry(&mut e, 50, usize::MAX, None);
    assert_eq!((p.expired, p.empty, p.has_ttl), (0, false, true));
    let p = purge_entry(&mut e, 51, usize::MAX, None);
    assert_eq!((p.expired, p.empty, p.has_ttl), (1, true, false));
    let mut s = Entry::new_str(b"k", b"v", None);
    assert!(!entry_has_field_ttl(&s));
    assert!(!purge_entry(&mut s, 51, 1, None).has_ttl);
}

fn hash_with_ttls(fields: &[(&str, Option<i64>)]) -> Hash {
    let mut h = Hash::new();
    for (f, ttl) in fields {
        h.set(f.as_bytes(), b"v", false, LIM);
        if let Some(t) = ttl {
            h.set_expire(f.as_bytes(), *t, ExpireCond::Always, 1);
        }
    }
    h
}

fn hash_of(s: &mut crate::Stripe, key: &[u8], now: i64) -> Option<Vec<String>> {
    match s.get(key, now)?.value() {
        ValueRef::Obj(Object::Hash(h)) => Some(fields(h)),
        _ => None,
    }
}

#[test]
fn stripe_purges_fields_on_lookup() {
    let mut s = crate::Stripe::new();
    s.insert(Entry::new_obj(b"plain", Object::Hash(hash_with_ttls(&[("a", None)])), None));
    assert_eq!(s.field_ttl_keys(), 0);
    s.insert(Entry::new_obj(b"h", Object::Hash(hash_with_ttls(&[("a", Some(100)), ("b", Some(200)), ("c", None)])), None));
    assert_eq!(s.field_ttl_keys(), 1);
    assert_eq!(hash_of(&mut s, b"h", 100).unwrap(), ["a", "b", "c"]);
    assert_eq!(hash_of(&mut s, b"h", 101).unwrap(), ["b", "c"]);
    assert_eq!(s.take_expired_fields(), 1);
    assert_eq!(s.field_ttl_keys(), 1);
    // The last TTL gone: the flag goes too.
    assert_eq!(hash_of(&mut s, b"h", 201).unwrap(), ["c"]);
    assert_eq!((s.field_ttl_keys(), s.take_expired_fields()), (0, 1));
    assert!(!s.peek(b"h").unwrap().has_field_ttl());

    // A hash whose every field expires disappears, and is not an expired key.
    s.insert(Entry::new_obj(b"gone", Object::Hash(hash_with_ttls(&[("a", Some(100))])), None));
    assert_eq!(s.field_ttl_keys(), 1);
    assert!(s.get(b"gone", 101).is_none());
    assert!(s.peek(b"gone").is_none());
    assert_eq!((s.field_ttl_keys(), s.take_expired(), s.take_expired_fields()), (0, 0, 1));
}

#[test]
fn stripe_counts_flagged_entries_through_every_path() {
    let mut s = crate::Stripe::new();
    let flagged = || Entry::new_obj(b"h", Object::Hash(hash_with_ttls(&[("a", Some(100)), ("b", None)])), None);
    s.insert(flagged());
    s.insert(flagged());
    assert_eq!(s.field_ttl_keys(), 1, "replacing a flagged entry");
    s.set_str(b"h", b"str", None, 1);
    assert_eq!(s.field_ttl_keys(), 0, "SET over it");
    s.insert(flagged());
    assert!(s.remove(b"h").is_some());
    assert_eq!(s.field_ttl_keys(), 0);
    s.insert(flagged());
    s.take_all();
    assert_eq!(s.field_ttl_keys(), 0);

    // TTLs changed in place are (un)flagged by sync_field_ttl.
    s.insert(Entry::new_obj(b"h", Object::Hash(hash_with_ttls(&[("a", None)])), None));
    assert_eq!(s.field_ttl_keys(), 0);
    s.sync_field_ttl(b"h");
    assert_eq!(s.field_ttl_keys(), 0, "no TTL yet: nothing to flag");
    if let Some(Object::Hash(h)) = s.get(b"h", 1).unwrap().obj_mut() {
        h.set_expire(b"a", 100, ExpireCond::Always, 1);
    }
    s.sync_field_ttl(b"h");
    s.sync_field_ttl(b"h");
    assert_eq!(s.field_ttl_keys(), 1);
    if let Some(Object::Hash(h)) = s.get(b"h", 1).unwrap().obj_mut() {
        h.persist(b"a");
    }
    s.sync_field_ttl(b"h");
    assert_eq!(s.field_ttl_keys(), 0);
    s.sync_field_ttl(b"nokey");
}

#[test]
fn active_expiry_purges_fields_within_budget() {
    let mut s = crate::Stripe::new();
    let mut big = Hash::new();
    for i in 0..3000 {
        let f = format!("f{i}");
        big.set(f.as_bytes(), b"v", false, LIM);
        big.set_expire(f.as_bytes(), 100, ExpireCond::Always, 1);
    }
    big.set(b"keep", b"v", false, LIM);
    assert_eq!(big.encoding_name(), "hashtable");
    s.insert(Entry::new_obj(b"big", Object::Hash(big), None));
    s.insert(Entry::new_obj(b"small", Object::Hash(hash_with_ttls(&[("a", Some(100))])), None));
    s.insert(Entry::new_str(b"k", b"v", None));
    assert_eq!(s.expire_step(50, 1000), (0, 0), "nothing due yet");
    assert_eq!(s.take_expired_fields(), 0);
    let mut rounds = 0;
    while s.field_ttl_keys() > 0 {
        let (sampled, expired) = s.expire_step(101, 8);
        assert_eq!((sampled, expired), (0, 0), "fields are neither sampled keys nor expired keys");
        rounds += 1;
        assert!(rounds < 10_000);
    }
    assert!(rounds > 1, "the field budget spreads the work");
    assert_eq!(s.take_expired_fields(), 3001);
    assert!(s.peek(b"small").is_none(), "emptied by expiry");
    assert_eq!(s.len(), 2);
    match s.get(b"big", 101).unwrap().value() {
        ValueRef::Obj(Object::Hash(h)) => assert_eq!(fields(h), ["keep"]),
        _ => unreachable!(),
    }
}

#[test]
fn bulk_write_to_an_empty_hash_allocates_once() {
    let mut h = Hash::new();
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = (0..20).map(|j| (format!("field:{j:02}").into_bytes(), b"v0000001".to_vec())).collect();
    // Field "field:00" twice: the reservation overestimates, fit trims it.
    let lens = pairs.iter().chain(&pairs[..1]).flat_map(|(f, v)| [f.len(), v.len()]);
    h.prepare(21, lens, LIM);
    assert_eq!(h.mem_usage(), 21 * 17);
    for (f, v) in pairs.iter().chain(&pairs[..1]) {
        h.set(f, v, false, LIM);
    }
    assert_eq!(h.mem_usage(), 21 * 17, "written inside the reservation");
    h.fit();
    assert_eq!((h.mem_usage(), h.len()), (20 * 17, 20));
    assert_eq!(h.get(b"field:19"), Some(&b"v0000001"[..]));
    // A hash with fields reserves nothing.
    h.prepare(2, [1, 1, 1, 1].into_iter(), LIM);
    assert_eq!(h.mem_usage(), 20 * 17);
}
