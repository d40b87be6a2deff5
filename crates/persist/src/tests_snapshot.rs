//! Fork-less snapshots: the file holds exactly the data of the epoch,
//! whatever writers, expiry, SWAPDB or a flush do while it is written.

use crate::file::{self, AccessInfo, FileOpts, LoadOpts};
use crate::snapshot::Snapshot;
use crate::{digest, Limits};
use moon_store::{Entry, Keyspace};
use std::sync::Arc;

const NOW: i64 = 1_700_000_000_000;

fn opts() -> FileOpts {
    FileOpts {
        value: Default::default(),
        checksum: true,
        access: AccessInfo::None,
        redis_ver: "8.2.3".into(),
        used_mem: 0,
        now_ms: NOW,
        functions: Vec::new(),
    }
}

fn put(ks: &Keyspace, db: usize, k: &str, v: &str, expire: Option<i64>) {
    let d = &ks.dbs[db];
    d.lock(d.stripe_of(k.as_bytes())).insert(Entry::new_str(k.as_bytes(), v.as_bytes(), expire));
}

fn del(ks: &Keyspace, db: usize, k: &str) {
    let d = &ks.dbs[db];
    d.lock(d.stripe_of(k.as_bytes())).remove(k.as_bytes());
}

fn reload(buf: &[u8], now: i64) -> Keyspace {
    let l = file::parse(buf, &LoadOpts { limits: Limits::default(), now_ms: now, access: AccessInfo::None, databases: 4 }).unwrap();
    let ks = Keyspace::new(4, 16);
    for (db, e) in l.entries {
        let d = &ks.dbs[db];
        d.lock(d.stripe_of(e.key())).insert(e);
    }
    ks
}

fn filled() -> Keyspace {
    let ks = Keyspace::new(4, 16);
    for i in 0..500 {
        put(&ks, 0, &format!("k{i}"), &format!("v{i}"), None);
        if i % 3 == 0 {
            put(&ks, 2, &format!("x{i}"), &"y".repeat(i % 40), Some(NOW + 1_000_000));
        }
    }
    ks
}

#[test]
fn writes_after_the_epoch_are_not_in_the_file() {
    let ks = filled();
    let at_epoch = digest::dataset(&ks);
    let snap = Snapshot::begin(&ks, opts()).unwrap();
    assert!(Snapshot::begin(&ks, opts()).is_none(), "one snapshot at a time");
    // Modify, delete and add keys in stripes not captured yet, allocate
    // database 1 (empty at the epoch), swap two databases, flush one.
    for i in (0..500).step_by(7) {
        put(&ks, 0, &format!("k{i}"), "changed", None);
        del(&ks, 0, &format!("k{}", i + 1));
        put(&ks, 0, &format!("new{i}"), "added", None);
    }
    put(&ks, 1, "db1", "late", None);
    ks.swap(0, 3);
    ks.dbs[2].for_each_stripe(|_, s| {
        s.clear();
    });
    let after = digest::dataset(&ks);
    assert_ne!(after, at_epoch);
    let mut buf = vec![];
    let st = snap.write(&ks, &mut buf).unwrap();
    assert_eq!(st.keys, 500 + 167);
    assert_eq!(ks.snap.active(), 0, "the snapshot ended");
    assert_eq!(digest::dataset(&reload(&buf, NOW)), at_epoch);
    // The live data kept every change.
    assert_eq!(digest::dataset(&ks), after);
    // The file is what a stop-the-world save writes at the epoch.
    let ks2 = filled();
    let mut sync = vec![];
    file::save(&ks2, &mut sync, &opts()).unwrap();
    assert_eq!(digest::dataset(&reload(&sync, NOW)), at_epoch);
}

#[test]
fn concurrent_writers_do_not_leak_into_the_file() {
    let ks = Arc::new(filled());
    let at_epoch = digest::dataset(&ks);
    let snap = Snapshot::begin(&ks, opts()).unwrap();
    let w = {
        let ks = ks.clone();
        std::thread::spawn(move || {
            for round in 0..20 {
                for i in (round..500).step_by(13) {
                    put(&ks, 0, &format!("k{i}"), &format!("r{round}"), None);
                    del(&ks, 2, &format!("x{i}"));
                    put(&ks, 3, &format!("z{i}"), "new", None);
                }
            }
        })
    };
    let mut buf = vec![];
    snap.write(&ks, &mut buf).unwrap();
    w.join().unwrap();
    assert_eq!(digest::dataset(&reload(&buf, NOW)), at_epoch);
    // A second snapshot sees the writes.
    let snap = Snapshot::begin(&ks, opts()).unwrap();
    let mut buf2 = vec![];
    snap.write(&ks, &mut buf2).unwrap();
    assert_eq!(digest::dataset(&reload(&buf2, NOW)), digest::dataset(&ks));
}

#[test]
fn a_key_expiring_after_the_epoch_is_saved() {
    let ks = Keyspace::new(4, 16);
    put(&ks, 0, "short", "lived", Some(NOW + 10));
    put(&ks, 0, "other", "v", None);
    let at_epoch = digest::dataset(&ks);
    let snap = Snapshot::begin(&ks, opts()).unwrap();
    // Lazy expiry on access, after the key's time has passed.
    let d = &ks.dbs[0];
    assert!(d.lock(d.stripe_of(b"short")).get(b"short", NOW + 20).is_none());
    let mut buf = vec![];
    snap.write(&ks, &mut buf).unwrap();
    assert_eq!(digest::dataset(&reload(&buf, NOW)), at_epoch);
}

#[test]
fn cancel_and_empty_keyspace() {
    let ks = filled();
    let snap = Snapshot::begin(&ks, opts()).unwrap();
    snap.cancel();
    assert!(snap.write(&ks, &mut vec![]).is_err());
    assert_eq!(ks.snap.active(), 0);
    let empty = Keyspace::new(4, 16);
    let snap = Snapshot::begin(&empty, opts()).unwrap();
    let mut buf = vec![];
    assert_eq!(snap.write(&empty, &mut buf).unwrap().keys, 0);
    assert!(file::parse(&buf, &LoadOpts { limits: Limits::default(), now_ms: NOW, access: AccessInfo::None, databases: 4 })
        .unwrap()
        .entries
        .is_empty());
}
