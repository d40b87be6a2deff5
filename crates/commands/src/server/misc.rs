//! TIME, LOLWUT, SHUTDOWN and MONITOR.

use crate::client::Action;
use crate::connection::REDIS_VERSION;
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, SYNTAX};
use crate::spec::{cmd, flag::*, CommandDef, Locking};
use crate::util::{eq_ic, int_arg};
use moon_resp::Argv;
use moon_store::clock;
use std::sync::atomic::Ordering::Relaxed;

pub static COMMANDS: &[CommandDef] = &[
    cmd("lolwut", -1, READONLY | FAST, 0, &[], lolwut, "server").locking(Locking::None),
    cmd("monitor", 1, ADMIN | NOSCRIPT | LOADING | STALE, 0, &[], monitor, "server").locking(Locking::None),
    // The world lock: the final save must see a still keyspace.
    cmd("shutdown", -1, ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | SENTINEL | ALLOW_BUSY, 0, &[], shutdown, "server")
        .locking(Locking::World),
    cmd("time", 1, LOADING | STALE | FAST, 0, &[], time, "server").locking(Locking::None),
];

fn time(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    let us = clock::now_us();
    let out = &mut *ctx.out;
    out.array(2);
    out.bulk_int(us / 1_000_000);
    out.bulk_int(us % 1_000_000);
    Ok(())
}

