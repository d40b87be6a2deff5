//! The sorted set against a simple model (a sorted Vec), in both
//! encodings and across conversions.

use super::*;
use rand::{rngs::StdRng, Rng, SeedableRng};

type Model = Vec<(f64, Vec<u8>)>;

fn sorted(m: &Model) -> Model {
    let mut v = m.clone();
    v.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then_with(|| a.1.cmp(&b.1)));
    v
}

fn contents(z: &ZSet) -> Model {
    z.iter().map(|(m, s)| (s, m.to_vec())).collect()
}

fn check(z: &ZSet, m: &Model) {
    let want = sorted(m);
    assert_eq!(contents(z), want);
    assert_eq!(z.len(), want.len());
    if let ZSet::Skiplist(s) = z {
        s.check();
    }
    let rev: Model = z.iter_from(0, true).map(|(m, s)| (s, m.to_vec())).collect();
    assert_eq!(rev, want.iter().rev().cloned().collect::<Model>());
    for (i, (s, mem)) in want.iter().enumerate() {
        assert_eq!(z.rank(mem, false), Some((i, *s)));
        assert_eq!(z.rank(mem, true), Some((want.len() - 1 - i, *s)));
        assert_eq!(z.score(mem), Some(*s));
        assert_eq!(z.at(i).map(|(m, s)| (s, m.to_vec())), Some((*s, mem.clone())));
        let from: Model = z.iter_from(i, false).map(|(m, s)| (s, m.to_vec())).collect();
        assert_eq!(from, want[i..].to_vec());
    }
}

const MEMBERS: &[&[u8]] = &[b"a", b"b", b"c", b"dd", b"e", b"ffff", b"g", b"h", b"", b"zz", b"member-10", b"x"];
const SCORES: &[f64] = &[0.0, 1.0, 1.0, 2.0, -1.0, 2.5, 100.0, -3.25, f64::INFINITY, f64::NEG_INFINITY, 1e300, 7.0];

fn score_range(rng: &mut StdRng) -> ScoreRange {
    let a = SCORES[rng.gen_range(0..SCORES.len())];
    let b = SCORES[rng.gen_range(0..SCORES.len())];
    ScoreRange { min: a.min(b), max: if rng.gen_bool(0.1) { a.min(b) - 1.0 } else { a.max(b) }, minex: rng.gen(), maxex: rng.gen() }
}

#[test]
fn random_operations_match_the_model() {
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..300 {
        let lim = Limits { max_entries: rng.gen_range(0..10), max_value: rng.gen_range(0..6) };
        let mut z = ZSet::new_for(0, 0, lim);
        let mut m: Model = Vec::new();
        for _ in 0..60 {
            let member = MEMBERS[rng.gen_range(0..MEMBERS.len())];
            let score = SCORES[rng.gen_range(0..SCORES.len())];
            match rng.gen_range(0..10) {
                0..=4 => {
                    let f = AddFlags { incr: rng.gen_bool(0.2), nx: rng.gen_bool(0.1), xx: rng.gen_bool(0.1), gt: false, lt: false };
                    let r = z.add(score, member, f, lim);
                    let cur = m.iter().position(|(_, x)| x == member);
                    match cur {
                        Some(i) if !f.nx => {
                            let new = if f.incr { m[i].0 + score } else { score };
                            if new.is_nan() {
                                assert_eq!(r, Added::Nan);
                            } else if new == m[i].0 {
                                assert_eq!(r, Added::Same(new));
                            } else {
                                assert_eq!(r, Added::Updated(new));
                                m[i].0 = new;
                            }
                        }
                        Some(_) => assert_eq!(r, Added::Nop),
                        None if f.xx => assert_eq!(r, Added::Nop),
                        None => {
                            assert_eq!(r, Added::Added(score));
                            m.push((score, member.to_vec()));
                        }
                    }
                }
                5 => {
                    let had = m.iter().position(|(_, x)| x == member);
                    assert_eq!(z.remove(member), had.is_some());
                    if let Some(i) = had {
                        m.remove(i);
                    }
                }
                6 => {
                    let r = score_range(&mut rng);
                    let want = sorted(&m);
                    let inr: Vec<_> = want.iter().filter(|(s, _)| r.gte_min(*s) && r.lte_max(*s)).cloned().collect();
                    assert_eq!(z.count_score(&r), inr.len());
                    let first = want.iter().position(|(s, _)| r.gte_min(*s) && r.lte_max(*s));
                    assert_eq!(z.score_start(&r, false), first);
                    let last = want.iter().rev().position(|(s, _)| r.gte_min(*s) && r.lte_max(*s));
                    assert_eq!(z.score_start(&r, true), last);
                    if rng.gen_bool(0.3) {
                        assert_eq!(z.remove_score_range(&r), inr.len());
                        m.retain(|(s, _)| !(r.gte_min(*s) && r.lte_max(*s)));
                    }
                }
                7 => {
                    let len = m.len();
                    if len > 0 {
                        let a = rng.gen_range(0..len);
                        let b = rng.gen_range(a..len);
                        assert_eq!(z.remove_rank_range(a, b), b - a + 1);
                        let want = sorted(&m);
                        m = want[..a].iter().chain(&want[b + 1..]).cloned().collect();
                    }
                }
                8 => {
                    let max = rng.gen();
                    let n = rng.gen_range(0..4);
                    let want = sorted(&m);
                    let got = z.pop_n(max, n);
                    let expect: Vec<_> = if max { want.iter().rev().take(n).collect::<Vec<_>>() } else { want.iter().take(n).collect() };
                    let expect: Vec<_> = expect.into_iter().map(|(s, x)| (x.clone(), *s)).collect();
                    assert_eq!(got, expect);
                    for (x, _) in got {
                        m.retain(|(_, y)| *y != x);
                    }
                    if let Some((x, _)) = z.pop(max) {
                        m.retain(|(_, y)| *y != x);
                    }
                }
                _ => {
                    let c = z.clone();
                    check(&c, &m);
                    assert_eq!(c.encoding_name(), z.encoding_name());
                }
            }
            check(&z, &m);
        }
    }
}

