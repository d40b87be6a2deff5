//! The multi-part AOF on disk (Redis 7's layout): `dir`/`appenddirname`
//! holds a manifest, one base file and the incr files the journal appends
//! to. This module opens it at start-up (loading what it holds), turns it
//! on and off at runtime (CONFIG SET appendonly), and keeps the manifest.
//! Rewrites are in [`super::rewrite`].

use super::load::{self, End, Replayer};
use super::Fsync;
use crate::state::Server;
use moon_persist::manifest::{self, AofFile, Kind, Manifest};
use parking_lot::Mutex;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64};

pub struct AofState {
    pub manifest: Mutex<Manifest>,
    pub rewrite_in_progress: AtomicBool,
    pub rewrite_scheduled: AtomicBool,
    /// CONFIG SET appendonly yes is waiting for the cron to start it.
    pub start_requested: AtomicBool,
    pub rewrite_started_ms: AtomicI64,
    pub last_rewrite_secs: AtomicI64,
    pub last_rewrite_ok: AtomicBool,
    pub rewrites: AtomicU64,
    pub consecutive_failures: AtomicU64,
    /// Bytes of the base file.
    pub base_file_size: AtomicU64,
    /// The AOF's whole size when the last rewrite ended or it was opened:
    /// what auto-aof-rewrite-percentage measures growth against (INFO
    /// aof_base_size).
    pub rewrite_base_size: AtomicU64,
    /// Bytes of incr files before the current one (still in the manifest).
    pub older_incr_size: AtomicU64,
    pub(super) job: Mutex<Option<(std::sync::Arc<moon_persist::snapshot::Snapshot>, std::thread::JoinHandle<()>)>>,
    fsync_thread: AtomicBool,
}

impl Default for AofState {
    fn default() -> Self {
        AofState {
            manifest: Mutex::new(Manifest::default()),
            rewrite_in_progress: AtomicBool::new(false),
            rewrite_scheduled: AtomicBool::new(false),
            start_requested: AtomicBool::new(false),
            rewrite_started_ms: AtomicI64::new(0),
            last_rewrite_secs: AtomicI64::new(-1),
            last_rewrite_ok: AtomicBool::new(true),
            rewrites: AtomicU64::new(0),
            consecutive_failures: AtomicU64::new(0),
            base_file_size: AtomicU64::new(0),
            rewrite_base_size: AtomicU64::new(0),
            older_incr_size: AtomicU64::new(0),
            job: Mutex::new(None),
            fsync_thread: AtomicBool::new(false),
        }
    }
}

pub fn dir(srv: &Server) -> PathBuf {
    PathBuf::from(srv.config.get_str("dir")).join(srv.config.get_str("appenddirname"))
}

pub fn prefix(srv: &Server) -> String {
    srv.config.get_str("appendfilename")
}

/// Write the manifest through a temp file and rename, so a crash leaves
/// the old one or the new one.
pub(super) fn persist_manifest(srv: &Server, m: &Manifest) -> std::io::Result<()> {
    let d = dir(srv);
    let name = manifest::manifest_name(&prefix(srv));
    let tmp = d.join(format!("temp-{name}"));
    let mut f = File::create(&tmp)?;
    f.write_all(m.render().as_bytes())?;
    f.sync_all()?;
    fs::rename(&tmp, d.join(&name))?;
    sync_dir(&d);
    Ok(())
}

pub(super) fn sync_dir(d: &Path) {
    if let Ok(f) = File::open(d) {
        let _ = f.sync_all();
    }
}

