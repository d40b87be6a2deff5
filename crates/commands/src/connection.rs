//! Connection commands: PING ECHO QUIT SELECT AUTH HELLO RESET.

use crate::client::{Action, ReplyMode};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, DB_INDEX, NOT_INTEGER};
use crate::spec::{cat, cmd, flag::*, CommandDef};
use crate::util::{eq_ic, parse_i64};
use moon_resp::{Argv, Protocol};

const AUTH_FLAGS: u64 = NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY;

pub static COMMANDS: &[CommandDef] = &[
    cmd("ping", -1, FAST | SENTINEL, cat::CONNECTION, &[], ping, "connection"),
    cmd("echo", 2, LOADING | STALE | FAST, cat::CONNECTION, &[], echo, "connection"),
    cmd("quit", -1, ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH, cat::CONNECTION, &[], quit, "connection"),
    cmd("select", 2, LOADING | STALE | FAST, cat::CONNECTION, &[], select, "connection"),
    cmd("auth", -2, AUTH_FLAGS, cat::CONNECTION, &[], auth, "connection"),
    cmd("hello", -1, AUTH_FLAGS, cat::CONNECTION, &[], hello, "connection"),
    cmd("reset", 1, NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY, cat::CONNECTION, &[], reset, "connection"),
];

/// The Redis version Moon reports (the command interface it implements).
pub const REDIS_VERSION: &str = "7.4.1";

const WRONGPASS: CmdError = CmdError::fixed("WRONGPASS invalid username-password pair or user is disabled.");

fn ping(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    if argv.len() <= 2 && ctx.conn.subs.any() && !ctx.out.resp3() {
        // Subscribed RESP2 connections get a two-element array.
        ctx.out.array(2);
        ctx.out.bulk(b"pong");
        ctx.out.bulk(if argv.len() == 2 { argv.get(1) } else { b"" });
        return Ok(());
    }
    match argv.len() {
        1 => ctx.out.simple("PONG"),
        2 => ctx.out.bulk(argv.get(1)),
        _ => return Err(crate::error::arity(ctx.name())),
    }
    Ok(())
}

fn echo(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    ctx.out.bulk(argv.get(1));
    Ok(())
}

fn quit(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    ctx.out.ok();
    ctx.conn.action = Some(Action::Close);
    Ok(())
}

fn select(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let db = parse_i64(argv.get(1)).ok_or(NOT_INTEGER)?;
    if db < i32::MIN as i64 || db > i32::MAX as i64 {
        return Err(CmdError::err("value is out of range, value must between -2147483648 and 2147483647"));
    }
    if db < 0 || db as usize >= ctx.srv.databases() {
        return Err(DB_INDEX);
    }
    ctx.conn.set_db(db as usize);
    ctx.out.ok();
    Ok(())
}

fn auth(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    if argv.len() > 3 {
        return Err(crate::error::SYNTAX);
    }
    let (user, pass) = if argv.len() == 2 { (&b"default"[..], argv.get(1)) } else { (argv.get(1), argv.get(2)) };
    if argv.len() == 2 && ctx.srv.acl.get("default").is_some_and(|u| u.nopass) {
        return Err(CmdError::err(
            "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
        ));
    }
    if !crate::acl::authenticate(ctx.srv, ctx.conn, user, pass, argv, &ctx.cmd.full_name) {
        return Err(WRONGPASS);
    }
    ctx.out.ok();
    Ok(())
}

/// Client names may hold only printable, non-space ASCII ('!'..='~').
pub fn validate_client_name(name: &[u8]) -> CmdResult {
    if name.iter().all(|&c| (b'!'..=b'~').contains(&c)) {
        Ok(())
    } else {
        Err(CmdError::err("Client names cannot contain spaces, newlines or special characters."))
    }
}