#[test]
fn lex_ranges_on_equal_scores() {
    let lim = Limits { max_entries: 128, max_value: 64 };
    for big in [false, true] {
        let mut z = ZSet::new_for(if big { 1000 } else { 0 }, 0, lim);
        for m in [b"a", b"b", b"c", b"d", b"e"] {
            z.add(0.0, m, AddFlags::default(), lim);
        }
        assert_eq!(z.encoding_name(), if big { "skiplist" } else { "listpack" });
        let r = LexRange { min: LexBound::Incl(b"b"), max: LexBound::Excl(b"d") };
        assert_eq!(z.count_lex(&r), 2);
        assert_eq!(z.lex_start(&r, false), Some(1));
        assert_eq!(z.lex_start(&r, true), Some(2));
        let all = LexRange { min: LexBound::Min, max: LexBound::Max };
        assert_eq!(z.count_lex(&all), 5);
        assert!(LexRange { min: LexBound::Max, max: LexBound::Min }.is_empty());
        assert!(LexRange { min: LexBound::Min, max: LexBound::Min }.is_empty());
        assert!(LexRange { min: LexBound::Excl(b"a"), max: LexBound::Incl(b"a") }.is_empty());
        assert!(!LexRange { min: LexBound::Incl(b"a"), max: LexBound::Incl(b"a") }.is_empty());
        assert_eq!(z.count_lex(&LexRange { min: LexBound::Max, max: LexBound::Max }), 0);
        assert_eq!(z.remove_lex_range(&r), 2);
        assert_eq!(contents(&z).iter().map(|(_, m)| m.clone()).collect::<Vec<_>>(), vec![b"a".to_vec(), b"d".to_vec(), b"e".to_vec()]);
    }
}

#[test]
fn conversions_follow_the_thresholds() {
    let lim = Limits { max_entries: 3, max_value: 4 };
    let mut z = ZSet::new_for(3, 4, lim);
    assert!(z.is_listpack());
    for (i, m) in [b"a", b"b", b"c"].iter().enumerate() {
        assert_eq!(z.add(i as f64, *m, AddFlags::default(), lim), Added::Added(i as f64));
    }
    assert!(z.is_listpack());
    z.add(9.0, b"d", AddFlags::default(), lim);
    assert_eq!(z.encoding_name(), "skiplist");
    let mut z = ZSet::new_for(1, 1, lim);
    z.add(1.0, b"long!", AddFlags::default(), lim);
    assert_eq!(z.encoding_name(), "skiplist");
    assert!(!ZSet::new_for(4, 1, lim).is_listpack());
    assert!(!ZSet::new_for(1, 5, lim).is_listpack());
    let mut z = ZSet::new_for(1, 1, lim);
    z.maybe_convert(4, lim);
    assert!(!z.is_listpack());
    let items: Vec<(Vec<u8>, f64)> = vec![(b"a".to_vec(), 1.0), (b"b".to_vec(), 2.0)];
    assert!(ZSet::from_sorted(&items, lim).is_listpack());
    let z = ZSet::from_sorted(&items, Limits { max_entries: 1, max_value: 4 });
    assert!(!z.is_listpack());
    assert_eq!(contents(&z), vec![(1.0, b"a".to_vec()), (2.0, b"b".to_vec())]);
}

#[test]
fn negative_zero_is_kept_only_by_the_skiplist() {
    let lim = Limits { max_entries: 128, max_value: 64 };
    let mut small = ZSet::new_for(1, 1, lim);
    small.add(-0.0, b"a", AddFlags::default(), lim);
    assert!(small.score(b"a").unwrap().is_sign_positive());
    let mut big = ZSet::new_for(1000, 1, lim);
    big.add(-0.0, b"a", AddFlags::default(), lim);
    assert!(big.score(b"a").unwrap().is_sign_negative());
    // Re-adding 0 is "the same score": the sign stays.
    assert_eq!(big.add(0.0, b"a", AddFlags::default(), lim), Added::Same(0.0));
    assert!(big.score(b"a").unwrap().is_sign_negative());
}

