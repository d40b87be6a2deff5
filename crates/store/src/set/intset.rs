//! Redis' "intset": a sorted array of integers stored at the narrowest
//! width (16, 32 or 64 bits) that fits every member. Adding a wider value
//! upgrades the whole array; removals never downgrade it (as in Redis), so
//! the width records the widest value the set ever held.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IntSet {
    W16(Vec<i16>),
    W32(Vec<i32>),
    W64(Vec<i64>),
}

impl Default for IntSet {
    fn default() -> Self {
        IntSet::W16(Vec::new())
    }
}

/// Where `v` is, or where it would be inserted.
#[inline]
fn search<T: Copy + Ord + TryFrom<i64>>(a: &[T], v: i64) -> Result<usize, usize> {
    match T::try_from(v) {
        Ok(t) => a.binary_search(&t),
        // Wider than every stored value: below all if negative, else above.
        Err(_) => Err(if v < 0 { 0 } else { a.len() }),
    }
}

impl IntSet {
    pub fn new() -> IntSet {
        IntSet::default()
    }

    #[inline]
    pub fn len(&self) -> usize {
        match self {
            IntSet::W16(a) => a.len(),
            IntSet::W32(a) => a.len(),
            IntSet::W64(a) => a.len(),
        }
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The i-th smallest member.
    #[inline]
    pub fn get(&self, i: usize) -> Option<i64> {
        match self {
            IntSet::W16(a) => a.get(i).map(|&v| v as i64),
            IntSet::W32(a) => a.get(i).map(|&v| v as i64),
            IntSet::W64(a) => a.get(i).copied(),
        }
    }

    pub fn min(&self) -> Option<i64> {
        self.get(0)
    }

    pub fn max(&self) -> Option<i64> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    pub fn contains(&self, v: i64) -> bool {
        match self {
            IntSet::W16(a) => search(a, v).is_ok(),
            IntSet::W32(a) => search(a, v).is_ok(),
            IntSet::W64(a) => search(a, v).is_ok(),
        }
    }

    /// Insert `v`; false if it was already a member.
    pub fn insert(&mut self, v: i64) -> bool {
        let fits = match self {
            IntSet::W16(_) => i16::try_from(v).is_ok(),
            IntSet::W32(_) => i32::try_from(v).is_ok(),
            IntSet::W64(_) => true,
        };
        if !fits {
            self.upgrade_for(v);
        }
        match self {
            IntSet::W16(a) => insert_sorted(a, v as i16),
            IntSet::W32(a) => insert_sorted(a, v as i32),
            IntSet::W64(a) => insert_sorted(a, v),
        }
    }

    /// Re-encode at the width `v` needs.
    fn upgrade_for(&mut self, v: i64) {
        let all: Vec<i64> = self.iter().collect();
        *self = if i32::try_from(v).is_ok() { IntSet::W32(all.into_iter().map(|x| x as i32).collect()) } else { IntSet::W64(all) };
    }

    /// Remove `v`; false if it was not a member.
    pub fn remove(&mut self, v: i64) -> bool {
        fn rm<T: Copy + Ord + TryFrom<i64>>(a: &mut Vec<T>, v: i64) -> bool {
            match search(a, v) {
                Ok(i) => {
                    a.remove(i);
                    true
                }
                Err(_) => false,
            }
        }
        match self {
            IntSet::W16(a) => rm(a, v),
            IntSet::W32(a) => rm(a, v),
            IntSet::W64(a) => rm(a, v),
        }
    }

    /// Remove the member at index `i` (ascending order) and return it.
    pub fn remove_at(&mut self, i: usize) -> Option<i64> {
        if i >= self.len() {
            return None;
        }
        Some(match self {
            IntSet::W16(a) => a.remove(i) as i64,
            IntSet::W32(a) => a.remove(i) as i64,
            IntSet::W64(a) => a.remove(i),
        })
    }

    /// Members in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len()).map(move |i| self.get(i).unwrap_or(0))
    }

    /// Heap bytes.
    pub fn mem_usage(&self) -> usize {
        match self {
            IntSet::W16(a) => a.capacity() * 2,
            IntSet::W32(a) => a.capacity() * 4,
            IntSet::W64(a) => a.capacity() * 8,
        }
    }

    pub fn shrink_to_fit(&mut self) {
        match self {
            IntSet::W16(a) => a.shrink_to_fit(),
            IntSet::W32(a) => a.shrink_to_fit(),
            IntSet::W64(a) => a.shrink_to_fit(),
        }
    }
}

fn insert_sorted<T: Ord>(a: &mut Vec<T>, v: T) -> bool {
    match a.binary_search(&v) {
        Ok(_) => false,
        Err(i) => {
            a.insert(i, v);
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_with_upgrades() {
        let mut s = IntSet::new();
        assert!(s.insert(5));
        assert!(s.insert(-3));
        assert!(!s.insert(5));
        assert!(matches!(s, IntSet::W16(_)));
        assert!(s.insert(70000));
        assert!(matches!(s, IntSet::W32(_)));
        assert!(s.insert(i64::MIN));
        assert!(matches!(s, IntSet::W64(_)));
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![i64::MIN, -3, 5, 70000]);
        assert!(s.contains(70000) && s.contains(i64::MIN) && !s.contains(4));
        assert!(s.remove(i64::MIN));
        assert!(!s.remove(i64::MIN));
        assert!(matches!(s, IntSet::W64(_)), "removals never downgrade");
        assert_eq!((s.min(), s.max()), (Some(-3), Some(70000)));
        assert_eq!(s.remove_at(1), Some(5));
        assert_eq!(s.remove_at(9), None);
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn narrow_sets_answer_wide_queries() {
        let mut s = IntSet::new();
        s.insert(1);
        assert!(!s.contains(1 << 40));
        assert!(!s.remove(-(1 << 40)));
        assert!(!s.contains(100000));
    }
}
