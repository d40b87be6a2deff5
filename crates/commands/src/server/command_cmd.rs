//! COMMAND: introspection of the command table (bare COMMAND, COUNT, INFO,
//! DOCS, LIST, GETKEYS, GETKEYSANDFLAGS, HELP), in Redis 7's reply shapes.

#[cfg(test)]
mod conformance;
mod docs;

use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, SYNTAX};
use crate::spec::{cat, cmd, flag, kf, BeginSearch, CommandDef, FindKeys, Handler, KeySpec, Locking};
use crate::state::Server;
use crate::table::TableEntry;
use crate::util::{eq_ic, glob_match, parse_i64};
use moon_resp::{Argv, Out};

const BASE: u64 = flag::LOADING | flag::STALE | flag::SENTINEL;
const G: &str = "server";

const fn sub(name: &'static str, arity: i32, handler: Handler) -> CommandDef {
    cmd(name, arity, BASE, cat::CONNECTION, &[], handler, G).locking(Locking::None)
}

static SUBS: &[CommandDef] = &[
    sub("count", 2, count),
    sub("docs", -2, docs_cmd),
    sub("getkeys", -3, getkeys),
    sub("getkeysandflags", -3, getkeysandflags),
    sub("help", 2, help),
    sub("info", -2, info),
    sub("list", -2, list),
];

pub static COMMANDS: &[CommandDef] = &[cmd("command", -1, BASE, cat::CONNECTION, &[], all, G).locking(Locking::None).subs(SUBS)];

/// A command by name as COMMAND INFO / DOCS accept it: "get" or
/// "client|kill" (case-insensitive). Returns the table index.
fn lookup_full(srv: &Server, name: &[u8]) -> Option<usize> {
    let mut parts = name.split(|&c| c == b'|');
    let top = srv.table.lookup(parts.next()?)?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(top),
        (Some(sub), None) => srv.table.lookup_sub(top, sub),
        _ => None,
    }
}

fn top_level_ids(srv: &Server) -> Vec<usize> {
    srv.table.top_level().map(|(id, _)| id).collect()
}

fn all(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    let ids = top_level_ids(ctx.srv);
    ctx.out.array(ids.len());
    for id in ids {
        reply_info(ctx.out, ctx.srv, id);
    }
    Ok(())
}

fn count(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    ctx.out.int(ctx.srv.table.top_level().count() as i64);
    Ok(())
}

