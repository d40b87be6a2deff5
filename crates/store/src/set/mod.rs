//! The set value type with Redis 8.2's three encodings and conversions:
//!
//! - "intset": every member a canonical 64-bit integer, at most
//!   set-max-intset-entries of them; kept sorted.
//! - "listpack": at most set-max-listpack-entries members of at most
//!   set-max-listpack-value bytes; kept in insertion order.
//! - "hashtable": anything bigger.
//!
//! Sets only grow into bigger encodings (intset -> listpack or hashtable,
//! listpack -> hashtable); the only way back is an explicit
//! [`Set::convert_to_intset_if_fits`] (SINTERSTORE does that) or building a
//! fresh set. The rules of each transition follow Redis' t_set.c so that
//! OBJECT ENCODING answers the same after any command sequence.

pub mod intset;
pub mod listpack;
pub mod table;

use intset::IntSet;
use listpack::ListPack;
use table::MemberTable;

/// Encoding thresholds, read from the configuration by the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetLimits {
    pub intset_entries: usize,
    pub listpack_entries: usize,
    pub listpack_value: usize,
}

/// Redis caps an intset at 2^30 members whatever the configuration says.
const INTSET_HARD_MAX: usize = 1 << 30;
/// Redis never lets a listpack grow past 1 GB (lpSafeToAdd).
const LISTPACK_MAX_BYTES: usize = 1 << 30;

impl SetLimits {
    pub const DEFAULT: SetLimits = SetLimits { intset_entries: 512, listpack_entries: 128, listpack_value: 64 };

    /// From the three CONFIG values (negative values count as 0).
    pub fn new(intset_entries: i64, listpack_entries: i64, listpack_value: i64) -> SetLimits {
        let u = |v: i64| usize::try_from(v).unwrap_or(0);
        SetLimits {
            intset_entries: u(intset_entries).min(INTSET_HARD_MAX),
            listpack_entries: u(listpack_entries),
            listpack_value: u(listpack_value),
        }
    }
}

/// The integer a member spells canonically (Redis' string2ll).
pub use moon_resp::parse_i64 as parse_int;

/// Decimal text of `v` in `buf` (20 bytes hold i64::MIN).
pub fn format_int(v: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut n = v.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// A member as the encoding holds it: intsets yield integers, the others
/// bytes (which may spell an integer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Member<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl<'a> Member<'a> {
    /// The member's bytes, formatting an integer into `buf`.
    #[inline]
    pub fn bytes<'b>(&self, buf: &'b mut [u8; 20]) -> &'b [u8]
    where
        'a: 'b,
    {
        match *self {
            Member::Int(v) => format_int(v, buf),
            Member::Str(s) => s,
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        self.bytes(&mut [0; 20]).to_vec()
    }

    /// Whether the member is a canonical integer (would fit an intset).
    pub fn is_int(&self) -> bool {
        match *self {
            Member::Int(_) => true,
            Member::Str(s) => parse_int(s).is_some(),
        }
    }
}

#[derive(Clone)]
pub enum Set {
    Ints(IntSet),
    Pack(ListPack),
    Table(MemberTable),
}

impl Default for Set {
    fn default() -> Self {
        Set::Ints(IntSet::new())
    }
}

impl Set {
    pub fn new_intset() -> Set {
        Set::Ints(IntSet::new())
    }

    pub fn new_listpack() -> Set {
        Set::Pack(ListPack::new())
    }

    pub fn new_table(cap: usize) -> Set {
        Set::Table(MemberTable::with_capacity(cap))
    }

    /// A set that can hold `first`, sized for about `size_hint` members
    /// (setTypeCreate): an intset when `first` is an integer and the hint
    /// fits one, else a listpack when the hint fits one, else a table.
    pub fn create(first: &[u8], size_hint: usize, lim: &SetLimits) -> Set {
        if size_hint <= lim.intset_entries && parse_int(first).is_some() {
            Set::new_intset()
        } else if size_hint <= lim.listpack_entries {
            Set::new_listpack()
        } else {
            Set::new_table(size_hint)
        }
    }

