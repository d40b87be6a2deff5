//! CLIENT: connection introspection and control (ID SETNAME GETNAME LIST
//! INFO KILL PAUSE UNPAUSE UNBLOCK REPLY NO-EVICT NO-TOUCH SETINFO HELP).

use crate::client::{Action, ClientHandle, ReplyMode};
use crate::connection::validate_client_name;
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, SYNTAX};
use crate::spec::{cat, cmd, flag::*, CommandDef, Locking};
use crate::state::PauseMode;
use crate::util::{eq_ic, parse_i64};
use moon_resp::Argv;
use moon_store::clock;
use std::fmt::Write as _;
use std::sync::atomic::Ordering::{Relaxed, Release};

const BASE: u64 = NOSCRIPT | LOADING | STALE | SENTINEL;
const C: u64 = cat::CONNECTION;
const G: &str = "connection";

const fn sub(name: &'static str, arity: i32, flags: u64, handler: crate::spec::Handler) -> CommandDef {
    cmd(name, arity, flags, C, &[], handler, G).locking(Locking::None)
}

static SUBS: &[CommandDef] = &[
    sub("id", 2, BASE, id),
    sub("setname", 3, BASE, setname),
    sub("getname", 2, BASE, getname),
    sub("list", -2, ADMIN | BASE, list),
    sub("info", 2, BASE, info),
    sub("kill", -3, ADMIN | BASE, kill),
    sub("pause", -3, ADMIN | BASE, pause),
    sub("unpause", 2, ADMIN | BASE, unpause),
    sub("unblock", -3, ADMIN | BASE, unblock),
    sub("tracking", -3, BASE, crate::tracking::tracking),
    sub("caching", 3, BASE, crate::tracking::caching),
    sub("getredir", 2, BASE, crate::tracking::getredir),
    sub("trackinginfo", 2, BASE, crate::tracking::trackinginfo),
    sub("reply", 3, BASE, reply),
    sub("no-evict", 3, ADMIN | BASE, no_evict),
    sub("no-touch", 3, NOSCRIPT | LOADING | STALE, no_touch),
    sub("setinfo", 4, BASE, setinfo),
    sub("help", 2, LOADING | STALE | SENTINEL, help),
];

pub static COMMANDS: &[CommandDef] = &[cmd("client", -2, SENTINEL, 0, &[], container, G).locking(Locking::None).subs(SUBS)];

/// The dispatcher always resolves a subcommand; this only runs if a
/// container is called directly, which `exec::resolve` prevents.
pub(crate) fn container(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    Err(crate::error::arity(ctx.name()))
}

fn id(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    ctx.out.int(ctx.conn.id() as i64);
    Ok(())
}

fn setname(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let name = argv.get(2);
    validate_client_name(name)?;
    ctx.conn.handle.meta.lock().name = name.to_vec();
    ctx.out.ok();
    Ok(())
}

fn getname(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    let name = ctx.conn.handle.meta.lock().name.clone();
    if name.is_empty() {
        ctx.out.null();
    } else {
        ctx.out.bulk(&name);
    }
    Ok(())
}

/// Client classes CLIENT LIST / KILL filter on. Moon has no replication
/// or pub/sub connections yet, so every client is `Normal` for now.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Master,
    Replica,
    Pubsub,
}

fn parse_type(arg: &[u8]) -> Result<ClientType, CmdError> {
    let t = match arg.to_ascii_lowercase().as_slice() {
        b"normal" => ClientType::Normal,
        b"master" => ClientType::Master,
        b"replica" | b"slave" => ClientType::Replica,
        b"pubsub" => ClientType::Pubsub,
        _ => return Err(CmdError::err(format!("Unknown client type '{}'", String::from_utf8_lossy(arg)))),
    };
    Ok(t)
}

fn client_type(_h: &ClientHandle) -> ClientType {
    ClientType::Normal
}

/// What is known only about the client running the command.
struct Current<'a> {
    id: u64,
    cmd: &'a str,
    argv_mem: usize,
    table: &'a crate::table::Table,
    clients: &'a crate::client::Clients,
}

