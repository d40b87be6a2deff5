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

pub static COMMANDS: &[CommandDef] = &[
    def("sort", -2, WRITE | DENYOOM, ACL, SORT_KEYS, cmd::sort, G).locking(Locking::World),
    def("sort_ro", -2, READONLY, ACL, SORT_RO_KEYS, cmd::sort_ro, G).locking(Locking::World),
];
