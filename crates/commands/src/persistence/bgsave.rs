//! BGSAVE without fork(): the epoch is marked under the world lock (the
//! command, or the cron, holds it exclusively) and a background thread
//! writes the file stripe by stripe through moon_persist::snapshot, while
//! clients keep writing. Also the save points (`save <secs> <changes>`)
//! the cron checks, the MISCONF refusal after a failed background save
//! (stop-writes-on-bgsave-error), and the save SHUTDOWN does.

use super::save::{file_opts, rdb_path, save_to_disk};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, SYNTAX};
use crate::spec::{flag, CommandDef};
use crate::state::Server;
use crate::util::eq_ic;
use moon_persist::snapshot::Snapshot;
use moon_resp::Argv;
use moon_store::clock;
use parking_lot::Mutex;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Redis' CONFIG_BGSAVE_RETRY_DELAY: after a failed background save the
/// save points wait this long before trying again.
const RETRY_DELAY_MS: i64 = 5000;

pub const MISCONF: CmdError = CmdError::fixed(
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.",
);

/// Background save state.
pub struct BgSave {
    pub in_progress: AtomicBool,
    /// BGSAVE SCHEDULE asked for one while another ran.
    pub scheduled: AtomicBool,
    /// Unix ms the running save began.
    pub started_ms: AtomicI64,
    /// Seconds the last one took (-1: none yet).
    pub last_secs: AtomicI64,
    /// Unix ms of the last attempt (for the retry delay).
    pub last_try_ms: AtomicI64,
    /// `stats.dirty` when the running save began.
    dirty_at_start: AtomicU64,
    job: Mutex<Option<(Arc<Snapshot>, JoinHandle<()>)>>,
}

impl Default for BgSave {
    fn default() -> Self {
        BgSave {
            in_progress: AtomicBool::new(false),
            scheduled: AtomicBool::new(false),
            started_ms: AtomicI64::new(0),
            last_secs: AtomicI64::new(-1),
            last_try_ms: AtomicI64::new(0),
            dirty_at_start: AtomicU64::new(0),
            job: Mutex::new(None),
        }
    }
}

/// The configured save points as (seconds, changes).
pub fn save_points(srv: &Server) -> Vec<(i64, u64)> {
    let s = srv.config.get_str("save");
    let n: Vec<i64> = s.split_whitespace().filter_map(|x| x.parse().ok()).collect();
    n.chunks_exact(2).map(|p| (p[0], p[1].max(0) as u64)).collect()
}

/// Why a background save did not start.
#[derive(Debug, PartialEq, Eq)]
pub enum StartError {
    InProgress,
    /// The server is not shared (no background thread can hold it).
    NoHandle,
    Spawn(String),
}

/// Start a background save. The caller holds the world lock exclusively:
/// that instant is the snapshot's epoch.
pub fn start(srv: &Server) -> Result<(), StartError> {
    let bg = &srv.rdb.bg;
    if bg.in_progress.load(Relaxed) {
        return Err(StartError::InProgress);
    }
    let owner = srv.this.get().and_then(|w| w.upgrade()).ok_or(StartError::NoHandle)?;
    let now = clock::now_ms();
    let snap = Snapshot::begin(&srv.ks, file_opts(srv, now)).ok_or(StartError::InProgress)?;
    bg.in_progress.store(true, Relaxed);
    bg.scheduled.store(false, Relaxed);
    bg.started_ms.store(now, Relaxed);
    bg.last_try_ms.store(now, Relaxed);
    bg.dirty_at_start.store(srv.stats.dirty.load(Relaxed), Relaxed);
    srv.rdb.saves.fetch_add(1, Relaxed);
    let path = rdb_path(srv);
    let job = snap.clone();
    let spawned = std::thread::Builder::new().name("moon-bgsave".into()).spawn(move || {
        let t = std::time::Instant::now();
        let r = write_snapshot_file(&owner, &job, &path);
        finish(&owner, r, t.elapsed().as_secs() as i64);
    });
    match spawned {
        Ok(h) => {
            *bg.job.lock() = Some((snap, h));
            crate::notice!("Background saving started");
            Ok(())
        }
        Err(e) => {
            srv.ks.snap.end();
            bg.in_progress.store(false, Relaxed);
            srv.rdb.last_failed.store(true, Relaxed);
            Err(StartError::Spawn(e.to_string()))
        }
    }
}

/// Write `snap` to `path` through a temp file in the same directory,
/// fsynced and renamed (BGSAVE, and the AOF rewrite's base).
pub(crate) fn write_snapshot_file(srv: &Server, snap: &Snapshot, path: &PathBuf) -> Result<(), String> {
    let dir = path.parent().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    let tmp = dir.join(format!("temp-bg-{}.rdb", std::process::id()));
    let f = match File::create(&tmp) {
        Ok(f) => f,
        Err(e) => {
            // The snapshot must still end.
            snap.cancel();
            let _ = snap.write(&srv.ks, &mut std::io::sink());
            return Err(format!(
                "Failed opening the temp RDB file {} (in server root dir {}) for saving: {e}",
                tmp.display(),
                dir.display()
            ));
        }
    };
    let r = (|| {
        let mut w = BufWriter::with_capacity(1 << 20, f);
        snap.write(&srv.ks, &mut w)?;
        w.flush()?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok::<_, std::io::Error>(())
    })();
    r.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        if e.kind() == std::io::ErrorKind::Interrupted {
            String::new()
        } else {
            format!("Write error saving DB on disk: {e}")
        }
    })
}

