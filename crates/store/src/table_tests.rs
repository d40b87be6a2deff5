use super::*;
use crate::entry::ValueRef;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::{HashMap, HashSet};

fn key(i: u64) -> Vec<u8> {
    format!("key:{i}").into_bytes()
}

fn ins(t: &mut Table, k: &[u8], v: &[u8]) -> Option<Entry> {
    t.insert(key_hash(k), Entry::new_str(k, v, None))
}

fn val(e: &Entry) -> Vec<u8> {
    match e.value() {
        ValueRef::Inline(b) => b.to_vec(),
        ValueRef::Obj(_) => panic!("boxed"),
    }
}

fn lookup(t: &Table, k: &[u8]) -> Option<Vec<u8>> {
    t.get(t.find(key_hash(k), k)?).map(val)
}

/// Counts how the table was rebuilt between two observations.
#[derive(Default, Debug)]
struct Resizes {
    grows: usize,
    shrinks: usize,
    same_size: usize,
}

impl Resizes {
    fn observe(&mut self, before: (usize, usize), t: &Table) {
        let (cap, rebuilds) = before;
        if t.rebuilds == rebuilds || cap == 0 {
            return;
        }
        match t.capacity().cmp(&cap) {
            std::cmp::Ordering::Greater => self.grows += 1,
            std::cmp::Ordering::Less => self.shrinks += 1,
            std::cmp::Ordering::Equal => self.same_size += 1,
        }
    }
}

#[test]
fn differential_against_hashmap() {
    let mut rng = SmallRng::seed_from_u64(7);
    let mut t = Table::new();
    let mut m: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
    let mut rs = Resizes::default();
    let check = |t: &Table, m: &HashMap<Vec<u8>, Vec<u8>>| {
        t.check_invariants();
        for (k, v) in m {
            assert_eq!(lookup(t, k).as_ref(), Some(v));
        }
        assert_eq!(t.iter().count(), m.len());
    };
    for round in 0..4u64 {
        // Random operations over a key space: (ops, space size, insert %),
        // growing the table.
        let base = round * 1_000_003;
        for n in 0..40_000 {
            let k = key(base + rng.gen_range(0..20_000));
            let before = (t.capacity(), t.rebuilds);
            if rng.gen_range(0..100) < 80 {
                let v = rng.gen::<u32>().to_string().into_bytes();
                let old = ins(&mut t, &k, &v).map(|e| val(&e));
                assert_eq!(old, m.insert(k.clone(), v));
            } else {
                let old = t.remove(key_hash(&k), &k).map(|e| val(&e));
                assert_eq!(old, m.remove(&k));
            }
            rs.observe(before, &t);
            assert_eq!(lookup(&t, &k), m.get(&k).cloned());
            assert_eq!(t.len(), m.len());
            if n % 5_000 == 0 {
                t.check_invariants();
            }
        }
        check(&t, &m);
        // Mass deletion down to ~1% (shrinks), in random order.
        let mut live: Vec<_> = m.keys().cloned().collect();
        live.sort_by_key(|k| key_hash(k) ^ round);
        for k in live.drain(..live.len() * 99 / 100) {
            let before = (t.capacity(), t.rebuilds);
            assert_eq!(t.remove(key_hash(&k), &k).map(|e| val(&e)), m.remove(&k));
            rs.observe(before, &t);
            assert_eq!(lookup(&t, &k), None);
        }
        check(&t, &m);
        // Churn at a steady size with fresh keys: tombstones pile up until
        // a same-size rebuild. Some replaces and misses on the way.
        for n in 0..60_000u64 {
            let before = (t.capacity(), t.rebuilds);
            let k = match rng.gen_range(0..10) {
                0..=3 => {
                    let k = key(base + 500_000 + n);
                    assert!(ins(&mut t, &k, b"new").is_none());
                    m.insert(k.clone(), b"new".to_vec());
                    live.push(k.clone());
                    k
                }
                4..=7 if !live.is_empty() => {
                    let k = live.swap_remove(rng.gen_range(0..live.len()));
                    assert_eq!(t.remove(key_hash(&k), &k).map(|e| val(&e)), m.remove(&k));
                    k
                }
                8 if !live.is_empty() => {
                    let k = live[rng.gen_range(0..live.len())].clone();
                    assert_eq!(ins(&mut t, &k, b"again").map(|e| val(&e)), m.insert(k.clone(), b"again".to_vec()));
                    k
                }
                _ => key(base + 900_000 + n),
            };
            rs.observe(before, &t);
            assert_eq!(lookup(&t, &k), m.get(&k).cloned());
            assert_eq!(t.len(), m.len());
            if n % 5_000 == 0 {
                t.check_invariants();
            }
        }
        check(&t, &m);
    }
    println!("{rs:?}");
    assert!(rs.grows >= 10 && rs.shrinks >= 5 && rs.same_size >= 3, "{rs:?}");
}

#[test]
fn tiny_tables_and_empty_keys() {
    let mut t = Table::new();
    assert_eq!((t.capacity(), t.find(key_hash(b""), b"")), (0, None));
    assert!(t.remove(key_hash(b"x"), b"x").is_none());
    assert_eq!(t.scan(0, 10, |_| panic!()), 0);
    assert!(t.random(1).is_none());
    ins(&mut t, b"", b"empty");
    assert_eq!(t.capacity(), MIN_CAP);
    assert_eq!(lookup(&t, b"").as_deref(), Some(&b"empty"[..]));
    for i in 0..3 {
        ins(&mut t, &key(i), b"v");
    }
    t.check_invariants();
    for i in 0..3 {
        assert!(t.remove(key_hash(&key(i)), &key(i)).is_some());
        t.check_invariants();
    }
    assert!(t.remove(key_hash(b""), b"").is_some());
    assert_eq!((t.len(), t.capacity()), (0, MIN_CAP));
    t.check_invariants();
}

