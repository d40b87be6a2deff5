//! The journal (DESIGN.md section 3): one ordered stream of every change,
//! as the RESP commands Redis would propagate, appended while the writing
//! command still holds its stripe locks, so two writes to one key appear
//! in the order they happened. It feeds the multi-part AOF ([`aof`]).
//!
//! Appending only copies bytes into a shared buffer. Before a connection
//! sends replies, the bytes they depend on are written to the incr file
//! (and with `appendfsync always` fsynced): the server's I/O threads call
//! [`Journal::write_out`] once per turn of their event loop for every
//! connection waiting on it, which is the group commit (one write and one
//! fsync serve every reply of that turn, as Redis' beforeSleep does).

pub mod aof;
pub mod load;
pub mod record;
pub mod rewrite;

pub use record::Records;

use parking_lot::Mutex;
use std::fs::File;
use std::io::Write;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8};

/// appendfsync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Fsync {
    No = 0,
    EverySec = 1,
    Always = 2,
}

impl Fsync {
    pub fn from_name(s: &str) -> Fsync {
        match s {
            "always" => Fsync::Always,
            "no" => Fsync::No,
            _ => Fsync::EverySec,
        }
    }
}

#[derive(Default)]
struct Pending {
    buf: Vec<u8>,
    /// The database the stream is in (None: the next record must SELECT).
    db: Option<usize>,
}

/// Where appended bytes go: the open incr file.
#[derive(Default)]
struct Output {
    file: Option<File>,
    /// The buffer swapped in for the next appends (kept to reuse its
    /// allocation).
    spare: Vec<u8>,
    /// Bytes in the current incr file.
    incr_size: u64,
}

pub struct Journal {
    /// Records are being taken (appendonly is on, or being turned on).
    on: AtomicBool,
    fsync: AtomicU8,
    pending: Mutex<Pending>,
    /// Bytes appended since start (a logical offset across files).
    appended: AtomicU64,
    /// Of those, bytes handed to the kernel, and bytes fsynced.
    written: AtomicU64,
    synced: AtomicU64,
    out: Mutex<Output>,
    /// The last write or fsync failed (INFO aof_last_write_status), and
    /// why (the MISCONF error names it).
    pub write_failed: AtomicBool,
    pub write_error: Mutex<String>,
    pub aof: aof::AofState,
}

impl Default for Journal {
    fn default() -> Self {
        Journal {
            on: AtomicBool::new(false),
            fsync: AtomicU8::new(Fsync::EverySec as u8),
            pending: Mutex::new(Pending::default()),
            appended: AtomicU64::new(0),
            written: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            out: Mutex::new(Output::default()),
            write_failed: AtomicBool::new(false),
            write_error: Mutex::new(String::new()),
            aof: aof::AofState::default(),
        }
    }
}

impl Journal {
    #[inline]
    pub fn on(&self) -> bool {
        self.on.load(Relaxed)
    }

    pub fn fsync(&self) -> Fsync {
        match self.fsync.load(Relaxed) {
            0 => Fsync::No,
            2 => Fsync::Always,
            _ => Fsync::EverySec,
        }
    }

    pub fn set_fsync(&self, f: Fsync) {
        self.fsync.store(f as u8, Relaxed);
    }

    /// Append a group of records (database, RESP command), wrapped in
    /// MULTI/EXEC when there are several so a replay applies all or none.
    pub fn append(&self, records: &[(usize, Vec<u8>)]) {
        if records.is_empty() {
            return;
        }
        let mut p = self.pending.lock();
        let before = p.buf.len();
        let wrap = records.len() > 1;
        if wrap {
            select(&mut p, records[0].0);
            record::encode(&mut p.buf, &[b"MULTI"]);
        }
        for (db, bytes) in records {
            select(&mut p, *db);
            p.buf.extend_from_slice(bytes);
        }
        if wrap {
            record::encode(&mut p.buf, &[b"EXEC"]);
        }
        self.appended.fetch_add((p.buf.len() - before) as u64, Release);
    }

    /// Append one command of database `db`, encoded from its arguments.
    pub fn append_args(&self, db: usize, args: &[&[u8]]) {
        self.append_iter(db, args.len(), args.iter().copied());
    }

