//! DEBUG DIGEST, DIGEST-VALUE and RELOAD (dispatched from server/debug.rs,
//! which runs under the exclusive world lock).

use super::save::{insert_loaded, read_rdb, save_to_disk};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::util::eq_ic;
use moon_persist::digest;
use moon_resp::Argv;

pub fn digest(ctx: &mut Ctx) -> CmdResult {
    ctx.out.simple(&digest::hex(&digest::dataset(&ctx.srv.ks)));
    Ok(())
}

/// Digests of the values (not the names) of the given keys; a missing
/// key gives all zeros. Logically expired keys count, as in Redis.
pub fn digest_value(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    ctx.out.array(argv.len() - 2);
    for i in 2..argv.len() {
        let key = argv.get(i);
        let d = ctx.ks.stripe(key).peek(key).map(digest::value).unwrap_or([0; 20]);
        ctx.out.simple(&digest::hex(&d));
    }
    // Release the stripes before anything else walks the keyspace.
    ctx.ks.unlock_all();
    Ok(())
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty the databases and
/// load the file back. The file is parsed before anything is emptied, so
/// a file that cannot be loaded leaves the data as it was.
pub fn reload(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let (mut merge, mut noflush, mut nosave) = (false, false, false);
    for i in 2..argv.len() {
        let a = argv.get(i);
        if eq_ic(a, "merge") {
            merge = true;
        } else if eq_ic(a, "noflush") {
            noflush = true;
        } else if eq_ic(a, "nosave") {
            nosave = true;
        } else {
            return Err(CmdError::fixed("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."));
        }
    }
    let srv = ctx.srv;
    let now = moon_store::clock::now_ms();
    if !nosave {
        if let Err(e) = save_to_disk(srv, now) {
            crate::warning!("{e}");
            return Err(CmdError::fixed("ERR"));
        }
    }
    let load_err = || CmdError::fixed("ERR Error trying to load the RDB dump, check server logs.");
    let loaded = match read_rdb(srv, now) {
        Ok(Some(l)) => l,
        Ok(None) => return Err(load_err()),
        Err(e) => {
            crate::warning!("{e}");
            return Err(load_err());
        }
    };
    if noflush && !merge {
        // Redis aborts on a key that is already there; refuse instead.
        let clash = loaded.entries.iter().any(|(db, e)| {
            let d = &srv.ks.dbs[*db];
            d.lock(d.stripe_of(e.key())).peek(e.key()).is_some()
        });
        if clash {
            return Err(load_err());
        }
    }
    if !noflush {
        for db in &srv.ks.dbs {
            db.for_each_stripe(|_, s| {
                s.clear();
            });
        }
    }
    insert_loaded(srv, loaded);
    ctx.out.ok();
    Ok(())
}
