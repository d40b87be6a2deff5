//! Replaying an AOF: the base (an RDB file, or commands) and the incr
//! files, in manifest order, through the normal dispatch path on a client
//! of the server's own. As Redis does while loading, nothing counts as
//! expired meanwhile ([`moon_store::clock::loading`]): every expire time
//! the journal recorded is absolute (PEXPIREAT, SET ... PXAT, HPEXPIREAT),
//! so each command sees the keys it saw when it first ran; keys whose time
//! has passed expire once the server runs.

use crate::client::{ClientHandle, ConnState};
use crate::state::Server;
use moon_resp::{ArgBuf, Limits, Out, Parsed, Protocol};
use std::sync::Arc;

/// How a command stream ended.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    /// Every command was complete.
    Clean,
    /// The last command (or an unterminated MULTI) was cut off at this
    /// offset: everything before it was applied.
    Truncated { valid_len: usize },
}

/// A client that runs the replayed commands.
pub struct Replayer<'a> {
    srv: &'a Server,
    conn: ConnState,
    out: Out,
    pub commands: u64,
}

impl<'a> Replayer<'a> {
    pub fn new(srv: &'a Server) -> Self {
        let h = Arc::new(ClientHandle::new(0, String::new(), String::new(), -1, false, Box::new(|| {})));
        let mut conn = ConnState::new(h, 0, true, true);
        // Loading does not make keys recently used.
        conn.no_touch = true;
        Replayer { srv, conn, out: Out::new(Protocol::Resp2), commands: 0 }
    }

    /// A replayer inside a command that holds the world exclusively
    /// (DEBUG LOADAOF): its commands take no world lock of their own.
    pub fn nested(srv: &'a Server) -> Self {
        let mut r = Self::new(srv);
        r.conn.in_exec = true;
        r
    }

    /// Run every command in `data` (a file's contents, named `name` in
    /// errors). Commands between MULTI and EXEC run only once the EXEC is
    /// read, so a transaction cut off at the end is not half applied.
    pub fn run(&mut self, data: &[u8], name: &str) -> Result<End, String> {
        moon_store::clock::set_loading(true);
        let r = self.run_all(data, name);
        moon_store::clock::set_loading(false);
        r
    }

    fn run_all(&mut self, data: &[u8], name: &str) -> Result<End, String> {
        let mut ab = ArgBuf::new();
        let limits = Limits { max_bulk_len: i64::MAX, auth_required: false };
        let mut pos = 0;
        // (start offset of the MULTI, queued commands as byte ranges)
        let mut multi: Option<(usize, Vec<(usize, usize)>)> = None;
        while pos < data.len() {
            if data[pos] != b'*' {
                return Err(format!("Bad file format reading the append only file {name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>"));
            }
            let consumed = match ab.parse(&data[pos..], &limits) {
                Ok(Parsed::Command { consumed }) => consumed,
                Ok(Parsed::Incomplete { .. }) => {
                    let valid_len = multi.map_or(pos, |(start, _)| start);
                    return Ok(End::Truncated { valid_len });
                }
                Ok(Parsed::Skip { consumed }) => {
                    pos += consumed;
                    continue;
                }
                Err(e) => return Err(format!("Bad file format reading the append only file {name}: {}", e.message())),
            };
            let argv = ab.argv(&data[pos..pos + consumed]);
            let cmd = argv.get(0);
            if cmd.eq_ignore_ascii_case(b"MULTI") {
                multi = Some((pos, Vec::new()));
            } else if cmd.eq_ignore_ascii_case(b"EXEC") {
                let Some((_, queued)) = multi.take() else {
                    return Err(format!("Revert incomplete MULTI/EXEC transaction in AOF file {name}: EXEC without MULTI"));
                };
                for (a, b) in queued {
                    let Ok(Parsed::Command { .. }) = ab.parse(&data[a..b], &limits) else { unreachable!("parsed before") };
                    let argv = ab.argv(&data[a..b]);
                    self.exec(&argv, name)?;
                }
            } else if let Some((_, q)) = multi.as_mut() {
                q.push((pos, pos + consumed));
            } else {
                self.exec(&argv, name)?;
            }
            pos += consumed;
        }
        match multi {
            Some((start, _)) => Ok(End::Truncated { valid_len: start }),
            None => Ok(End::Clean),
        }
    }