    /// Before adding about `size_hint` members (SADD's argument count),
    /// convert to a table if the hint alone exceeds the compact encoding's
    /// limit (setTypeMaybeConvert), even if the members turn out to be
    /// duplicates.
    pub fn maybe_convert(&mut self, size_hint: usize, lim: &SetLimits) {
        let too_big = match self {
            Set::Ints(_) => size_hint > lim.intset_entries,
            Set::Pack(_) => size_hint > lim.listpack_entries,
            Set::Table(_) => false,
        };
        if too_big {
            self.convert_to_table(size_hint);
        }
    }

    pub fn encoding_name(&self) -> &'static str {
        match self {
            Set::Ints(_) => "intset",
            Set::Pack(_) => "listpack",
            Set::Table(_) => "hashtable",
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        match self {
            Set::Ints(s) => s.len(),
            Set::Pack(p) => p.len(),
            Set::Table(t) => t.len(),
        }
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        match self {
            Set::Ints(s) => parse_int(m).is_some_and(|v| s.contains(v)),
            Set::Pack(p) => p.contains(m),
            Set::Table(t) => t.contains(m),
        }
    }

    /// Add `m`, converting the encoding as Redis' setTypeAddAux does.
    /// Returns false if it was already a member.
    pub fn add(&mut self, m: &[u8], lim: &SetLimits) -> bool {
        match self {
            Set::Table(t) => t.insert(m),
            Set::Pack(p) => {
                if p.contains(m) {
                    return false;
                }
                if p.len() < lim.listpack_entries && m.len() <= lim.listpack_value && p.bytes() + m.len() + 10 <= LISTPACK_MAX_BYTES {
                    p.push(m);
                } else {
                    let n = p.len() + 1;
                    self.convert_to_table(n);
                    self.table_insert_new(m);
                }
                true
            }
            Set::Ints(s) => {
                if let Some(v) = parse_int(m) {
                    if !s.insert(v) {
                        return false;
                    }
                    let n = s.len();
                    if n > lim.intset_entries {
                        self.convert_to_table(n);
                    }
                    return true;
                }
                // A non-integer: a listpack if the integers (at their
                // widest) and the new member fit one, else a table.
                let n = s.len();
                let widest = match (s.min(), s.max()) {
                    (Some(lo), Some(hi)) => format_int(lo, &mut [0; 20]).len().max(format_int(hi, &mut [0; 20]).len()),
                    _ => 0,
                };
                if n < lim.listpack_entries
                    && m.len() <= lim.listpack_value
                    && widest <= lim.listpack_value
                    && n * (widest + 1) + m.len() + 10 <= LISTPACK_MAX_BYTES
                {
                    let mut p = ListPack::with_capacity(n * (widest + 1) + m.len() + 1);
                    let mut buf = [0; 20];
                    for v in s.iter() {
                        p.push(format_int(v, &mut buf));
                    }
                    p.push(m);
                    *self = Set::Pack(p);
                } else {
                    self.convert_to_table(n + 1);
                    self.table_insert_new(m);
                }
                true
            }
        }
    }

    fn table_insert_new(&mut self, m: &[u8]) {
        if let Set::Table(t) = self {
            t.insert_new(m);
        }
    }

