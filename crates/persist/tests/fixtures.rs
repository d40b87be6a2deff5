//! Files written by Redis 8.2 (scripts/make_rdb_fixtures.py) load with the
//! digest Redis printed for the same data, with Redis' encodings, and
//! survive a save/load round trip through Moon's writer.

use moon_persist::decode::Limits;
use moon_persist::digest;
use moon_persist::file::{self, AccessInfo, FileOpts, LoadOpts};
use moon_store::{clock, Keyspace, Object, ValueRef};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn load(data: &[u8], access: AccessInfo) -> (Keyspace, file::Loaded) {
    let opts = LoadOpts { limits: Limits::default(), now_ms: clock::now_ms(), access, databases: 16 };
    let mut loaded = file::parse(data, &opts).unwrap();
    let ks = Keyspace::new(16, 16);
    for (db, e) in std::mem::take(&mut loaded.entries) {
        let d = &ks.dbs[db];
        d.lock(d.stripe_of(e.key())).insert(e);
    }
    (ks, loaded)
}

fn encoding(ks: &Keyspace, db: usize, key: &str) -> &'static str {
    let d = &ks.dbs[db];
    let s = d.lock(d.stripe_of(key.as_bytes()));
    match s.peek(key.as_bytes()).expect(key).value() {
        ValueRef::Inline(_) => "string",
        ValueRef::Obj(o @ Object::Str(_)) => o.encoding_name(),
        ValueRef::Obj(o) => o.encoding_name(),
    }
}

#[test]
fn redis_fixture_loads_with_redis_digest() {
    let want = String::from_utf8(fixture("all_types.digest")).unwrap();
    for name in ["all_types.rdb", "lru.rdb"] {
        let (ks, loaded) = load(&fixture(name), AccessInfo::None);
        assert_eq!(loaded.version, 12);
        assert_eq!(loaded.expired, 0);
        assert_eq!(digest::hex(&digest::dataset(&ks)), want.trim(), "{name}");
        for (db, key, enc) in [
            (0, "list:lp", "listpack"),
            (0, "list:ql", "quicklist"),
            (0, "list:plain", "quicklist"),
            (0, "hash:lp", "listpack"),
            (0, "hash:ht", "hashtable"),
            (0, "hash:lpex", "listpackex"),
            (0, "hash:htex", "hashtable"),
            (0, "set:int16", "intset"),
            (0, "set:int64", "intset"),
            (0, "set:lp", "listpack"),
            (0, "set:ht", "hashtable"),
            (0, "set:bigint", "hashtable"),
            (0, "zset:lp", "listpack"),
            (0, "zset:sk", "skiplist"),
            (0, "zset:long", "skiplist"),
            (9, "db9:hash", "listpack"),
            (0, "stream:small", "stream"),
            (0, "stream:big", "stream"),
            (0, "stream:emptied", "stream"),
            (0, "stream:mk", "stream"),
        ] {
            assert_eq!(encoding(&ks, db, key), enc, "{name} {key}");
        }
    }
}

#[test]
fn lfu_and_lru_records_are_applied() {
    let (ks, _) = load(&fixture("all_types.rdb"), AccessInfo::Lfu);
    let d = &ks.dbs[0];
    let s = d.lock(d.stripe_of(b"str:int"));
    // Fresh keys carry Redis' initial LFU counter (5).
    assert_eq!(s.peek(b"str:int").unwrap().lru() & 0xff, 5);
    drop(s);
    let (ks, _) = load(&fixture("lru.rdb"), AccessInfo::Lru);
    let d = &ks.dbs[0];
    let s = d.lock(d.stripe_of(b"str:int"));
    let idle = clock::idle_ms(s.peek(b"str:int").unwrap().lru(), clock::now_ms());
    assert!(idle < 10_000_000_000, "an idle time was applied: {idle}");
}

#[test]
fn resave_keeps_the_digest() {
    let (ks, _) = load(&fixture("all_types.rdb"), AccessInfo::None);
    let mut buf = vec![];
    let o = FileOpts {
        value: Default::default(),
        checksum: true,
        access: AccessInfo::Lfu,
        redis_ver: "7.4.1".into(),
        used_mem: 0,
        now_ms: clock::now_ms(),
        functions: Vec::new(),
    };
    file::save(&ks, &mut buf, &o).unwrap();
    let (ks2, _) = load(&buf, AccessInfo::None);
    assert_eq!(digest::dataset(&ks), digest::dataset(&ks2));
}

/// Moon writes a loaded stream back byte for byte as Redis wrote it:
/// the same blocks, listpacks, metadata, groups, PELs and consumers.
#[test]
fn streams_reencode_to_redis_bytes() {
    let data = fixture("all_types.rdb");
    let (ks, _) = load(&data, AccessInfo::None);
    let d = &ks.dbs[0];
    for key in ["stream:small", "stream:big", "stream:emptied", "stream:mk"] {
        let s = d.lock(d.stripe_of(key.as_bytes()));
        let e = s.peek(key.as_bytes()).expect(key);
        let mut rec = vec![];
        moon_persist::encode::value(e.value(), Default::default(), &mut rec).unwrap();
        let mut with_key = vec![rec[0], key.len() as u8];
        with_key.extend_from_slice(key.as_bytes());
        with_key.extend_from_slice(&rec[1..]);
        assert!(data.windows(with_key.len()).any(|w| w == with_key), "{key}: {} bytes not found in Redis' file", with_key.len());
    }
}