/// Full scan from cursor 0 with the table left alone.
fn scan_all(t: &Table, count: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut c = 0;
    loop {
        c = t.scan(c, count, |e| out.push(e.key().to_vec()));
        if c == 0 {
            return out;
        }
    }
}

#[test]
fn undisturbed_scan_visits_each_key_once() {
    let mut t = Table::new();
    for i in 0..10_000 {
        ins(&mut t, &key(i), b"v");
    }
    for i in (0..10_000).step_by(3) {
        t.remove(key_hash(&key(i)), &key(i));
    }
    for count in [1, 10, 1000] {
        let seen = scan_all(&t, count);
        let set: HashSet<_> = seen.iter().cloned().collect();
        assert_eq!((seen.len(), set.len()), (t.len(), t.len()));
    }
}

#[test]
fn scan_guarantee_across_grows_and_shrinks() {
    for seed in 0..6 {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut t = Table::new();
        let stable: Vec<Vec<u8>> = (0..300).map(|i| format!("stable:{seed}:{i}").into_bytes()).collect();
        for k in &stable {
            ins(&mut t, k, b"s");
        }
        let mut transient: Vec<Vec<u8>> = Vec::new();
        let mut next = 0u64;
        let mut seen = HashSet::new();
        let mut rs = Resizes::default();
        let mut cursor = 0;
        let mut steps = 0;
        loop {
            cursor = t.scan(cursor, rng.gen_range(1..4), |e| {
                seen.insert(e.key().to_vec());
            });
            if cursor == 0 {
                break;
            }
            steps += 1;
            // Between steps: a wave of growth, a mass deletion, or churn.
            let before = (t.capacity(), t.rebuilds);
            match (steps / 4) % 3 {
                0 => {
                    for _ in 0..rng.gen_range(200..2_000) {
                        let k = format!("tmp:{next}").into_bytes();
                        next += 1;
                        ins(&mut t, &k, b"t");
                        transient.push(k);
                    }
                }
                1 => {
                    let keep = transient.len() * rng.gen_range(0..20) / 100;
                    for k in transient.drain(keep..) {
                        assert!(t.remove(key_hash(&k), &k).is_some());
                    }
                }
                _ => {
                    for _ in 0..rng.gen_range(50..500) {
                        let k = format!("tmp:{next}").into_bytes();
                        next += 1;
                        ins(&mut t, &k, b"t");
                        if !transient.is_empty() {
                            let old = transient.swap_remove(rng.gen_range(0..transient.len()));
                            t.remove(key_hash(&old), &old);
                        }
                        transient.push(k);
                    }
                }
            }
            rs.observe(before, &t);
            assert!(steps < 100_000, "scan does not terminate");
        }
        t.check_invariants();
        for k in &stable {
            assert!(seen.contains(k), "seed {seed}: missed {}", String::from_utf8_lossy(k));
        }
        assert!(rs.grows >= 3 && rs.shrinks >= 3, "seed {seed}: {rs:?} in {steps} steps");
    }
}

#[test]
fn cursor_is_below_capacity_and_garbage_cursors_are_safe() {
    let mut t = Table::new();
    for i in 0..1000 {
        ins(&mut t, &key(i), b"v");
    }
    let mut c = 0;
    loop {
        c = t.scan(c, 5, |_| {});
        assert!((c as usize) < t.capacity());
        if c == 0 {
            break;
        }
    }
    for c in [u64::MAX, 1 << 63, 12345678901234567, 3] {
        let n = t.scan(c, 5, |_| {});
        assert!((n as usize) < t.capacity());
    }
}

#[test]
fn random_returns_only_live_entries() {
    let mut t = Table::new();
    let mut live = HashSet::new();
    for i in 0..5_000 {
        ins(&mut t, &key(i), b"v");
        live.insert(key(i));
    }
    // Remove 95%: the table is left sparse (just above the shrink point
    // after shrinking) with many tombstones.
    for i in 0..5_000 {
        if i % 20 != 0 {
            t.remove(key_hash(&key(i)), &key(i));
            live.remove(&key(i));
        }
    }
    let mut rng = SmallRng::seed_from_u64(3);
    let mut hits = HashSet::new();
    for _ in 0..20_000 {
        let e = t.random(rng.gen()).expect("non-empty");
        assert!(live.contains(e.key()));
        hits.insert(e.key().to_vec());
    }
    // 250 live keys, 20k draws: a reasonable spread reaches nearly all.
    assert!(hits.len() > 240, "only {} distinct", hits.len());
    let mut one = Table::new();
    ins(&mut one, b"only", b"v");
    for r in 0..100 {
        assert_eq!(one.random(r).map(|e| e.key()), Some(&b"only"[..]));
    }
}

#[test]
fn memory_per_key_at_100k() {
    let mut t = Table::new();
    for i in 0..100_000 {
        ins(&mut t, &key(i), b"v");
    }
    let per_key = t.table_bytes() as f64 / t.len() as f64;
    println!("100k keys: {} slots, {:.2} table bytes/key", t.capacity(), per_key);
    assert_eq!(std::mem::size_of::<Option<Entry>>(), 8);
    assert!(per_key < 20.0, "{per_key:.2} bytes/key");
}