impl<'a> Current<'a> {
    fn of(ctx: &'a Ctx, argv: &Argv) -> Current<'a> {
        Current {
            id: ctx.conn.id(),
            cmd: ctx.name(),
            argv_mem: argv.iter().map(|a| a.len()).sum(),
            table: &ctx.srv.table,
            clients: &ctx.srv.clients,
        }
    }
}

/// Memory Redis reports for an idle client with an empty 1 KB reply buffer.
const IDLE_CLIENT_MEM: u64 = 1920;

/// One CLIENT LIST / CLIENT INFO line, fields as in Redis 8.2. Fields for
/// features Moon lacks (pub/sub, MULTI, tracking) show the values of an
/// idle normal client.
fn info_line(h: &ClientHandle, now_ms: i64, cur: &Current, line: &mut String) {
    let meta = h.meta.lock();
    let is_self = h.id == cur.id;
    let age = (now_ms - h.created_ms).max(0) / 1000;
    let idle = if is_self { 0 } else { (now_ms - h.last_interaction_ms.load(Relaxed)).max(0) / 1000 };
    // Redis' letters, in Redis' order.
    let tracking = h.tracking.lock().clone();
    let flag_list = [
        (meta.monitor, 'O'),
        (h.sub_counts.iter().any(|c| c.load(Relaxed) > 0), 'P'),
        (h.multi_queued.load(Relaxed) >= 0, 'x'),
        (h.blocked.lock().is_some(), 'b'),
        (tracking.is_some(), 't'),
        (tracking.as_ref().is_some_and(|t| t.redirect != 0 && cur.clients.get(t.redirect).is_none()), 'R'),
        (tracking.as_ref().is_some_and(|t| t.bcast), 'B'),
        (h.watch_dirty.load(Relaxed), 'd'),
        (h.kill_requested.load(Relaxed), 'A'),
        (h.is_unix, 'U'),
        (meta.no_evict, 'e'),
        (meta.no_touch, 'T'),
    ];
    let mut flags: String = flag_list.iter().filter(|(on, _)| *on).map(|(_, c)| *c).collect();
    if flags.is_empty() {
        flags.push('N');
    }
    let qbuf = h.qbuf.load(Relaxed);
    let omem = h.omem.load(Relaxed);
    let argv_mem = if is_self { cur.argv_mem as u64 } else { 0 };
    let events = if omem > 0 { "rw" } else { "r" };
    let cmd = if is_self {
        cur.cmd
    } else {
        match h.last_cmd.load(Relaxed) {
            0 => "NULL",
            id => cur.table.get(id - 1).full_name.as_str(),
        }
    };
    let _ = writeln!(
        line,
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} watch={} \
         qbuf={} qbuf-free=0 argv-mem={} multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem={} tot-mem={} events={} cmd={} \
         user={} redir={} resp={} lib-name={} lib-ver={} io-thread={} tot-net-in={} tot-net-out={} tot-cmds={}",
        h.id,
        h.addr,
        h.laddr,
        h.fd,
        String::from_utf8_lossy(&meta.name),
        age,
        idle,
        flags,
        h.db.load(Relaxed),
        h.sub_counts[0].load(Relaxed),
        h.sub_counts[1].load(Relaxed),
        h.sub_counts[2].load(Relaxed),
        h.multi_queued.load(Relaxed),
        h.watch_count.load(Relaxed),
        qbuf,
        argv_mem,
        omem,
        IDLE_CLIENT_MEM + qbuf + argv_mem + omem,
        events,
        cmd,
        meta.user,
        tracking.as_ref().map_or(-1, |t| t.redirect as i64),
        meta.resp,
        String::from_utf8_lossy(&meta.lib_name),
        String::from_utf8_lossy(&meta.lib_ver),
        h.io_thread.load(Relaxed),
        h.net_in.load(Relaxed),
        h.net_out.load(Relaxed),
        h.tot_cmds.load(Relaxed),
    );
}

