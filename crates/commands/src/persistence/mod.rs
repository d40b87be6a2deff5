//! Persistence commands: DUMP and RESTORE, SAVE, BGSAVE and LASTSAVE,
//! save points, and the RDB side of DEBUG (DIGEST, DIGEST-VALUE, RELOAD),
//! on top of the moon-persist crate's Redis-compatible formats.

pub mod bgsave;
mod debug;
mod migrate;
mod restore;
mod save;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_bgsave;

pub use debug::{digest, digest_value, reload};
pub(crate) use save::{file_opts, write_rdb_file};
pub use save::{insert_loaded, load_from_disk, rdb_path, save_to_disk, LoadReport};

use crate::evict::Policy;
use crate::spec::{cat, cmd, flag::*, kf, BeginSearch, CommandDef, FindKeys, KeySpec, Locking};
use crate::state::Server;
use moon_persist::file::AccessInfo;
use moon_persist::{Limits, SaveOpts};
use moon_store::set::SetLimits;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicI64, AtomicU64};

const MIGRATE_KEYS: &[KeySpec] = &[
    KeySpec::single(3, kf::RW | kf::ACCESS | kf::DELETE),
    KeySpec {
        flags: kf::RW | kf::ACCESS | kf::DELETE | kf::INCOMPLETE,
        begin: BeginSearch::Keyword { keyword: "KEYS", startfrom: -2 },
        find: FindKeys::Range { lastkey: -1, step: 1, limit: 0 },
    },
];

pub static COMMANDS: &[CommandDef] = &[
    cmd("dump", 2, READONLY, cat::KEYSPACE, &[KeySpec::single(1, kf::RO | kf::ACCESS)], restore::dump, "generic"),
    cmd(
        "restore",
        -4,
        WRITE | DENYOOM,
        cat::KEYSPACE | cat::DANGEROUS,
        &[KeySpec::single(1, kf::OW | kf::UPDATE)],
        restore::restore,
        "generic",
    ),
    cmd("migrate", -6, WRITE, cat::KEYSPACE | cat::DANGEROUS, MIGRATE_KEYS, migrate::migrate, "generic"),
    cmd("save", 1, NO_ASYNC_LOADING | ADMIN | NOSCRIPT | NO_MULTI, 0, &[], save::save, "server").locking(Locking::World),
    cmd("bgsave", -1, NO_ASYNC_LOADING | ADMIN | NOSCRIPT, 0, &[], bgsave::bgsave, "server").locking(Locking::World),
    cmd("bgrewriteaof", 1, NO_ASYNC_LOADING | ADMIN | NOSCRIPT, 0, &[], crate::journal::rewrite::bgrewriteaof, "server")
        .locking(Locking::World),
    cmd("lastsave", 1, LOADING | STALE | FAST, cat::ADMIN | cat::DANGEROUS, &[], save::lastsave, "server").locking(Locking::None),
];

/// RDB bookkeeping for LASTSAVE and INFO persistence.
#[derive(Default)]
pub struct RdbState {
    /// Unix seconds of the last successful save (0: never; LASTSAVE then
    /// reports the start time, as Redis does).
    pub last_save: AtomicI64,
    pub saves: AtomicU64,
    /// Whether the last save failed (INFO rdb_last_bgsave_status).
    pub last_failed: std::sync::atomic::AtomicBool,
    pub last_load_keys_loaded: AtomicU64,
    pub last_load_keys_expired: AtomicU64,
    /// `stats.dirty` as of the data the last successful save holds.
    pub dirty_base: AtomicU64,
    pub bg: bgsave::BgSave,
}

impl RdbState {
    /// INFO rdb_changes_since_last_save and the save points' count.
    pub fn changes_since_save(&self, srv: &Server) -> u64 {
        srv.stats.dirty.load(Relaxed).saturating_sub(self.dirty_base.load(Relaxed))
    }

    pub fn last_save_secs(&self, srv: &Server) -> i64 {
        match self.last_save.load(Relaxed) {
            0 => srv.start_unix_ms / 1000,
            t => t,
        }
    }
}

/// The encoding thresholds in force, for loading values.
pub fn limits(srv: &Server) -> Limits {
    let h = &srv.config.hot;
    let u = |a: &AtomicI64| usize::try_from(a.load(Relaxed)).unwrap_or(0);
    Limits {
        list_fill: h.list_max_listpack_size.load(Relaxed),
        hash: moon_store::hash::Limits { max_entries: u(&h.hash_max_listpack_entries), max_value: u(&h.hash_max_listpack_value) },
        set: SetLimits::new(
            h.set_max_intset_entries.load(Relaxed),
            h.set_max_listpack_entries.load(Relaxed),
            h.set_max_listpack_value.load(Relaxed),
        ),
        zset: moon_store::zset::Limits { max_entries: u(&h.zset_max_listpack_entries), max_value: u(&h.zset_max_listpack_value) },
    }
}

/// Which access record (IDLE / FREQ) the eviction policy calls for.
pub fn access_info(srv: &Server) -> AccessInfo {
    match Policy::from_index(srv.config.hot.maxmemory_policy.load(Relaxed)) {
        Policy::AllkeysLru | Policy::VolatileLru => AccessInfo::Lru,
        p if p.is_lfu() => AccessInfo::Lfu,
        _ => AccessInfo::None,
    }
}

pub fn save_opts(srv: &Server) -> SaveOpts {
    SaveOpts { compress: srv.config.get_bool("rdbcompression") }
}
