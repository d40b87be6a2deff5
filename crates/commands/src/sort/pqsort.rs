//! Partial quicksort as Redis does it for SORT ... LIMIT and for geo
//! searches with COUNT: Bentley & McIlroy's three-way quicksort (median of
//! three, ninther above 40 elements, insertion sort below 7 or when a
//! partition pass swapped nothing) that skips partitions lying entirely
//! outside the wanted range.
//!
//! It is not stable, so elements that compare equal can end up in an order
//! a full sort would not give; replies must match Redis even then, which
//! is why the same pivot choices and swaps are made here, step by step.

use std::cmp::Ordering;

/// Sort `v` so that positions `lrange..=rrange` hold what a full sort
/// would put there (`rrange` may be below `lrange`, e.g. -1: then only the
/// top-level partitioning happens, as in Redis).
pub fn pqsort<T>(v: &mut [T], cmp: &mut dyn FnMut(&T, &T) -> Ordering, lrange: i64, rrange: i64) {
    // Redis compares byte addresses: the range is [lrange*es, (rrange+1)*es-1]
    // and a partition [lo, lo+n) spans [lo*es, (lo+n)*es-1]. Any es > 0
    // orders the same way; 2 keeps "-1" distinct from 0.
    let (lb, rb) = (lrange.saturating_mul(2), rrange.saturating_add(1).saturating_mul(2) - 1);
    let n = v.len();
    run(v, 0, n, cmp, lb, rb);
}

fn run<T>(v: &mut [T], mut a: usize, mut n: usize, cmp: &mut dyn FnMut(&T, &T) -> Ordering, lb: i64, rb: i64) {
    let c = |cmp: &mut dyn FnMut(&T, &T) -> Ordering, v: &[T], i: usize, j: usize| cmp(&v[i], &v[j]);
    loop {
        if n < 7 {
            insertion(v, a, n, cmp);
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        let mut swapped = false;
        loop {
            while pb <= pc {
                let r = c(cmp, v, pb, a);
                if r == Ordering::Greater {
                    break;
                }
                if r == Ordering::Equal {
                    swapped = true;
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let r = c(cmp, v, pc, a);
                if r == Ordering::Less {
                    break;
                }
                if r == Ordering::Equal {
                    swapped = true;
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            swapped = true;
            pb += 1;
            pc -= 1;
        }
        if !swapped {
            insertion(v, a, n, cmp);
            return;
        }
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        vecswap(v, a, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        vecswap(v, pb, pn - r, r);
        let outside = |lo: usize, len: usize| {
            let (l, r) = ((lo as i64) * 2, ((lo + len) as i64) * 2 - 1);
            (lb < l && rb < l) || (lb > r && rb > r)
        };
        let r = pb - pa;
        if r > 1 && !outside(a, r) {
            run(v, a, r, cmp, lb, rb);
        }
        let r = pd - pc;
        if r > 1 {
            a = pn - r;
            n = r;
            if !outside(a, n) {
                continue;
            }
        }
        return;
    }
}

fn insertion<T>(v: &mut [T], a: usize, n: usize, cmp: &mut dyn FnMut(&T, &T) -> Ordering) {
    for pm in a + 1..a + n {
        let mut pl = pm;
        while pl > a && cmp(&v[pl - 1], &v[pl]) == Ordering::Greater {
            v.swap(pl, pl - 1);
            pl -= 1;
        }
    }
}

fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &mut dyn FnMut(&T, &T) -> Ordering) -> usize {
    use Ordering::*;
    if cmp(&v[a], &v[b]) == Less {
        if cmp(&v[b], &v[c]) == Less {
            b
        } else if cmp(&v[a], &v[c]) == Less {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) == Greater {
        b
    } else if cmp(&v[a], &v[c]) == Less {
        a
    } else {
        c
    }
}

/// Swap the `n` elements at `i` with the `n` at `j` (non-overlapping).
fn vecswap<T>(v: &mut [T], i: usize, j: usize, n: usize) {
    for k in 0..n {
        v.swap(i + k, j + k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        *seed >> 33
    }

    #[test]
    fn full_range_sorts_everything() {
        let mut seed = 7;
        for n in [0usize, 1, 5, 7, 8, 39, 41, 200, 1000] {
            let mut v: Vec<u64> = (0..n).map(|_| lcg(&mut seed) % 50).collect();
            let mut want = v.clone();
            want.sort();
            let hi = n as i64 - 1;
            pqsort(&mut v, &mut |a, b| a.cmp(b), 0, hi);
            assert_eq!(v, want, "n={n}");
        }
    }

    #[test]
    fn partial_range_is_in_place() {
        let mut seed = 11;
        for (lo, hi) in [(0i64, 0i64), (0, 9), (10, 19), (990, 999), (500, 499)] {
            let mut v: Vec<u64> = (0..1000).map(|_| lcg(&mut seed) % 10_000).collect();
            let mut want = v.clone();
            want.sort();
            pqsort(&mut v, &mut |a, b| a.cmp(b), lo, hi);
            if hi >= lo {
                assert_eq!(&v[lo as usize..=hi as usize], &want[lo as usize..=hi as usize]);
            }
            let mut all = v.clone();
            all.sort();
            assert_eq!(all, want, "a permutation");
        }
    }
}
