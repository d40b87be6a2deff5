//! CONFIG: GET SET RESETSTAT REWRITE HELP over the parameter registry in
//! crate::config.

use crate::config::{find_param, rewrite, Param, IMMUTABLE, PARAMS, PROTECTED};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, SYNTAX};
use crate::spec::{cmd, flag::*, CommandDef, Handler, Locking};
use crate::state::Server;
use crate::util::glob_match;
use moon_resp::Argv;
use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::Ordering::Relaxed;

const BASE: u64 = ADMIN | NOSCRIPT | LOADING | STALE;
const G: &str = "server";

const fn sub(name: &'static str, arity: i32, flags: u64, handler: Handler) -> CommandDef {
    cmd(name, arity, flags, 0, &[], handler, G).locking(Locking::None)
}

static SUBS: &[CommandDef] = &[
    sub("get", -3, BASE, get),
    sub("set", -4, BASE, set),
    sub("resetstat", 2, BASE, resetstat),
    sub("rewrite", 2, BASE, rewrite_cmd),
    sub("help", 2, LOADING | STALE, help),
];

pub static COMMANDS: &[CommandDef] = &[cmd("config", -2, 0, 0, &[], super::client_cmd::container, G).locking(Locking::None).subs(SUBS)];

fn get(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    // (name as shown, parameter): an exact name is echoed as the client
    // typed it, a glob shows canonical names; each parameter once.
    let mut found: Vec<(String, &'static Param)> = Vec::new();
    for pat in argv.iter().skip(2) {
        if !pat.iter().any(|c| matches!(c, b'*' | b'?' | b'[')) {
            let name = String::from_utf8_lossy(pat);
            if let Some(p) = find_param(&name) {
                if !found.iter().any(|(_, q)| std::ptr::eq(*q, p)) {
                    found.push((name.into_owned(), p));
                }
            }
            continue;
        }
        for p in PARAMS {
            if glob_match(pat, p.name.as_bytes(), true) && !found.iter().any(|(_, q)| std::ptr::eq(*q, p)) {
                found.push((p.name.to_string(), p));
            }
        }
    }
    ctx.out.map(found.len());
    for (name, p) in &found {
        ctx.out.bulk(name.as_bytes());
        ctx.out.bulk(ctx.srv.config.get(p.name).unwrap_or_default().as_bytes());
    }
    Ok(())
}

/// Protected parameters (where files go) change at runtime only when
/// enable-protected-configs allows it for this connection.
fn protected_allowed(ctx: &Ctx) -> bool {
    match ctx.srv.config.get_str("enable-protected-configs").as_str() {
        "yes" => true,
        "local" => ctx.conn.is_local,
        _ => false,
    }
}

fn set(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    if !argv.len().is_multiple_of(2) {
        return Err(SYNTAX);
    }
    let failed = |arg: &str, why: &str| CmdError::err(format!("CONFIG SET failed (possibly related to argument '{arg}') - {why}"));
    // Everything that can be checked without applying is checked first, so
    // a bad pair leaves every parameter untouched.
    let mut pairs: Vec<(&'static Param, String)> = Vec::with_capacity((argv.len() - 2) / 2);
    for i in (2..argv.len()).step_by(2) {
        let name = String::from_utf8_lossy(argv.get(i));
        let Some(p) = find_param(&name) else {
            return Err(CmdError::err(format!("Unknown option or number of arguments for CONFIG SET - '{name}'")));
        };
        if p.flags & IMMUTABLE != 0 {
            return Err(failed(&name, "can't set immutable config"));
        }
        if p.flags & PROTECTED != 0 && !protected_allowed(ctx) {
            return Err(failed(&name, "can't set protected config"));
        }
        if pairs.iter().any(|(q, _)| std::ptr::eq(*q, p)) {
            return Err(failed(&name, "duplicate parameter"));
        }
        pairs.push((p, String::from_utf8_lossy(argv.get(i + 1)).into_owned()));
    }
    let cfg = &ctx.srv.config;
    let mut applied: Vec<(&'static str, String)> = Vec::with_capacity(pairs.len());
    for (p, value) in &pairs {
        let old = cfg.get(p.name).unwrap_or_default();
        if let Err(why) = cfg.set(p.name, value, false) {
            // Roll back what was already applied, newest first.
            for (name, old) in applied.iter().rev() {
                let _ = cfg.set(name, old, true);
            }
            return Err(failed(p.name, &why));
        }
        applied.push((p.name, old));
    }
    let changed: Vec<&str> = applied.iter().map(|(n, _)| *n).collect();
    if let Err((name, why)) = cfg.run_apply_hooks(&changed) {
        for (name, old) in applied.iter().rev() {
            let _ = cfg.set(name, old, true);
        }
        // Put back what the hooks that did succeed applied.
        let _ = cfg.run_apply_hooks(&changed);
        return Err(failed(name, &why));
    }
    if let Some((_, v)) = pairs.iter().find(|(p, _)| p.name == "requirepass") {
        ctx.srv.acl.set_default_password(&ctx.srv.table, v);
    }
    for (p, _) in &pairs {
        match p.name {
            "appendfsync" => ctx.srv.journal.set_fsync(crate::journal::Fsync::from_name(&cfg.get_str("appendfsync"))),
            "appendonly" => crate::journal::aof::config_changed(ctx.srv, cfg.get_bool("appendonly")),
            _ => {}
        }
    }
    ctx.out.ok();
    Ok(())
}

/// What CONFIG RESETSTAT clears: the INFO stats counters, errorstats and
/// commandstats. The slow log, latency history, the dirty counter and the
/// memory peak are kept, as in Redis.
pub fn reset_stats(srv: &Server) {
    let s = &srv.stats;
    for c in [
        &s.connections_received,
        &s.rejected_connections,
        &s.expired_keys,
        &s.error_replies,
        &s.unexpected_error_replies,
        &s.expire_cycle_cpu_us,
    ] {
        c.store(0, Relaxed);
    }
    for c in [&s.commands_processed, &s.net_input_bytes, &s.net_output_bytes, &s.keyspace_hits, &s.keyspace_misses] {
        c.store(0, Relaxed);
    }
    s.expired_stale_perc.store(0, Relaxed);
    srv.evict.reset_stats();
    s.errors.lock().clear();
    *s.samples.lock() = Default::default();
    for e in &srv.table.entries {
        e.stats.calls.store(0, Relaxed);
        e.stats.usec.store(0, Relaxed);
        e.stats.rejected.store(0, Relaxed);
        e.stats.failed.store(0, Relaxed);
    }
}

fn resetstat(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    reset_stats(ctx.srv);
    ctx.out.ok();
    Ok(())
}

/// The OS error text without Rust's " (os error N)" suffix, as strerror.
fn os_error_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Replace `path` with `content` atomically: a temporary file in the same
/// directory, flushed to disk, then renamed over the old file.
fn write_atomically(path: &Path, content: &str) -> std::io::Result<()> {
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = std::path::PathBuf::from(tmp_name);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(content.as_bytes())?;
        if let Ok(meta) = std::fs::metadata(path) {
            f.set_permissions(meta.permissions())?;
        }
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// One rewrite at a time: concurrent ones would share the temporary file.
static REWRITE_LOCK: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

fn rewrite_cmd(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    let Some(path) = ctx.srv.config.file.read().clone() else {
        return Err(CmdError::err("The server is running without a config file"));
    };
    let _serial = REWRITE_LOCK.lock();
    let old = match std::fs::read(&path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        // A config file removed since startup is written from scratch.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(CmdError::err(format!("Rewriting config file: {}", os_error_text(&e)))),
    };
    let new = rewrite::rewrite(&old, &ctx.srv.config, rewrite::acl_user_lines(ctx.srv).as_deref());
    write_atomically(&path, &new).map_err(|e| CmdError::err(format!("Rewriting config file: {}", os_error_text(&e))))?;
    ctx.out.ok();
    Ok(())
}

const HELP: &[&str] = &[
    "GET <pattern> [<pattern> ...]",
    "    Reply with every parameter matching a glob-style <pattern>, and its value.",
    "SET <directive> <value> [<directive> <value> ...]",
    "    Change parameters at runtime; either all of them change or none.",
    "RESETSTAT",
    "    Zero the counters INFO reports (stats, commandstats, errorstats).",
    "REWRITE",
    "    Save the running configuration into the config file.",
];

fn help(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    crate::server::help::reply_help(ctx.out, "CONFIG", HELP);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testing::TestClient;
    use std::sync::atomic::Ordering::Relaxed;

    #[test]
    fn get_patterns() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["CONFIG", "GET", "port"]), "*2\r\n$4\r\nport\r\n$4\r\n6379\r\n");
        // An exact name is echoed as typed; repeats are listed once.
        assert_eq!(c.run(&["CONFIG", "GET", "HZ", "h?", "hz"]), "*2\r\n$2\r\nHZ\r\n$2\r\n10\r\n");
        assert_eq!(c.run(&["CONFIG", "GET", "H?"]), "*2\r\n$2\r\nhz\r\n$2\r\n10\r\n");
        assert_eq!(c.run(&["CONFIG", "GET", "nosuch"]), "*0\r\n");
        assert_eq!(c.run(&["CONFIG", "GET"]), "-ERR wrong number of arguments for 'config|get' command\r\n");
        let r = c.run(&["CONFIG", "GET", "*max-*", "maxclients"]);
        let n = crate::config::PARAMS.iter().filter(|p| crate::util::glob_match(b"*max-*", p.name.as_bytes(), true)).count();
        assert!(r.starts_with(&format!("*{}\r\n", 2 * (n + 1))), "{r}");
        c.run(&["HELLO", "3"]);
        assert_eq!(c.run(&["CONFIG", "GET", "timeout", "port"]), "%2\r\n$7\r\ntimeout\r\n$1\r\n0\r\n$4\r\nport\r\n$4\r\n6379\r\n");
        assert_eq!(c.run(&["CONFIG", "GET", "nosuch"]), "%0\r\n");
    }

    #[test]
    fn set_errors_and_atomicity() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["CONFIG", "SET", "x", "y"]), "-ERR Unknown option or number of arguments for CONFIG SET - 'x'\r\n");
        assert_eq!(c.run(&["CONFIG", "SET", "timeout", "1", "hz"]), "-ERR syntax error\r\n");
        assert_eq!(
            c.run(&["CONFIG", "SET", "timeout", "x"]),
            "-ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer\r\n"
        );
        assert_eq!(
            c.run(&["CONFIG", "SET", "TIMEOUT", "-1"]),
            "-ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive\r\n"
        );
        assert_eq!(
            c.run(&["CONFIG", "SET", "timeout", "1", "TIMEOUT", "2"]),
            "-ERR CONFIG SET failed (possibly related to argument 'TIMEOUT') - duplicate parameter\r\n"
        );
        assert_eq!(
            c.run(&["CONFIG", "SET", "timeout", "x", "DATABASES", "3"]),
            "-ERR CONFIG SET failed (possibly related to argument 'DATABASES') - can't set immutable config\r\n"
        );
        assert_eq!(
            c.run(&["CONFIG", "SET", "hz", "5", "nosuch", "1"]),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n"
        );
        // The first pair applies, the second fails: the first is undone.
        assert_eq!(
            c.run(&["CONFIG", "SET", "slowlog-max-len", "7", "timeout", "-1"]),
            "-ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive\r\n"
        );
        assert_eq!(c.srv.config.get("slowlog-max-len").unwrap(), "128");
        assert_eq!(c.srv.config.hot.slowlog_max_len.load(Relaxed), 128);
        assert_eq!(c.run(&["CONFIG", "SET", "slowlog-max-len", "7", "Hz", "20"]), "+OK\r\n");
        assert_eq!(c.srv.config.get("slowlog-max-len").unwrap(), "7");
        assert_eq!(c.srv.config.hot.hz.load(Relaxed), 20);
    }

    #[test]
    fn failing_apply_hook_undoes_the_whole_set() {
        let mut c = TestClient::new();
        let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let r2 = runs.clone();
        c.srv.config.add_apply_hook(
            "tls-",
            Box::new(move |cfg| {
                r2.fetch_add(1, Relaxed);
                if cfg.get_str("tls-ciphers") == "bad" {
                    Err("Unable to update TLS configuration. Check server logs.".into())
                } else {
                    Ok(())
                }
            }),
        );
        // Parameters outside the prefix don't run the hook.
        assert_eq!(c.run(&["CONFIG", "SET", "hz", "11"]), "+OK\r\n");
        assert_eq!(runs.load(Relaxed), 0);
        // The error names the first parameter (argument order) the hook covers.
        assert_eq!(
            c.run(&["CONFIG", "SET", "hz", "12", "TLS-session-cache-size", "5", "tls-ciphers", "bad"]),
            "-ERR CONFIG SET failed (possibly related to argument 'tls-session-cache-size') - Unable to update TLS configuration. \
             Check server logs.\r\n"
        );
        assert_eq!(c.srv.config.get("hz").unwrap(), "11");
        assert_eq!(c.srv.config.get("tls-session-cache-size").unwrap(), "20480");
        assert_eq!(c.srv.config.get("tls-ciphers").unwrap(), "");
        // Once for the failed attempt, once more to re-apply the old values.
        assert_eq!(runs.load(Relaxed), 2);
        assert_eq!(c.run(&["CONFIG", "SET", "tls-ciphers", "good", "tls-protocols", "TLSv1.3"]), "+OK\r\n");
        assert_eq!(runs.load(Relaxed), 3);
        assert_eq!(c.srv.config.get("tls-protocols").unwrap(), "TLSv1.3");
    }

    #[test]
    fn resetstat_clears_counters() {
        let mut c = TestClient::new();
        c.run(&["PING"]);
        c.run(&["nosuchcommand"]);
        c.run(&["SELECT", "x"]);
        c.srv.stats.dirty.store(5, Relaxed);
        assert_eq!(c.run(&["CONFIG", "RESETSTAT"]), "+OK\r\n");
        let s = &c.srv.stats;
        assert_eq!(s.error_replies.load(Relaxed), 0);
        assert!(s.errors.lock().is_empty());
        // The RESETSTAT call itself is counted after the reset.
        assert_eq!(s.commands_processed.load(Relaxed), 1);
        assert_eq!(s.dirty.load(Relaxed), 5);
        let ping = c.srv.table.lookup(b"ping").unwrap();
        assert_eq!(c.srv.table.get(ping).stats.calls.load(Relaxed), 0);
        let select = c.srv.table.lookup(b"select").unwrap();
        assert_eq!(c.srv.table.get(select).stats.failed.load(Relaxed), 0);
    }

    #[test]
    fn rewrite_needs_a_file_and_writes_it() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["CONFIG", "REWRITE"]), "-ERR The server is running without a config file\r\n");
        let dir = std::env::temp_dir().join(format!("moon-cfg-{}-{}", std::process::id(), c.conn.id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("moon.conf");
        std::fs::write(&path, "# keep me\nhz 10\nunknown-thing 1\n").unwrap();
        *c.srv.config.file.write() = Some(path.clone());
        c.run(&["CONFIG", "SET", "hz", "15", "maxclients", "100"]);
        assert_eq!(c.run(&["CONFIG", "REWRITE"]), "+OK\r\n");
        let text = std::fs::read_to_string(&path).unwrap();
        // The ACL users follow the parameters (no aclfile is configured).
        assert_eq!(
            text,
            "# keep me\nhz 15\nunknown-thing 1\n\n# Generated by CONFIG REWRITE\nmaxclients 100\nenable-debug-command yes\n\
             user default on nopass sanitize-payload ~* &* +@all\n"
        );
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        // A missing file is written from scratch.
        std::fs::remove_file(&path).unwrap();
        assert_eq!(c.run(&["CONFIG", "REWRITE"]), "+OK\r\n");
        assert!(std::fs::read_to_string(&path).unwrap().contains("hz 15\n"));
        // An unwritable location reports the OS error.
        *c.srv.config.file.write() = Some(dir.join("no/such/dir/moon.conf"));
        assert_eq!(c.run(&["CONFIG", "REWRITE"]), "-ERR Rewriting config file: No such file or directory\r\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn help_and_unknown() {
        let mut c = TestClient::new();
        assert!(c.run(&["CONFIG", "HELP"]).starts_with("*11\r\n+CONFIG <subcommand>"));
        assert_eq!(c.run(&["CONFIG", "foo"]), "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n");
        assert_eq!(c.run(&["CONFIG", "RESETSTAT", "x"]), "-ERR wrong number of arguments for 'config|resetstat' command\r\n");
    }
}
