//! MIGRATE: move keys to another Redis or Moon instance as DUMP payloads
//! restored there (RESTORE), then delete them here unless COPY.
//!
//! Like Redis, the call blocks its client until the target answered or the
//! timeout passed; the stripes of the keys stay locked meanwhile, so no
//! other client sees a key both here and there. (Redis also caches the
//! connection for 10 s; Moon connects each time.)

use super::save_opts;
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, NOT_INTEGER, SYNTAX};
use crate::util::{eq_ic, parse_i64};
use moon_persist::dump;
use moon_resp::{Argv, Out, Protocol};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

const IO_WRITE: CmdError = CmdError::fixed("IOERR error or timeout writing to target instance");
const IO_READ: CmdError = CmdError::fixed("IOERR error or timeout reading to target instance");
const REPLY_MAX: u64 = 64 * 1024;
const IO_CONNECT: CmdError = CmdError::fixed("IOERR error or timeout connecting to the client");

struct Options<'a> {
    copy: bool,
    replace: bool,
    auth: Option<(Option<&'a [u8]>, &'a [u8])>,
    keys: Vec<&'a [u8]>,
}

fn parse_options<'a>(argv: &Argv<'a>) -> Result<Options<'a>, CmdError> {
    let mut o = Options { copy: false, replace: false, auth: None, keys: Vec::new() };
    let mut j = 6;
    while j < argv.len() {
        let a = argv.get(j);
        let left = argv.len() - j - 1;
        if eq_ic(a, "copy") {
            o.copy = true;
        } else if eq_ic(a, "replace") {
            o.replace = true;
        } else if eq_ic(a, "auth") && left >= 1 {
            o.auth = Some((None, argv.get(j + 1)));
            j += 1;
        } else if eq_ic(a, "auth2") && left >= 2 {
            o.auth = Some((Some(argv.get(j + 1)), argv.get(j + 2)));
            j += 2;
        } else if eq_ic(a, "keys") {
            if !argv.get(3).is_empty() {
                return Err(CmdError::err("When using MIGRATE KEYS option, the key argument must be set to the empty string"));
            }
            o.keys = (j + 1..argv.len()).map(|i| argv.get(i)).collect();
            break;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    if o.keys.is_empty() {
        o.keys.push(argv.get(3));
    }
    Ok(o)
}

/// Append one command to a request.
fn command(out: &mut Out, parts: &[&[u8]]) {
    out.array(parts.len());
    for p in parts {
        out.bulk(p);
    }
}

/// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
/// [AUTH password | AUTH2 username password] [KEYS key ...]
pub fn migrate(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let o = parse_options(argv)?;
    let db = parse_i64(argv.get(4)).ok_or(NOT_INTEGER)?;
    let timeout = parse_i64(argv.get(5)).ok_or(NOT_INTEGER)?;
    let timeout = Duration::from_millis(if timeout <= 0 { 1000 } else { timeout as u64 });
    let port = parse_i64(argv.get(2)).filter(|p| (0..=65535).contains(p)).ok_or(NOT_INTEGER)?;

    // The payloads of the keys that exist, with their remaining TTLs.
    let opts = save_opts(ctx.srv);
    let now = ctx.now();
    let mut found: Vec<(&[u8], Vec<u8>, i64)> = Vec::new();
    for &key in &o.keys {
        let Some(e) = ctx.ks.read(key) else { continue };
        let ttl = e.expire().map_or(0, |t| (t - now).max(1));
        let payload = dump::create(e.value(), opts).map_err(|x| CmdError::err(x.0))?;
        found.push((key, payload, ttl));
    }
    if found.is_empty() {
        ctx.out.simple("NOKEY");
        return Ok(());
    }

    let mut req = Out::new(Protocol::Resp2);
    match o.auth {
        Some((None, pass)) => command(&mut req, &[b"AUTH", pass]),
        Some((Some(user), pass)) => command(&mut req, &[b"AUTH", user, pass]),
        None => {}
    }
    command(&mut req, &[b"SELECT", db.to_string().as_bytes()]);
    for (key, payload, ttl) in &found {
        let ttl = ttl.to_string();
        let mut parts: Vec<&[u8]> = vec![b"RESTORE", key, ttl.as_bytes(), payload];
        if o.replace {
            parts.push(b"REPLACE");
        }
        command(&mut req, &parts);
    }

    let host = String::from_utf8_lossy(argv.get(1)).into_owned();
    let addr = (host.as_str(), port as u16).to_socket_addrs().map_err(|_| IO_CONNECT)?.next().ok_or(IO_CONNECT)?;
    let mut sock = TcpStream::connect_timeout(&addr, timeout).map_err(|_| IO_WRITE)?;
    let _ = sock.set_nodelay(true);
    sock.set_write_timeout(Some(timeout)).map_err(|_| IO_WRITE)?;
    sock.set_read_timeout(Some(timeout)).map_err(|_| IO_READ)?;
    sock.write_all(&req.buf).map_err(|_| IO_WRITE)?;

    // One status or error line per command sent.
    let mut reader = BufReader::new(sock);
    let mut line = Vec::new();
    let mut read_reply = |line: &mut Vec<u8>| -> Result<Option<String>, CmdError> {
        line.clear();
        // The target's replies are status or error lines: a line longer
        // than REPLY_MAX is not one, and is not buffered whole.
        match (&mut reader).take(REPLY_MAX).read_until(b'\n', line) {
            Ok(n) if n > 0 && line.ends_with(b"\n") => {}
            _ => return Err(IO_READ),
        }
        Ok((line.first() == Some(&b'-')).then(|| String::from_utf8_lossy(&line[1..]).trim_end().to_string()))
    };
    let target_error = |msg: String| CmdError::err(format!("Target instance replied with error: {msg}"));
    if o.auth.is_some() {
        if let Some(e) = read_reply(&mut line)? {
            return Err(target_error(e));
        }
    }
    if let Some(e) = read_reply(&mut line)? {
        return Err(target_error(e));
    }
    let mut first_error = None;
    // Journaled as the deletion of the keys that moved (a replay must not
    // connect anywhere).
    ctx.ks.journal.suppress();
    for (key, _, _) in &found {
        match read_reply(&mut line)? {
            Some(e) => {
                first_error.get_or_insert(e);
            }
            None if !o.copy => {
                ctx.ks.remove(key);
                ctx.ks.propagate(&[b"DEL", key]);
            }
            None => {}
        }
    }
    match first_error {
        Some(e) => Err(target_error(e)),
        None => {
            ctx.out.ok();
            Ok(())
        }
    }
}
