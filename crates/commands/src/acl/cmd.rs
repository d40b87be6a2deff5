//! The ACL command: CAT DELUSER DRYRUN GENPASS GETUSER HELP LIST LOAD LOG
//! SAVE SETUSER USERS WHOAMI.

use super::user::{category_by_name, merge_selector_args, User};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::server::help::{reply_help, subcommand_syntax_error};
use crate::spec::{cat, cmd, flag::*, CommandDef, Handler, Locking};
use crate::util::{eq_ic, parse_i64};
use moon_resp::Argv;
use rand::RngCore;

const G: &str = "server";
const BASE: u64 = NOSCRIPT | LOADING | STALE | SENTINEL;

const fn sub(name: &'static str, arity: i32, flags: u64, handler: Handler) -> CommandDef {
    cmd(name, arity, flags, 0, &[], handler, G).locking(Locking::None)
}

static SUBS: &[CommandDef] = &[
    sub("cat", -2, BASE, cat_cmd),
    sub("deluser", -3, ADMIN | BASE, deluser),
    sub("dryrun", -4, ADMIN | BASE, dryrun),
    sub("genpass", -2, BASE, genpass),
    sub("getuser", 3, ADMIN | BASE, getuser),
    sub("help", 2, LOADING | STALE | SENTINEL, help),
    sub("list", 2, ADMIN | BASE, list),
    sub("load", 2, ADMIN | BASE, load),
    sub("log", -2, ADMIN | BASE, log),
    sub("save", 2, ADMIN | BASE, save),
    sub("setuser", -3, ADMIN | BASE, setuser),
    sub("users", 2, ADMIN | BASE, users),
    sub("whoami", 2, BASE, whoami),
];

pub static COMMANDS: &[CommandDef] =
    &[cmd("acl", -2, SENTINEL, 0, &[], crate::server::client_cmd::container, G).locking(Locking::None).subs(SUBS)];

fn cat_cmd(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    match argv.len() {
        2 => {
            ctx.out.array(cat::NAMES.len());
            for (_, name) in cat::NAMES {
                ctx.out.bulk(name.as_bytes());
            }
        }
        3 => {
            let name = String::from_utf8_lossy(argv.get(2));
            let Some(c) = category_by_name(&name) else {
                return Err(CmdError::err(format!("Unknown category '{name}'")));
            };
            let names: Vec<&str> =
                ctx.srv.table.entries.iter().filter(|e| e.def.acl_categories() & c != 0).map(|e| e.full_name.as_str()).collect();
            ctx.out.array(names.len());
            for n in names {
                ctx.out.bulk(n.as_bytes());
            }
        }
        _ => return Err(subcommand_syntax_error(argv)),
    }
    Ok(())
}

fn deluser(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    if argv.iter().skip(2).any(|u| u == b"default") {
        return Err(CmdError::err("The 'default' user cannot be removed"));
    }
    let mut deleted = 0;
    for name in argv.iter().skip(2) {
        let Ok(name) = std::str::from_utf8(name) else { continue };
        if ctx.srv.acl.remove(name) {
            super::kill_clients_of(ctx.srv, ctx.conn, name);
            deleted += 1;
        }
    }
    ctx.out.int(deleted);
    Ok(())
}

fn dryrun(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let Some(u) = ctx.srv.acl.get_bytes(argv.get(2)) else {
        return Err(CmdError::err(format!("User '{}' not found", String::from_utf8_lossy(argv.get(2)))));
    };
    let table = &ctx.srv.table;
    let not_found = || CmdError::err(format!("Command '{}' not found", String::from_utf8_lossy(argv.get(3))));
    let mut id = table.lookup(argv.get(3)).ok_or_else(not_found)?;
    if !table.get(id).subs.is_empty() && argv.len() > 4 {
        id = table.lookup_sub(id, argv.get(4)).ok_or_else(not_found)?;
    }
    let entry = table.get(id);
    let (arity, argc) = (entry.def.arity, argv.len() as i32 - 3);
    if (arity > 0 && arity != argc) || argc < -arity {
        return Err(crate::error::arity(&entry.full_name));
    }
    let base = argv.bytes().as_ptr() as usize;
    let offs: Vec<(usize, usize)> = argv
        .iter()
        .skip(3)
        .map(|a| {
            let s = a.as_ptr() as usize - base;
            (s, s + a.len())
        })
        .collect();
    let sub = Argv::new(argv.bytes(), &offs);
    match super::denial(table, &u, id, &sub) {
        None => ctx.out.ok(),
        Some((why, pos)) => ctx.out.bulk(super::message(why, &u.name, entry, &sub, pos, true).as_bytes()),
    }
    Ok(())
}

fn genpass(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let bits = match argv.len() {
        2 => 256,
        3 => {
            let b = parse_i64(argv.get(2)).ok_or(crate::error::NOT_INTEGER)?;
            if b <= 0 || b > 4096 {
                return Err(CmdError::err(
                    "ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096",
                ));
            }
            b as usize
        }
        _ => return Err(subcommand_syntax_error(argv)),
    };
    let chars = bits.div_ceil(4);
    let mut bytes = vec![0u8; chars.div_ceil(2)];
    rand::thread_rng().fill_bytes(&mut bytes);
    let mut hex = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        hex.push_str(&format!("{b:02x}"));
    }
    hex.truncate(chars);
    ctx.out.bulk(hex.as_bytes());
    Ok(())
}

