//! The configuration registry: typed parameters with Redis' parsing and
//! error messages, shared by the config file, the command line and CONFIG.

mod params;
pub mod rewrite;

pub use params::PARAMS;

use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, Ordering};

pub const IMMUTABLE: u32 = 1;
pub const SENSITIVE: u32 = 2;
/// The value may span several arguments on the command line / in a file.
pub const MULTI_ARG: u32 = 4;
/// CONFIG SET needs enable-protected-configs (Redis' PROTECTED_CONFIG).
pub const PROTECTED: u32 = 8;

#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    /// Accepted in min..=max, stored clamped to lo..=hi (Redis' hz).
    IntClamped {
        min: i64,
        max: i64,
        lo: i64,
        hi: i64,
    },
    /// A byte count with optional k/kb/m/mb/g/gb suffix.
    Memory {
        min: i64,
        max: i64,
    },
    /// An unsigned byte count parsed as Redis' memtoull (maxmemory): an
    /// empty number is 0, overflow wraps, and values past 2^63 - 1 are
    /// refused as negative.
    UMemory,
    Octal,
    Enum(&'static [&'static str]),
    Str,
    ClientOutputBufferLimit,
    /// A directory that must exist; the server chdirs into it.
    Dir,
    /// Redis' save points: "<seconds> <changes>" pairs separated by single
    /// spaces, seconds >= 1 and changes >= 0, or "" for none.
    SavePoints,
    /// A file name without a directory part (dbfilename).
    FileName,
    /// notify-keyspace-events class letters, kept in Redis' canonical order.
    KeyspaceEvents,
    /// A feature Moon does not have yet: only its "off" value is accepted,
    /// so scripts that pass it explicitly off keep working, and asking for
    /// it on fails loudly instead of being silently ignored.
    OffOnly {
        off: &'static str,
        why: &'static str,
    },
}

pub struct Param {
    pub name: &'static str,
    pub kind: Kind,
    pub default: &'static str,
    pub flags: u32,
    pub help: &'static str,
}

impl Param {
    pub const fn new(name: &'static str, kind: Kind, default: &'static str, flags: u32, help: &'static str) -> Param {
        Param { name, kind, default, flags, help }
    }
}

pub fn find_param(name: &str) -> Option<&'static Param> {
    PARAMS.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

/// Values read on hot paths, mirrored into atomics on every change.
#[derive(Default)]
pub struct Hot {
    pub proto_max_bulk_len: AtomicI64,
    pub client_query_buffer_limit: AtomicI64,
    pub maxclients: AtomicI64,
    pub timeout: AtomicI64,
    pub slowlog_slower_than: AtomicI64,
    pub slowlog_max_len: AtomicI64,
    pub latency_threshold: AtomicI64,
    pub hz: AtomicI64,
    pub active_expire_effort: AtomicI64,
    /// notify-keyspace-events as class bits (0: no notifications).
    pub notify_flags: std::sync::atomic::AtomicU32,
    pub protected_mode: AtomicBool,
    pub lazy_user_del: AtomicBool,
    pub lazy_user_flush: AtomicBool,
    /// normal-class output limits: hard, soft, soft seconds.
    pub obuf_normal: [AtomicI64; 3],
    pub obuf_pubsub: [AtomicI64; 3],
    /// Collection encoding thresholds (read on every write to a collection).
    pub list_max_listpack_size: AtomicI64,
    pub hash_max_listpack_entries: AtomicI64,
    pub hash_max_listpack_value: AtomicI64,
    pub set_max_intset_entries: AtomicI64,
    pub set_max_listpack_entries: AtomicI64,
    pub set_max_listpack_value: AtomicI64,
    pub zset_max_listpack_entries: AtomicI64,
    pub zset_max_listpack_value: AtomicI64,
    /// Largest sparse HyperLogLog before it turns dense (read on every PFADD).
    pub hll_sparse_max_bytes: AtomicI64,
    pub stream_node_max_bytes: AtomicI64,
    pub stream_node_max_entries: AtomicI64,
    /// maxmemory in bytes (0: no limit), checked before every command.
    pub maxmemory: AtomicU64,
    /// Index of maxmemory-policy in `evict::POLICY_NAMES`.
    pub maxmemory_policy: AtomicU8,
    pub maxmemory_samples: AtomicI64,
    pub eviction_tenacity: AtomicI64,
}