fn hello(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let mut ver = None;
    let mut i = 1;
    if argv.len() >= 2 {
        let v = parse_i64(argv.get(1)).ok_or_else(|| CmdError::err("Protocol version is not an integer or out of range"))?;
        if !(2..=3).contains(&v) {
            return Err(CmdError::fixed("NOPROTO unsupported protocol version"));
        }
        ver = Some(v);
        i = 2;
    }
    let mut creds = None;
    let mut name = None;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        let opt = argv.get(i);
        if eq_ic(opt, "AUTH") && more >= 2 {
            creds = Some((argv.get(i + 1), argv.get(i + 2)));
            i += 3;
        } else if eq_ic(opt, "SETNAME") && more >= 1 {
            validate_client_name(argv.get(i + 1))?;
            name = Some(argv.get(i + 1));
            i += 2;
        } else {
            return Err(CmdError::err(format!("Syntax error in HELLO option '{}'", String::from_utf8_lossy(opt))));
        }
    }
    if let Some((u, p)) = creds {
        if !crate::acl::authenticate(ctx.srv, ctx.conn, u, p, argv, &ctx.cmd.full_name) {
            return Err(WRONGPASS);
        }
    }
    if !ctx.conn.authenticated && ctx.srv.acl.auth_required() {
        return Err(CmdError::fixed(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
        ));
    }
    if let Some(n) = name {
        ctx.conn.handle.meta.lock().name = n.to_vec();
    }
    if let Some(v) = ver {
        ctx.out.proto = if v == 3 { Protocol::Resp3 } else { Protocol::Resp2 };
        ctx.conn.set_resp(ctx.out.proto);
    }
    let out = &mut *ctx.out;
    out.map(7);
    out.bulk(b"server");
    out.bulk(b"redis");
    out.bulk(b"version");
    out.bulk(REDIS_VERSION.as_bytes());
    out.bulk(b"proto");
    out.int(if out.resp3() { 3 } else { 2 });
    out.bulk(b"id");
    out.int(ctx.conn.id() as i64);
    out.bulk(b"mode");
    out.bulk(b"standalone");
    out.bulk(b"role");
    out.bulk(b"master");
    out.bulk(b"modules");
    out.array(0);
    Ok(())
}

fn reset(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    crate::multi::discard_state(ctx.srv, ctx.conn);
    crate::pubsub::unsubscribe_all(ctx.srv, ctx.conn);
    crate::tracking::forget(ctx.srv, ctx.conn);
    ctx.conn.caching = None;
    ctx.conn.set_db(0);
    ctx.out.proto = Protocol::Resp2;
    ctx.conn.set_resp(Protocol::Resp2);
    ctx.conn.reply_mode = ReplyMode::On;
    ctx.conn.no_touch = false;
    crate::acl::set_user(ctx.conn, "default");
    ctx.conn.authenticated = crate::acl::connect_authenticated(ctx.srv);
    {
        let mut m = ctx.conn.handle.meta.lock();
        m.name.clear();
        m.no_evict = false;
        m.no_touch = false;
    }
    ctx.out.simple("RESET");
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testing::TestClient;

    #[test]
    fn ping_echo_select() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["PING"]), "+PONG\r\n");
        assert_eq!(c.run(&["ping", "hi"]), "$2\r\nhi\r\n");
        assert_eq!(c.run(&["PING", "a", "b"]), "-ERR wrong number of arguments for 'ping' command\r\n");
        assert_eq!(c.run(&["ECHO"]), "-ERR wrong number of arguments for 'echo' command\r\n");
        assert_eq!(c.run(&["SELECT", "16"]), "-ERR DB index is out of range\r\n");
        assert_eq!(c.run(&["SELECT", "x"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(c.run(&["SELECT", "99999999999"]), "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n");
        assert_eq!(c.run(&["SELECT", "3"]), "+OK\r\n");
        assert_eq!(c.run(&["nosuch", "a", "b"]), "-ERR unknown command 'nosuch', with args beginning with: 'a' 'b' \r\n");
    }

    #[test]
    fn hello_and_auth() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["HELLO", "4"]), "-NOPROTO unsupported protocol version\r\n");
        assert_eq!(c.run(&["HELLO", "x"]), "-ERR Protocol version is not an integer or out of range\r\n");
        assert!(c.run(&["HELLO", "3"]).starts_with("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n"));
        assert_eq!(c.run(&["AUTH", "x"]).split(' ').next().unwrap(), "-ERR");
        assert_eq!(c.run(&["AUTH", "bob", "x"]), "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
        assert_eq!(c.run(&["AUTH", "default", "x"]), "+OK\r\n");
        assert_eq!(c.run(&["RESET"]), "+RESET\r\n");
    }

    #[test]
    fn requirepass() {
        let mut c = TestClient::with_config(&[("requirepass", "secret")]);
        assert_eq!(c.run(&["ECHO", "k"]), "-NOAUTH Authentication required.\r\n");
        assert_eq!(c.run(&["AUTH", "nope"]), "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
        assert_eq!(c.run(&["AUTH", "secret"]), "+OK\r\n");
        assert_eq!(c.run(&["PING"]), "+PONG\r\n");
    }
}