fn getuser(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let Some(u) = ctx.srv.acl.get_bytes(argv.get(2)) else {
        ctx.out.null();
        return Ok(());
    };
    let out = &mut *ctx.out;
    out.map(6);
    out.bulk(b"flags");
    let flags = u.flag_names();
    out.set(flags.len());
    for f in flags {
        out.bulk(f.as_bytes());
    }
    out.bulk(b"passwords");
    out.array(u.passwords.len());
    for p in &u.passwords {
        out.bulk(p.as_bytes());
    }
    let describe = |out: &mut moon_resp::Out, s: &super::Selector| {
        out.bulk(b"commands");
        out.bulk(s.describe_commands().as_bytes());
        out.bulk(b"keys");
        out.bulk(&s.describe_keys());
        out.bulk(b"channels");
        out.bulk(&s.describe_channels());
    };
    describe(out, u.root());
    out.bulk(b"selectors");
    out.array(u.selectors.len() - 1);
    for s in &u.selectors[1..] {
        out.map(3);
        describe(out, s);
    }
    Ok(())
}

/// HELP lines in Moon's own words.
const HELP: &[&str] = &[
    "CAT [<category>]",
    "    Without a category: the ACL categories. With one: the commands in it.",
    "DELUSER <username> [<username> ...]",
    "    Remove users; their connections are closed.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Tell whether the user may run this command line, without running it.",
    "GETUSER <username>",
    "    A user's flags, passwords, commands, keys, channels and selectors.",
    "GENPASS [<bits>]",
    "    A random password in hex, 256 bits unless told otherwise.",
    "LIST",
    "    Every user as a rule line (the ACL file format).",
    "LOAD",
    "    Replace the users with those of the ACL file.",
    "LOG [<count> | RESET]",
    "    Recent denied commands, keys, channels and failed AUTHs, or clear them.",
    "SAVE",
    "    Write the users to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create a user or change it by applying rules.",
    "USERS",
    "    The names of all users.",
    "WHOAMI",
    "    The user of this connection.",
];

fn help(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    reply_help(ctx.out, "ACL", HELP);
    Ok(())
}

/// "user <name> <rules>" as ACL LIST and the ACL file show a user.
pub fn user_line(u: &User) -> Vec<u8> {
    let mut s = format!("user {} ", u.name).into_bytes();
    s.extend_from_slice(&u.describe());
    s
}

fn list(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    let users = ctx.srv.acl.all();
    ctx.out.array(users.len());
    for u in users {
        ctx.out.bulk(&user_line(&u));
    }
    Ok(())
}

fn load(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    let path = super::file::acl_file(ctx.srv)?;
    super::file::load_file(ctx.srv, &path).map_err(CmdError::err)?;
    // Clients whose user is gone are disconnected, as in Redis.
    let alive: Vec<String> = ctx.srv.acl.all().iter().map(|u| u.name.clone()).collect();
    for h in ctx.srv.clients.all() {
        let user = h.meta.lock().user.clone();
        if !alive.contains(&user) {
            if h.id == ctx.conn.id() {
                ctx.conn.action = Some(crate::client::Action::Close);
            } else {
                h.kill();
            }
        }
    }
    ctx.out.ok();
    Ok(())
}

fn save(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    let path = super::file::acl_file(ctx.srv)?;
    super::file::save_file(ctx.srv, &path)
        .map_err(|_| CmdError::err("There was an error trying to save the ACLs. Please check the server logs for more information"))?;
    ctx.out.ok();
    Ok(())
}

fn log(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let mut count = 10i64;
    match argv.len() {
        2 => {}
        3 if eq_ic(argv.get(2), "reset") => {
            ctx.srv.acl.log.lock().reset();
            ctx.out.ok();
            return Ok(());
        }
        3 => count = parse_i64(argv.get(2)).ok_or(crate::error::NOT_INTEGER)?.max(0),
        _ => return Err(subcommand_syntax_error(argv)),
    }
    ctx.srv.acl.log.lock().write(ctx.out, count as usize, moon_store::clock::now_ms());
    Ok(())
}

fn setuser(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let name = argv.get(2);
    if name.iter().any(|&c| c == b' ' || c == 0) {
        return Err(CmdError::err("Usernames can't contain spaces or null characters"));
    }
    let name = String::from_utf8_lossy(name).into_owned();
    let args: Vec<&[u8]> = argv.iter().skip(3).collect();
    let ops = merge_selector_args(&args)
        .map_err(|i| CmdError::err(format!("Unmatched parenthesis in acl selector starting at '{}'.", String::from_utf8_lossy(args[i]))))?;
    let table = &ctx.srv.table;
    let pubsub_all = super::file::pubsub_default_all(ctx.srv);
    let mut u = match ctx.srv.acl.get(&name) {
        Some(u) => (*u).clone(),
        None => User::new(&name, table.entries.len(), pubsub_all),
    };
    for op in &ops {
        if let Err(e) = u.apply(table, op, pubsub_all) {
            return Err(CmdError::err(format!("Error in ACL SETUSER modifier '{}': {}", String::from_utf8_lossy(op), e.text())));
        }
    }
    ctx.srv.acl.put(u);
    ctx.out.ok();
    Ok(())
}

fn users(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    let users = ctx.srv.acl.all();
    ctx.out.array(users.len());
    for u in users {
        ctx.out.bulk(u.name.as_bytes());
    }
    Ok(())
}

fn whoami(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    ctx.out.bulk(ctx.conn.user.as_bytes());
    Ok(())
}