/// Work that must follow a runtime change of some parameters and may fail
/// (Redis' apply functions, e.g. reloading the TLS context); an error
/// undoes the whole CONFIG SET. Installed by the server crate, which owns
/// what is applied.
pub type ApplyFn = Box<dyn Fn(&Config) -> Result<(), String> + Send + Sync>;

struct ApplyHook {
    prefix: &'static str,
    apply: ApplyFn,
}

pub struct Config {
    values: RwLock<HashMap<&'static str, String>>,
    pub hot: Hot,
    /// The config file, if started with one (CONFIG REWRITE writes it).
    pub file: RwLock<Option<std::path::PathBuf>>,
    apply_hooks: RwLock<Vec<ApplyHook>>,
    /// `user` lines of the config file (each: name, rules...), loaded
    /// into the ACL at start-up.
    pub user_lines: parking_lot::Mutex<Vec<Vec<String>>>,
}

impl Default for Config {
    fn default() -> Self {
        let c = Config {
            values: RwLock::new(HashMap::new()),
            hot: Hot::default(),
            file: RwLock::new(None),
            apply_hooks: RwLock::new(Vec::new()),
            user_lines: Default::default(),
        };
        for p in PARAMS {
            c.set(p.name, p.default, true).expect("defaults are valid");
        }
        c
    }
}

impl Config {
    /// Validate and store a value. `startup` allows immutable parameters.
    /// Errors are Redis' reason texts ("argument must be 'yes' or 'no'").
    pub fn set(&self, name: &str, value: &str, startup: bool) -> Result<(), String> {
        let p = find_param(name).ok_or_else(|| "Bad directive or wrong number of arguments".to_string())?;
        if !startup && p.flags & IMMUTABLE != 0 {
            return Err("can't set immutable config".into());
        }
        let canon = canonicalize(p, value)?;
        // The shown form of notify-keyspace-events drops the new-key class
        // next to "A" (as Redis prints it), but the class stays on.
        let hot = if matches!(p.kind, Kind::KeyspaceEvents) { value } else { canon.as_str() };
        self.apply_hot(p.name, hot);
        self.values.write().insert(p.name, canon);
        Ok(())
    }

    /// Run `apply` after every CONFIG SET that changes a parameter whose
    /// name starts with `prefix`.
    pub fn add_apply_hook(&self, prefix: &'static str, apply: ApplyFn) {
        self.apply_hooks.write().push(ApplyHook { prefix, apply });
    }

