//! SORT and SORT_RO, plus the partial quicksort Redis uses for SORT ...
//! LIMIT (also used by the geo searches with COUNT).
//!
//! Both run under the exclusive world lock: BY and GET patterns read keys
//! computed from the elements, which no key spec names, so their stripes
//! are locked as they are met; that is only deadlock-free when nothing
//! else runs. The locking mode cannot depend on the arguments, so every
//! SORT pays for it (SORT is rare; correctness first).

mod cmd;
pub mod pqsort;

#[cfg(test)]
mod tests;

use crate::spec::{cat, cmd as def, flag::*, kf, BeginSearch, CommandDef, FindKeys, KeySpec, Locking};

const ACL: u64 = cat::SET | cat::SORTEDSET | cat::LIST | cat::DANGEROUS;
const G: &str = "generic";

const UNKNOWN_RO: KeySpec = KeySpec { flags: kf::RO | kf::ACCESS, begin: BeginSearch::Unknown, find: FindKeys::Unknown };
const UNKNOWN_STORE: KeySpec = KeySpec { flags: kf::OW | kf::UPDATE, begin: BeginSearch::Unknown, find: FindKeys::Unknown };

const SORT_KEYS: &[KeySpec] = &[KeySpec::single(1, kf::RO | kf::ACCESS), UNKNOWN_RO, UNKNOWN_STORE];
const SORT_RO_KEYS: &[KeySpec] = &[KeySpec::single(1, kf::RO | kf::ACCESS), UNKNOWN_RO];

/// SORT's key finder for its "unknown" STORE key spec (Redis'
/// sortGetKeys): the argument after the last STORE that has one. Options
/// are skipped as Redis skips them: LIMIT's two arguments, GET's and BY's
/// one; STORE's own argument is not skipped, so in `STORE get x` the key is
/// "get" and x is taken as GET's pattern.
pub(crate) fn store_key_index<'a>(len: usize, arg: impl Fn(usize) -> &'a [u8]) -> Option<usize> {
    let mut store = None;
    let mut i = 2;
    while i < len {
        let a = arg(i);
        if crate::util::eq_ic(a, "limit") {
            i += 2;
        } else if crate::util::eq_ic(a, "get") || crate::util::eq_ic(a, "by") {
            i += 1;
        } else if crate::util::eq_ic(a, "store") && i + 1 < len {
            store = Some(i + 1);
        }
        i += 1;
    }
    store
}

pub static COMMANDS: &[CommandDef] = &[
    def("sort", -2, WRITE | DENYOOM, ACL, SORT_KEYS, cmd::sort, G).locking(Locking::World),
    def("sort_ro", -2, READONLY, ACL, SORT_RO_KEYS, cmd::sort_ro, G).locking(Locking::World),
];
