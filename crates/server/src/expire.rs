//! Active expiry, Redis-style: every cron tick spends a bounded time
//! budget walking stripes that hold volatile keys, deleting expired ones.
//! A stripe whose sample is more than 10% expired is worked again at once
//! (the adaptive part), so expired keys don't linger under load, while the
//! time budget keeps any single cycle short.

use moon_commands::Server;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

/// Buckets examined per stripe step.
const STEP_BUCKETS: usize = 64;

pub struct ActiveExpire {
    db: usize,
    stripe: usize,
}

impl ActiveExpire {
    pub fn new() -> Self {
        ActiveExpire { db: 0, stripe: 0 }
    }

    /// One cycle; returns the number of keys expired.
    pub fn cycle(&mut self, srv: &Server) -> u64 {
        if !srv.active_expire_enabled.load(Relaxed) {
            return 0;
        }
        let hz = srv.config.hot.hz.load(Relaxed).max(1) as u64;
        let effort = srv.config.hot.active_expire_effort.load(Relaxed).clamp(1, 10) as u64;
        // Redis: 25% of the cycle period, +2% per effort step above 1.
        let budget = Duration::from_micros(1_000_000 * (25 + 2 * (effort - 1)) / 100 / hz);
        let began = Instant::now();
        let mut expired = 0u64;
        let ndb = srv.ks.dbs.len();
        let mut visited = 0usize;
        let total = ndb * srv.ks.dbs[0].nstripes();
        while visited < total && began.elapsed() < budget {
            let db = &srv.ks.dbs[self.db];
            if !db.allocated() {
                visited += db.nstripes() - self.stripe;
                self.advance_db(ndb);
                continue;
            }
            {
                // A script (or other world holder) may keep the world for
                // long: give up this cycle rather than stall the cron loop
                // (which must still notice SHUTDOWN).
                let Some(_world) = srv.world.shared_for(srv.world.background_slot(), std::time::Duration::from_millis(10)) else { break };
                let mut s = db.lock(self.stripe);
                loop {
                    let (sampled, n) = s.expire_step(moon_store::clock::now_ms(), STEP_BUCKETS * effort as usize);
                    expired += n as u64;
                    if sampled == 0 || n * 10 <= sampled || began.elapsed() >= budget {
                        break;
                    }
                }
                let _ = s.take_expired();
                moon_commands::journal::record::report_stripe_expiry(srv, self.db, &mut s);
            }
            visited += 1;
            self.stripe += 1;
            if self.stripe >= db.nstripes() {
                self.advance_db(ndb);
            }
        }
        srv.stats.expired_keys.fetch_add(expired, Relaxed);
        srv.stats.expire_cycle_cpu_us.fetch_add(began.elapsed().as_micros() as u64, Relaxed);
        expired
    }

    fn advance_db(&mut self, ndb: usize) {
        self.stripe = 0;
        self.db = (self.db + 1) % ndb;
    }
}
