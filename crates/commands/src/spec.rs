//! Command metadata: flags, ACL categories and key specs, with the same
//! meaning as Redis' command table, so arity errors, key extraction
//! (locking, COMMAND GETKEYS, ACL key checks) and COMMAND INFO follow from
//! one description of each command.

use crate::ctx::Ctx;
use crate::error::CmdResult;
use moon_resp::Argv;

pub type Handler = fn(&mut Ctx, &Argv) -> CmdResult;

/// Command flags (Redis' CMD_*), named as COMMAND INFO prints them.
pub mod flag {
    pub const WRITE: u64 = 1 << 0;
    pub const READONLY: u64 = 1 << 1;
    pub const DENYOOM: u64 = 1 << 2;
    pub const MODULE: u64 = 1 << 3;
    pub const ADMIN: u64 = 1 << 4;
    pub const PUBSUB: u64 = 1 << 5;
    pub const NOSCRIPT: u64 = 1 << 6;
    pub const BLOCKING: u64 = 1 << 8;
    pub const LOADING: u64 = 1 << 9;
    pub const STALE: u64 = 1 << 10;
    pub const SKIP_MONITOR: u64 = 1 << 11;
    pub const SKIP_SLOWLOG: u64 = 1 << 12;
    pub const ASKING: u64 = 1 << 13;
    pub const FAST: u64 = 1 << 14;
    pub const NO_AUTH: u64 = 1 << 15;
    pub const MAY_REPLICATE: u64 = 1 << 16;
    pub const SENTINEL: u64 = 1 << 17;
    pub const ONLY_SENTINEL: u64 = 1 << 18;
    pub const NO_MANDATORY_KEYS: u64 = 1 << 19;
    pub const PROTECTED: u64 = 1 << 20;
    pub const NO_ASYNC_LOADING: u64 = 1 << 23;
    pub const NO_MULTI: u64 = 1 << 24;
    pub const MOVABLE_KEYS: u64 = 1 << 25;
    pub const ALLOW_BUSY: u64 = 1 << 26;
    pub const TOUCHES_ARBITRARY_KEYS: u64 = 1 << 28;

