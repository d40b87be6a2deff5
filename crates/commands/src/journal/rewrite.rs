//! BGREWRITEAOF without fork(), as DESIGN.md section 4 has it: under the
//! exclusive world lock the journal switches to a new incr file and a
//! snapshot epoch is marked at that same instant; a background thread
//! writes the snapshot as the new base (an RDB file, as with
//! aof-use-rdb-preamble). The new base plus the new incr file hold exactly
//! the data, so once the base is durable the manifest drops the older
//! files. A crash before that leaves the old manifest entries, plus the
//! new incr file, listed: still complete.

use super::aof::{self, dir, persist_manifest, prefix, sync_dir};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::state::Server;
use moon_persist::manifest::{self, AofFile, Kind};
use moon_persist::snapshot::Snapshot;
use moon_resp::Argv;
use moon_store::clock;
use std::fs;
use std::path::Path;
use std::sync::atomic::Ordering::Relaxed;

#[derive(Debug, PartialEq, Eq)]
pub enum Started {
    Now,
    /// A background save holds the snapshot: the cron starts it after.
    Scheduled,
}

/// Start a rewrite; `enable` turns the AOF on with it (CONFIG SET
/// appendonly yes), otherwise a rewrite while the AOF is off writes only a
/// base. The caller holds the world lock exclusively.
pub fn start(srv: &Server, enable: bool) -> Result<Started, String> {
    let st = &srv.journal.aof;
    if st.rewrite_in_progress.load(Relaxed) {
        return Err("Background append only file rewriting already in progress".into());
    }
    let Some(owner) = srv.this.get().and_then(|w| w.upgrade()) else { return Err("no background thread available".into()) };
    if srv.rdb.bg.in_progress.load(Relaxed) {
        st.rewrite_scheduled.store(true, Relaxed);
        return Ok(Started::Scheduled);
    }
    let now = clock::now_ms();
    let Some(snap) = Snapshot::begin(&srv.ks, crate::persistence::file_opts(srv, now)) else {
        st.rewrite_scheduled.store(true, Relaxed);
        return Ok(Started::Scheduled);
    };
    let d = dir(srv);
    if let Err(e) = fs::create_dir_all(&d) {
        end_unused(srv, &snap);
        return Err(format!("Can't create the append-only dir {}: {e}", d.display()));
    }
    adopt_manifest_on_disk(srv);
    if enable || srv.journal.on() {
        if let Err(e) = switch_incr(srv) {
            end_unused(srv, &snap);
            return Err(e);
        }
    }
    st.rewrite_scheduled.store(false, Relaxed);
    st.rewrite_in_progress.store(true, Relaxed);
    st.rewrite_started_ms.store(now, Relaxed);
    let job = snap.clone();
    let spawned = std::thread::Builder::new().name("moon-aofrw".into()).spawn(move || {
        let t = std::time::Instant::now();
        let srv = &*owner;
        let seq = srv.journal.aof.manifest.lock().next_base_seq();
        let name = manifest::base_name(&prefix(srv), seq, true);
        let r = crate::persistence::bgsave::write_snapshot_file(srv, &job, &dir(srv).join(&name));
        finish(srv, r.map(|()| (name, seq)), t.elapsed().as_secs() as i64);
    });
    match spawned {
        Ok(h) => {
            *st.job.lock() = Some((snap, h));
            crate::notice!("Background append only file rewriting started");
            Ok(Started::Now)
        }
        Err(e) => {
            end_unused(srv, &snap);
            st.rewrite_in_progress.store(false, Relaxed);
            Err(e.to_string())
        }
    }
}

/// A snapshot begun but not to be written must still end.
fn end_unused(srv: &Server, snap: &Snapshot) {
    snap.cancel();
    let _ = snap.write(&srv.ks, &mut std::io::sink());
}

/// With the AOF off the manifest was never read: read it now, so the new
/// files continue its sequence numbers and replace its files.
fn adopt_manifest_on_disk(srv: &Server) {
    let mut m = srv.journal.aof.manifest.lock();
    if !srv.journal.on() && m.is_empty() {
        match aof::read_manifest(srv) {
            Ok(Some(on_disk)) => *m = on_disk,
            Ok(None) => {}
            Err(e) => crate::warning!("Ignoring the AOF manifest on disk: {e}"),
        }
    }
}

/// The journal's next records go to a new incr file, listed in the
/// manifest before any record reaches it. Turns the journal on if it was
/// off (CONFIG SET appendonly yes).
fn switch_incr(srv: &Server) -> Result<(), String> {
    let mut m = srv.journal.aof.manifest.lock();
    let seq = m.next_incr_seq();
    let name = manifest::incr_name(&prefix(srv), seq);
    let file = aof::open_incr(srv, &name).map_err(|e| format!("Can't open the append-only file {name}: {e}"))?;
    let mut next = m.clone();
    next.incr.push(AofFile { name, seq, kind: Kind::Incr, start_offset: Some(srv.journal.appended.load(Relaxed)) });
    persist_manifest(srv, &next).map_err(|e| format!("Can't persist the AOF manifest: {e}"))?;
    *m = next;
    let st = &srv.journal.aof;
    st.older_incr_size.fetch_add(srv.journal.incr_size(), Relaxed);
    srv.journal.switch_file(Some(file));
    if !srv.journal.on() {
        srv.journal.set_on(true);
        aof::ensure_fsync_thread(srv);
        crate::notice!("AOF enabled");
    }
    Ok(())
}

