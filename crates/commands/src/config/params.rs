//! Every configuration parameter Moon honours: name, type, default and
//! flags. Both the config file / command line and CONFIG GET/SET/REWRITE
//! are driven by this list. A parameter is listed only once what it
//! controls is implemented.

use super::{Kind, Param, IMMUTABLE, MULTI_ARG, PROTECTED, SENSITIVE};

const LOGLEVELS: &[&str] = &["debug", "verbose", "notice", "warning", "nothing"];

pub static PARAMS: &[Param] = &[
    // Networking
    Param::new("bind", Kind::Str, "127.0.0.1 -::1", IMMUTABLE | MULTI_ARG, "addresses to listen on ('-' prefix: optional)"),
    Param::new("port", Kind::Int { min: 0, max: 65535 }, "6379", IMMUTABLE, "TCP port (0: no TCP listener)"),
    Param::new("unixsocket", Kind::Str, "", IMMUTABLE, "path of a unix socket to listen on"),
    Param::new("unixsocketperm", Kind::Octal, "0", IMMUTABLE, "permissions of the unix socket (octal)"),
    Param::new("tcp-backlog", Kind::Int { min: 0, max: i32::MAX as i64 }, "511", IMMUTABLE, "listen(2) backlog"),
    Param::new("maxclients", Kind::Int { min: 1, max: u32::MAX as i64 }, "10000", 0, "maximum simultaneous clients"),
    Param::new("timeout", Kind::Int { min: 0, max: i32::MAX as i64 }, "0", 0, "close idle clients after N seconds (0: never)"),
    Param::new("tcp-keepalive", Kind::Int { min: 0, max: i32::MAX as i64 }, "300", 0, "TCP keepalive interval in seconds"),
    Param::new("protected-mode", Kind::Bool, "yes", 0, "refuse non-loopback clients when no password is set"),
    Param::new("requirepass", Kind::Str, "", SENSITIVE, "password of the default user"),
    Param::new("threads", Kind::Int { min: 0, max: 256 }, "0", IMMUTABLE, "I/O threads (0: one per core) [Moon]"),
    // Keyspace
    Param::new("databases", Kind::Int { min: 1, max: i32::MAX as i64 }, "16", IMMUTABLE, "number of databases"),
    Param::new("keyspace-stripes", Kind::Int { min: 1, max: 16384 }, "1024", IMMUTABLE, "lock stripes per database, a power of two [Moon]"),
    Param::new(
        "hz",
        Kind::IntClamped { min: 0, max: i32::MAX as i64, lo: 1, hi: 500 },
        "10",
        0,
        "background task frequency (active expiry), clamped to 1-500",
    ),
    Param::new("dynamic-hz", Kind::Bool, "yes", 0, "accepted for compatibility; Moon's expiry is time-budgeted"),
    Param::new("active-expire-effort", Kind::Int { min: 1, max: 10 }, "1", 0, "active expiry effort (1-10)"),
    Param::new("busy-reply-threshold", Kind::Int { min: 0, max: i64::MAX }, "5000", 0, "ms a script may run before other clients get BUSY"),
    Param::new("lazyfree-lazy-user-del", Kind::Bool, "no", 0, "DEL behaves like UNLINK"),
    Param::new("lazyfree-lazy-user-flush", Kind::Bool, "no", 0, "FLUSHALL/FLUSHDB default to ASYNC"),
    // Collection encodings (compact "listpack"/"intset" forms below these sizes)
    Param::new(
        "list-max-listpack-size",
        Kind::Int { min: i32::MIN as i64, max: i32::MAX as i64 },
        "-2",
        0,
        "list node size: entries if > 0, else -1..-5 = 4/8/16/32/64 KB",
    ),
    Param::new(
        "list-compress-depth",
        Kind::Int { min: 0, max: i32::MAX as i64 },
        "0",
        0,
        "accepted for compatibility; list nodes are not compressed",
    ),
    Param::new("hash-max-listpack-entries", Kind::Int { min: 0, max: i64::MAX }, "128", 0, "hashes up to this many fields stay compact"),
    Param::new(
        "hash-max-listpack-value",
        Kind::Int { min: 0, max: i64::MAX },
        "64",
        0,
        "hashes with fields/values up to this length stay compact",
    ),
    Param::new("set-max-intset-entries", Kind::Int { min: 0, max: i64::MAX }, "512", 0, "integer sets up to this size stay an intset"),
    Param::new("set-max-listpack-entries", Kind::Int { min: 0, max: i64::MAX }, "128", 0, "sets up to this many members stay compact"),
    Param::new("set-max-listpack-value", Kind::Int { min: 0, max: i64::MAX }, "64", 0, "sets with members up to this length stay compact"),
    Param::new(
        "zset-max-listpack-entries",
        Kind::Int { min: 0, max: i64::MAX },
        "128",
        0,
        "sorted sets up to this many members stay compact",
    ),
    Param::new(
        "zset-max-listpack-value",
        Kind::Int { min: 0, max: i64::MAX },
        "64",
        0,
        "sorted sets with members up to this length stay compact",
    ),
    Param::new(
        "hll-sparse-max-bytes",
        Kind::Memory { min: 0, max: i64::MAX },
        "3000",
        0,
        "HyperLogLogs stay in the sparse encoding up to this many bytes (header included)",
    ),
    Param::new(
        "stream-node-max-entries",
        Kind::Int { min: 0, max: i64::MAX },
        "100",
        0,
        "entries per stream block before a new block starts (0: no limit)",
    ),
    Param::new(
        "stream-node-max-bytes",
        Kind::Memory { min: 0, max: i64::MAX },
        "4096",
        0,
        "bytes of entries per stream block before a new block starts (0: no limit)",
    ),
    // Memory limit and eviction
    Param::new("maxmemory", Kind::UMemory, "0", 0, "memory limit in bytes (0: none); past it keys are evicted per maxmemory-policy"),
    Param::new("maxmemory-policy", Kind::Enum(crate::evict::POLICY_NAMES), "noeviction", 0, "which keys to evict at the memory limit"),
    Param::new("maxmemory-samples", Kind::Int { min: 1, max: 64 }, "5", 0, "keys sampled per eviction (more: closer to true LRU/LFU/TTL)"),
    Param::new(
        "maxmemory-eviction-tenacity",
        Kind::Int { min: 0, max: 100 },
        "10",
        0,
        "time a command may spend evicting (0-100; 100: unlimited)",
    ),
    Param::new(
        "lfu-log-factor",
        Kind::Int { min: 0, max: i32::MAX as i64 },
        "10",
        0,
        "accesses needed to grow the LFU counter (logarithmic)",
    ),
    Param::new(
        "lfu-decay-time",
        Kind::Int { min: 0, max: i32::MAX as i64 },
        "1",
        0,
        "minutes per point of LFU counter decay (0: no decay)",
    ),
    // Protocol and buffers
    Param::new(
        "proto-max-bulk-len",
        Kind::Memory { min: 1024 * 1024, max: i64::MAX },
        "536870912",
        0,
        "largest bulk string a client may send",
    ),
    Param::new(
        "client-query-buffer-limit",
        Kind::Memory { min: 1024 * 1024, max: i64::MAX },
        "1073741824",
        0,
        "largest query buffer per client",
    ),
    Param::new(
        "client-output-buffer-limit",
        Kind::ClientOutputBufferLimit,
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
        MULTI_ARG,
        "per-class output buffer limits: <class> <hard> <soft> <soft-seconds>",
    ),
    // Process
    Param::new("daemonize", Kind::Bool, "no", IMMUTABLE, "run in the background"),
    Param::new("dir", Kind::Dir, ".", PROTECTED, "working directory (data files go here)"),
    // Parsed and kept as Redis does; the periodic background save that
    // acts on them is not in this version (SAVE and DEBUG RELOAD are).
    Param::new("save", Kind::SavePoints, "", MULTI_ARG, "snapshot save points: <seconds> <changes> pairs ('' : none)"),
    Param::new("dbfilename", Kind::FileName, "dump.rdb", PROTECTED, "RDB file name (inside dir)"),
    Param::new("rdbcompression", Kind::Bool, "yes", 0, "LZF-compress strings in RDB files"),
    Param::new("rdbchecksum", Kind::Bool, "yes", 0, "end RDB files with a CRC64 checksum (0 when off)"),
    Param::new(
        "appendonly",
        Kind::OffOnly { off: "no", why: "the append-only file is not available in this Moon version; use appendonly no" },
        "no",
        0,
        "append-only file (not yet available: only 'no' accepted)",
    ),
    // Diagnostics
    Param::new("loglevel", Kind::Enum(LOGLEVELS), "notice", 0, "log verbosity"),
    Param::new("logfile", Kind::Str, "", IMMUTABLE, "log file ('' : standard output)"),
    Param::new("pidfile", Kind::Str, "", IMMUTABLE, "write the process id to this file"),
    Param::new("slowlog-log-slower-than", Kind::Int { min: -1, max: i64::MAX }, "10000", 0, "log commands slower than N microseconds"),
    Param::new("slowlog-max-len", Kind::Int { min: 0, max: i64::MAX }, "128", 0, "slow log length"),
    Param::new("latency-monitor-threshold", Kind::Int { min: 0, max: i64::MAX }, "0", 0, "record latency events above N ms"),
    Param::new("enable-debug-command", Kind::Enum(&["no", "yes", "local"]), "no", IMMUTABLE, "allow DEBUG"),
    Param::new("enable-protected-configs", Kind::Enum(&["no", "yes", "local"]), "no", IMMUTABLE, "allow CONFIG SET of protected configs"),
];
