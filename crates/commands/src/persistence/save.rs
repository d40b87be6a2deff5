//! SAVE, LASTSAVE and loading the RDB file: the synchronous snapshot to
//! `dir`/`dbfilename` through a temp file, fsync and rename, as Redis'
//! rdbSave does, and the load done at start-up and by DEBUG RELOAD.

use super::{access_info, limits, save_opts};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::state::Server;
use moon_persist::file::{self, FileOpts, LoadOpts, Loaded};
use moon_resp::Argv;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;

/// Where SAVE writes and start-up loads: `dir`/`dbfilename`.
pub fn rdb_path(srv: &Server) -> PathBuf {
    PathBuf::from(srv.config.get_str("dir")).join(srv.config.get_str("dbfilename"))
}

/// Serialize every database to the RDB file. The caller holds the world
/// lock exclusively (or runs before clients are served). A running BGSAVE
/// is stopped first (Redis kills its child), so its older snapshot cannot
/// replace this file when it finishes.
pub fn save_to_disk(srv: &Server, now_ms: i64) -> Result<file::SaveStats, String> {
    super::bgsave::cancel_and_wait(srv);
    let r = write_file(srv, now_ms);
    let st = &srv.rdb;
    match &r {
        Ok(_) => {
            st.dirty_base.store(srv.stats.dirty.load(Relaxed), Relaxed);
            st.last_save.store(now_ms / 1000, Relaxed);
            st.saves.fetch_add(1, Relaxed);
            st.last_failed.store(false, Relaxed);
        }
        Err(_) => st.last_failed.store(true, Relaxed),
    }
    r
}

/// What goes into a file saved at `now_ms` with the current configuration.
pub(crate) fn file_opts(srv: &Server, now_ms: i64) -> FileOpts {
    FileOpts {
        value: save_opts(srv),
        checksum: srv.config.get_bool("rdbchecksum"),
        access: access_info(srv),
        redis_ver: crate::connection::REDIS_VERSION.to_string(),
        used_mem: srv.memory().used,
        now_ms,
        functions: srv.scripting.engine.lock().libraries().libs.values().map(|l| l.code.clone()).collect(),
    }
}

fn write_file(srv: &Server, now_ms: i64) -> Result<file::SaveStats, String> {
    write_rdb_file(srv, &rdb_path(srv), &file_opts(srv, now_ms))
}

/// Serialize every database to `path` through a temp file in the same
/// directory, fsynced and renamed. The caller keeps writers out.
pub(crate) fn write_rdb_file(srv: &Server, path: &std::path::Path, opts: &FileOpts) -> Result<file::SaveStats, String> {
    let dir = path.parent().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    let tmp = dir.join(format!("temp-{}.rdb", std::process::id()));
    let f = File::create(&tmp).map_err(|e| format!("Failed opening the temp RDB file {} for saving: {e}", tmp.display()))?;
    let result = (|| {
        let mut w = BufWriter::with_capacity(1 << 20, f);
        let st = file::save(&srv.ks, &mut w, opts)?;
        w.flush()?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok::<_, std::io::Error>(st)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!("Write error saving DB on disk: {e}")
    })
}

/// What a load did, for the log and INFO.
#[derive(Debug, Default)]
pub struct LoadReport {
    pub keys: u64,
    pub expired: u64,
    pub warnings: Vec<String>,
}

/// Parse the RDB file (Ok(None) if there is none). Nothing is changed.
pub fn read_rdb(srv: &Server, now_ms: i64) -> Result<Option<Loaded>, String> {
    let path = rdb_path(srv);
    let data = match fs::read(&path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("Fatal error loading the DB ({}): {e}", path.display())),
    };
    let opts = LoadOpts { limits: limits(srv), now_ms, access: access_info(srv), databases: srv.databases() };
    file::parse(&data, &opts).map(Some).map_err(|e| format!("Error loading the RDB file {}: {e}", path.display()))
}

/// Insert parsed keys, replacing any key of the same name.
pub fn insert_loaded(srv: &Server, loaded: Loaded) -> LoadReport {
    let keys = loaded.entries.len() as u64;
    let mut warnings = loaded.warnings;
    if !loaded.functions.is_empty() {
        let mut engine = srv.scripting.engine.lock();
        for code in &loaded.functions {
            if let Err(e) = engine.load_library(code, true, false) {
                warnings.push(format!("function library not loaded: {e}"));
            }
        }
        crate::scripting::functions::publish_counts(srv, &engine);
    }
    for (db, e) in loaded.entries {
        let d = &srv.ks.dbs[db];
        d.lock(d.stripe_of(e.key())).insert(e);
    }
    srv.rdb.last_load_keys_loaded.store(keys, Relaxed);
    srv.rdb.last_load_keys_expired.store(loaded.expired, Relaxed);
    LoadReport { keys, expired: loaded.expired, warnings }
}

/// Load `dir`/`dbfilename` if it exists (server start-up): Ok(None) when
/// there is no file.
pub fn load_from_disk(srv: &Server) -> Result<Option<LoadReport>, String> {
    let now = moon_store::clock::now_ms();
    Ok(read_rdb(srv, now)?.map(|l| insert_loaded(srv, l)))
}

pub fn save(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    if ctx.srv.rdb.bg.in_progress.load(Relaxed) {
        return Err(CmdError::err("Background save already in progress"));
    }
    match save_to_disk(ctx.srv, moon_store::clock::now_ms()) {
        Ok(_) => {
            ctx.out.ok();
            Ok(())
        }
        // Redis replies a bare "ERR" and logs the reason.
        Err(e) => {
            crate::warning!("{e}");
            Err(CmdError::fixed("ERR"))
        }
    }
}

pub fn lastsave(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    ctx.out.int(ctx.srv.rdb.last_save_secs(ctx.srv));
    Ok(())
}
