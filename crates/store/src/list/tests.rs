use super::limits::{lp_entry_size, LP_EMPTY};
use super::*;
use rand::{Rng, SeedableRng};

fn items(l: &List) -> Vec<Vec<u8>> {
    l.iter().map(<[u8]>::to_vec).collect()
}

/// Structural invariants: counts add up, no empty nodes, lp sizes exact.
fn check(l: &List) {
    let nodes: Vec<&Node> = match &l.repr {
        Repr::Pack(n) => vec![n],
        Repr::Quick(q) => {
            assert_eq!(q.count, q.nodes.iter().map(Node::len).sum::<usize>());
            assert!(q.nodes.iter().all(|n| n.len() > 0), "no empty nodes");
            q.nodes.iter().collect()
        }
    };
    for n in nodes {
        let lp: usize = LP_EMPTY + n.iter().map(lp_entry_size).sum::<usize>();
        if n.is_plain() {
            assert_eq!(n.len(), 1);
        } else {
            assert_eq!(n.lp_bytes(), lp);
        }
    }
    let fwd = items(l);
    assert_eq!(fwd.len(), l.len());
    let mut rev: Vec<Vec<u8>> = if l.is_empty() { vec![] } else { l.iter_from(l.len() - 1, true).map(<[u8]>::to_vec).collect() };
    rev.reverse();
    assert_eq!(fwd, rev);
}

fn push_all(l: &mut List, side: Side, vals: &[&[u8]], fill: i64) {
    l.grow_check(vals.iter().map(|v| v.len()).sum(), vals.len(), fill);
    l.reserve_for(side, vals.iter().map(|v| v.len()));
    for v in vals {
        l.push(side, v);
    }
}

#[test]
fn conversion_points_match_redis() {
    // Measured on Redis 8.2 with list-max-listpack-size -1, one RPUSH at
    // a time: integers convert at length 1363, 4-byte strings at 682, and
    // popping goes back to listpack at length 340.
    for (val, at) in [(&b"1234"[..], 1363), (b"abcd", 682)] {
        let mut l = List::new();
        let mut n = 0;
        while l.encoding_name() == "listpack" {
            push_all(&mut l, Side::Right, &[val], -1);
            n += 1;
        }
        assert_eq!(n, at);
    }
    let mut l = List::new();
    for _ in 0..682 {
        push_all(&mut l, Side::Right, &[b"abcd"], -1);
    }
    assert_eq!(l.quicklist_stats(), Some((2, 4106)));
    while l.encoding_name() == "quicklist" {
        l.pop(Side::Right);
        l.shrink_check(-1);
    }
    assert_eq!(l.len(), 340);
    check(&l);
}

#[test]
fn large_elements_get_plain_nodes() {
    let mut l = List::new();
    let (a, b, c) = (vec![b'a'; 100], vec![b'b'; 5000], vec![b'c'; 100]);
    push_all(&mut l, Side::Right, &[&a], -1);
    push_all(&mut l, Side::Right, &[&b], -1);
    push_all(&mut l, Side::Right, &[&c], -1);
    assert_eq!(l.encoding_name(), "quicklist");
    assert_eq!(l.quicklist_stats(), Some((3, 5220)));
    l.pop(Side::Left);
    l.pop(Side::Right);
    l.shrink_check(-1);
    assert_eq!(l.encoding_name(), "quicklist", "a plain node never converts back");
    assert_eq!(items(&l), vec![b]);
}

#[test]
fn count_fill_and_lset_quirk() {
    // Positive fill: entries per node. LSET checks growth as if adding one.
    let mut l = List::new();
    push_all(&mut l, Side::Right, &[b"a", b"b", b"c"], 3);
    assert_eq!(l.encoding_name(), "listpack");
    l.grow_check(1, 1, 3);
    assert_eq!(l.encoding_name(), "quicklist");
    l.shrink_check(3);
    assert_eq!(l.encoding_name(), "quicklist", "3 > 3/2");
    l.pop(Side::Left);
    l.pop(Side::Left);
    l.shrink_check(3);
    assert_eq!(l.encoding_name(), "listpack");
}

#[test]
fn indexes_and_iteration_across_nodes() {
    let mut l = List::new();
    let vals: Vec<Vec<u8>> = (0..1000).map(|i| format!("{i}").into_bytes()).collect();
    for v in &vals {
        push_all(&mut l, Side::Right, &[v], 4);
    }
    assert_eq!(l.encoding_name(), "quicklist");
    assert_eq!(l.quicklist_stats().map(|s| s.0), Some(250));
    for (i, v) in vals.iter().enumerate() {
        assert_eq!(l.get(i), Some(&v[..]));
    }
    assert_eq!(l.get(1000), None);
    assert_eq!(l.resolve(-1), Some(999));
    assert_eq!(l.resolve(-1000), Some(0));
    assert_eq!(l.resolve(-1001), None);
    assert_eq!(l.resolve(i64::MIN), None);
    let back: Vec<_> = l.iter_from(500, true).take(3).map(<[u8]>::to_vec).collect();
    assert_eq!(back, vec![vals[500].clone(), vals[499].clone(), vals[498].clone()]);
    assert_eq!(l.iter_from(997, false).count(), 3);
    let mut found = vec![];
    l.positions(b"7", 1, 0, false, |p| {
        found.push(p);
        true
    });
    assert_eq!(found, vec![7]);
    check(&l);
}