pub(super) fn read_manifest(srv: &Server) -> Result<Option<Manifest>, String> {
    let path = dir(srv).join(manifest::manifest_name(&prefix(srv)));
    match fs::read(&path) {
        Ok(b) => Manifest::parse(&b).map(Some).map_err(|e| format!("{e} ({})", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("Can't open the AOF manifest {} for reading: {e}", path.display())),
    }
}

/// Open (create) incr file `name` for appending.
pub(super) fn open_incr(srv: &Server, name: &str) -> std::io::Result<File> {
    let f = OpenOptions::new().create(true).append(true).open(dir(srv).join(name))?;
    sync_dir(&dir(srv));
    Ok(f)
}

/// What a start-up load did.
#[derive(Debug, Default)]
pub struct Loaded {
    pub files: usize,
    pub keys: u64,
    pub commands: u64,
}

/// Start-up with appendonly yes: load the AOF the manifest lists (the RDB
/// file is not read, as in Redis), create a base and an incr file if there
/// are none, and start journaling to the last incr file.
pub fn start_at_boot(srv: &Server) -> Result<Loaded, String> {
    let d = dir(srv);
    fs::create_dir_all(&d).map_err(|e| format!("Can't create the append-only dir {}: {e}", d.display()))?;
    let mut m = match read_manifest(srv)? {
        Some(m) => m,
        None => upgrade_single_file(srv)?,
    };
    let report = load_files(srv, &m, false)?;
    // Replayed commands are not the clients' (Redis' fake client does not
    // count them either).
    crate::server::config_cmd::reset_stats(srv);
    let p = prefix(srv);
    if m.base.is_none() {
        let seq = m.next_base_seq();
        let name = manifest::base_name(&p, seq, true);
        crate::notice!("Creating AOF base file {name} on server start");
        super::rewrite::write_base_now(srv, &d.join(&name))?;
        m.base = Some(AofFile { name, seq, kind: Kind::Base, start_offset: None });
    }
    if m.incr.is_empty() {
        let seq = m.next_incr_seq();
        let name = manifest::incr_name(&p, seq);
        crate::notice!("Creating AOF incr file {name} on server start");
        m.incr.push(AofFile { name, seq, kind: Kind::Incr, start_offset: Some(0) });
    }
    persist_manifest(srv, &m).map_err(|e| format!("Can't persist the AOF manifest: {e}"))?;
    let current = m.incr.last().expect("one incr file").name.clone();
    let file = open_incr(srv, &current).map_err(|e| format!("Can't open the append-only file {current}: {e}"))?;
    let (base, incrs) = file_sizes(&d, &m);
    let incr_len = file.metadata().map(|x| x.len()).unwrap_or(0);
    st_sizes(srv, base, incrs - incr_len);
    srv.journal.aof.rewrite_base_size.store(base + incrs, Relaxed);
    *srv.journal.aof.manifest.lock() = m;
    srv.journal.switch_file(Some(file));
    srv.journal.out.lock().incr_size = incr_len;
    srv.journal.set_on(true);
    ensure_fsync_thread(srv);
    Ok(report)
}

/// Load the files `m` lists: the base (RDB or commands), then the incr
/// files. `nested`: run inside a command holding the world (DEBUG
/// LOADAOF). The last file may end cut off (aof-load-truncated).
fn load_files(srv: &Server, m: &Manifest, nested: bool) -> Result<Loaded, String> {
    let d = dir(srv);
    let mut report = Loaded::default();
    let truncated_ok = srv.config.get_bool("aof-load-truncated");
    let files: Vec<AofFile> = m.load_order().cloned().collect();
    let last = files.len().saturating_sub(1);
    for (i, f) in files.iter().enumerate() {
        let path = d.join(&f.name);
        let data = fs::read(&path).map_err(|e| format!("The AOF file {} doesn't exist or can't be read: {e}", path.display()))?;
        report.files += 1;
        if f.kind == Kind::Base && data.starts_with(b"REDIS") {
            report.keys += load::load_rdb_base(srv, &data, &f.name)?;
            continue;
        }
        let mut r = if nested { Replayer::nested(srv) } else { Replayer::new(srv) };
        let end = r.run(&data, &f.name)?;
        report.commands += r.commands;
        if let End::Truncated { valid_len } = end {
            // Only the last file may end short (the crash happened while
            // it was being appended to).
            if i != last || !truncated_ok {
                return Err(format!(
                    "Unexpected end of file reading the append only file {}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.",
                    f.name
                ));
            }
            crate::warning!("!!! Warning: short read while loading the AOF file {}!!!", f.name);
            crate::warning!("!!! Truncating the AOF {} at offset {} !!!", f.name, valid_len);
            let file = OpenOptions::new().write(true).open(&path).map_err(|e| format!("Error truncating the AOF file {}: {e}", f.name))?;
            file.set_len(valid_len as u64).map_err(|e| format!("Error truncating the AOF file {}: {e}", f.name))?;
            let _ = file.sync_all();
            crate::warning!("AOF {} loaded anyway because aof-load-truncated is enabled", f.name);
        }
    }
    Ok(report)
}

/// DEBUG LOADAOF: write out the journal, empty the databases and load the
/// AOF back (the caller holds the world exclusively).
pub fn reload(srv: &Server) -> Result<Loaded, String> {
    if srv.journal.on() {
        srv.journal.write_out();
        srv.journal.fsync_written();
    }
    for db in &srv.ks.dbs {
        db.for_each_stripe(|_, s| {
            s.clear();
        });
    }
    let m = srv.journal.aof.manifest.lock().clone();
    let r = load_files(srv, &m, true)?;
    crate::notice!("Append Only File loaded by DEBUG LOADAOF");
    Ok(r)
}

fn st_sizes(srv: &Server, base: u64, older_incr: u64) {
    srv.journal.aof.base_file_size.store(base, Relaxed);
    srv.journal.aof.older_incr_size.store(older_incr, Relaxed);
}

/// INFO aof_current_size: the base and every incr file.
pub fn current_size(srv: &Server) -> u64 {
    let st = &srv.journal.aof;
    st.base_file_size.load(Relaxed) + st.older_incr_size.load(Relaxed) + srv.journal.incr_size()
}

/// No manifest, but a Redis 6 style single `dir`/`appendfilename`: it
/// becomes the base of a multi-part AOF, moved into the directory under
/// its own name, as Redis 7 upgrades it.
fn upgrade_single_file(srv: &Server) -> Result<Manifest, String> {
    let name = prefix(srv);
    let old = PathBuf::from(srv.config.get_str("dir")).join(&name);
    if !old.is_file() {
        return Ok(Manifest::default());
    }
    let m = Manifest { base: Some(AofFile { name: name.clone(), seq: 1, kind: Kind::Base, start_offset: None }), ..Default::default() };
    fs::rename(&old, dir(srv).join(&name)).map_err(|e| format!("Error moving {} into the append-only dir: {e}", old.display()))?;
    persist_manifest(srv, &m).map_err(|e| format!("Can't persist the AOF manifest: {e}"))?;
    crate::notice!("Successfully migrated an old-style AOF into the AOF directory");
    Ok(m)
}

/// (base bytes, bytes of all incr files) as listed.
pub(super) fn file_sizes(d: &Path, m: &Manifest) -> (u64, u64) {
    let size = |f: &AofFile| fs::metadata(d.join(&f.name)).map(|x| x.len()).unwrap_or(0);
    (m.base.as_ref().map_or(0, size), m.incr.iter().map(size).sum())
}

/// CONFIG SET appendonly: `yes` asks the cron for a rewrite that starts
/// the AOF (the journal turns on at the rewrite's instant); `no` stops it.
pub fn config_changed(srv: &Server, on: bool) {
    let st = &srv.journal.aof;
    if on {
        if !srv.journal.on() {
            st.start_requested.store(true, Relaxed);
        }
    } else {
        st.start_requested.store(false, Relaxed);
        if srv.journal.on() {
            stop(srv);
        }
    }
}

/// Turn the AOF off: write and fsync what is pending, close the file.
pub fn stop(srv: &Server) {
    super::rewrite::cancel_and_wait(srv);
    srv.journal.set_on(false);
    srv.journal.switch_file(None);
    crate::notice!("AOF stopped");
}

/// Before the process exits: everything journaled reaches the disk.
pub fn flush_for_shutdown(srv: &Server) {
    super::rewrite::cancel_and_wait(srv);
    if srv.journal.on() {
        crate::notice!("Calling fsync() on the AOF file.");
        srv.journal.write_out();
        srv.journal.fsync_written();
    }
}

/// appendfsync everysec (and `no`'s write of records no reply waited for,
/// such as the active expiry's): once a second, write and fsync.
pub(super) fn ensure_fsync_thread(srv: &Server) {
    if srv.journal.aof.fsync_thread.swap(true, Relaxed) {
        return;
    }
    let Some(owner) = srv.this.get().and_then(|w| w.upgrade()) else {
        srv.journal.aof.fsync_thread.store(false, Relaxed);
        return;
    };
    let weak = std::sync::Arc::downgrade(&owner);
    drop(owner);
    let _ = std::thread::Builder::new().name("moon-aof-fsync".into()).spawn(move || loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
        let Some(srv) = weak.upgrade() else { return };
        let j = &srv.journal;
        if j.on() {
            j.write_out();
            let skip = srv.config.get_bool("no-appendfsync-on-rewrite") && j.aof.rewrite_in_progress.load(Relaxed);
            if j.fsync() == Fsync::EverySec && !skip {
                j.fsync_written();
            }
        }
    });
}
