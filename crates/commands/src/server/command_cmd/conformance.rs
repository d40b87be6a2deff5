//! The command table against the vendored Redis 7.4.1 command spec: arity,
//! flags, explicit ACL categories, group and key specs of every command and
//! subcommand Moon registers must be exactly Redis'. One failure lists
//! every mismatch.

use crate::spec::{cat, flag, kf, BeginSearch, CommandDef, FindKeys, KeySpec};
use crate::table::Table;
use serde_json::Value;
use std::collections::BTreeSet;

/// Commands of Moon's own that Redis does not have (none yet).
const MOON_ONLY: &[&str] = &[];

/// Every command flag bit, named as in the spec file. MOVABLE_KEYS is not
/// here: Redis derives it from the key specs (see legacy_range).
const FLAG_NAMES: &[(u64, &str)] = &[
    (flag::WRITE, "WRITE"),
    (flag::READONLY, "READONLY"),
    (flag::DENYOOM, "DENYOOM"),
    (flag::MODULE, "MODULE"),
    (flag::ADMIN, "ADMIN"),
    (flag::PUBSUB, "PUBSUB"),
    (flag::NOSCRIPT, "NOSCRIPT"),
    (flag::BLOCKING, "BLOCKING"),
    (flag::LOADING, "LOADING"),
    (flag::STALE, "STALE"),
    (flag::SKIP_MONITOR, "SKIP_MONITOR"),
    (flag::SKIP_SLOWLOG, "SKIP_SLOWLOG"),
    (flag::ASKING, "ASKING"),
    (flag::FAST, "FAST"),
    (flag::NO_AUTH, "NO_AUTH"),
    (flag::MAY_REPLICATE, "MAY_REPLICATE"),
    (flag::SENTINEL, "SENTINEL"),
    (flag::ONLY_SENTINEL, "ONLY_SENTINEL"),
    (flag::NO_MANDATORY_KEYS, "NO_MANDATORY_KEYS"),
    (flag::PROTECTED, "PROTECTED"),
    (flag::NO_ASYNC_LOADING, "NO_ASYNC_LOADING"),
    (flag::NO_MULTI, "NO_MULTI"),
    (flag::ALLOW_BUSY, "ALLOW_BUSY"),
    (flag::TOUCHES_ARBITRARY_KEYS, "TOUCHES_ARBITRARY_KEYS"),
];

fn flag_names(def: &CommandDef) -> BTreeSet<String> {
    let mut s: BTreeSet<String> = FLAG_NAMES.iter().filter(|(b, _)| def.flags & b != 0).map(|(_, n)| n.to_string()).collect();
    let known = FLAG_NAMES.iter().fold(flag::MOVABLE_KEYS, |a, (b, _)| a | b);
    if def.flags & !known != 0 {
        s.insert(format!("unknown bits {:#x}", def.flags & !known));
    }
    if def.flags & flag::MOVABLE_KEYS != 0 {
        s.insert("MOVABLE_KEYS (derived from key specs, must not be set)".into());
    }
    s
}

fn acl_names(def: &CommandDef) -> BTreeSet<String> {
    cat::NAMES.iter().filter(|(b, _)| def.acl & b != 0).map(|(_, n)| n.to_uppercase()).collect()
}

