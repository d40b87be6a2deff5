//! Every configuration parameter Moon honours: name, type, default and
//! flags. Both the config file / command line and CONFIG GET/SET/REWRITE
//! are driven by this list. A parameter is listed only once what it
//! controls is implemented.

use super::{Kind, Param, IMMUTABLE, MULTI_ARG, PROTECTED, SENSITIVE};

const ENCRYPTED_KEY: &str =
    "encrypted private keys are not supported (rustls cannot decrypt them): store the key unencrypted (openssl pkey -in KEY -out PLAIN) and leave tls-key-file-pass empty";
const NO_OUTGOING: &str = "outgoing TLS connections (replication, cluster bus) are not available in this Moon version";
const NO_DH: &str = "DH parameters are not used: Moon's TLS (rustls) offers only ECDHE key exchange";

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
    Param::new("aclfile", Kind::Str, "", IMMUTABLE, "file of ACL users (ACL LOAD / ACL SAVE)"),
    Param::new("acllog-max-len", Kind::Int { min: 0, max: i64::MAX }, "128", 0, "entries kept in the ACL LOG"),
    Param::new(
        "acl-pubsub-default",
        Kind::Enum(&["allchannels", "resetchannels"]),
        "resetchannels",
        0,
        "channel permissions of new ACL users",
    ),
    Param::new("threads", Kind::Int { min: 0, max: 256 }, "0", IMMUTABLE, "I/O threads (0: one per core) [Moon]"),
    Param::new("disable-thp", Kind::Bool, "yes", IMMUTABLE, "opt out of transparent huge pages (less RSS for small values)"),
    // TLS (rustls; see crates/server/src/tls.rs). The files, protocols and
    // ciphers are checked when the TLS context is built: at startup when
    // tls-port is set, and again on every CONFIG SET of a tls-* parameter.
    Param::new("tls-port", Kind::Int { min: 0, max: 65535 }, "0", IMMUTABLE, "TLS port (0: no TLS listener)"),
    Param::new("tls-cert-file", Kind::Str, "", 0, "server certificate chain (PEM)"),
    Param::new("tls-key-file", Kind::Str, "", 0, "server private key (PEM: PKCS#8, PKCS#1 RSA or SEC1 EC, unencrypted)"),
    Param::new(
        "tls-key-file-pass",
        Kind::OffOnly { off: "", why: ENCRYPTED_KEY },
        "",
        SENSITIVE,
        "not supported: keys must be unencrypted",
    ),
    Param::new("tls-client-cert-file", Kind::OffOnly { off: "", why: NO_OUTGOING }, "", 0, "not supported: no outgoing TLS connections"),
    Param::new("tls-client-key-file", Kind::OffOnly { off: "", why: NO_OUTGOING }, "", 0, "not supported: no outgoing TLS connections"),
    Param::new(
        "tls-client-key-file-pass",
        Kind::OffOnly { off: "", why: NO_OUTGOING },
        "",
        SENSITIVE,
        "not supported: no outgoing TLS connections",
    ),
    Param::new("tls-dh-params-file", Kind::OffOnly { off: "", why: NO_DH }, "", 0, "not supported: key exchange is ECDHE only"),
    Param::new("tls-ca-cert-file", Kind::Str, "", 0, "CA certificates (PEM) that client certificates must chain to"),
    Param::new("tls-ca-cert-dir", Kind::Str, "", 0, "directory of CA certificate files (PEM)"),
    Param::new(
        "tls-auth-clients",
        Kind::Enum(&["no", "yes", "optional"]),
        "yes",
        0,
        "require (yes) or accept (optional) client certificates",
    ),
    Param::new("tls-protocols", Kind::Str, "", 0, "enabled protocols: TLSv1.2 and/or TLSv1.3 ('' : both)"),
    Param::new("tls-ciphers", Kind::Str, "", 0, "TLSv1.2 ciphers, OpenSSL names separated by ':' ('' : all ECDHE AEAD ciphers)"),
    Param::new("tls-ciphersuites", Kind::Str, "", 0, "TLSv1.3 cipher suites separated by ':' ('' : all)"),
    Param::new("tls-prefer-server-ciphers", Kind::Bool, "no", 0, "choose the cipher by the server's order, not the client's"),
    Param::new("tls-session-caching", Kind::Bool, "yes", 0, "allow TLS session resumption"),
    Param::new("tls-session-cache-size", Kind::Int { min: 0, max: i32::MAX as i64 }, "20480", 0, "cached TLS sessions (0: unlimited)"),
    Param::new(
        "tls-session-cache-timeout",
        Kind::Int { min: 0, max: i32::MAX as i64 },
        "300",
        0,
        "seconds a cached TLS session stays valid",
    ),
    Param::new("tls-replication", Kind::OffOnly { off: "no", why: NO_OUTGOING }, "no", 0, "not supported: no replication yet"),
    Param::new("tls-cluster", Kind::OffOnly { off: "no", why: NO_OUTGOING }, "no", 0, "not supported: no cluster bus yet"),
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
    Param::new(
        "notify-keyspace-events",
        Kind::KeyspaceEvents,
        "",
        0,
        "keyspace notification classes to publish (K E g $ l s h z x e t m d n A)",
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
    // The cron starts a BGSAVE when one of them is reached; SHUTDOWN and
    // SIGTERM save when any is set.
    Param::new(
        "save",
        Kind::SavePoints,
        "3600 1 300 100 60 10000",
        MULTI_ARG,
        "snapshot save points: <seconds> <changes> pairs ('' : none)",
    ),
    Param::new(
        "stop-writes-on-bgsave-error",
        Kind::Bool,
        "yes",
        0,
        "refuse writes while the last background save failed (with save points set)",
    ),
    Param::new("dbfilename", Kind::FileName, "dump.rdb", PROTECTED, "RDB file name (inside dir)"),
    Param::new("rdbcompression", Kind::Bool, "yes", 0, "LZF-compress strings in RDB files"),
    Param::new("rdbchecksum", Kind::Bool, "yes", 0, "end RDB files with a CRC64 checksum (0 when off)"),
    Param::new("appendonly", Kind::Bool, "no", 0, "journal every write to the multi-part append-only file"),
    Param::new(
        "appendfsync",
        Kind::Enum(&["always", "everysec", "no"]),
        "everysec",
        0,
        "when the AOF is fsynced: before replies, every second, or by the OS",
    ),
    Param::new("appendfilename", Kind::FileName, "appendonly.aof", IMMUTABLE, "name prefix of the AOF files"),
    Param::new("appenddirname", Kind::FileName, "appendonlydir", IMMUTABLE, "directory (inside dir) of the AOF files"),
    Param::new("aof-load-truncated", Kind::Bool, "yes", 0, "load an AOF whose last command was cut off (and truncate it)"),
    Param::new(
        "aof-use-rdb-preamble",
        Kind::OffOnly {
            off: "yes",
            why: "AOF rewrites always write the base as an RDB file in this Moon version; use aof-use-rdb-preamble yes",
        },
        "yes",
        0,
        "the rewritten AOF base is an RDB file (only 'yes' accepted)",
    ),
    Param::new(
        "auto-aof-rewrite-percentage",
        Kind::Int { min: 0, max: i32::MAX as i64 },
        "100",
        0,
        "rewrite when the AOF grew by this % since the last rewrite (0: never)",
    ),
    Param::new("auto-aof-rewrite-min-size", Kind::Memory { min: 0, max: i64::MAX }, "64mb", 0, "no automatic rewrite below this AOF size"),
    Param::new("no-appendfsync-on-rewrite", Kind::Bool, "no", 0, "skip the everysec fsync while a rewrite runs"),
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