    fn exec(&mut self, argv: &moon_resp::Argv, name: &str) -> Result<(), String> {
        if self.srv.table.lookup(argv.get(0)).is_none() {
            return Err(format!("Unknown command '{}' reading the append only file {name}", String::from_utf8_lossy(argv.get(0))));
        }
        self.out.buf.clear();
        crate::exec::run_nested(self.srv, &mut self.conn, &mut self.out, argv, moon_store::clock::now_ms());
        self.commands += 1;
        Ok(())
    }
}

/// Load an RDB base file: expired keys are kept, as in a replay (the
/// commands after it may touch them).
pub fn load_rdb_base(srv: &Server, data: &[u8], name: &str) -> Result<u64, String> {
    let opts = moon_persist::file::LoadOpts {
        limits: crate::persistence::limits(srv),
        now_ms: 0,
        access: crate::persistence::access_info(srv),
        databases: srv.databases(),
    };
    let loaded =
        moon_persist::file::parse(data, &opts).map_err(|e| format!("Error reading the RDB base file {name}, AOF loading aborted: {e}"))?;
    let report = crate::persistence::insert_loaded(srv, loaded);
    for w in report.warnings {
        crate::warning!("{w}");
    }
    Ok(report.keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestClient;

    fn replay(c: &TestClient, data: &[u8]) -> Result<End, String> {
        Replayer::new(&c.srv).run(data, "t.aof")
    }

    #[test]
    fn replays_commands_and_selects() {
        let mut c = TestClient::new();
        let aof =
            b"*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*3\r\n$9\r\nPEXPIREAT\r\n$1\r\na\r\n$1\r\n5\r\n";
        assert_eq!(replay(&c, aof), Ok(End::Clean));
        c.run(&["SELECT", "1"]);
        // Expired at 5 ms after the epoch: present while loading, then gone.
        assert_eq!(c.run(&["GET", "a"]), "$-1\r\n");
        c.run(&["SELECT", "0"]);
        assert_eq!(c.run(&["DBSIZE"]), ":0\r\n");
    }

    #[test]
    fn expire_times_are_not_past_while_replaying() {
        let mut c = TestClient::new();
        // Both appends ran while the key was alive: the value has them both.
        let aof = b"*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$4\r\nPXAT\r\n$13\r\n9999999999999\r\n*3\r\n$9\r\nPEXPIREAT\r\n$1\r\nk\r\n$1\r\n5\r\n*3\r\n$6\r\nAPPEND\r\n$1\r\nk\r\n$1\r\nx\r\n*2\r\n$7\r\nPERSIST\r\n$1\r\nk\r\n";
        assert_eq!(replay(&c, aof), Ok(End::Clean));
        assert_eq!(c.run(&["GET", "k"]), "$2\r\nvx\r\n");
    }

    #[test]
    fn a_cut_off_tail_or_transaction_is_reported_not_applied() {
        let mut c = TestClient::new();
        let set = b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n";
        let mut aof = set.to_vec();
        aof.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1");
        assert_eq!(replay(&c, &aof), Ok(End::Truncated { valid_len: set.len() }));
        let mut aof = set.to_vec();
        aof.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n1\r\n");
        assert_eq!(replay(&c, &aof), Ok(End::Truncated { valid_len: set.len() }));
        assert_eq!(c.run(&["EXISTS", "a", "b", "c"]), ":1\r\n");
    }

    #[test]
    fn garbage_and_unknown_commands_fail() {
        let c = TestClient::new();
        assert!(replay(&c, b"hello\r\n").unwrap_err().starts_with("Bad file format"));
        assert!(replay(&c, b"*1\r\n$4\r\nNOPE\r\n").unwrap_err().starts_with("Unknown command 'NOPE'"));
    }
}