fn json_set(v: &Value, key: &str) -> BTreeSet<String> {
    v.get(key).and_then(Value::as_array).map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

/// A key spec rendered the way the spec file writes it, so both sides
/// compare (and print) as the same JSON shape.
fn spec_json(k: &KeySpec) -> Value {
    let flags: Vec<Value> = kf::NAMES.iter().filter(|(b, _)| k.flags & b != 0).map(|(_, n)| Value::from(n.to_uppercase())).collect();
    let begin = match k.begin {
        BeginSearch::Index(pos) => serde_json::json!({ "index": { "pos": pos } }),
        BeginSearch::Keyword { keyword, startfrom } => serde_json::json!({ "keyword": { "keyword": keyword, "startfrom": startfrom } }),
        BeginSearch::Unknown => serde_json::json!({ "unknown": null }),
    };
    let find = match k.find {
        FindKeys::Range { lastkey, step, limit } => serde_json::json!({ "range": { "lastkey": lastkey, "step": step, "limit": limit } }),
        FindKeys::Keynum { keynumidx, firstkey, step } => {
            serde_json::json!({ "keynum": { "keynumidx": keynumidx, "firstkey": firstkey, "step": step } })
        }
        FindKeys::Unknown => serde_json::json!({ "unknown": null }),
    };
    serde_json::json!({ "flags": flags, "begin_search": begin, "find_keys": find })
}

/// Key spec flags in the spec file's (arbitrary) order do not matter.
fn normalize_spec(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(flags) = v.get_mut("flags").and_then(Value::as_array_mut) {
        flags.sort_by_key(|f| f.as_str().unwrap_or_default().to_string());
    }
    v
}

/// All mismatches between `table` and the spec, one line each.
pub fn mismatches(table: &Table, spec: &serde_json::Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    for e in &table.entries {
        let name = &e.full_name;
        let key = name.to_uppercase().replace('|', " ");
        let Some(s) = spec.get(&key) else {
            if !MOON_ONLY.contains(&name.as_str()) {
                out.push(format!("{name}: not in the Redis command spec"));
            }
            continue;
        };
        let def = e.def;
        let arity = s.get("arity").and_then(Value::as_i64).unwrap_or(0);
        if def.arity as i64 != arity {
            out.push(format!("{name}: arity {} != spec {arity}", def.arity));
        }
        let (ours, theirs) = (flag_names(def), json_set(s, "command_flags"));
        if ours != theirs {
            out.push(format!("{name}: flags {ours:?} != spec {theirs:?}"));
        }
        let (ours, theirs) = (acl_names(def), json_set(s, "acl_categories"));
        if ours != theirs {
            out.push(format!("{name}: acl categories {ours:?} != spec {theirs:?}"));
        }
        let group = s.get("group").and_then(Value::as_str).unwrap_or_default();
        if def.group != group {
            out.push(format!("{name}: group {:?} != spec {group:?}", def.group));
        }
        let theirs: Vec<Value> = s.get("key_specs").and_then(Value::as_array).cloned().unwrap_or_default();
        let theirs: Vec<Value> = theirs.iter().map(normalize_spec).collect();
        let ours: Vec<Value> = def.key_specs.iter().map(|k| normalize_spec(&spec_json(k))).collect();
        if ours != theirs {
            out.push(format!("{name}: key specs {} != spec {}", Value::from(ours), Value::from(theirs)));
        }
    }
    out
}

fn load_spec() -> serde_json::Map<String, Value> {
    let text = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/redis-7.4.1-commands.json"));
    let mut spec: serde_json::Map<String, Value> = serde_json::from_str(text).expect("vendored spec parses");
    // Commands added after 7.4 (HGETDEL, HGETEX, HSETEX, XACKDEL, XDELEX), as Redis 8.2's
    // COMMAND INFO / COMMAND DOCS describe them.
    let extra = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/redis-8.2-extra-commands.json"));
    let extra: serde_json::Map<String, Value> = serde_json::from_str(extra).expect("extra spec parses");
    spec.extend(extra);
    spec
}

#[test]
fn command_table_matches_redis_spec() {
    let table = Table::build();
    let problems = mismatches(&table, &load_spec());
    assert!(problems.is_empty(), "{} command table mismatch(es) with the Redis spec:\n{}", problems.len(), problems.join("\n"));
}

/// The checker itself must notice every kind of difference.
#[test]
fn checker_reports_each_kind_of_mismatch() {
    fn noop(_: &mut crate::ctx::Ctx, _: &moon_resp::Argv) -> crate::error::CmdResult {
        Ok(())
    }
    static BAD_SPECS: &[KeySpec] = &[KeySpec::single(2, kf::RW | kf::ACCESS)];
    static BAD: &[CommandDef] = &[
        crate::spec::cmd("get", 3, flag::READONLY | flag::MOVABLE_KEYS, cat::HASH, BAD_SPECS, noop, "hash"),
        crate::spec::cmd("frobnicate", 1, 0, 0, &[], noop, "generic"),
    ];
    let mut bad = Table::build();
    bad.entries.clear();
    for def in BAD {
        bad.entries.push(crate::table::TableEntry {
            def,
            full_name: def.name.to_string(),
            parent: None,
            subs: Default::default(),
            stats: Default::default(),
        });
    }
    let problems = mismatches(&bad, &load_spec());
    let text = problems.join("\n");
    for needle in [
        "get: arity 3 != spec 2",
        "get: flags",
        "MOVABLE_KEYS",
        "get: acl categories",
        "get: group",
        "get: key specs",
        "frobnicate: not in",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}