#[test]
fn nan_increments_and_gt_lt() {
    let lim = Limits { max_entries: 128, max_value: 64 };
    for hint in [0, 1000] {
        let mut z = ZSet::new_for(hint, 0, lim);
        z.add(f64::INFINITY, b"a", AddFlags::default(), lim);
        let incr = AddFlags { incr: true, ..Default::default() };
        assert_eq!(z.add(f64::NEG_INFINITY, b"a", incr, lim), Added::Nan);
        assert_eq!(z.add(f64::NAN, b"b", AddFlags::default(), lim), Added::Nan);
        assert_eq!(z.score(b"a"), Some(f64::INFINITY));
        z.add(5.0, b"b", AddFlags::default(), lim);
        assert_eq!(z.add(4.0, b"b", AddFlags { gt: true, ..Default::default() }, lim), Added::Nop);
        assert_eq!(z.add(6.0, b"b", AddFlags { gt: true, ..Default::default() }, lim), Added::Updated(6.0));
        assert_eq!(z.add(7.0, b"b", AddFlags { lt: true, ..Default::default() }, lim), Added::Nop);
        assert_eq!(z.add(1.0, b"c", AddFlags { lt: true, ..Default::default() }, lim), Added::Added(1.0));
    }
}

#[test]
fn big_skiplist_ranks_and_scan() {
    let mut s = SkipList::new();
    let n = 5000;
    for i in 0..n {
        s.insert(((i * 7919) % n) as f64, format!("m{i}").as_bytes());
    }
    s.check();
    for i in (0..n).step_by(97) {
        let m = format!("m{i}");
        let (r, score) = s.rank(m.as_bytes()).unwrap();
        assert_eq!(r as f64, score, "scores are a permutation of 0..n");
        assert_eq!(s.iter_from(r, false).next().unwrap().0, m.as_bytes());
    }
    let mut seen = std::collections::HashSet::new();
    let mut cursor = 0;
    loop {
        cursor = s.scan(cursor, 10, |m, _| {
            seen.insert(m.to_vec());
        });
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(seen.len(), n);
    assert_eq!(s.remove_rank_range(10, 4009), 4000);
    s.check();
    for i in 0..n {
        s.remove(format!("m{i}").as_bytes());
    }
    s.check();
    assert!(s.is_empty());
}

/// The memory bar's shape (20 members "m1".."m20" scored 1..20): one
/// byte of header for the 15 entries with scores below 16, two for the
/// rest, no other overhead.
#[test]
fn compact_size_of_twenty_small_members() {
    let lim = Limits { max_entries: 128, max_value: 64 };
    let mut z = ZSet::new_for(20, 2, lim);
    for j in 1..=20 {
        z.add(j as f64, format!("m{j}").as_bytes(), AddFlags::default(), lim);
    }
    let members: usize = (1..=20).map(|j| format!("m{j}").len()).sum();
    assert_eq!(z.mem_usage(), members + 15 + 5 * 2);
    assert!(std::mem::size_of::<ZSet>() <= 24, "fits an Object without growing it");
}

/// The bench's shape (scores around 100000, 9-byte members): 13 bytes an
/// entry, and a bulk add into an empty set reserves exactly once.
#[test]
fn bulk_add_reserves_exactly() {
    let lim = Limits { max_entries: 128, max_value: 64 };
    let mut z = ZSet::new_for(20, 9, lim);
    let items: Vec<(f64, Vec<u8>)> = (0..20).map(|j| ((100_000 + j) as f64, format!("member:{j:02}").into_bytes())).collect();
    z.reserve_new(items.iter().map(|(s, m)| (*s, m.len())));
    assert_eq!(z.mem_usage(), 20 * 13);
    for (s, m) in &items {
        z.add(*s, m, AddFlags::default(), lim);
    }
    z.fit();
    assert_eq!(z.mem_usage(), 20 * 13, "no spare room left");
    assert_eq!(z.len(), 20);
    // Repeated members reserve more than they use: fit gives it back.
    let mut d = ZSet::new_for(2, 1, lim);
    d.reserve_new([(1.0, 1), (2.0, 1)].into_iter());
    d.add(1.0, b"a", AddFlags::default(), lim);
    d.add(2.0, b"a", AddFlags::default(), lim);
    d.fit();
    assert_eq!((d.mem_usage(), d.score(b"a")), (2, Some(2.0)));
    // A set that is not empty reserves nothing.
    d.reserve_new([(1.0, 1000)].into_iter());
    assert_eq!(d.mem_usage(), 2);
}
