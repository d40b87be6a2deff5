//! The latency monitor's event history (LATENCY LATEST / HISTORY / RESET).

use std::collections::BTreeMap;

pub const HISTORY_LEN: usize = 160;

#[derive(Default)]
pub struct EventHistory {
    /// (unix seconds, latency ms), oldest first, one sample per second.
    pub samples: Vec<(i64, u64)>,
    pub max: u64,
}

#[derive(Default)]
pub struct LatencyMonitor {
    pub events: BTreeMap<String, EventHistory>,
}

impl LatencyMonitor {
    /// Record `ms` for `event` at unix second `now_s` (Redis keeps the max
    /// per second and the last 160 seconds that had an event).
    pub fn add(&mut self, event: &str, now_s: i64, ms: u64) {
        let h = self.events.entry(event.to_string()).or_default();
        h.max = h.max.max(ms);
        match h.samples.last_mut() {
            Some((t, v)) if *t == now_s => *v = (*v).max(ms),
            _ => {
                h.samples.push((now_s, ms));
                if h.samples.len() > HISTORY_LEN {
                    h.samples.remove(0);
                }
            }
        }
    }
}