/// LOLWUT [VERSION v]. Moon draws no art: every version gets the line
/// Redis prints for versions without a drawing.
fn lolwut(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    // As in Redis, only "LOLWUT VERSION <n> ..." is parsed; other
    // arguments belong to the (absent) drawings and are ignored.
    if argv.len() >= 3 && eq_ic(argv.get(1), "VERSION") {
        int_arg(argv.get(2))?;
    }
    ctx.out.verbatim("txt", format!("Redis ver. {REDIS_VERSION}\n").as_bytes());
    Ok(())
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. Moon has no replicas to
/// wait for, so a shutdown starts at once and there is never one in
/// progress to abort. No reply is sent on success: the connection closes
/// as the server exits.
fn shutdown(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let (mut nosave, mut save, mut force, mut abort, mut other) = (false, false, false, false, false);
    for a in argv.iter().skip(1) {
        if eq_ic(a, "NOSAVE") {
            nosave = true;
        } else if eq_ic(a, "SAVE") {
            save = true;
        } else if eq_ic(a, "NOW") {
            other = true;
        } else if eq_ic(a, "FORCE") {
            force = true;
        } else if eq_ic(a, "ABORT") {
            abort = true;
        } else {
            return Err(SYNTAX);
        }
    }
    if (abort && (nosave || save || force || other)) || (nosave && save) {
        return Err(SYNTAX);
    }
    if abort {
        return Err(CmdError::err("No shutdown in progress."));
    }
    // Save when asked to, or when save points are set and NOSAVE was not
    // given; a running BGSAVE is stopped first. A failed save stops the
    // shutdown unless FORCE, as in Redis.
    if save || (!nosave && !crate::persistence::bgsave::save_points(ctx.srv).is_empty()) {
        // A running script holds the keyspace: only SHUTDOWN NOSAVE may
        // end the server then.
        if crate::scripting::busy::script_running(ctx.srv) {
            return Err(crate::scripting::busy::BUSY);
        }
        if let Err(e) = crate::persistence::bgsave::save_for_shutdown(ctx.srv) {
            crate::warning!("{e}");
            if !force {
                crate::warning!("Error trying to save the DB, can't exit.");
                return Err(CmdError::err("Errors trying to SHUTDOWN. Check logs."));
            }
        }
    }
    ctx.srv.shutdown_requested.store(true, Relaxed);
    ctx.conn.action = Some(Action::Shutdown);
    Ok(())
}

fn monitor(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    // A client already monitoring gets no second reply, as in Redis.
    if ctx.conn.monitor {
        return Ok(());
    }
    ctx.conn.monitor = true;
    ctx.conn.handle.meta.lock().monitor = true;
    ctx.srv.clients.add_monitor(ctx.conn.handle.clone());
    ctx.out.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::client::Action;
    use crate::testing::TestClient;
    use moon_resp::Protocol;
    use std::sync::atomic::Ordering::Relaxed;

    #[test]
    fn time_reply() {
        let mut c = TestClient::new();
        let r = c.run(&["TIME"]);
        let parts: Vec<&str> = r.split("\r\n").collect();
        assert_eq!(parts[0], "*2");
        let secs: i64 = parts[2].parse().unwrap();
        let micros: i64 = parts[4].parse().unwrap();
        assert!((secs - moon_store::clock::now_ms() / 1000).abs() <= 1);
        assert!((0..1_000_000).contains(&micros));
        assert_eq!(c.run(&["TIME", "x"]), "-ERR wrong number of arguments for 'time' command\r\n");
    }

    #[test]
    fn lolwut_versions() {
        let mut c = TestClient::new();
        let line = format!("Redis ver. {}\n", crate::connection::REDIS_VERSION);
        let bulk = format!("${}\r\n{line}\r\n", line.len());
        assert_eq!(c.run(&["LOLWUT"]), bulk);
        assert_eq!(c.run(&["LOLWUT", "VERSION", "99"]), bulk);
        assert_eq!(c.run(&["lolwut", "version", "-1", "extra"]), bulk);
        assert_eq!(c.run(&["LOLWUT", "x"]), bulk);
        assert_eq!(c.run(&["LOLWUT", "VERSION"]), bulk);
        assert_eq!(c.run(&["LOLWUT", "VERSION", "x"]), "-ERR value is not an integer or out of range\r\n");
        c.out.proto = Protocol::Resp3;
        assert_eq!(c.run(&["LOLWUT"]), format!("={}\r\ntxt:{line}\r\n", line.len() + 4));
    }

    /// A server whose saves fail: its dbfilename names a directory.
    fn unsaveable(tag: &str) -> TestClient {
        let dir = std::env::temp_dir().join(format!("moon-shutdown-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("blocker")).unwrap();
        TestClient::with_config(&[("dir", dir.to_str().unwrap()), ("dbfilename", "blocker")])
    }

    #[test]
    fn shutdown_rules() {
        let mut c = unsaveable("rules");
        assert_eq!(c.run(&["SHUTDOWN", "ABORT"]), "-ERR No shutdown in progress.\r\n");
        for args in
            [&["SHUTDOWN", "SAVE", "NOSAVE"][..], &["SHUTDOWN", "x"], &["SHUTDOWN", "ABORT", "NOW"], &["SHUTDOWN", "NOSAVE", "ABORT"]]
        {
            assert_eq!(c.run(args), "-ERR syntax error\r\n", "{args:?}");
        }
        assert_eq!(c.run(&["SHUTDOWN", "SAVE"]), "-ERR Errors trying to SHUTDOWN. Check logs.\r\n");
        // Save points are set by default: a plain SHUTDOWN saves too.
        assert_eq!(c.run(&["SHUTDOWN"]), "-ERR Errors trying to SHUTDOWN. Check logs.\r\n");
        assert!(!c.srv.shutdown_requested.load(Relaxed));
        assert_eq!(c.conn.action, None);
        assert_eq!(c.run(&["SHUTDOWN", "NOSAVE", "NOW", "now"]), "");
        assert!(c.srv.shutdown_requested.load(Relaxed));
        assert_eq!(c.conn.action, Some(Action::Shutdown));
        let mut c = unsaveable("force");
        assert_eq!(c.run(&["shutdown", "save", "force"]), "");
        assert_eq!(c.conn.action, Some(Action::Shutdown));
        // Without save points, nothing to save.
        let mut c = unsaveable("nopoints");
        c.run(&["CONFIG", "SET", "save", ""]);
        assert_eq!(c.run(&["SHUTDOWN"]), "");
        assert_eq!(c.conn.action, Some(Action::Shutdown));
    }

    #[test]
    fn monitor_feed() {
        let mut c = TestClient::new();
        let mut other = TestClient::connect(c.srv.clone());
        assert_eq!(c.run(&["MONITOR", "x"]), "-ERR wrong number of arguments for 'monitor' command\r\n");
        assert_eq!(c.run(&["MONITOR"]), "+OK\r\n");
        assert!(c.conn.monitor && c.conn.handle.meta.lock().monitor);
        assert_eq!(c.srv.clients.monitor_count.load(Relaxed), 1);
        assert_eq!(c.run(&["MONITOR"]), "", "a second MONITOR is ignored");
        assert_eq!(c.srv.clients.monitor_count.load(Relaxed), 1);
        other.run(&["ECHO", "hi"]);
        let fed = String::from_utf8(std::mem::take(&mut *c.conn.handle.mailbox.lock())).unwrap();
        assert!(fed.starts_with('+') && fed.ends_with(" [0 127.0.0.1:50000] \"ECHO\" \"hi\"\r\n"), "{fed}");
    }
}
