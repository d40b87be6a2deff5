//! ACL LOG: denied commands, keys and channels and failed AUTHs, newest
//! first. A denial like a recent one (same reason, context, object and
//! user, within a minute, among the last 10) bumps that entry's count and
//! moves it to the front instead of adding a new entry, as Redis does.

use crate::client::ConnState;
use crate::state::Server;
use moon_resp::{Argv, Out};
use std::collections::VecDeque;

const GROUPING_MAX_MS: i64 = 60_000;
const GROUPING_SCAN: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Command,
    Key,
    Channel,
    Auth,
}

impl Reason {
    fn name(self) -> &'static str {
        match self {
            Reason::Command => "command",
            Reason::Key => "key",
            Reason::Channel => "channel",
            Reason::Auth => "auth",
        }
    }
}

/// Where the denied command ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Toplevel,
    Multi,
    Lua,
}

impl Context {
    fn name(self) -> &'static str {
        match self {
            Context::Toplevel => "toplevel",
            Context::Multi => "multi",
            Context::Lua => "lua",
        }
    }
}

pub struct Entry {
    pub count: u64,
    pub reason: Reason,
    pub context: Context,
    pub object: Vec<u8>,
    pub username: Vec<u8>,
    /// Unix ms of the latest occurrence / of the first.
    pub ctime: i64,
    pub created: i64,
    pub client_info: String,
    pub id: u64,
}

#[derive(Default)]
pub struct AclLog {
    pub entries: VecDeque<Entry>,
    next_id: u64,
}

impl AclLog {
    pub fn add(&mut self, mut e: Entry, max_len: usize) {
        let matched = self.entries.iter().take(GROUPING_SCAN).position(|o| {
            o.reason == e.reason
                && o.context == e.context
                && o.object == e.object
                && o.username == e.username
                && e.ctime - o.ctime <= GROUPING_MAX_MS
        });
        if let Some(i) = matched {
            if let Some(mut o) = self.entries.remove(i) {
                o.count += 1;
                o.ctime = e.ctime;
                o.client_info = std::mem::take(&mut e.client_info);
                self.entries.push_front(o);
            }
            return;
        }
        e.id = self.next_id;
        self.next_id += 1;
        self.entries.push_front(e);
        self.entries.truncate(max_len);
    }

    pub fn reset(&mut self) {
        self.entries.clear();
    }

    /// The newest `count` entries as ACL LOG replies them.
    pub fn write(&self, out: &mut Out, count: usize, now_ms: i64) {
        let n = count.min(self.entries.len());
        out.array(n);
        for e in self.entries.iter().take(n) {
            out.map(10);
            out.bulk(b"count");
            out.int(e.count as i64);
            out.bulk(b"reason");
            out.bulk(e.reason.name().as_bytes());
            out.bulk(b"context");
            out.bulk(e.context.name().as_bytes());
            out.bulk(b"object");
            out.bulk(&e.object);
            out.bulk(b"username");
            out.bulk(&e.username);
            out.bulk(b"age-seconds");
            out.double((now_ms - e.ctime) as f64 / 1000.0);
            out.bulk(b"client-info");
            out.bulk(e.client_info.as_bytes());
            out.bulk(b"entry-id");
            out.int(e.id as i64);
            out.bulk(b"timestamp-created");
            out.int(e.created);
            out.bulk(b"timestamp-last-updated");
            out.int(e.ctime);
        }
    }
}

/// Add an entry for a denial on `conn` (running `cmd_name`).
#[allow(clippy::too_many_arguments)]
pub fn record(
    srv: &Server,
    conn: &ConnState,
    reason: Reason,
    context: Context,
    object: Vec<u8>,
    username: Vec<u8>,
    cmd_name: &str,
    argv: &Argv,
) {
    let max_len = srv.config.get_i64("acllog-max-len").max(0) as usize;
    let argv_mem = argv.iter().map(|a| a.len()).sum();
    let client_info = crate::server::client_cmd::client_info_line(srv, &conn.handle, cmd_name, argv_mem);
    let now = moon_store::clock::now_ms();
    let e = Entry { count: 1, reason, context, object, username, ctime: now, created: now, client_info, id: 0 };
    srv.acl.log.lock().add(e, max_len);
}