    /// Run the hooks concerned by the `changed` parameters, each once. On
    /// failure returns the first changed parameter of the failing hook
    /// (the one Redis names in its error) and the hook's message; hooks
    /// that already ran are not undone here (the caller restores the old
    /// values and calls this again).
    pub fn run_apply_hooks(&self, changed: &[&str]) -> Result<(), (&'static str, String)> {
        let hooks = self.apply_hooks.read();
        for h in hooks.iter() {
            let Some(first) = changed.iter().find(|n| n.starts_with(h.prefix)) else { continue };
            if let Err(why) = (h.apply)(self) {
                let name = find_param(first).map(|p| p.name).unwrap_or(h.prefix);
                return Err((name, why));
            }
        }
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<String> {
        let p = find_param(name)?;
        self.values.read().get(p.name).cloned()
    }

    pub fn get_str(&self, name: &str) -> String {
        self.get(name).unwrap_or_default()
    }

    pub fn get_i64(&self, name: &str) -> i64 {
        self.get(name).and_then(|v| v.parse().ok()).unwrap_or(0)
    }

    pub fn get_bool(&self, name: &str) -> bool {
        self.get(name).as_deref() == Some("yes")
    }

    /// (name, value) of every parameter matching the glob, in table order.
    pub fn matching(&self, pattern: &[u8]) -> Vec<(&'static str, String)> {
        let vals = self.values.read();
        PARAMS
            .iter()
            .filter(|p| crate::util::glob_match(pattern, p.name.as_bytes(), true))
            .map(|p| (p.name, vals.get(p.name).cloned().unwrap_or_default()))
            .collect()
    }

    fn apply_hot(&self, name: &str, v: &str) {
        let h = &self.hot;
        let int = || v.parse::<i64>().unwrap_or(0);
        let st = |a: &AtomicI64, x: i64| a.store(x, Ordering::Relaxed);
        let yes = v == "yes";
        match name {
            "proto-max-bulk-len" => st(&h.proto_max_bulk_len, int()),
            "client-query-buffer-limit" => st(&h.client_query_buffer_limit, int()),
            "maxclients" => st(&h.maxclients, int()),
            "timeout" => st(&h.timeout, int()),
            "slowlog-log-slower-than" => st(&h.slowlog_slower_than, int()),
            "slowlog-max-len" => st(&h.slowlog_max_len, int()),
            "latency-monitor-threshold" => st(&h.latency_threshold, int()),
            "hz" => st(&h.hz, int()),
            "list-max-listpack-size" => st(&h.list_max_listpack_size, int()),
            "hash-max-listpack-entries" => st(&h.hash_max_listpack_entries, int()),
            "hash-max-listpack-value" => st(&h.hash_max_listpack_value, int()),
            "set-max-intset-entries" => st(&h.set_max_intset_entries, int()),
            "set-max-listpack-entries" => st(&h.set_max_listpack_entries, int()),
            "set-max-listpack-value" => st(&h.set_max_listpack_value, int()),
            "zset-max-listpack-entries" => st(&h.zset_max_listpack_entries, int()),
            "zset-max-listpack-value" => st(&h.zset_max_listpack_value, int()),
            "hll-sparse-max-bytes" => st(&h.hll_sparse_max_bytes, int()),
            "stream-node-max-bytes" => st(&h.stream_node_max_bytes, int()),
            "stream-node-max-entries" => st(&h.stream_node_max_entries, int()),
            "active-expire-effort" => st(&h.active_expire_effort, int()),
            "notify-keyspace-events" => {
                let f = crate::notify::parse_flags(v).unwrap_or(0);
                h.notify_flags.store(f, Ordering::Relaxed);
                use crate::notify::class::{KEYEVENT, KEYSPACE};
                let record = f & crate::notify::EXPIRY_CLASSES != 0 && f & (KEYSPACE | KEYEVENT) != 0;
                moon_store::stripe::RECORD_EXPIRED.store(record, Ordering::Relaxed);
            }
            "protected-mode" => h.protected_mode.store(yes, Ordering::Relaxed),
            "lazyfree-lazy-user-del" => h.lazy_user_del.store(yes, Ordering::Relaxed),
            "lazyfree-lazy-user-flush" => h.lazy_user_flush.store(yes, Ordering::Relaxed),
            "maxmemory" => h.maxmemory.store(v.parse().unwrap_or(0), Ordering::Relaxed),
            "maxmemory-policy" => {
                let p = crate::evict::Policy::from_name(v);
                h.maxmemory_policy.store(p as u8, Ordering::Relaxed);
                // The LRU/LFU field of every key changes meaning with it.
                moon_store::clock::set_lfu_enabled(p.is_lfu());
            }
            "maxmemory-samples" => st(&h.maxmemory_samples, int()),
            "maxmemory-eviction-tenacity" => st(&h.eviction_tenacity, int()),
            "lfu-log-factor" => moon_store::clock::set_lfu_log_factor(int().max(0) as u64),
            "lfu-decay-time" => moon_store::clock::set_lfu_decay_time(int().max(0) as u64),
            "dir" => {
                // Validated as an existing directory by canonicalize().
                let _ = std::env::set_current_dir(v);
            }
            "client-output-buffer-limit" => {
                let w: Vec<&str> = v.split(' ').collect();
                for c in w.chunks(4) {
                    let arr = match c[0] {
                        "normal" => &h.obuf_normal,
                        "pubsub" => &h.obuf_pubsub,
                        _ => continue,
                    };
                    for i in 0..3 {
                        st(&arr[i], c[i + 1].parse().unwrap_or(0));
                    }
                }
            }
            _ => {}
        }
    }
}

/// Redis' memtoull: a number with an optional k/kb/m/mb/g/gb suffix.
pub fn parse_memory(s: &str) -> Option<i64> {
    let lower = s.to_ascii_lowercase();
    let (num, mul) = [("gb", 1i64 << 30), ("mb", 1 << 20), ("kb", 1 << 10), ("g", 1_000_000_000), ("m", 1_000_000), ("k", 1000), ("b", 1)]
        .iter()
        .find_map(|(suf, m)| lower.strip_suffix(suf).map(|n| (n.to_string(), *m)))
        .unwrap_or((lower.clone(), 1));
    if num.is_empty() || !num.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    num.parse::<i64>().ok()?.checked_mul(mul)
}

/// Redis' memtoull, quirks included: digits then an optional unit;
/// no digits read as 0, too many digits saturate, the unit multiplication
/// wraps. None where Redis reports a parse error.
fn memtoull(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.first() == Some(&b'-') {
        return None;
    }
    let end = b.iter().position(|c| !c.is_ascii_digit()).unwrap_or(b.len());
    let mul: u64 = match b[end..].to_ascii_lowercase().as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1_000_000,
        b"mb" => 1 << 20,
        b"g" => 1_000_000_000,
        b"gb" => 1 << 30,
        _ => return None,
    };
    // Redis copies the digits into a 128-byte buffer first.
    if end >= 128 {
        return None;
    }
    let digits = &s[..end];
    let v = if digits.is_empty() { 0 } else { digits.parse::<u64>().unwrap_or(u64::MAX) };
    Some(v.wrapping_mul(mul))
}