#[test]
fn remove_insert_set_on_both_forms() {
    for fill in [-2, 2] {
        let mut l = List::new();
        push_all(&mut l, Side::Right, &[b"x", b"a", b"x", b"b", b"x", b"c", b"x"], fill);
        assert_eq!(l.remove(b"x", 2, true), 2);
        assert_eq!(items(&l), [&b"x"[..], b"a", b"x", b"b", b"c"].map(<[u8]>::to_vec));
        assert_eq!(l.remove(b"x", 0, false), 2);
        assert_eq!(items(&l), [&b"a"[..], b"b", b"c"].map(<[u8]>::to_vec));
        assert!(l.insert(b"b", b"new", true));
        assert!(l.insert(b"a", b"first", false));
        assert!(!l.insert(b"zz", b"never", false));
        l.set(0, b"F");
        l.set(4, b"C");
        assert_eq!(items(&l), [&b"F"[..], b"a", b"b", b"new", b"C"].map(<[u8]>::to_vec));
        l.del_range(1, 3);
        assert_eq!(items(&l), [&b"F"[..], b"C"].map(<[u8]>::to_vec));
        check(&l);
    }
}

/// Random operations on both forms against a plain vector model.
#[test]
fn random_operations_match_a_model() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let pool: Vec<Vec<u8>> = vec![
        b"a".to_vec(),
        b"b".to_vec(),
        b"12".to_vec(),
        b"007".to_vec(),
        b"".to_vec(),
        vec![b'm'; 100],
        vec![b'L'; 5000],
        vec![b'H'; 9000],
    ];
    for fill in [-1i64, -2, 0, 1, 3, 7] {
        let mut l = List::new();
        let mut model: std::collections::VecDeque<Vec<u8>> = Default::default();
        for step in 0..3000 {
            let v = &pool[rng.gen_range(0..pool.len())];
            match rng.gen_range(0..10) {
                0..=2 => {
                    let side = if rng.gen_bool(0.5) { Side::Left } else { Side::Right };
                    let n = rng.gen_range(1..4);
                    let vals: Vec<&[u8]> = (0..n).map(|_| &pool[rng.gen_range(0..pool.len())][..]).collect();
                    push_all(&mut l, side, &vals, fill);
                    for v in vals {
                        if side == Side::Left {
                            model.push_front(v.to_vec());
                        } else {
                            model.push_back(v.to_vec());
                        }
                    }
                }
                3 => {
                    let side = if rng.gen_bool(0.5) { Side::Left } else { Side::Right };
                    let got = l.pop(side);
                    let want = if side == Side::Left { model.pop_front() } else { model.pop_back() };
                    assert_eq!(got, want);
                    l.shrink_check(fill);
                }
                4 if !model.is_empty() => {
                    let i = rng.gen_range(0..model.len());
                    l.grow_check(v.len(), 1, fill);
                    l.set(i, v);
                    model[i] = v.clone();
                    l.shrink_check(fill);
                }
                5 => {
                    let pivot = &pool[rng.gen_range(0..pool.len())];
                    let after = rng.gen_bool(0.5);
                    l.grow_check(v.len(), 1, fill);
                    let ok = l.insert(pivot, v, after);
                    match model.iter().position(|e| e == pivot) {
                        Some(p) => {
                            assert!(ok);
                            model.insert(if after { p + 1 } else { p }, v.clone());
                        }
                        None => assert!(!ok),
                    }
                }
                6 => {
                    let limit = rng.gen_range(0..3);
                    let tail = rng.gen_bool(0.5);
                    let n = l.remove(v, limit, tail);
                    let mut removed = 0;
                    let idxs: Vec<usize> = if tail { (0..model.len()).rev().collect() } else { (0..model.len()).collect() };
                    let mut drop = vec![];
                    for i in idxs {
                        if limit != 0 && removed == limit {
                            break;
                        }
                        if model[i] == *v {
                            drop.push(i);
                            removed += 1;
                        }
                    }
                    drop.sort_unstable();
                    for i in drop.into_iter().rev() {
                        model.remove(i);
                    }
                    assert_eq!(n, removed);
                    l.shrink_check(fill);
                }
                7 if !model.is_empty() => {
                    let start = rng.gen_range(0..model.len());
                    let n = rng.gen_range(0..5);
                    l.del_range(start, n);
                    for _ in 0..n.min(model.len() - start) {
                        model.remove(start);
                    }
                    l.shrink_check(fill);
                }
                _ if !model.is_empty() => {
                    let i = rng.gen_range(0..model.len());
                    assert_eq!(l.get(i), Some(&model[i][..]));
                }
                _ => {}
            }
            assert_eq!(l.len(), model.len(), "fill {fill} step {step}");
            if step % 50 == 0 || l.len() < 20 {
                assert_eq!(items(&l), Vec::from(model.clone()), "fill {fill} step {step}");
                check(&l);
            }
        }
    }
}

#[test]
fn clone_keeps_contents_and_encoding() {
    let mut l = List::new();
    for i in 0..3000 {
        push_all(&mut l, Side::Left, &[format!("e{i}").as_bytes()], -2);
    }
    let c = l.clone();
    assert_eq!(c.encoding_name(), "quicklist");
    assert_eq!(items(&c), items(&l));
    assert_eq!(c.quicklist_stats(), l.quicklist_stats());
    assert!(l.free_effort() > 1);
    assert!(l.mem_usage() > 3000 * 5);
}

#[test]
fn list_does_not_grow_object() {
    // A list value sits in every Object; keep it no bigger than a Vec.
    assert!(std::mem::size_of::<List>() <= std::mem::size_of::<Vec<u8>>());
}
