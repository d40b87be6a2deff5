//! What one command journals. By default a command that changed something
//! (its `dirty` count grew) is journaled as it was called; a command whose
//! effect depends on time or chance records its deterministic effect
//! instead ([`Records::rewrite`]), as Redis' rewriteClientCommandVector /
//! alsoPropagate do (EXPIRE → PEXPIREAT, SPOP → SREM, ...). Records of
//! the commands inside EXEC or a script are gathered on the connection and
//! journaled together, wrapped in MULTI/EXEC.

use crate::client::ConnState;
use crate::ctx::KeyAccess;
use crate::state::Server;
use crate::table::TableEntry;
use moon_resp::Argv;
use moon_store::stripe::Expiry;

/// The records of one command, in the order its effects happened.
#[derive(Default)]
pub struct Records {
    /// Records are wanted (the journal was on as the command started).
    pub on: bool,
    /// The command chose its records itself: no verbatim record.
    custom: bool,
    /// The command is journaled as called, ahead of `list` (set by `seal`;
    /// encoded only at `commit`, straight into the journal when alone).
    verbatim: bool,
    list: Vec<(usize, Vec<u8>)>,
    /// DEL / HDEL of what expiry removed where the command looked: ahead
    /// of everything else, as the expiry happened when it first looked.
    expired: Vec<(usize, Vec<u8>)>,
}

impl Records {
    /// Journal `args` (of database `db`) as this command's effect, in
    /// place of the command as called. May be called several times.
    pub fn rewrite(&mut self, db: usize, args: &[&[u8]]) {
        if self.on {
            self.custom = true;
            let mut b = Vec::new();
            encode(&mut b, args);
            self.list.push((db, b));
        }
    }

    /// This command journals nothing of its own (its effects are recorded
    /// by the commands it runs, or it changed nothing lasting).
    pub fn suppress(&mut self) {
        self.custom = true;
    }

    /// Add records gathered elsewhere (a helper KeyAccess), after these.
    pub fn extend(&mut self, other: Records) {
        self.list.extend(other.expired);
        self.list.extend(other.list);
    }

    /// What expiry removed in database `db`: keys (DEL) and hash fields
    /// (HDEL; a hash losing its last field goes with it on replay too).
    pub fn note_expiry(&mut self, db: usize, keys: &[(Vec<u8>, Expiry)], fields: &[(Vec<u8>, Vec<u8>)]) {
        expiry_records(db, keys, fields, |r| self.expired.push(r));
    }
}

fn expiry_records(db: usize, keys: &[(Vec<u8>, Expiry)], fields: &[(Vec<u8>, Vec<u8>)], mut push: impl FnMut((usize, Vec<u8>))) {
    for (k, kind) in keys {
        if *kind == Expiry::Key {
            let mut b = Vec::new();
            encode(&mut b, &[b"DEL", k]);
            push((db, b));
        }
    }
    for (k, f) in fields {
        let mut b = Vec::new();
        encode(&mut b, &[b"HDEL", k, f]);
        push((db, b));
    }
}

/// What expiry removed in a stripe of database `db` outside a command's
/// own guards (the active expiry, a stripe a command locked by hand),
/// reported now, under the stripe's lock: journaled (DEL/HDEL), tracking
/// clients told, events published.
pub fn report_stripe_expiry(srv: &Server, db: usize, s: &mut moon_store::Stripe) {
    if !moon_store::stripe::recording_expired() {
        return;
    }
    let gone = s.take_expired_keys();
    if srv.journal.on() {
        let fields = s.take_expired_field_names();
        expiry_records(db, &gone, &fields, |r| srv.journal.append(std::slice::from_ref(&r)));
    }
    if srv.tracking.any() {
        srv.tracking.invalidate_expired(srv, gone.iter().map(|(k, _)| k.as_slice()), None);
    }
    crate::notify::publish_expired(srv, db, gone);
}

/// RESP multibulk of `args`, appended to `buf`.
pub fn encode(buf: &mut Vec<u8>, args: &[&[u8]]) {
    encode_iter(buf, args.len(), args.iter().copied());
}

pub fn encode_iter<'a>(buf: &mut Vec<u8>, n: usize, args: impl Iterator<Item = &'a [u8]>) {
    let mut num = itoa::Buffer::new();
    buf.push(b'*');
    buf.extend_from_slice(num.format(n).as_bytes());
    buf.extend_from_slice(b"\r\n");
    for a in args {
        buf.push(b'$');
        buf.extend_from_slice(num.format(a.len()).as_bytes());
        buf.extend_from_slice(b"\r\n");
        buf.extend_from_slice(a);
        buf.extend_from_slice(b"\r\n");
    }
}

/// Commands whose own call is never journaled: their effects are (the
/// commands a transaction or script ran).
fn runs_others(entry: &TableEntry) -> bool {
    matches!(entry.full_name.as_str(), "exec" | "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro")
}

/// After the handler, before anything it set off (served blocked
/// clients, whose records follow): the command is journaled as called if
/// it changed something and chose no records of its own.
pub fn seal(ks: &mut KeyAccess, entry: &TableEntry) {
    let r = &mut ks.journal;
    r.verbatim = !r.custom && ks.dirty > 0 && !runs_others(entry);
    r.custom = true;
}

/// The end of a command under its locks: DELs for the keys it found
/// expired, then its records. Inside EXEC or a script they wait on the
/// connection; a top-level command appends them with what its nested
/// commands gathered.
pub fn commit(srv: &Server, conn: &mut ConnState, ks: &mut KeyAccess, argv: &Argv) {
    let db = ks.db_index;
    let r = &mut ks.journal;
    if r.expired.is_empty() && r.list.is_empty() && !conn.in_exec && conn.journal_txn.is_empty() {
        // The common case: one write, encoded straight into the journal.
        if r.verbatim {
            srv.journal.append_iter(db, argv.len(), argv.iter());
        }
        return;
    }
    if r.verbatim {
        let mut b = Vec::new();
        encode_iter(&mut b, argv.len(), argv.iter());
        r.list.insert(0, (db, b));
    }
    let mut list = std::mem::take(&mut r.expired);
    list.append(&mut r.list);
    if conn.in_exec {
        conn.journal_txn.append(&mut list);
        return;
    }
    if !conn.journal_txn.is_empty() {
        let mut all = std::mem::take(&mut conn.journal_txn);
        all.append(&mut list);
        list = all;
    }
    srv.journal.append(&list);
}