    pub fn append_iter<'a>(&self, db: usize, n: usize, args: impl Iterator<Item = &'a [u8]>) {
        let mut p = self.pending.lock();
        let before = p.buf.len();
        select(&mut p, db);
        record::encode_iter(&mut p.buf, n, args);
        self.appended.fetch_add((p.buf.len() - before) as u64, Release);
    }

    /// Whether replies sent now could reveal a change not yet written (or,
    /// with appendfsync always, not yet fsynced).
    #[inline]
    pub fn behind(&self) -> bool {
        let done = if self.fsync() == Fsync::Always { &self.synced } else { &self.written };
        self.on() && done.load(Acquire) < self.appended.load(Acquire)
    }

    /// Write everything appended so far to the incr file, and fsync it
    /// when the policy is `always`. Called by the I/O threads before they
    /// send replies; concurrent callers queue on the file, and a later one
    /// finds its bytes already written by an earlier one.
    pub fn write_out(&self) {
        let always = self.fsync() == Fsync::Always;
        let mut out = self.out.lock();
        let target = self.appended.load(Acquire);
        if self.written.load(Acquire) < target {
            let mut bytes = std::mem::take(&mut out.spare);
            let end = {
                let mut p = self.pending.lock();
                std::mem::swap(&mut p.buf, &mut bytes);
                self.appended.load(Acquire)
            };
            match out.file.as_mut().map(|f| f.write_all(&bytes)) {
                Some(Ok(())) | None => {
                    out.incr_size += bytes.len() as u64;
                    self.written.store(end, Release);
                    self.write_failed.store(false, Relaxed);
                }
                Some(Err(e)) => {
                    // Keep the bytes for the next attempt, in order.
                    crate::warning!("Error writing to the AOF file: {e}");
                    *self.write_error.lock() = io_reason(&e);
                    self.write_failed.store(true, Relaxed);
                    let mut p = self.pending.lock();
                    bytes.extend_from_slice(&p.buf);
                    std::mem::swap(&mut p.buf, &mut bytes);
                    return;
                }
            }
            bytes.clear();
            out.spare = bytes;
        }
        if always && self.synced.load(Acquire) < self.written.load(Acquire) {
            let end = self.written.load(Acquire);
            if let Some(f) = &out.file {
                if let Err(e) = f.sync_data() {
                    crate::warning!("Can't persist AOF for fsync error when the AOF fsync policy is 'always': {e}. Exiting...");
                    std::process::exit(1);
                }
            }
            self.synced.store(end, Release);
        }
    }

    /// appendfsync everysec: fsync what has been written, outside the file
    /// lock so appends and writes go on meanwhile. Called once a second.
    pub fn fsync_written(&self) {
        let (file, end) = {
            let out = self.out.lock();
            let end = self.written.load(Acquire);
            if self.synced.load(Acquire) >= end {
                return;
            }
            (out.file.as_ref().and_then(|f| f.try_clone().ok()), end)
        };
        if let Some(f) = file {
            if let Err(e) = f.sync_data() {
                crate::warning!("Error syncing the AOF file: {e}");
                *self.write_error.lock() = io_reason(&e);
                self.write_failed.store(true, Relaxed);
                return;
            }
        }
        self.synced.fetch_max(end, Release);
        self.write_failed.store(false, Relaxed);
    }

    /// Bytes appended but not yet written (INFO aof_buffer_length).
    pub fn buffered(&self) -> u64 {
        self.appended.load(Acquire).saturating_sub(self.written.load(Acquire))
    }

    /// Bytes in the current incr file.
    pub fn incr_size(&self) -> u64 {
        self.out.lock().incr_size
    }

    /// Write out what is pending, then direct further appends to `file`
    /// (a new incr file), which starts with a SELECT.
    fn switch_file(&self, file: Option<File>) {
        self.write_out();
        let mut out = self.out.lock();
        if let Some(old) = &out.file {
            let _ = old.sync_data();
        }
        out.file = file;
        out.incr_size = 0;
        self.synced.fetch_max(self.written.load(Acquire), Release);
        self.pending.lock().db = None;
    }

    fn set_on(&self, on: bool) {
        self.on.store(on, Relaxed);
        moon_store::stripe::JOURNAL_EXPIRED.store(on, Relaxed);
    }
}

#[cfg(test)]
impl Journal {
    /// Take records with no file behind them, for tests to read.
    pub fn capture(&self) {
        self.set_on(true);
    }

    /// The records appended and not written, as RESP.
    pub fn pending(&self) -> Vec<u8> {
        self.pending.lock().buf.clone()
    }
}

#[cfg(test)]
mod tests;

/// An I/O error as strerror() words it ("No space left on device").
fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// A SELECT before a record of another database than the stream's.
fn select(p: &mut Pending, db: usize) {
    if p.db != Some(db) {
        let mut n = itoa::Buffer::new();
        record::encode(&mut p.buf, &[b"SELECT", n.format(db).as_bytes()]);
        p.db = Some(db);
    }
}