fn finish(srv: &Server, r: Result<(), String>, secs: i64) {
    let rdb = &srv.rdb;
    let bg = &rdb.bg;
    match r {
        Ok(()) => {
            rdb.dirty_base.store(bg.dirty_at_start.load(Relaxed), Relaxed);
            rdb.last_save.store(clock::now_ms() / 1000, Relaxed);
            rdb.last_failed.store(false, Relaxed);
            crate::notice!("DB saved on disk");
            crate::notice!("Background saving terminated with success");
        }
        // Cancelled (SHUTDOWN): like a child killed on purpose, no error.
        Err(e) if e.is_empty() => crate::notice!("Background saving terminated by request"),
        Err(e) => {
            crate::warning!("{e}");
            crate::warning!("Background saving error");
            rdb.last_failed.store(true, Relaxed);
        }
    }
    bg.last_secs.store(secs, Relaxed);
    bg.in_progress.store(false, Relaxed);
}

/// Stop a running background save and wait for its thread (SHUTDOWN,
/// before the final synchronous save, as Redis kills its child).
pub fn cancel_and_wait(srv: &Server) {
    let job = srv.rdb.bg.job.lock().take();
    if let Some((snap, h)) = job {
        snap.cancel();
        let _ = h.join();
    }
}

/// Wait for a running background save to end (tests, shutdown).
pub fn wait(srv: &Server) {
    let job = srv.rdb.bg.job.lock().take();
    if let Some((_, h)) = job {
        let _ = h.join();
    }
}

/// The cron's part (Redis' serverCron): start a scheduled BGSAVE, or one
/// a save point calls for. Takes the world lock only when starting.
pub fn cron(srv: &Server) {
    let bg = &srv.rdb.bg;
    if bg.in_progress.load(Relaxed) {
        return;
    }
    // Reap the finished thread.
    if let Some(mut g) = bg.job.try_lock() {
        if g.as_ref().is_some_and(|(_, h)| h.is_finished()) {
            if let Some((_, h)) = g.take() {
                let _ = h.join();
            }
        }
    }
    let now = clock::now_ms();
    let mut go = bg.scheduled.load(Relaxed);
    if !go {
        let changes = srv.rdb.changes_since_save(srv);
        let since = now / 1000 - srv.rdb.last_save_secs(srv);
        let retry_ok = !srv.rdb.last_failed.load(Relaxed) || now - bg.last_try_ms.load(Relaxed) > RETRY_DELAY_MS;
        go = retry_ok && save_points(srv).iter().any(|&(secs, n)| changes >= n && since >= secs);
        if go {
            crate::notice!("{changes} changes in {since} seconds. Saving...");
        }
    }
    if go {
        let _w = srv.world.exclusive();
        if let Err(e) = start(srv) {
            if e != StartError::InProgress {
                crate::warning!("Can't save in background: {e:?}");
            }
        }
    }
}

/// Redis' writeCommandsDeniedByDiskError: after a failed background save
/// with save points set and stop-writes-on-bgsave-error on, or while
/// writes to the AOF fail, writes (and PING) are refused until a save (or
/// an AOF write) succeeds. Cheap when all is well: two atomic loads.
pub fn misconf(srv: &Server, def: &CommandDef) -> Option<CmdError> {
    let aof_failed = srv.journal.write_failed.load(Relaxed) && srv.journal.on();
    if !srv.rdb.last_failed.load(Relaxed) && !aof_failed {
        return None;
    }
    let write = def.has(flag::WRITE) || def.name == "ping";
    if !write {
        return None;
    }
    if srv.rdb.last_failed.load(Relaxed) && srv.config.get_bool("stop-writes-on-bgsave-error") && !save_points(srv).is_empty() {
        return Some(MISCONF);
    }
    aof_failed.then(|| CmdError::raw(format!("MISCONF Errors writing to the AOF file: {}", srv.journal.write_error.lock())))
}

/// SHUTDOWN's save (and SIGTERM's): stop a background save, then save
/// synchronously. The caller holds the world lock exclusively.
pub fn save_for_shutdown(srv: &Server) -> Result<(), String> {
    cancel_and_wait(srv);
    save_to_disk(srv, clock::now_ms()).map(drop)
}

/// BGSAVE [SCHEDULE].
pub fn bgsave(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    if argv.len() > 1 && !(argv.len() == 2 && eq_ic(argv.get(1), "SCHEDULE")) {
        return Err(SYNTAX);
    }
    // SCHEDULE waits for an AOF rewrite (Redis' other child); behind a
    // running background save Redis refuses it too.
    if ctx.srv.journal.aof.rewrite_in_progress.load(Relaxed) && !ctx.srv.rdb.bg.in_progress.load(Relaxed) {
        if argv.len() == 2 {
            ctx.srv.rdb.bg.scheduled.store(true, Relaxed);
            ctx.out.simple("Background saving scheduled");
            return Ok(());
        }
        return Err(CmdError::err(
            "Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
        ));
    }
    match start(ctx.srv) {
        Ok(()) => {
            ctx.out.simple("Background saving started");
            Ok(())
        }
        Err(StartError::InProgress) => Err(CmdError::err("Background save already in progress")),
        Err(e) => {
            crate::warning!("Can't save in background: {e:?}");
            Err(CmdError::fixed("ERR"))
        }
    }
}