/// The base is written (or failed): on success it replaces the older base
/// and every incr file but the current one.
fn finish(srv: &Server, r: Result<(String, u64), String>, secs: i64) {
    let st = &srv.journal.aof;
    match r.and_then(|(name, seq)| install_base(srv, name, seq)) {
        Ok(()) => {
            st.last_rewrite_ok.store(true, Relaxed);
            st.consecutive_failures.store(0, Relaxed);
            st.rewrites.fetch_add(1, Relaxed);
            crate::notice!("Background AOF rewrite terminated with success");
            crate::notice!("Background AOF rewrite finished successfully");
        }
        Err(e) if e.is_empty() => crate::notice!("Background AOF rewrite terminated by request"),
        Err(e) => {
            crate::warning!("{e}");
            crate::warning!("Background AOF rewrite terminated with error");
            st.last_rewrite_ok.store(false, Relaxed);
            st.consecutive_failures.fetch_add(1, Relaxed);
        }
    }
    st.last_rewrite_secs.store(secs, Relaxed);
    st.rewrite_in_progress.store(false, Relaxed);
}

fn install_base(srv: &Server, name: String, seq: u64) -> Result<(), String> {
    let d = dir(srv);
    let mut m = srv.journal.aof.manifest.lock();
    let mut next = m.clone();
    let keep = if srv.journal.on() { next.incr.pop() } else { None };
    // The files the new base replaces: unlisted first, then deleted (a
    // crash in between leaves unlisted files, nothing missing).
    let mut obsolete: Vec<AofFile> = next.base.take().into_iter().chain(std::mem::take(&mut next.incr)).collect();
    obsolete.append(&mut next.history);
    next.base = Some(AofFile { name, seq, kind: Kind::Base, start_offset: None });
    next.incr.extend(keep);
    persist_manifest(srv, &next).map_err(|e| format!("Can't persist the AOF manifest: {e}"))?;
    for f in obsolete {
        let _ = fs::remove_file(d.join(&f.name));
    }
    sync_dir(&d);
    let base = aof::file_sizes(&d, &next).0;
    let st = &srv.journal.aof;
    st.base_file_size.store(base, Relaxed);
    st.older_incr_size.store(0, Relaxed);
    st.rewrite_base_size.store(base + srv.journal.incr_size(), Relaxed);
    *m = next;
    Ok(())
}

/// Stop a running rewrite and wait for its thread (appendonly no,
/// shutdown).
pub fn cancel_and_wait(srv: &Server) {
    let job = srv.journal.aof.job.lock().take();
    if let Some((snap, h)) = job {
        snap.cancel();
        let _ = h.join();
    }
}

/// Write the whole dataset as base file `path` now (start-up, before
/// clients are served).
pub fn write_base_now(srv: &Server, path: &Path) -> Result<(), String> {
    let opts = crate::persistence::file_opts(srv, clock::now_ms());
    crate::persistence::write_rdb_file(srv, path, &opts).map(|_| ())
}

/// The cron's part: a scheduled rewrite, CONFIG SET appendonly yes, or an
/// automatic one (auto-aof-rewrite-percentage / -min-size).
pub fn cron(srv: &Server) {
    let st = &srv.journal.aof;
    if st.rewrite_in_progress.load(Relaxed) || srv.rdb.bg.in_progress.load(Relaxed) {
        return;
    }
    if let Some(mut g) = st.job.try_lock() {
        if g.as_ref().is_some_and(|(_, h)| h.is_finished()) {
            if let Some((_, h)) = g.take() {
                let _ = h.join();
            }
        }
    }
    let enable = st.start_requested.load(Relaxed) && !srv.journal.on();
    let mut go = enable || st.rewrite_scheduled.load(Relaxed);
    if !go && srv.journal.on() {
        let pct = srv.config.get_i64("auto-aof-rewrite-percentage");
        let min = srv.config.get_i64("auto-aof-rewrite-min-size").max(0) as u64;
        let size = aof::current_size(srv);
        let base = st.rewrite_base_size.load(Relaxed).max(1);
        if pct > 0 && size > min && size > base {
            let growth = (size - base) * 100 / base;
            if growth >= pct as u64 {
                crate::notice!("Starting automatic rewriting of AOF on {growth}% growth");
                go = true;
            }
        }
    }
    if go {
        let _w = srv.world.exclusive();
        match start(srv, enable) {
            Ok(Started::Now) => st.start_requested.store(false, Relaxed),
            Ok(Started::Scheduled) => {}
            Err(e) => {
                crate::warning!("Can't rewrite the append only file in background: {e}");
                st.start_requested.store(false, Relaxed);
            }
        }
    }
}

pub fn bgrewriteaof(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    match start(ctx.srv, false) {
        Ok(Started::Now) => ctx.out.simple("Background append only file rewriting started"),
        Ok(Started::Scheduled) => ctx.out.simple("Background append only file rewriting scheduled"),
        Err(e) => return Err(CmdError::err(e)),
    }
    Ok(())
}
