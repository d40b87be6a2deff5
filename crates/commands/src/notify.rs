//! Keyspace notifications (notify-keyspace-events): commands report what
//! they did to which key with `Ctx::notify`; after the handler the events
//! are published on `__keyspace@<db>__:<key>` (K) and
//! `__keyevent@<db>__:<event>` (E), still under the command's locks, so
//! they come in the order the changes happened.

use crate::state::Server;
use moon_store::stripe::Expiry;
use std::sync::atomic::Ordering::Relaxed;

/// Event classes, as Redis numbers them.
pub mod class {
    pub const KEYSPACE: u32 = 1 << 0;
    pub const KEYEVENT: u32 = 1 << 1;
    pub const GENERIC: u32 = 1 << 2;
    pub const STRING: u32 = 1 << 3;
    pub const LIST: u32 = 1 << 4;
    pub const SET: u32 = 1 << 5;
    pub const HASH: u32 = 1 << 6;
    pub const ZSET: u32 = 1 << 7;
    pub const EXPIRED: u32 = 1 << 8;
    pub const EVICTED: u32 = 1 << 9;
    pub const STREAM: u32 = 1 << 10;
    pub const KEY_MISS: u32 = 1 << 11;
    pub const MODULE: u32 = 1 << 12;
    pub const NEW: u32 = 1 << 13;
    /// "A": every class but key-miss and new-key.
    pub const ALL: u32 = GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;
}

const LETTERS: &[(u8, u32)] = &[
    (b'g', class::GENERIC),
    (b'$', class::STRING),
    (b'l', class::LIST),
    (b's', class::SET),
    (b'h', class::HASH),
    (b'z', class::ZSET),
    (b'x', class::EXPIRED),
    (b'e', class::EVICTED),
    (b't', class::STREAM),
    (b'd', class::MODULE),
    (b'n', class::NEW),
];

/// Parse a notify-keyspace-events value.
pub fn parse_flags(s: &str) -> Option<u32> {
    let mut f = 0;
    for c in s.bytes() {
        f |= match c {
            b'A' => class::ALL,
            b'K' => class::KEYSPACE,
            b'E' => class::KEYEVENT,
            b'm' => class::KEY_MISS,
            _ => LETTERS.iter().find(|(l, _)| *l == c)?.1,
        };
    }
    Some(f)
}

/// The canonical text of a flag set, as CONFIG GET shows it (Redis'
/// keyspaceEventsFlagsToString: with "A", the new-key class is not shown).
pub fn flags_to_string(f: u32) -> String {
    let mut s = String::new();
    if f & class::ALL == class::ALL {
        s.push('A');
    } else {
        for (l, c) in LETTERS {
            if f & c != 0 {
                s.push(*l as char);
            }
        }
    }
    for (l, c) in [('K', class::KEYSPACE), ('E', class::KEYEVENT), ('m', class::KEY_MISS)] {
        if f & c != 0 {
            s.push(l);
        }
    }
    s
}

/// A change a command made, waiting to be published.
pub struct Event {
    pub db: usize,
    pub event: &'static str,
    pub key: Vec<u8>,
}

/// Whether events of `class` are published at all (one load).
#[inline]
pub fn wanted(srv: &Server, class: u32) -> bool {
    let f = srv.config.hot.notify_flags.load(Relaxed);
    f & class != 0 && f & (class::KEYSPACE | class::KEYEVENT) != 0
}

/// The flags commands check: 0 unless K or E is on, so one test of a
/// class bit says whether to record an event.
#[inline]
pub fn active_flags(srv: &Server) -> u32 {
    let f = srv.config.hot.notify_flags.load(Relaxed);
    if f & (class::KEYSPACE | class::KEYEVENT) != 0 {
        f
    } else {
        0
    }
}

/// The events Redis sends when expiry changes a key: "expired" for a key;
/// "hexpired" for a hash that lost fields (lazily or by the active expiry),
/// then "del" if that emptied it. Moon purges a hash's expired fields on
/// any lookup of the key, Redis only on a lookup of that field by name
/// (HGET, HMGET, HEXISTS, HINCRBY, HGETDEL, HGETEX, HSETEX ...), so the
/// event can come with another command than in Redis (e.g. HSET over an
/// expired field: Redis sends only "hset").
pub fn expiry_events(kind: Expiry) -> &'static [(u32, &'static str)] {
    match kind {
        Expiry::Key => &[(class::EXPIRED, "expired")],
        Expiry::Fields => &[(class::HASH, "hexpired")],
        Expiry::FieldsAndKey => &[(class::HASH, "hexpired"), (class::GENERIC, "del")],
    }
}

/// The classes whose events need expiry recorded in the stripes.
pub const EXPIRY_CLASSES: u32 = class::EXPIRED | class::HASH | class::GENERIC;

/// Publish the events of keys expiry changed in database `db`.
pub fn publish_expired(srv: &Server, db: usize, expired: Vec<(Vec<u8>, Expiry)>) {
    for (key, kind) in expired {
        for &(c, event) in expiry_events(kind) {
            if wanted(srv, c) {
                publish(srv, db, event, &key);
            }
        }
    }
}