    /// (bit, name as in COMMAND INFO), in Redis' output order.
    pub const NAMES: &[(u64, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (MODULE, "module"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (ASKING, "asking"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// ACL categories (Redis' ACL_CATEGORY_*), in Redis' order.
pub mod cat {
    pub const KEYSPACE: u64 = 1 << 0;
    pub const READ: u64 = 1 << 1;
    pub const WRITE: u64 = 1 << 2;
    pub const SET: u64 = 1 << 3;
    pub const SORTEDSET: u64 = 1 << 4;
    pub const LIST: u64 = 1 << 5;
    pub const HASH: u64 = 1 << 6;
    pub const STRING: u64 = 1 << 7;
    pub const BITMAP: u64 = 1 << 8;
    pub const HYPERLOGLOG: u64 = 1 << 9;
    pub const GEO: u64 = 1 << 10;
    pub const STREAM: u64 = 1 << 11;
    pub const PUBSUB: u64 = 1 << 12;
    pub const ADMIN: u64 = 1 << 13;
    pub const FAST: u64 = 1 << 14;
    pub const SLOW: u64 = 1 << 15;
    pub const BLOCKING: u64 = 1 << 16;
    pub const DANGEROUS: u64 = 1 << 17;
    pub const CONNECTION: u64 = 1 << 18;
    pub const TRANSACTION: u64 = 1 << 19;
    pub const SCRIPTING: u64 = 1 << 20;

    pub const NAMES: &[(u64, &str)] = &[
        (KEYSPACE, "keyspace"),
        (READ, "read"),
        (WRITE, "write"),
        (SET, "set"),
        (SORTEDSET, "sortedset"),
        (LIST, "list"),
        (HASH, "hash"),
        (STRING, "string"),
        (BITMAP, "bitmap"),
        (HYPERLOGLOG, "hyperloglog"),
        (GEO, "geo"),
        (STREAM, "stream"),
        (PUBSUB, "pubsub"),
        (ADMIN, "admin"),
        (FAST, "fast"),
        (SLOW, "slow"),
        (BLOCKING, "blocking"),
        (DANGEROUS, "dangerous"),
        (CONNECTION, "connection"),
        (TRANSACTION, "transaction"),
        (SCRIPTING, "scripting"),
    ];
}

/// Key spec flags (Redis' CMD_KEY_*).
pub mod kf {
    pub const RO: u32 = 1 << 0;
    pub const RW: u32 = 1 << 1;
    pub const OW: u32 = 1 << 2;
    pub const RM: u32 = 1 << 3;
    pub const ACCESS: u32 = 1 << 4;
    pub const UPDATE: u32 = 1 << 5;
    pub const INSERT: u32 = 1 << 6;
    pub const DELETE: u32 = 1 << 7;
    pub const NOT_KEY: u32 = 1 << 8;
    pub const INCOMPLETE: u32 = 1 << 9;
    pub const VARIABLE_FLAGS: u32 = 1 << 10;

    pub const NAMES: &[(u32, &str)] = &[
        (RO, "RO"),
        (RW, "RW"),
        (OW, "OW"),
        (RM, "RM"),
        (ACCESS, "access"),
        (UPDATE, "update"),
        (INSERT, "insert"),
        (DELETE, "delete"),
        (NOT_KEY, "not_key"),
        (INCOMPLETE, "incomplete"),
        (VARIABLE_FLAGS, "variable_flags"),
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BeginSearch {
    Index(i32),
    Keyword { keyword: &'static str, startfrom: i32 },
    Unknown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindKeys {
    Range { lastkey: i32, step: i32, limit: i32 },
    Keynum { keynumidx: i32, firstkey: i32, step: i32 },
    Unknown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySpec {
    pub flags: u32,
    pub begin: BeginSearch,
    pub find: FindKeys,
}

impl KeySpec {
    /// The common case: one key at `pos`.
    pub const fn single(pos: i32, flags: u32) -> KeySpec {
        KeySpec { flags, begin: BeginSearch::Index(pos), find: FindKeys::Range { lastkey: 0, step: 1, limit: 0 } }
    }
    /// Keys from `pos` to `lastkey` (negative: from the end) every `step`.
    pub const fn range(pos: i32, lastkey: i32, step: i32, flags: u32) -> KeySpec {
        KeySpec { flags, begin: BeginSearch::Index(pos), find: FindKeys::Range { lastkey, step, limit: 0 } }
    }
}

/// How the dispatcher makes a command atomic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locking {
    /// Lock the stripes of the keys its key specs name.
    Keys,
    /// Take the world lock exclusively (FLUSHALL, SWAPDB, MOVE, ...).
    World,
    /// No keyspace lock beyond the shared world lock; the command locks
    /// what it reads itself (KEYS, SCAN, DBSIZE, server commands).
    None,
}

pub struct CommandDef {
    /// Lowercase name; for a subcommand, the subcommand alone ("kill").
    pub name: &'static str,
    pub arity: i32,
    pub flags: u64,
    pub acl: u64,
    pub key_specs: &'static [KeySpec],
    pub handler: Handler,
    pub subcommands: &'static [CommandDef],
    pub locking: Locking,
    pub group: &'static str,
    /// For key specs flagged VARIABLE_FLAGS: the actual flags for this
    /// command line (Redis' per-command getkeys_proc), e.g. SET is OW
    /// without GET and RW+ACCESS with it.
    pub variable_key_flags: Option<fn(&[&[u8]]) -> u32>,
}

impl CommandDef {
    pub fn has(&self, f: u64) -> bool {
        self.flags & f != 0
    }

    /// Keys named by the key specs in `argv`, as argument indexes
    /// (Redis' getKeysUsingKeySpecs). Specs that cannot be resolved
    /// for these arguments yield nothing, as in Redis.
    pub fn key_indexes(&self, argv: &Argv, out: &mut Vec<usize>) {
        self.for_each_key(argv, |i, _| out.push(i));
    }

    /// Every key position the key specs name in `argv`, with its spec
    /// (the ACL check needs each key's access flags).
    pub fn for_each_key(&self, argv: &Argv, mut emit: impl FnMut(usize, &KeySpec)) {
        let argc = argv.len() as i32;
        for spec in self.key_specs {
            if spec.flags & kf::NOT_KEY != 0 {
                continue;
            }
            let first = match spec.begin {
                BeginSearch::Index(i) => i,
                BeginSearch::Keyword { keyword, startfrom } => {
                    let (start, end, stepdir) = if startfrom >= 0 { (startfrom, argc - 1, 1) } else { (argc + startfrom, 1, -1) };
                    let mut i = start;
                    let mut found = 0;
                    while (stepdir > 0 && i <= end) || (stepdir < 0 && i >= end) {
                        if i > 0 && i < argc && argv.get(i as usize).eq_ignore_ascii_case(keyword.as_bytes()) {
                            found = i + 1;
                            break;
                        }
                        i += stepdir;
                    }
                    if found == 0 {
                        continue;
                    }
                    found
                }
                BeginSearch::Unknown => continue,
            };
            if first >= argc {
                continue;
            }
            let (last, step) = match spec.find {
                FindKeys::Range { lastkey, step, limit } => {
                    let last = if lastkey >= 0 {
                        first + lastkey
                    } else if limit <= 1 {
                        argc + lastkey
                    } else {
                        first + ((argc - first) / limit) + lastkey
                    };
                    (last, step)
                }
                FindKeys::Keynum { keynumidx, firstkey, step } => {
                    let idx = first + keynumidx;
                    if idx >= argc {
                        continue;
                    }
                    let Some(n) = crate::util::parse_i64(argv.get(idx as usize)) else { continue };
                    if n <= 0 {
                        continue;
                    }
                    let f = first + firstkey;
                    let last = f + (n as i32 - 1) * step;
                    if last >= argc {
                        continue;
                    }
                    let mut i = f;
                    while i <= last {
                        emit(i as usize, spec);
                        i += step;
                    }
                    continue;
                }
                FindKeys::Unknown => continue,
            };
            let last = last.min(argc - 1);
            let mut i = first;
            while i <= last && step > 0 {
                emit(i as usize, spec);
                i += step;
            }
        }
    }
}

impl CommandDef {
    /// Explicit ACL categories plus the ones Redis derives from the
    /// command flags (setImplicitACLCategories): every command ends up
    /// either @fast or @slow.
    pub fn acl_categories(&self) -> u64 {
        let mut c = self.acl;
        if self.has(flag::WRITE) {
            c |= cat::WRITE;
        }
        // Scripting commands flagged read-only are not in @read.
        if self.has(flag::READONLY) && c & cat::SCRIPTING == 0 {
            c |= cat::READ;
        }
        if self.has(flag::ADMIN) {
            c |= cat::ADMIN | cat::DANGEROUS;
        }
        if self.has(flag::PUBSUB) {
            c |= cat::PUBSUB;
        }
        if self.has(flag::FAST) {
            c |= cat::FAST;
        }
        if self.has(flag::BLOCKING) {
            c |= cat::BLOCKING;
        }
        if c & cat::FAST == 0 {
            c |= cat::SLOW;
        }
        c
    }

    /// The pre-7.0 (first key, last key, step) triple COMMAND INFO still
    /// reports, derived from the key specs as Redis does
    /// (populateCommandLegacyRangeSpec), and whether the keys are
    /// "movable" (not all describable by that triple). `last` is absolute
    /// when non-negative, otherwise counted from the end.
    pub fn legacy_range(&self) -> LegacyRange {
        let mut movable = self.has(flag::MOVABLE_KEYS);
        let specs = self.key_specs;
        if specs.is_empty() {
            return LegacyRange { first: 0, last: 0, step: 0, movable };
        }
        if specs.len() == 1 {
            if let (BeginSearch::Index(pos), FindKeys::Range { lastkey, step, .. }) = (specs[0].begin, specs[0].find) {
                movable |= specs[0].flags & kf::INCOMPLETE != 0;
                let last = if lastkey >= 0 { lastkey + pos } else { lastkey };
                return LegacyRange { first: pos, last, step, movable };
            }
        }
        let mut first = i32::MAX;
        let mut last: i32 = 0;
        let mut prev_last: i32 = 0;
        for spec in specs {
            let (pos, lastkey, step) = match (spec.begin, spec.find) {
                (BeginSearch::Index(pos), FindKeys::Range { lastkey, step, .. }) => (pos, lastkey, step),
                _ => {
                    movable = true;
                    continue;
                }
            };
            if step != 1 || (prev_last != 0 && prev_last != pos - 1) {
                movable = true;
                continue;
            }
            if spec.flags & kf::INCOMPLETE != 0 {
                movable = true;
            }
            first = first.min(pos);
            let abs = if lastkey >= 0 { lastkey + pos } else { lastkey };
            // Redis compares as unsigned: a from-the-end index wins.
            if (abs as u32) > (last as u32) {
                last = abs;
            }
            prev_last = last;
        }
        if first == i32::MAX {
            return LegacyRange { first: 0, last: 0, step: 0, movable: true };
        }
        LegacyRange { first, last, step: 1, movable }
    }
}

/// See [`CommandDef::legacy_range`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LegacyRange {
    pub first: i32,
    pub last: i32,
    pub step: i32,
    pub movable: bool,
}

/// Shorthand constructor used by the family tables.
#[allow(clippy::too_many_arguments)]
pub const fn cmd(
    name: &'static str,
    arity: i32,
    flags: u64,
    acl: u64,
    key_specs: &'static [KeySpec],
    handler: Handler,
    group: &'static str,
) -> CommandDef {
    CommandDef { name, arity, flags, acl, key_specs, handler, subcommands: &[], locking: Locking::Keys, group, variable_key_flags: None }
}

impl CommandDef {
    pub const fn locking(mut self, l: Locking) -> CommandDef {
        self.locking = l;
        self
    }
    pub const fn key_flags(mut self, f: fn(&[&[u8]]) -> u32) -> CommandDef {
        self.variable_key_flags = Some(f);
        self
    }
    pub const fn subs(mut self, s: &'static [CommandDef]) -> CommandDef {
        self.subcommands = s;
        self
    }
}
