//! The command table: every family's definitions, indexed by lowercase
//! name, with per-command statistics for INFO commandstats.

use crate::spec::CommandDef;
/// Name lookups happen on every command: foldhash, not SipHash.
type HashMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::RandomState>;
use crate::stats::ShardedCounter;
use std::sync::atomic::AtomicU64;

/// Every command family Moon implements.
pub static FAMILIES: &[&[CommandDef]] = &[
    crate::connection::COMMANDS,
    crate::acl::cmd::COMMANDS,
    crate::string::COMMANDS,
    crate::keys::COMMANDS,
    crate::list::COMMANDS,
    crate::hash::COMMANDS,
    crate::set::COMMANDS,
    crate::zset::COMMANDS,
    crate::sort::COMMANDS,
    crate::blocking::COMMANDS,
    crate::multi::COMMANDS,
    crate::pubsub::COMMANDS,
    crate::bitmap::COMMANDS,
    crate::hll::COMMANDS,
    crate::geo::COMMANDS,
    crate::stream::COMMANDS,
    crate::persistence::COMMANDS,
    crate::scripting::COMMANDS,
    crate::server::client_cmd::COMMANDS,
    crate::server::command_cmd::COMMANDS,
    crate::server::config_cmd::COMMANDS,
    crate::server::debug::COMMANDS,
    crate::server::info::COMMANDS,
    crate::server::latency_cmd::COMMANDS,
    crate::server::memory::COMMANDS,
    crate::server::misc::COMMANDS,
    crate::server::slowlog::COMMANDS,
];

#[derive(Default)]
pub struct CmdStats {
    pub calls: ShardedCounter,
    pub usec: ShardedCounter,
    pub rejected: AtomicU64,
    pub failed: AtomicU64,
}

pub struct TableEntry {
    pub def: &'static CommandDef,
    /// "get", or "client|list" for a subcommand.
    pub full_name: String,
    pub parent: Option<usize>,
    pub subs: HashMap<Vec<u8>, usize>,
    pub stats: CmdStats,
}

pub struct Table {
    pub entries: Vec<TableEntry>,
    by_name: HashMap<Vec<u8>, usize>,
}

impl Table {
    pub fn build() -> Table {
        let mut t = Table { entries: Vec::new(), by_name: HashMap::default() };
        for fam in FAMILIES {
            for def in fam.iter() {
                let id = t.push(def, def.name.to_string(), None);
                t.by_name.insert(def.name.as_bytes().to_vec(), id);
                for sub in def.subcommands {
                    let sid = t.push(sub, format!("{}|{}", def.name, sub.name), Some(id));
                    t.entries[id].subs.insert(sub.name.as_bytes().to_vec(), sid);
                }
            }
        }
        t
    }

    fn push(&mut self, def: &'static CommandDef, full_name: String, parent: Option<usize>) -> usize {
        self.entries.push(TableEntry { def, full_name, parent, subs: HashMap::default(), stats: CmdStats::default() });
        self.entries.len() - 1
    }

    /// Case-insensitive lookup of a top-level command.
    #[inline]
    pub fn lookup(&self, name: &[u8]) -> Option<usize> {
        with_lower(name, |l| self.by_name.get(l).copied())
    }

    #[inline]
    pub fn lookup_sub(&self, parent: usize, name: &[u8]) -> Option<usize> {
        with_lower(name, |l| self.entries[parent].subs.get(l).copied())
    }

    pub fn get(&self, id: usize) -> &TableEntry {
        &self.entries[id]
    }

    /// Top-level entries, in table order.
    pub fn top_level(&self) -> impl Iterator<Item = (usize, &TableEntry)> {
        self.entries.iter().enumerate().filter(|(_, e)| e.parent.is_none())
    }
}

/// Lowercase a short name on the stack (command names are short), falling
/// back to the heap for long garbage.
#[inline]
fn with_lower<R>(name: &[u8], f: impl FnOnce(&[u8]) -> R) -> R {
    let mut buf = [0u8; 32];
    if name.len() <= buf.len() {
        for (d, s) in buf.iter_mut().zip(name) {
            *d = s.to_ascii_lowercase();
        }
        f(&buf[..name.len()])
    } else {
        f(&name.to_ascii_lowercase())
    }
}