/// Publish the events recorded in `ks` (keys expired in its stripes not
/// yet reported first), leaving it empty; the replies of blocked clients
/// the command served go out between them, where they were served.
/// Tracking clients are told of the expired keys; `bcast` is the running
/// connection's batch for broadcasting clients (None: tell them now).
pub fn publish_pending(srv: &Server, ks: &mut crate::ctx::KeyAccess, bcast: Option<&mut crate::tracking::BcastKeys>) {
    let db = ks.db_index;
    let expired = ks.take_expired_keys();
    if srv.tracking.any() {
        let keys = std::mem::take(&mut ks.expired_track);
        srv.tracking.invalidate_expired(srv, keys.iter().map(Vec::as_slice).chain(expired.iter().map(|(k, _)| k.as_slice())), bcast);
    }
    publish_expired(srv, db, expired);
    let served = std::mem::take(&mut ks.served);
    let mut replies = served.iter().peekable();
    for (i, e) in std::mem::take(&mut ks.events).into_iter().enumerate() {
        while let Some((_, w)) = replies.next_if(|(before, _)| *before <= i) {
            w.queue_reply();
        }
        publish(srv, e.db, e.event, &e.key);
    }
    for (_, w) in replies {
        w.queue_reply();
    }
    for (_, w) in served {
        w.end_served();
    }
}

/// Publish one event of database `db`.
pub fn publish(srv: &Server, db: usize, event: &str, key: &[u8]) {
    let f = srv.config.hot.notify_flags.load(Relaxed);
    let limit = crate::pubsub::queue_limit(srv);
    if f & class::KEYSPACE != 0 {
        let mut ch = format!("__keyspace@{db}__:").into_bytes();
        ch.extend_from_slice(key);
        srv.pubsub.publish(&ch, event.as_bytes(), limit);
    }
    if f & class::KEYEVENT != 0 {
        let ch = format!("__keyevent@{db}__:{event}");
        srv.pubsub.publish(ch.as_bytes(), key, limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_round_trip_as_redis_prints_them() {
        assert_eq!(flags_to_string(parse_flags("KEA").unwrap()), "AKE");
        assert_eq!(flags_to_string(parse_flags("KEAn").unwrap()), "AKE");
        assert_eq!(flags_to_string(parse_flags("g$lshzxetdKEmn").unwrap()), "AKEm");
        assert_eq!(flags_to_string(parse_flags("Elg").unwrap()), "glE");
        assert_eq!(flags_to_string(parse_flags("").unwrap()), "");
        assert!(parse_flags("Q").is_none());
    }
}

#[cfg(test)]
mod event_tests {
    use crate::testing::TestClient;

    /// The keyevent names a subscriber got (one line per event: "event key").
    fn events(s: &mut TestClient) -> Vec<String> {
        let mail = String::from_utf8(s.conn.handle.take_mail()).unwrap();
        let parts: Vec<&str> = mail.split("\r\n").collect();
        let mut out = Vec::new();
        // pmessage frames: *4, $8, pmessage, $n, pattern, $n, channel, $n, key
        for (i, p) in parts.iter().enumerate() {
            if let Some(ev) = p.strip_prefix("__keyevent@0__:") {
                out.push(format!("{ev} {}", parts[i + 2]));
            }
        }
        out
    }

    #[test]
    fn writes_publish_redis_event_names_in_order() {
        let mut s = TestClient::new();
        let mut c = TestClient::connect(s.srv.clone());
        s.run(&["PSUBSCRIBE", "__keyevent@*"]);
        // Off by default: nothing is recorded.
        c.run(&["SET", "a", "1"]);
        assert!(events(&mut s).is_empty());
        c.run(&["CONFIG", "SET", "notify-keyspace-events", "EAnm"]);
        c.run(&["SET", "b", "1", "EX", "100"]);
        assert_eq!(events(&mut s), ["new b", "set b", "expire b"]);
        c.run(&["SET", "b", "2", "NX"]);
        assert!(events(&mut s).is_empty());
        c.run(&["GET", "nokey"]);
        assert_eq!(events(&mut s), ["keymiss nokey"]);
        c.run(&["RPUSH", "src", "x"]);
        events(&mut s);
        c.run(&["LMOVE", "src", "dst", "LEFT", "RIGHT"]);
        assert_eq!(events(&mut s), ["new dst", "rpush dst", "lpop src", "del src"]);
        c.run(&["RENAME", "dst", "r"]);
        assert_eq!(events(&mut s), ["new r", "rename_from dst", "rename_to r"]);
        c.run(&["DEL", "a", "b", "r", "nokey"]);
        assert_eq!(events(&mut s), ["del a", "del b", "del r"]);
        // Only the classes asked for.
        c.run(&["CONFIG", "SET", "notify-keyspace-events", "El"]);
        c.run(&["SET", "a", "1"]);
        c.run(&["LPUSH", "l", "1"]);
        assert_eq!(events(&mut s), ["lpush l"]);
    }
}
