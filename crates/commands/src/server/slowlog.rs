//! SLOWLOG GET / LEN / RESET / HELP. The dispatcher (exec.rs) records
//! the entries; these commands read and clear them.

use super::help::{reply_help, subcommand_syntax_error};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::spec::{cmd, flag::*, CommandDef, Locking};
use crate::util::parse_i64;
use moon_resp::Argv;

static SUBS: &[CommandDef] = &[
    cmd("get", -2, ADMIN | LOADING | STALE, 0, &[], get, "server").locking(Locking::None),
    cmd("help", 2, LOADING | STALE, 0, &[], help, "server").locking(Locking::None),
    cmd("len", 2, ADMIN | LOADING | STALE, 0, &[], len, "server").locking(Locking::None),
    cmd("reset", 2, ADMIN | LOADING | STALE, 0, &[], reset, "server").locking(Locking::None),
];

pub static COMMANDS: &[CommandDef] = &[cmd("slowlog", -2, 0, 0, &[], help, "server").locking(Locking::None).subs(SUBS)];

/// Entries SLOWLOG GET returns without a count.
const DEFAULT_COUNT: usize = 10;

fn get(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    if argv.len() > 3 {
        return Err(subcommand_syntax_error(argv));
    }
    let count = if argv.len() == 3 {
        match parse_i64(argv.get(2)) {
            Some(-1) => usize::MAX,
            Some(n) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
            _ => return Err(CmdError::err("count should be greater than or equal to -1")),
        }
    } else {
        DEFAULT_COUNT
    };
    let log = ctx.srv.slowlog.lock();
    let n = count.min(log.entries.len());
    let out = &mut *ctx.out;
    out.array(n);
    // Newest first, as the log keeps them.
    for e in log.entries.iter().take(n) {
        out.array(6);
        out.int(e.id as i64);
        out.int(e.time);
        out.int(e.duration_us as i64);
        out.array(e.args.len());
        for a in &e.args {
            out.bulk(a);
        }
        out.bulk(e.addr.as_bytes());
        out.bulk(&e.name);
    }
    Ok(())
}

fn len(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    let n = ctx.srv.slowlog.lock().entries.len();
    ctx.out.int(n as i64);
    Ok(())
}

fn reset(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    // Ids keep counting across resets, as in Redis.
    ctx.srv.slowlog.lock().entries.clear();
    ctx.out.ok();
    Ok(())
}

fn help(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    reply_help(
        ctx.out,
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    List the <count> most recent slow commands, newest first (default 10,",
            "    -1 for all). Each entry holds: id, unix time, duration in microseconds,",
            "    the arguments, the client's address and the client's name.",
            "LEN",
            "    Number of entries in the slow log.",
            "RESET",
            "    Empty the slow log.",
        ],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testing::TestClient;
    use moon_resp::Protocol;

    #[test]
    fn records_and_lists() {
        let mut c = TestClient::with_config(&[("slowlog-log-slower-than", "0")]);
        c.run(&["SLOWLOG", "RESET"]);
        c.run(&["ECHO", "hello"]);
        let r = c.run(&["SLOWLOG", "GET", "1"]);
        // The reset itself was logged after it ran, then ECHO.
        assert!(r.starts_with("*1\r\n*6\r\n:"), "{r}");
        assert!(r.contains("*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n$15\r\n127.0.0.1:50000\r\n$0\r\n\r\n"), "{r}");
        let ids: Vec<i64> =
            c.run(&["SLOWLOG", "GET", "-1"]).split("*6\r\n:").skip(1).map(|p| p.split("\r\n").next().unwrap().parse().unwrap()).collect();
        assert_eq!(ids.len(), 3);
        assert!(ids.windows(2).all(|w| w[0] == w[1] + 1), "newest first: {ids:?}");
        assert_eq!(c.run(&["SLOWLOG", "LEN"]), ":4\r\n");
        assert_eq!(c.run(&["SLOWLOG", "GET", "0"]), "*0\r\n");
        c.run(&["SLOWLOG", "RESET"]);
        assert_eq!(c.run(&["SLOWLOG", "LEN"]), ":1\r\n");
    }

    #[test]
    fn count_default_and_errors() {
        let mut c = TestClient::with_config(&[("slowlog-log-slower-than", "0")]);
        for _ in 0..15 {
            c.run(&["PING"]);
        }
        assert!(c.run(&["SLOWLOG", "GET"]).starts_with("*10\r\n"));
        assert!(c.run(&["SLOWLOG", "GET", "100"]).starts_with("*16\r\n"));
        let e = "-ERR count should be greater than or equal to -1\r\n";
        assert_eq!(c.run(&["SLOWLOG", "GET", "-2"]), e);
        assert_eq!(c.run(&["SLOWLOG", "GET", "x"]), e);
        assert_eq!(
            c.run(&["SLOWLOG", "GET", "1", "2"]),
            "-ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.\r\n"
        );
        assert_eq!(c.run(&["SLOWLOG", "LEN", "x"]), "-ERR wrong number of arguments for 'slowlog|len' command\r\n");
        assert_eq!(c.run(&["SLOWLOG"]), "-ERR wrong number of arguments for 'slowlog' command\r\n");
        assert!(c.run(&["SLOWLOG", "HELP"]).starts_with("*11\r\n+SLOWLOG <subcommand>"));
        c.out.proto = Protocol::Resp3;
        assert!(c.run(&["SLOWLOG", "GET", "1"]).starts_with("*1\r\n*6\r\n"));
    }

    #[test]
    fn disabled_and_truncated() {
        let mut c = TestClient::with_config(&[("slowlog-log-slower-than", "-1")]);
        c.run(&["PING"]);
        assert_eq!(c.run(&["SLOWLOG", "LEN"]), ":0\r\n");
        let mut c = TestClient::with_config(&[("slowlog-log-slower-than", "0"), ("slowlog-max-len", "2")]);
        for _ in 0..5 {
            c.run(&["PING"]);
        }
        assert_eq!(c.run(&["SLOWLOG", "LEN"]), ":2\r\n");
    }
}