fn list(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let mut ty = None;
    let mut ids = None;
    if argv.len() == 4 && eq_ic(argv.get(2), "TYPE") {
        ty = Some(parse_type(argv.get(3))?);
    } else if argv.len() >= 4 && eq_ic(argv.get(2), "ID") {
        let mut v = Vec::with_capacity(argv.len() - 3);
        for a in argv.iter().skip(3) {
            // Redis ignores ids below 1 but rejects non-numbers.
            let id = parse_i64(a).ok_or_else(|| CmdError::err("Invalid client ID"))?;
            v.push(id);
        }
        ids = Some(v);
    } else if argv.len() != 2 {
        return Err(SYNTAX);
    }
    let now = clock::now_ms();
    let cur = Current::of(ctx, argv);
    let mut text = String::new();
    match ids {
        Some(ids) => {
            for id in ids {
                if id <= 0 {
                    continue;
                }
                if let Some(h) = ctx.srv.clients.get(id as u64) {
                    info_line(&h, now, &cur, &mut text);
                }
            }
        }
        None => {
            for h in ctx.srv.clients.all() {
                if ty.is_none_or(|t| client_type(&h) == t) {
                    info_line(&h, now, &cur, &mut text);
                }
            }
        }
    }
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

fn info(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let cur = Current::of(ctx, argv);
    let mut text = String::new();
    info_line(&ctx.conn.handle, clock::now_ms(), &cur, &mut text);
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

/// The CLIENT INFO line of `h` while it runs `cmd` (ACL LOG's client-info).
pub fn client_info_line(srv: &crate::state::Server, h: &ClientHandle, cmd: &str, argv_mem: usize) -> String {
    let cur = Current { id: h.id, cmd, argv_mem, table: &srv.table, clients: &srv.clients };
    let mut text = String::new();
    info_line(h, clock::now_ms(), &cur, &mut text);
    text.truncate(text.trim_end().len());
    text
}

#[derive(Default)]
struct KillFilter {
    addr: Option<Vec<u8>>,
    laddr: Option<Vec<u8>>,
    id: Option<u64>,
    ty: Option<ClientType>,
    user: Option<Vec<u8>>,
    max_age: Option<i64>,
    skip_me: bool,
}

impl KillFilter {
    fn matches(&self, h: &ClientHandle, now_ms: i64) -> bool {
        if self.addr.as_ref().is_some_and(|a| a.as_slice() != h.addr.as_bytes()) {
            return false;
        }
        if self.laddr.as_ref().is_some_and(|a| a.as_slice() != h.laddr.as_bytes()) {
            return false;
        }
        if self.id.is_some_and(|id| id != h.id) {
            return false;
        }
        if self.ty.is_some_and(|t| t != client_type(h)) {
            return false;
        }
        if self.user.as_ref().is_some_and(|u| u.as_slice() != h.meta.lock().user.as_bytes()) {
            return false;
        }
        if self.max_age.is_some_and(|m| (now_ms - h.created_ms) / 1000 < m) {
            return false;
        }
        true
    }
}

fn parse_kill_filter(srv: &crate::state::Server, argv: &Argv) -> Result<KillFilter, CmdError> {
    let mut f = KillFilter { skip_me: true, ..Default::default() };
    let mut i = 2;
    while i < argv.len() {
        if i + 1 >= argv.len() {
            return Err(SYNTAX);
        }
        let (opt, val) = (argv.get(i), argv.get(i + 1));
        if eq_ic(opt, "ID") {
            let id = parse_i64(val).filter(|v| *v > 0).ok_or_else(|| CmdError::err("client-id should be greater than 0"))?;
            f.id = Some(id as u64);
        } else if eq_ic(opt, "TYPE") {
            f.ty = Some(parse_type(val)?);
        } else if eq_ic(opt, "ADDR") {
            f.addr = Some(val.to_vec());
        } else if eq_ic(opt, "LADDR") {
            f.laddr = Some(val.to_vec());
        } else if eq_ic(opt, "USER") {
            if !srv.acl.exists(val) {
                return Err(CmdError::err(format!("No such user '{}'", String::from_utf8_lossy(val))));
            }
            f.user = Some(val.to_vec());
        } else if eq_ic(opt, "SKIPME") {
            f.skip_me = if eq_ic(val, "yes") {
                true
            } else if eq_ic(val, "no") {
                false
            } else {
                return Err(SYNTAX);
            };
        } else if eq_ic(opt, "MAXAGE") {
            let age = parse_i64(val).ok_or_else(|| CmdError::err("maxage is not an integer or out of range"))?;
            if age <= 0 {
                return Err(CmdError::err("maxage should be greater than 0"));
            }
            f.max_age = Some(age);
        } else {
            return Err(SYNTAX);
        }
        i += 2;
    }
    Ok(f)
}

fn kill(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let me = ctx.conn.id();
    let now = clock::now_ms();
    if argv.len() == 3 {
        // Old form: CLIENT KILL addr:port, may name the caller itself.
        let addr = argv.get(2);
        let target = ctx.srv.clients.all().into_iter().find(|h| h.addr.as_bytes() == addr);
        let Some(h) = target else { return Err(CmdError::err("No such client")) };
        ctx.out.ok();
        if h.id == me {
            ctx.conn.action = Some(Action::Close);
        } else {
            h.kill();
        }
        return Ok(());
    }
    let f = parse_kill_filter(ctx.srv, argv)?;
    let mut killed = 0;
    let mut kill_self = false;
    for h in ctx.srv.clients.all() {
        if !f.matches(&h, now) {
            continue;
        }
        if h.id == me {
            if f.skip_me {
                continue;
            }
            kill_self = true;
        } else {
            h.kill();
        }
        killed += 1;
    }
    ctx.out.int(killed);
    if kill_self {
        ctx.conn.action = Some(Action::Close);
    }
    Ok(())
}

fn pause(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let timeout = parse_i64(argv.get(2)).ok_or_else(|| CmdError::err("timeout is not an integer or out of range"))?;
    if timeout < 0 {
        return Err(CmdError::err("timeout is negative"));
    }
    let mode = match argv.len() {
        3 => PauseMode::All,
        4 if eq_ic(argv.get(3), "WRITE") => PauseMode::Write,
        4 if eq_ic(argv.get(3), "ALL") => PauseMode::All,
        4 => return Err(CmdError::err("CLIENT PAUSE mode must be WRITE or ALL")),
        _ => return Err(super::help::subcommand_syntax_error(argv)),
    };
    let now = clock::now_ms();
    let until = now.checked_add(timeout).ok_or_else(|| CmdError::err("timeout is out of range"))?;
    {
        let mut p = ctx.srv.pause.lock();
        // A pause still in force keeps the later end and the stricter mode.
        if p.mode != PauseMode::None && p.until_ms > now {
            p.until_ms = p.until_ms.max(until);
            if mode == PauseMode::All {
                p.mode = PauseMode::All;
            }
        } else {
            p.mode = mode;
            p.until_ms = until;
        }
        ctx.srv.pause_until.store(p.until_ms, Release);
    }
    ctx.out.ok();
    Ok(())
}

/// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]
fn unblock(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    if argv.len() > 4 {
        return Err(super::help::subcommand_syntax_error(argv));
    }
    let id = crate::util::int_arg(argv.get(2))?;
    let error = match argv.len() {
        4 if eq_ic(argv.get(3), "timeout") => false,
        4 if eq_ic(argv.get(3), "error") => true,
        4 => return Err(CmdError::err("CLIENT UNBLOCK reason should be TIMEOUT or ERROR")),
        _ => false,
    };
    let done = u64::try_from(id).ok().and_then(|id| ctx.srv.clients.get(id)).is_some_and(|h| crate::blocking::unblock(ctx.srv, &h, error));
    ctx.out.int(done as i64);
    Ok(())
}

fn unpause(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    {
        let mut p = ctx.srv.pause.lock();
        p.mode = PauseMode::None;
        p.until_ms = 0;
        ctx.srv.pause_until.store(0, Release);
    }
    // Paused connections wait for their deadline; wake them to retry now.
    for h in ctx.srv.clients.all() {
        h.wake();
    }
    ctx.out.ok();
    Ok(())
}

fn reply(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let mode = argv.get(2);
    if eq_ic(mode, "ON") {
        ctx.conn.reply_mode = ReplyMode::On;
        ctx.out.ok();
    } else if eq_ic(mode, "OFF") {
        ctx.conn.reply_mode = ReplyMode::Off;
    } else if eq_ic(mode, "SKIP") {
        // Only the next command's reply is dropped (exec.rs advances it).
        if ctx.conn.reply_mode != ReplyMode::Off {
            ctx.conn.reply_mode = ReplyMode::SkipNext;
        }
    } else {
        return Err(SYNTAX);
    }
    Ok(())
}

fn on_off(arg: &[u8]) -> Result<bool, CmdError> {
    if eq_ic(arg, "on") {
        Ok(true)
    } else if eq_ic(arg, "off") {
        Ok(false)
    } else {
        Err(SYNTAX)
    }
}

fn no_evict(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let on = on_off(argv.get(2))?;
    ctx.conn.handle.meta.lock().no_evict = on;
    ctx.out.ok();
    Ok(())
}

fn no_touch(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let on = on_off(argv.get(2))?;
    ctx.conn.no_touch = on;
    ctx.conn.handle.meta.lock().no_touch = on;
    ctx.out.ok();
    Ok(())
}

fn setinfo(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let (attr, val) = (argv.get(2), argv.get(3));
    let lib_name = eq_ic(attr, "lib-name");
    if !lib_name && !eq_ic(attr, "lib-ver") {
        return Err(CmdError::err(format!("Unrecognized option '{}'", String::from_utf8_lossy(attr))));
    }
    if !val.iter().all(|&c| (b'!'..=b'~').contains(&c)) {
        let what = if lib_name { "lib-name" } else { "lib-ver" };
        return Err(CmdError::err(format!("{what} cannot contain spaces, newlines or special characters.")));
    }
    let mut m = ctx.conn.handle.meta.lock();
    if lib_name {
        m.lib_name = val.to_vec();
    } else {
        m.lib_ver = val.to_vec();
    }
    drop(m);
    ctx.out.ok();
    Ok(())
}

const HELP: &[&str] = &[
    "ID",
    "    Reply with the id of this connection.",
    "GETNAME",
    "    Reply with the name of this connection (null when unnamed).",
    "SETNAME <name>",
    "    Name this connection; an empty name removes it.",
    "SETINFO <option> <value>",
    "    Record the client library in use. Options:",
    "    * LIB-NAME: library name.",
    "    * LIB-VER: library version.",
    "INFO",
    "    Describe this connection, in CLIENT LIST format.",
    "LIST [options ...]",
    "    Describe every connection, one line each. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Only connections of this type.",
    "    * ID <client-id> [<client-id> ...]",
    "      Only the connections with these ids.",
    "KILL <ip:port>",
    "    Close the connection whose address is <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Close every connection matching all the filters:",
    "    * ID <client-id>",
    "      The connection with this id.",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Connections of this type.",
    "    * USER <username>",
    "      Connections authenticated as this user.",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Connections from this remote address.",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Connections to this local address.",
    "    * SKIPME (YES|NO)",
    "      Whether to spare this connection (default: yes).",
    "    * MAXAGE <maxage>",
    "      Connections open for at least <maxage> seconds.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Hold back commands (all, or only writes) for <timeout> milliseconds.",
    "UNPAUSE",
    "    End a pause started by CLIENT PAUSE now.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]] [OPTIN] [OPTOUT] [NOLOOP]",
    "    Turn server-assisted client-side caching on or off for this connection.",
    "CACHING (YES|NO)",
    "    With OPTIN/OPTOUT tracking: whether the next command's keys are tracked.",
    "GETREDIR",
    "    The id invalidation messages are redirected to (0: none, -1: not tracking).",
    "TRACKINGINFO",
    "    This connection's tracking mode, redirection and prefixes.",
    "UNBLOCK <client-id> [TIMEOUT|ERROR]",
    "    End the wait of a client in a blocking command, as if it timed out or with an error.",
    "REPLY (ON|OFF|SKIP)",
    "    Turn replies to this connection on or off, or drop the next one.",
    "NO-EVICT (ON|OFF)",
    "    Exempt this connection from client eviction.",
    "NO-TOUCH (ON|OFF)",
    "    When on, commands of this connection leave key access times alone.",
];

fn help(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    crate::server::help::reply_help(ctx.out, "CLIENT", HELP);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::client::Action;
    use crate::state::PauseMode;
    use crate::testing::TestClient;

    fn line_field<'a>(line: &'a str, key: &str) -> &'a str {
        let pat = format!("{key}=");
        line.split(' ').find_map(|f| f.strip_prefix(pat.as_str())).unwrap_or_else(|| panic!("no {key} in {line}"))
    }

    #[test]
    fn id_and_names() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["CLIENT", "ID"]), format!(":{}\r\n", c.conn.id()));
        assert_eq!(c.run(&["CLIENT", "GETNAME"]), "$-1\r\n");
        assert_eq!(c.run(&["CLIENT", "SETNAME", "a b"]), "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
        assert_eq!(c.run(&["client", "setname", "foo"]), "+OK\r\n");
        assert_eq!(c.run(&["CLIENT", "GETNAME"]), "$3\r\nfoo\r\n");
        assert_eq!(c.run(&["CLIENT", "SETNAME", ""]), "+OK\r\n");
        assert_eq!(c.run(&["CLIENT", "GETNAME"]), "$-1\r\n");
        assert_eq!(c.run(&["CLIENT", "GETNAME", "x"]), "-ERR wrong number of arguments for 'client|getname' command\r\n");
        assert_eq!(c.run(&["CLIENT", "NOPE"]), "-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n");
        assert_eq!(c.run(&["CLIENT"]), "-ERR wrong number of arguments for 'client' command\r\n");
    }

    #[test]
    fn list_and_info_format() {
        let mut c = TestClient::new();
        let mut other = TestClient::connect(c.srv.clone());
        other.run(&["CLIENT", "SETNAME", "worker"]);
        other.run(&["SELECT", "2"]);
        let r = c.run(&["CLIENT", "INFO"]);
        let body = r.split_once("\r\n").unwrap().1;
        assert!(r.starts_with(&format!("${}\r\n", body.len() - 2)));
        let fields: Vec<&str> = body.trim_end().split(' ').map(|f| f.split('=').next().unwrap()).collect();
        assert_eq!(
            fields.join(" "),
            "id addr laddr fd name age idle flags db sub psub ssub multi watch qbuf qbuf-free argv-mem multi-mem rbs rbp \
             obl oll omem tot-mem events cmd user redir resp lib-name lib-ver io-thread tot-net-in tot-net-out tot-cmds"
        );
        assert_eq!(line_field(body, "cmd"), "client|info");
        assert_eq!(line_field(body, "argv-mem"), "10");
        assert_eq!(line_field(body, "flags"), "N");

        let r = c.run(&["CLIENT", "LIST"]);
        let lines: Vec<&str> = r.split("\r\n").nth(1).unwrap().trim_end().split('\n').collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(line_field(lines[1], "name"), "worker");
        assert_eq!(line_field(lines[1], "db"), "2");
        assert_eq!(line_field(lines[1], "cmd"), "select");
        assert_eq!(line_field(lines[0], "cmd"), "client|list");

        let id = other.conn.id().to_string();
        let r = c.run(&["CLIENT", "LIST", "ID", &id, &id, "999"]);
        assert_eq!(r.matches("name=worker").count(), 2);
        assert_eq!(c.run(&["CLIENT", "LIST", "ID", "0"]), "$0\r\n\r\n");
        assert_eq!(c.run(&["CLIENT", "LIST", "ID", "x"]), "-ERR Invalid client ID\r\n");
        assert_eq!(c.run(&["CLIENT", "LIST", "ID"]), "-ERR syntax error\r\n");
        assert_eq!(c.run(&["CLIENT", "LIST", "TYPE", "foo"]), "-ERR Unknown client type 'foo'\r\n");
        assert_eq!(c.run(&["CLIENT", "LIST", "TYPE", "pubsub"]), "$0\r\n\r\n");
        assert_eq!(c.run(&["CLIENT", "LIST", "TYPE", "Normal", "x"]), "-ERR syntax error\r\n");
        assert!(c.run(&["CLIENT", "LIST", "TYPE", "normal"]).contains("name=worker"));

        c.run(&["HELLO", "3"]);
        assert!(c.run(&["CLIENT", "INFO"]).starts_with("="));
        assert!(c.run(&["CLIENT", "LIST"]).contains("txt:id="));
    }

    #[test]
    fn flags_letters() {
        let mut c = TestClient::new();
        c.run(&["CLIENT", "NO-EVICT", "on"]);
        c.run(&["CLIENT", "NO-TOUCH", "ON"]);
        assert!(c.conn.no_touch);
        let r = c.run(&["CLIENT", "INFO"]);
        assert_eq!(line_field(&r, "flags"), "eT");
        assert_eq!(c.run(&["CLIENT", "NO-TOUCH", "maybe"]), "-ERR syntax error\r\n");
        c.run(&["CLIENT", "NO-EVICT", "off"]);
        c.run(&["CLIENT", "NO-TOUCH", "off"]);
        assert!(!c.conn.no_touch);
        assert_eq!(line_field(&c.run(&["CLIENT", "INFO"]), "flags"), "N");
    }

    #[test]
    fn setinfo_validation() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["CLIENT", "SETINFO", "foo", "bar"]), "-ERR Unrecognized option 'foo'\r\n");
        assert_eq!(
            c.run(&["CLIENT", "SETINFO", "lib-name", "a b"]),
            "-ERR lib-name cannot contain spaces, newlines or special characters.\r\n"
        );
        assert_eq!(
            c.run(&["CLIENT", "SETINFO", "LIB-VER", "1.0\n"]),
            "-ERR lib-ver cannot contain spaces, newlines or special characters.\r\n"
        );
        assert_eq!(c.run(&["CLIENT", "SETINFO", "LIB-NAME", "redis-py(x)"]), "+OK\r\n");
        assert_eq!(c.run(&["CLIENT", "SETINFO", "lib-ver", "5.0"]), "+OK\r\n");
        let r = c.run(&["CLIENT", "INFO"]);
        assert_eq!(line_field(&r, "lib-name"), "redis-py(x)");
        assert_eq!(line_field(r.trim_end(), "lib-ver"), "5.0");
    }

    #[test]
    fn kill_forms() {
        let mut c = TestClient::new();
        let other = TestClient::connect(c.srv.clone());
        assert_eq!(c.run(&["CLIENT", "KILL", "1.2.3.4:5"]), "-ERR No such client\r\n");
        assert_eq!(c.run(&["CLIENT", "KILL", "ID", "x"]), "-ERR client-id should be greater than 0\r\n");
        assert_eq!(c.run(&["CLIENT", "KILL", "ID", "0"]), "-ERR client-id should be greater than 0\r\n");
        assert_eq!(c.run(&["CLIENT", "KILL", "TYPE", "foo"]), "-ERR Unknown client type 'foo'\r\n");
        assert_eq!(c.run(&["CLIENT", "KILL", "SKIPME", "maybe"]), "-ERR syntax error\r\n");
        assert_eq!(c.run(&["CLIENT", "KILL", "USER", "nobody"]), "-ERR No such user 'nobody'\r\n");
        assert_eq!(c.run(&["CLIENT", "KILL", "MAXAGE", "x"]), "-ERR maxage is not an integer or out of range\r\n");
        assert_eq!(c.run(&["CLIENT", "KILL", "MAXAGE", "0"]), "-ERR maxage should be greater than 0\r\n");
        assert_eq!(c.run(&["CLIENT", "KILL", "ID", "1", "TYPE"]), "-ERR syntax error\r\n");
        assert_eq!(c.run(&["CLIENT", "KILL", "FOO", "bar"]), "-ERR syntax error\r\n");
        assert_eq!(c.run(&["CLIENT", "KILL", "ID", "99999"]), ":0\r\n");
        assert_eq!(c.run(&["CLIENT", "KILL", "MAXAGE", "1000"]), ":0\r\n");
        // New form spares the caller by default.
        assert_eq!(c.run(&["CLIENT", "KILL", "TYPE", "normal", "USER", "default"]), ":1\r\n");
        assert!(other.conn.handle.kill_requested.load(std::sync::atomic::Ordering::Relaxed));
        assert_eq!(c.conn.action, None);
        assert!(!c.conn.handle.kill_requested.load(std::sync::atomic::Ordering::Relaxed));
        assert_eq!(c.run(&["CLIENT", "KILL", "ID", &c.conn.id().to_string(), "SKIPME", "no"]), ":1\r\n");
        assert_eq!(c.conn.action, Some(Action::Close));
    }

    #[test]
    fn kill_old_form_self_and_other() {
        let mut c = TestClient::new();
        let other = TestClient::connect(c.srv.clone());
        // Both test clients share one address; the lowest id matches first.
        let addr = c.conn.handle.addr.clone();
        assert_eq!(c.run(&["CLIENT", "KILL", &addr]), "+OK\r\n");
        assert_eq!(c.conn.action, Some(Action::Close));
        assert!(!other.conn.handle.kill_requested.load(std::sync::atomic::Ordering::Relaxed));
        let mut o = other;
        o.conn.action = None;
        assert_eq!(o.run(&["CLIENT", "KILL", "ADDR", &addr, "SKIPME", "yes"]), ":1\r\n");
        assert!(c.conn.handle.kill_requested.load(std::sync::atomic::Ordering::Relaxed));
        assert_eq!(line_field(&o.run(&["CLIENT", "LIST", "ID", &c.conn.id().to_string()]), "flags"), "A");
    }

    #[test]
    fn pause_and_unpause() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["CLIENT", "PAUSE", "x"]), "-ERR timeout is not an integer or out of range\r\n");
        assert_eq!(c.run(&["CLIENT", "PAUSE", "-1"]), "-ERR timeout is negative\r\n");
        assert_eq!(c.run(&["CLIENT", "PAUSE", "10", "foo"]), "-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n");
        assert_eq!(
            c.run(&["client", "pause", "10", "write", "x"]),
            "-ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.\r\n"
        );
        assert_eq!(c.run(&["CLIENT", "PAUSE", "9223372036854775807"]), "-ERR timeout is out of range\r\n");
        assert_eq!(c.run(&["CLIENT", "PAUSE", "100000", "WRITE"]), "+OK\r\n");
        assert_eq!(c.srv.pause.lock().mode, PauseMode::Write);
        let now = moon_store::clock::now_ms();
        assert!(c.srv.paused_for(true, now).is_some());
        assert!(c.srv.paused_for(false, now).is_none());
        // A shorter ALL pause upgrades the mode but keeps the later end.
        let end = c.srv.pause.lock().until_ms;
        assert_eq!(c.run(&["CLIENT", "PAUSE", "10", "ALL"]), "+OK\r\n");
        assert_eq!(c.srv.pause.lock().mode, PauseMode::All);
        assert_eq!(c.srv.pause.lock().until_ms, end);
        // CLIENT UNPAUSE itself is not a write, but ALL holds it back too.
        c.srv.pause.lock().mode = PauseMode::Write;
        assert_eq!(c.run(&["CLIENT", "UNPAUSE"]), "+OK\r\n");
        assert!(c.srv.paused_for(true, now).is_none());
        assert_eq!(c.srv.pause_until.load(std::sync::atomic::Ordering::Relaxed), 0);
    }

    #[test]
    fn reply_modes() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["CLIENT", "REPLY", "foo"]), "-ERR syntax error\r\n");
        assert_eq!(c.run(&["CLIENT", "REPLY", "OFF"]), "");
        assert_eq!(c.run(&["PING"]), "");
        assert_eq!(c.run(&["CLIENT", "REPLY", "ON"]), "+OK\r\n");
        assert_eq!(c.run(&["CLIENT", "REPLY", "SKIP"]), "");
        assert_eq!(c.run(&["PING"]), "");
        assert_eq!(c.run(&["PING"]), "+PONG\r\n");
    }

    #[test]
    fn help_lists_every_subcommand() {
        let mut c = TestClient::new();
        let r = c.run(&["CLIENT", "HELP"]);
        assert!(r.starts_with(&format!("*{}\r\n+CLIENT <subcommand>", super::HELP.len() + 3)));
        for s in super::SUBS {
            let up = s.name.to_uppercase();
            assert!(r.contains(&format!("\r\n+{up}")), "{up} missing from CLIENT HELP");
        }
    }
}