fn info(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    if argv.len() == 2 {
        return all(ctx, argv);
    }
    ctx.out.array(argv.len() - 2);
    for name in argv.iter().skip(2) {
        match lookup_full(ctx.srv, name) {
            Some(id) => reply_info(ctx.out, ctx.srv, id),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn subcommand_ids(srv: &Server, id: usize) -> Vec<usize> {
    let e = srv.table.get(id);
    e.def.subcommands.iter().filter_map(|s| e.subs.get(s.name.as_bytes()).copied()).collect()
}

/// One COMMAND INFO entry: name, arity, flags, first/last/step, ACL
/// categories, tips, key specs, subcommands.
fn reply_info(out: &mut Out, srv: &Server, id: usize) {
    let e = srv.table.get(id);
    let def = e.def;
    let range = def.legacy_range();
    out.array(10);
    out.bulk(e.full_name.as_bytes());
    out.int(def.arity as i64);
    let flags = def.flags | if range.movable { flag::MOVABLE_KEYS } else { 0 };
    let names: Vec<&str> = flag::NAMES.iter().filter(|(b, _)| flags & b != 0).map(|(_, n)| *n).collect();
    out.set(names.len());
    for n in names {
        out.simple(n);
    }
    out.int(range.first as i64);
    out.int(range.last as i64);
    out.int(range.step as i64);
    let cats = def.acl_categories();
    let names: Vec<&str> = cat::NAMES.iter().filter(|(b, _)| cats & b != 0).map(|(_, n)| *n).collect();
    out.set(names.len());
    for n in names {
        out.simple(&format!("@{n}"));
    }
    let tips = docs::find(&e.full_name).map(|d| d.tips).unwrap_or(&[]);
    out.set(tips.len());
    for t in tips {
        out.bulk(t.as_bytes());
    }
    out.set(def.key_specs.len());
    for spec in def.key_specs {
        reply_key_spec(out, spec);
    }
    let subs = subcommand_ids(srv, id);
    if subs.is_empty() {
        out.set(0);
    } else {
        out.array(subs.len());
        for s in subs {
            reply_info(out, srv, s);
        }
    }
}

fn reply_key_flags(out: &mut Out, flags: u32) {
    let names: Vec<&str> = kf::NAMES.iter().filter(|(b, _)| flags & b != 0).map(|(_, n)| *n).collect();
    out.set(names.len());
    for n in names {
        out.simple(n);
    }
}

fn reply_key_spec(out: &mut Out, spec: &KeySpec) {
    out.map(3);
    out.bulk(b"flags");
    reply_key_flags(out, spec.flags);
    out.bulk(b"begin_search");
    out.map(2);
    out.bulk(b"type");
    match spec.begin {
        BeginSearch::Index(pos) => {
            out.bulk(b"index");
            out.bulk(b"spec");
            out.map(1);
            out.bulk(b"index");
            out.int(pos as i64);
        }
        BeginSearch::Keyword { keyword, startfrom } => {
            out.bulk(b"keyword");
            out.bulk(b"spec");
            out.map(2);
            out.bulk(b"keyword");
            out.bulk(keyword.as_bytes());
            out.bulk(b"startfrom");
            out.int(startfrom as i64);
        }
        BeginSearch::Unknown => {
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
        }
    }
    out.bulk(b"find_keys");
    out.map(2);
    out.bulk(b"type");
    match spec.find {
        FindKeys::Range { lastkey, step, limit } => {
            out.bulk(b"range");
            out.bulk(b"spec");
            out.map(3);
            out.bulk(b"lastkey");
            out.int(lastkey as i64);
            out.bulk(b"keystep");
            out.int(step as i64);
            out.bulk(b"limit");
            out.int(limit as i64);
        }
        FindKeys::Keynum { keynumidx, firstkey, step } => {
            out.bulk(b"keynum");
            out.bulk(b"spec");
            out.map(3);
            out.bulk(b"keynumidx");
            out.int(keynumidx as i64);
            out.bulk(b"firstkey");
            out.int(firstkey as i64);
            out.bulk(b"keystep");
            out.int(step as i64);
        }
        FindKeys::Unknown => {
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
        }
    }
}

fn docs_cmd(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let ids: Vec<usize> =
        if argv.len() == 2 { top_level_ids(ctx.srv) } else { argv.iter().skip(2).filter_map(|n| lookup_full(ctx.srv, n)).collect() };
    ctx.out.map(ids.len());
    for id in ids {
        ctx.out.bulk(ctx.srv.table.get(id).full_name.as_bytes());
        reply_docs(ctx.out, ctx.srv, id);
    }
    Ok(())
}

fn reply_docs(out: &mut Out, srv: &Server, id: usize) {
    let e = srv.table.get(id);
    let subs = subcommand_ids(srv, id);
    let has_subs = !subs.is_empty();
    docs::reply_doc(out, docs::find(&e.full_name), e.def.group, has_subs as usize);
    if has_subs {
        out.bulk(b"subcommands");
        out.map(subs.len());
        for s in subs {
            out.bulk(srv.table.get(s).full_name.as_bytes());
            reply_docs(out, srv, s);
        }
    }
}

fn list(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    enum Filter {
        All,
        Module,
        Category(Option<u64>),
        Pattern(Vec<u8>),
    }
    let filter = match argv.len() {
        2 => Filter::All,
        5 if eq_ic(argv.get(2), "FILTERBY") => {
            let (kind, val) = (argv.get(3), argv.get(4));
            if eq_ic(kind, "MODULE") {
                Filter::Module
            } else if eq_ic(kind, "ACLCAT") {
                Filter::Category(cat::NAMES.iter().find(|(_, n)| eq_ic(val, n)).map(|(b, _)| *b))
            } else if eq_ic(kind, "PATTERN") {
                Filter::Pattern(val.to_vec())
            } else {
                return Err(SYNTAX);
            }
        }
        _ => return Err(SYNTAX),
    };
    let keep = |e: &TableEntry| match &filter {
        Filter::All => true,
        // Moon loads no modules.
        Filter::Module => false,
        Filter::Category(c) => c.is_some_and(|c| e.def.acl_categories() & c != 0),
        Filter::Pattern(p) => glob_match(p, e.full_name.as_bytes(), true),
    };
    let names: Vec<&str> = ctx.srv.table.entries.iter().filter(|e| keep(e)).map(|e| e.full_name.as_str()).collect();
    ctx.out.array(names.len());
    for n in names {
        ctx.out.bulk(n.as_bytes());
    }
    Ok(())
}

/// A key's argument index and the flags of the key spec that found it.
pub type KeyPos = (usize, u32);

/// Keys of a command line by its key specs, as Redis' getKeysUsingKeySpecs:
/// (argument index, key spec flags). Err when a spec cannot be resolved
/// for these arguments (a syntax error the command would report).
pub fn keys_from_specs(def: &CommandDef, argv: &[&[u8]]) -> Result<Vec<KeyPos>, Vec<KeyPos>> {
    let argc = argv.len() as i64;
    let mut keys = Vec::new();
    let mut invalid = false;
    for spec in def.key_specs {
        if spec.flags & kf::NOT_KEY != 0 {
            continue;
        }
        let mut first: i64 = match spec.begin {
            BeginSearch::Index(pos) => pos as i64,
            BeginSearch::Keyword { keyword, startfrom } => {
                let start = if startfrom > 0 { startfrom as i64 } else { argc + startfrom as i64 };
                let end = if startfrom > 0 { argc - 1 } else { 1 };
                let mut found = 0;
                let mut i = start;
                while i != end {
                    if i >= argc || i < 1 {
                        break;
                    }
                    if eq_ic(argv[i as usize], keyword) {
                        found = i + 1;
                        break;
                    }
                    i += if start <= end { 1 } else { -1 };
                }
                if found == 0 {
                    continue;
                }
                found
            }
            BeginSearch::Unknown => {
                invalid = true;
                continue;
            }
        };
        let (last, step) = match spec.find {
            FindKeys::Range { lastkey, step, limit } => {
                let (lastkey, limit) = (lastkey as i64, limit as i64);
                let last = if lastkey >= 0 {
                    first + lastkey
                } else if limit == 0 {
                    argc + lastkey
                } else {
                    first + ((argc - first) / limit + lastkey)
                };
                (last, step as i64)
            }
            FindKeys::Keynum { keynumidx, firstkey, step } => {
                let idx = first + keynumidx as i64;
                let numkeys = if idx < argc { parse_i64(argv[idx as usize]).filter(|n| *n >= 0) } else { None };
                let Some(numkeys) = numkeys.filter(|n| *n <= argc) else {
                    invalid = true;
                    continue;
                };
                first += firstkey as i64;
                (first + numkeys - 1, step as i64)
            }
            FindKeys::Unknown => {
                invalid = true;
                continue;
            }
        };
        if last >= argc || last < first || first >= argc || step <= 0 {
            invalid = true;
            continue;
        }
        let mut i = first;
        while i <= last {
            keys.push((i as usize, spec.flags));
            i += step;
        }
    }
    if invalid {
        Err(keys)
    } else {
        Ok(keys)
    }
}

/// Shared part of GETKEYS / GETKEYSANDFLAGS.
fn command_keys<'a>(ctx: &Ctx, argv: &'a Argv) -> Result<(Vec<&'a [u8]>, Vec<KeyPos>), CmdError> {
    let line: Vec<&[u8]> = argv.iter().skip(2).collect();
    let invalid_cmd = || CmdError::err("Invalid command specified");
    let mut id = ctx.srv.table.lookup(line[0]).ok_or_else(invalid_cmd)?;
    if !ctx.srv.table.get(id).def.subcommands.is_empty() && line.len() >= 2 {
        id = ctx.srv.table.lookup_sub(id, line[1]).ok_or_else(invalid_cmd)?;
    }
    let def = ctx.srv.table.get(id).def;
    if def.key_specs.is_empty() {
        return Err(CmdError::err("The command has no key arguments"));
    }
    let argc = line.len() as i32;
    if (def.arity > 0 && def.arity != argc) || argc < -def.arity {
        return Err(CmdError::err("Invalid number of arguments specified for command"));
    }
    let keys = match keys_from_specs(def, &line) {
        Ok(k) => k,
        // Redis falls back to per-command key finders for specs it cannot
        // resolve; Moon has none, so a command whose specs are incomplete
        // or unknown reports the keys its other specs found.
        Err(partial) if def.key_specs.iter().any(|s| s.flags & kf::INCOMPLETE != 0 || s.begin == BeginSearch::Unknown) => partial,
        Err(_) => Vec::new(),
    };
    // SORT's STORE destination comes from its own key finder, as in Redis.
    let mut keys = keys;
    if def.name == "sort" && def.key_specs.len() > 2 {
        if let Some(pos) = crate::sort::store_key_index(line.len(), |i| line[i]) {
            keys.push((pos, def.key_specs[2].flags));
        }
    }
    if keys.is_empty() && !def.has(flag::NO_MANDATORY_KEYS) {
        return Err(CmdError::err("Invalid arguments specified for command"));
    }
    let keys = match def.variable_key_flags {
        Some(resolve) => keys.into_iter().map(|(i, f)| (i, if f & kf::VARIABLE_FLAGS != 0 { resolve(&line) } else { f })).collect(),
        None => keys,
    };
    Ok((line, keys))
}

fn getkeys(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let (line, keys) = command_keys(ctx, argv)?;
    ctx.out.array(keys.len());
    for (i, _) in keys {
        ctx.out.bulk(line[i]);
    }
    Ok(())
}

fn getkeysandflags(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let (line, keys) = command_keys(ctx, argv)?;
    ctx.out.array(keys.len());
    for (i, flags) in keys {
        ctx.out.array(2);
        ctx.out.bulk(line[i]);
        reply_key_flags(ctx.out, flags);
    }
    Ok(())
}

const HELP: &[&str] = &[
    "(no subcommand)",
    "    Describe every command, as COMMAND INFO does.",
    "COUNT",
    "    Reply with the number of commands.",
    "INFO [<command-name> ...]",
    "    Describe the given commands (all when none is given): arity, flags,",
    "    key positions, ACL categories, tips, key specs and subcommands.",
    "DOCS [<command-name> ...]",
    "    Documentation of the given commands (all when none is given).",
    "GETKEYS <full-command>",
    "    Reply with the key names found in a complete command line.",
    "GETKEYSANDFLAGS <full-command>",
    "    Like GETKEYS, with the access flags of each key.",
    "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
    "    Reply with command names, optionally only those of a module, an ACL",
    "    category, or matching a glob pattern.",
];

fn help(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    crate::server::help::reply_help(ctx.out, "COMMAND", HELP);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::KeySpec;
    use crate::testing::TestClient;

    fn noop(_: &mut Ctx, _: &Argv) -> CmdResult {
        Ok(())
    }

    #[test]
    fn legacy_ranges() {
        const RW: u32 = kf::RW;
        static ONE: &[KeySpec] = &[KeySpec::single(1, RW)];
        static STEP2: &[KeySpec] = &[KeySpec::range(1, -1, 2, RW)];
        static TWO: &[KeySpec] = &[KeySpec::single(1, RW), KeySpec::single(2, RW)];
        let d = |specs: &'static [KeySpec]| cmd("x", -2, 0, 0, specs, noop, "generic");
        let r = d(ONE).legacy_range();
        assert_eq!((r.first, r.last, r.step, r.movable), (1, 1, 1, false));
        let r = d(STEP2).legacy_range();
        assert_eq!((r.first, r.last, r.step, r.movable), (1, -1, 2, false));
        // Two consecutive plain ranges merge (e.g. LMOVE).
        let r = d(TWO).legacy_range();
        assert_eq!((r.first, r.last, r.step, r.movable), (1, 2, 1, false));
        // A keynum spec makes the keys movable (e.g. ZUNIONSTORE).
        static ZU: &[KeySpec] = &[
            KeySpec::single(1, kf::OW),
            KeySpec { flags: kf::RO, begin: BeginSearch::Index(2), find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, step: 1 } },
        ];
        let r = d(ZU).legacy_range();
        assert_eq!((r.first, r.last, r.step, r.movable), (1, 1, 1, true));
        // Only unknown specs: no range at all (e.g. SORT's extra keys).
        static UNK: &[KeySpec] = &[KeySpec { flags: kf::RO, begin: BeginSearch::Unknown, find: FindKeys::Unknown }];
        let r = d(UNK).legacy_range();
        assert_eq!((r.first, r.last, r.step, r.movable), (0, 0, 0, true));
        let r = d(&[]).legacy_range();
        assert_eq!((r.first, r.last, r.step, r.movable), (0, 0, 0, false));
    }

    #[test]
    fn info_shape() {
        let mut c = TestClient::new();
        // Byte for byte what Redis sends for CLIENT|ID (SENTINEL is not shown).
        assert_eq!(
            c.run(&["COMMAND", "INFO", "client|id"]),
            "*1\r\n*10\r\n$9\r\nclient|id\r\n:2\r\n*3\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n\
             *2\r\n+@slow\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n"
        );
        assert_eq!(c.run(&["COMMAND", "INFO", "nosuch", "get|x", "client|"]), "*3\r\n$-1\r\n$-1\r\n$-1\r\n");
        c.run(&["HELLO", "3"]);
        let r = c.run(&["COMMAND", "INFO", "CONFIG"]);
        assert!(r.starts_with("*1\r\n*10\r\n$6\r\nconfig\r\n:-2\r\n~0\r\n:0\r\n:0\r\n:0\r\n~1\r\n+@slow\r\n~0\r\n~0\r\n*5\r\n*10\r\n$10\r\nconfig|get\r\n"), "{r}");
        assert!(r.contains("$16\r\nconfig|resetstat\r\n:2\r\n~4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n~3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n~2\r\n$24\r\nrequest_policy:all_nodes\r\n$29\r\nresponse_policy:all_succeeded\r\n~0\r\n~0\r\n"));
    }

    #[test]
    fn key_spec_shape() {
        let mut o = Out::new(moon_resp::Protocol::Resp3);
        reply_key_spec(&mut o, &KeySpec::single(1, kf::RO | kf::ACCESS));
        assert_eq!(
            String::from_utf8(o.buf).unwrap(),
            "%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n\
             $5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n\
             $7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n"
        );
        let mut o = Out::new(moon_resp::Protocol::Resp3);
        reply_key_spec(
            &mut o,
            &KeySpec {
                flags: kf::RW | kf::ACCESS | kf::DELETE | kf::INCOMPLETE,
                begin: BeginSearch::Keyword { keyword: "KEYS", startfrom: -2 },
                find: FindKeys::Range { lastkey: -1, step: 1, limit: 0 },
            },
        );
        assert_eq!(
            String::from_utf8(o.buf).unwrap(),
            "%3\r\n$5\r\nflags\r\n~4\r\n+RW\r\n+access\r\n+delete\r\n+incomplete\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$7\r\nkeyword\r\n\
             $4\r\nspec\r\n%2\r\n$7\r\nkeyword\r\n$4\r\nKEYS\r\n$9\r\nstartfrom\r\n:-2\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n\
             $4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:-1\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n"
        );
        let mut o = Out::new(moon_resp::Protocol::Resp2);
        reply_key_spec(
            &mut o,
            &KeySpec { flags: kf::RO, begin: BeginSearch::Index(2), find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, step: 1 } },
        );
        assert!(String::from_utf8(o.buf)
            .unwrap()
            .ends_with("$6\r\nkeynum\r\n$4\r\nspec\r\n*6\r\n$9\r\nkeynumidx\r\n:0\r\n$8\r\nfirstkey\r\n:1\r\n$7\r\nkeystep\r\n:1\r\n"));
    }

    #[test]
    fn count_list_and_bare() {
        let mut c = TestClient::new();
        let n = c.srv.table.top_level().count();
        assert_eq!(c.run(&["COMMAND", "COUNT"]), format!(":{n}\r\n"));
        assert!(c.run(&["COMMAND"]).starts_with(&format!("*{n}\r\n*10\r\n")));
        assert!(c.run(&["COMMAND", "INFO"]).starts_with(&format!("*{n}\r\n*10\r\n")));
        let all = c.run(&["COMMAND", "LIST"]);
        assert!(all.starts_with(&format!("*{}\r\n", c.srv.table.entries.len())));
        assert!(all.contains("$11\r\nclient|kill\r\n"));
        assert_eq!(c.run(&["COMMAND", "LIST", "FILTERBY", "pattern", "CLIENT|K*"]), "*1\r\n$11\r\nclient|kill\r\n");
        assert_eq!(c.run(&["COMMAND", "LIST", "FILTERBY", "module", "x"]), "*0\r\n");
        assert_eq!(c.run(&["COMMAND", "LIST", "FILTERBY", "aclcat", "nosuch"]), "*0\r\n");
        let conn = c.run(&["COMMAND", "LIST", "FILTERBY", "ACLCAT", "CONNECTION"]);
        assert!(conn.contains("$4\r\nping\r\n") && conn.contains("$9\r\nclient|id\r\n") && !conn.contains("config|get"));
        // Implicit categories count: CLIENT KILL is @admin through its flags.
        assert!(c.run(&["COMMAND", "LIST", "FILTERBY", "aclcat", "admin"]).contains("client|kill"));
        assert_eq!(c.run(&["COMMAND", "LIST", "FILTERBY", "x", "y"]), "-ERR syntax error\r\n");
        assert_eq!(c.run(&["COMMAND", "LIST", "x"]), "-ERR syntax error\r\n");
        assert_eq!(c.run(&["COMMAND", "LIST", "FILTERBY", "aclcat", "string", "x"]), "-ERR syntax error\r\n");
        assert_eq!(c.run(&["COMMAND", "COUNT", "x"]), "-ERR wrong number of arguments for 'command|count' command\r\n");
        assert!(c.run(&["COMMAND", "HELP"]).starts_with(&format!("*{}\r\n+COMMAND <subcommand>", HELP.len() + 3)));
    }

    #[test]
    fn docs_shape() {
        let mut c = TestClient::new();
        c.run(&["HELLO", "3"]);
        let summary = docs::find("client|setname").unwrap().summary;
        assert_eq!(
            c.run(&["COMMAND", "DOCS", "client|setname", "nosuch"]),
            format!(
                "%1\r\n$14\r\nclient|setname\r\n%4\r\n$7\r\nsummary\r\n${}\r\n{summary}\r\n$5\r\nsince\r\n$5\r\n2.6.9\r\n$5\r\ngroup\r\n$10\r\nconnection\r\n\
                 $9\r\narguments\r\n*1\r\n%3\r\n$4\r\nname\r\n$15\r\nconnection-name\r\n$4\r\ntype\r\n$6\r\nstring\r\n$12\r\ndisplay_text\r\n$15\r\nconnection-name\r\n",
                summary.len()
            )
        );
        let r = c.run(&["COMMAND", "DOCS", "CONFIG"]);
        assert!(r.starts_with("%1\r\n$6\r\nconfig\r\n%4\r\n$7\r\nsummary\r\n"), "{r}");
        assert!(r.contains("$11\r\nsubcommands\r\n%5\r\n$10\r\nconfig|get\r\n%4\r\n"));
        // Flags of arguments are sets; containers carry no display_text.
        assert!(r.contains("$5\r\nflags\r\n~1\r\n+multiple\r\n"));
        let r = c.run(&["COMMAND", "DOCS", "client|kill"]);
        assert!(r.contains("$4\r\nname\r\n$6\r\nfilter\r\n$4\r\ntype\r\n$5\r\noneof\r\n$9\r\narguments\r\n"), "{r}");
        assert!(r.contains("$7\r\nip:port\r\n"));
        assert_eq!(c.run(&["COMMAND", "DOCS", "nosuch"]), "%0\r\n");
        let n = c.srv.table.top_level().count();
        assert!(c.run(&["COMMAND", "DOCS"]).starts_with(&format!("%{n}\r\n")));
    }

    #[test]
    fn docs_cover_the_spec() {
        for w in docs::DOCS.windows(2) {
            assert!(w[0].name < w[1].name, "DOCS must be sorted for binary search");
        }
        let get = docs::find("get").unwrap();
        assert_eq!((get.since, get.group, get.args.len()), ("1.0.0", "string", 1));
        assert_eq!(get.args[0].key_spec_index, 0);
        let b = docs::find("brpoplpush").unwrap();
        assert_eq!((b.doc_flags, b.deprecated_since), (&["deprecated"][..], Some("6.2.0")));
        assert_eq!(docs::find("mset").unwrap().tips, &["request_policy:multi_shard", "response_policy:all_succeeded"]);
    }

    fn keys(def: &CommandDef, line: &[&str]) -> Result<Vec<usize>, Vec<usize>> {
        let argv: Vec<&[u8]> = line.iter().map(|s| s.as_bytes()).collect();
        keys_from_specs(def, &argv).map(|k| k.into_iter().map(|(i, _)| i).collect()).map_err(|k| k.into_iter().map(|(i, _)| i).collect())
    }

    #[test]
    fn keys_by_spec() {
        static MSET: &[KeySpec] = &[KeySpec::range(1, -1, 2, kf::OW | kf::UPDATE)];
        let mset = cmd("mset", -3, 0, 0, MSET, noop, "string");
        assert_eq!(keys(&mset, &["mset", "a", "b", "c"]), Ok(vec![1, 3]));
        static ZU: &[KeySpec] = &[
            KeySpec::single(1, kf::OW),
            KeySpec { flags: kf::RO, begin: BeginSearch::Index(2), find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, step: 1 } },
        ];
        let zu = cmd("zunionstore", -4, 0, 0, ZU, noop, "sorted-set");
        assert_eq!(keys(&zu, &["zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"]), Ok(vec![1, 3, 4]));
        assert!(keys(&zu, &["zunionstore", "d", "x", "a"]).is_err());
        assert!(keys(&zu, &["zunionstore", "d", "5", "a"]).is_err());
        assert!(keys(&zu, &["zunionstore", "d", "99999999999", "a"]).is_err());
        static XREAD: &[KeySpec] = &[KeySpec {
            flags: kf::RO,
            begin: BeginSearch::Keyword { keyword: "STREAMS", startfrom: 1 },
            find: FindKeys::Range { lastkey: -1, step: 1, limit: 2 },
        }];
        let xread = cmd("xread", -4, 0, 0, XREAD, noop, "stream");
        assert_eq!(keys(&xread, &["xread", "COUNT", "1", "streams", "a", "b", "0", "0"]), Ok(vec![4, 5]));
        assert_eq!(keys(&xread, &["xread", "COUNT", "1", "nostreams"]), Ok(vec![]));
    }

    #[test]
    fn getkeys_errors() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["COMMAND", "GETKEYS"]), "-ERR wrong number of arguments for 'command|getkeys' command\r\n");
        assert_eq!(c.run(&["COMMAND", "GETKEYS", "nosuch"]), "-ERR Invalid command specified\r\n");
        assert_eq!(c.run(&["COMMAND", "GETKEYS", "client", "nosuch"]), "-ERR Invalid command specified\r\n");
        assert_eq!(c.run(&["COMMAND", "GETKEYS", "ping"]), "-ERR The command has no key arguments\r\n");
        assert_eq!(c.run(&["COMMAND", "GETKEYS", "client"]), "-ERR The command has no key arguments\r\n");
        assert_eq!(c.run(&["COMMAND", "GETKEYS", "client", "kill", "x"]), "-ERR The command has no key arguments\r\n");
    }

    /// GETKEYS end to end, on whichever keyed commands the table has (the
    /// string and keyspace families are written in parallel).
    #[test]
    fn getkeys_through_the_table() {
        let mut c = TestClient::new();
        if c.srv.table.lookup(b"get").is_some() {
            assert_eq!(c.run(&["COMMAND", "GETKEYS", "GET", "k"]), "*1\r\n$1\r\nk\r\n");
            assert_eq!(c.run(&["COMMAND", "GETKEYS", "get", "a", "b"]), "-ERR Invalid number of arguments specified for command\r\n");
        }
        if c.srv.table.lookup(b"set").is_some() {
            assert_eq!(c.run(&["COMMAND", "GETKEYSANDFLAGS", "set", "a", "b"]), "*1\r\n*2\r\n$1\r\na\r\n*2\r\n+OW\r\n+update\r\n");
        }
        if c.srv.table.lookup(b"mset").is_some() {
            assert_eq!(c.run(&["COMMAND", "GETKEYS", "mset", "a", "b", "c"]), "*2\r\n$1\r\na\r\n$1\r\nc\r\n");
        }
    }

    /// SORT's STORE key comes from its key finder (Redis' sortGetKeys).
    #[test]
    fn getkeys_sort_store() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["COMMAND", "GETKEYS", "SORT", "a", "STORE", "b"]), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
        assert_eq!(
            c.run(&["COMMAND", "GETKEYSANDFLAGS", "SORT", "a", "STORE", "b"]),
            "*2\r\n*2\r\n$1\r\na\r\n*2\r\n+RO\r\n+access\r\n*2\r\n$1\r\nb\r\n*2\r\n+OW\r\n+update\r\n"
        );
        // The last STORE wins; LIMIT/GET/BY arguments are skipped, STORE's
        // own is not.
        assert_eq!(c.run(&["COMMAND", "GETKEYS", "SORT", "a", "STORE", "b", "STORE", "c"]), "*2\r\n$1\r\na\r\n$1\r\nc\r\n");
        assert_eq!(c.run(&["COMMAND", "GETKEYS", "SORT", "a", "STORE", "get", "STORE", "b"]), "*2\r\n$1\r\na\r\n$3\r\nget\r\n");
        assert_eq!(c.run(&["COMMAND", "GETKEYS", "SORT", "a", "BY", "store", "STORE", "z"]), "*2\r\n$1\r\na\r\n$1\r\nz\r\n");
        assert_eq!(c.run(&["COMMAND", "GETKEYS", "SORT", "a", "LIMIT", "store", "b", "STORE"]), "*1\r\n$1\r\na\r\n");
        assert_eq!(c.run(&["COMMAND", "GETKEYS", "SORT", "a", "STORE"]), "*1\r\n$1\r\na\r\n");
        assert_eq!(c.run(&["COMMAND", "GETKEYS", "SORT_RO", "a", "STORE", "b"]), "*1\r\n$1\r\na\r\n");
    }
}