fn canonicalize(p: &Param, value: &str) -> Result<String, String> {
    match p.kind {
        Kind::Bool => match value.to_ascii_lowercase().as_str() {
            "yes" => Ok("yes".into()),
            "no" => Ok("no".into()),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Int { min, max } => {
            let v: i64 = value.parse().map_err(|_| "argument couldn't be parsed into an integer".to_string())?;
            check_range(v, min, max)
        }
        Kind::IntClamped { min, max, lo, hi } => {
            let v: i64 = value.parse().map_err(|_| "argument couldn't be parsed into an integer".to_string())?;
            check_range(v, min, max)?;
            Ok(v.clamp(lo, hi).to_string())
        }
        Kind::Memory { min, max } => {
            let v = parse_memory(value).ok_or_else(|| "argument must be a memory value".to_string())?;
            check_range(v, min, max)
        }
        Kind::UMemory => {
            let v = memtoull(value).ok_or_else(|| "argument must be a memory value".to_string())?;
            if v > i64::MAX as u64 {
                return Err("argument must be greater or equal to 0".into());
            }
            Ok(v.to_string())
        }
        Kind::Octal => {
            let v = i64::from_str_radix(value, 8).map_err(|_| "argument couldn't be parsed into an integer".to_string())?;
            check_range(v, 0, 0o777).map(|_| format!("{v:o}"))
        }
        Kind::Enum(opts) => {
            let l = value.to_ascii_lowercase();
            if opts.contains(&l.as_str()) {
                Ok(l)
            } else {
                Err(format!("argument(s) must be one of the following: {}", opts.join(", ")))
            }
        }
        Kind::Str => Ok(value.to_string()),
        Kind::ClientOutputBufferLimit => canonical_obuf(value),
        Kind::Dir => {
            if std::path::Path::new(value).is_dir() {
                Ok(value.to_string())
            } else {
                Err(format!("No such file or directory: '{value}'"))
            }
        }
        Kind::SavePoints => canonical_save(value),
        Kind::KeyspaceEvents => match crate::notify::parse_flags(value) {
            Some(f) => Ok(crate::notify::flags_to_string(f)),
            None => Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
        },
        Kind::FileName => {
            if value.contains('/') {
                Err("dbfilename can't be a path, just a filename".into())
            } else {
                Ok(value.to_string())
            }
        }
        Kind::OffOnly { off, why } => {
            let v = value.to_ascii_lowercase();
            if v == off || (off.is_empty() && v == "\"\"") {
                Ok(off.to_string())
            } else {
                Err(why.to_string())
            }
        }
    }
}

/// Validate save points and print them canonically ("01 +1" -> "1 1").
fn canonical_save(value: &str) -> Result<String, String> {
    if value.is_empty() || value == "\"\"" {
        return Ok(String::new());
    }
    let bad = || "Invalid save parameters".to_string();
    let parts: Vec<&str> = value.split(' ').collect();
    if parts.len() % 2 != 0 {
        return Err(bad());
    }
    let mut out = Vec::with_capacity(parts.len());
    for (i, p) in parts.iter().enumerate() {
        let v: i64 = p.parse().map_err(|_| bad())?;
        if v < if i % 2 == 0 { 1 } else { 0 } {
            return Err(bad());
        }
        out.push(v.to_string());
    }
    Ok(out.join(" "))
}

fn check_range(v: i64, min: i64, max: i64) -> Result<String, String> {
    if v < min || v > max {
        Err(format!("argument must be between {min} and {max} inclusive"))
    } else {
        Ok(v.to_string())
    }
}

/// "normal 0 0 0 pubsub 32mb 8mb 60" → all three classes with byte values,
/// keeping classes not mentioned at their defaults.
fn canonical_obuf(value: &str) -> Result<String, String> {
    let words: Vec<&str> = value.split_whitespace().collect();
    if words.is_empty() || words.len() % 4 != 0 {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut classes: Vec<(String, [i64; 3])> =
        vec![("normal".into(), [0, 0, 0]), ("slave".into(), [268435456, 67108864, 60]), ("pubsub".into(), [33554432, 8388608, 60])];
    for c in words.chunks(4) {
        let class = match c[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => return Err("Invalid client class specified in buffer limit configuration.".into()),
        };
        let hard = parse_memory(c[1]);
        let soft = parse_memory(c[2]);
        let secs = c[3].parse::<i64>().ok().filter(|s| *s >= 0);
        match (hard, soft, secs) {
            (Some(h), Some(s), Some(t)) => classes[class].1 = [h, s, t],
            _ => return Err("Error in hard, soft or soft_seconds setting in buffer limit configuration.".into()),
        }
    }
    Ok(classes.iter().map(|(n, v)| format!("{n} {} {} {}", v[0], v[1], v[2])).collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_redis() {
        let c = Config::default();
        assert_eq!(c.get("port").unwrap(), "6379");
        c.set("proto-max-bulk-len", "2mb", false).unwrap();
        assert_eq!(c.get("proto-max-bulk-len").unwrap(), "2097152");
        assert_eq!(c.set("timeout", "x", false).unwrap_err(), "argument couldn't be parsed into an integer");
        assert_eq!(c.set("protected-mode", "maybe", false).unwrap_err(), "argument must be 'yes' or 'no'");
        assert_eq!(c.set("port", "1", false).unwrap_err(), "can't set immutable config");
        assert_eq!(c.set("maxclients", "0", false).unwrap_err(), "argument must be between 1 and 4294967295 inclusive");
        c.set("client-output-buffer-limit", "pubsub 1mb 1kb 5", false).unwrap();
        assert_eq!(c.get("client-output-buffer-limit").unwrap(), "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 1024 5");
        assert_eq!(parse_memory("1k"), Some(1000));
        assert_eq!(parse_memory("1KB"), Some(1024));
        assert_eq!(parse_memory("-1"), None);
    }

    #[test]
    fn memtoull_quirks() {
        assert_eq!(memtoull("20mb"), Some(20 << 20));
        assert_eq!(memtoull("1G"), Some(1_000_000_000));
        assert_eq!(memtoull("10GB"), Some(10 << 30));
        assert_eq!(memtoull(""), Some(0));
        assert_eq!(memtoull("k"), Some(0));
        assert_eq!(memtoull("99999999999999999999"), Some(u64::MAX));
        assert_eq!(memtoull("18014398509481984kb"), Some(0));
        for bad in ["-0", "-1", " 1", "+1", "1.5gb", "1Tb", "0x10", "1e3", "1 kb"] {
            assert_eq!(memtoull(bad), None, "{bad}");
        }
        assert_eq!(memtoull(&"1".repeat(128)), None);
        let c = Config::default();
        assert_eq!(c.get("maxmemory").unwrap(), "0");
        c.set("maxmemory", "1kb", false).unwrap();
        assert_eq!(c.get("maxmemory").unwrap(), "1024");
        assert_eq!(c.hot.maxmemory.load(Ordering::Relaxed), 1024);
        c.set("maxmemory", "9223372036854775807", false).unwrap();
        assert_eq!(c.set("maxmemory", "9223372036854775808", false).unwrap_err(), "argument must be greater or equal to 0");
        assert_eq!(c.set("maxmemory", "-1", false).unwrap_err(), "argument must be a memory value");
        assert_eq!(c.get("maxmemory").unwrap(), "9223372036854775807");
    }
}