    /// Remove `m`; false if it was not a member.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            Set::Ints(s) => parse_int(m).is_some_and(|v| s.remove(v)),
            Set::Pack(p) => p.remove(m),
            Set::Table(t) => t.remove(m),
        }
    }

    /// Convert to a table presized for `cap` members.
    pub fn convert_to_table(&mut self, cap: usize) {
        if matches!(self, Set::Table(_)) {
            return;
        }
        let mut t = MemberTable::with_capacity(cap.max(self.len()));
        for m in self.iter() {
            t.insert_new(m.bytes(&mut [0; 20]));
        }
        *self = Set::Table(t);
    }

    /// Become an intset if every member is an integer and there are few
    /// enough of them (maybeConvertToIntset). Returns whether it is one.
    pub fn convert_to_intset_if_fits(&mut self, lim: &SetLimits) -> bool {
        if matches!(self, Set::Ints(_)) {
            return true;
        }
        if self.len() > lim.intset_entries {
            return false;
        }
        let mut s = IntSet::new();
        for m in self.iter() {
            match m {
                Member::Int(v) => s.insert(v),
                Member::Str(b) => match parse_int(b) {
                    Some(v) => s.insert(v),
                    None => return false,
                },
            };
        }
        *self = Set::Ints(s);
        true
    }

    /// Release spare capacity (after a bulk build such as *STORE).
    pub fn shrink_to_fit(&mut self) {
        match self {
            Set::Ints(s) => s.shrink_to_fit(),
            Set::Pack(p) => p.shrink_to_fit(),
            Set::Table(_) => {}
        }
    }

    /// Members in the encoding's order: ascending for an intset, insertion
    /// order for a listpack, slot order for a table.
    pub fn iter(&self) -> Iter<'_> {
        match self {
            Set::Ints(s) => Iter::Ints(s, 0),
            Set::Pack(p) => Iter::Pack(p.iter()),
            Set::Table(t) => Iter::Table(t.iter()),
        }
    }

    /// A uniformly chosen member (`rand` supplies random numbers).
    pub fn random(&self, mut rand: impl FnMut() -> u64) -> Option<Member<'_>> {
        let n = self.len();
        if n == 0 {
            return None;
        }
        match self {
            Set::Ints(s) => s.get((rand() % n as u64) as usize).map(Member::Int),
            Set::Pack(p) => p.get((rand() % n as u64) as usize).map(Member::Str),
            Set::Table(t) => t.random_slot(rand).and_then(|i| t.slot(i)).map(Member::Str),
        }
    }

    /// Remove and return a uniformly chosen member.
    pub fn pop_random(&mut self, mut rand: impl FnMut() -> u64) -> Option<Vec<u8>> {
        let n = self.len();
        if n == 0 {
            return None;
        }
        match self {
            Set::Ints(s) => s.remove_at((rand() % n as u64) as usize).map(|v| format_int(v, &mut [0; 20]).to_vec()),
            Set::Pack(p) => {
                let i = (rand() % n as u64) as usize;
                let m = p.get(i)?.to_vec();
                p.remove(&m);
                Some(m)
            }
            Set::Table(t) => {
                let i = t.random_slot(rand)?;
                let m = t.take(i)?;
                t.shrink_if_sparse();
                Some(m)
            }
        }
    }

    /// Keep only the members whose position in iteration order `keep`
    /// accepts (positions of a listpack or intset; used to drop a batch of
    /// sampled members in one pass).
    pub fn retain_positions(&mut self, mut keep: impl FnMut(usize) -> bool) {
        match self {
            Set::Ints(s) => {
                let mut out = IntSet::new();
                for (i, v) in s.iter().enumerate() {
                    if keep(i) {
                        out.insert(v);
                    }
                }
                *s = out;
            }
            Set::Pack(p) => p.retain_indexes(keep),
            Set::Table(t) => {
                let doomed: Vec<usize> =
                    (0..t.capacity()).filter(|&i| t.slot(i).is_some()).enumerate().filter(|&(k, _)| !keep(k)).map(|(_, i)| i).collect();
                for i in doomed {
                    t.take(i);
                }
                t.shrink_if_sparse();
            }
        }
    }

    /// One SSCAN step. Compact encodings return everything at once with
    /// cursor 0, as Redis does; a table walks its home slots.
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut f: impl FnMut(Member<'a>)) -> u64 {
        match self {
            Set::Table(t) => t.scan(cursor, count, |m| f(Member::Str(m))),
            _ => {
                for m in self.iter() {
                    f(m);
                }
                0
            }
        }
    }

    /// Heap bytes held by the set.
    pub fn mem_usage(&self) -> usize {
        match self {
            Set::Ints(s) => s.mem_usage(),
            Set::Pack(p) => p.mem_usage(),
            Set::Table(t) => t.mem_usage(),
        }
    }

    /// Redis' lazyfree effort: one allocation for the compact encodings,
    /// one per member for a table.
    pub fn free_effort(&self) -> usize {
        match self {
            Set::Table(t) => t.len().max(1),
            _ => 1,
        }
    }
}

pub enum Iter<'a> {
    Ints(&'a IntSet, usize),
    Pack(listpack::Iter<'a>),
    Table(table::TableIter<'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Member<'a>;

    #[inline]
    fn next(&mut self) -> Option<Member<'a>> {
        match self {
            Iter::Ints(s, i) => {
                let v = s.get(*i)?;
                *i += 1;
                Some(Member::Int(v))
            }
            Iter::Pack(it) => it.next().map(Member::Str),
            Iter::Table(it) => it.next().map(Member::Str),
        }
    }
}

#[cfg(test)]
mod tests;
