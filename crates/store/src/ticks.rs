//! A cheap monotonic clock for timing every command (commandstats usec,
//! slowlog, latency monitor). `clock_gettime` costs ~20 ns here and was 10%
//! of a GET pipeline's CPU; the x86 time-stamp counter costs a few cycles.
//! Like Redis' monotonic clock, the TSC is used only when the CPU reports
//! it constant and non-stop, calibrated once against the OS clock;
//! otherwise ticks are nanoseconds from `Instant`.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

enum Source {
    #[cfg(target_arch = "x86_64")]
    Tsc {
        ns_per_tick: f64,
    },
    Os {
        base: Instant,
    },
}

static SOURCE: OnceLock<Source> = OnceLock::new();

fn source() -> &'static Source {
    SOURCE.get_or_init(pick)
}

/// Pick and calibrate the clock (about 2 ms); call at start-up so the first
/// command doesn't pay for it.
pub fn init() {
    source();
}

#[cfg(target_arch = "x86_64")]
fn pick() -> Source {
    let flags = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    if !(flags.contains("constant_tsc") && flags.contains("nonstop_tsc")) {
        return Source::Os { base: Instant::now() };
    }
    let (t0, c0) = (Instant::now(), rdtsc());
    while t0.elapsed() < Duration::from_millis(2) {
        std::hint::spin_loop();
    }
    let (ns, c1) = (t0.elapsed().as_nanos() as f64, rdtsc());
    if c1 <= c0 {
        return Source::Os { base: Instant::now() };
    }
    Source::Tsc { ns_per_tick: ns / (c1 - c0) as f64 }
}

#[cfg(not(target_arch = "x86_64"))]
fn pick() -> Source {
    Source::Os { base: Instant::now() }
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn rdtsc() -> u64 {
    // SAFETY: RDTSC has no preconditions on x86_64.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// The current tick count.
#[inline]
pub fn now() -> u64 {
    match source() {
        #[cfg(target_arch = "x86_64")]
        Source::Tsc { .. } => rdtsc(),
        Source::Os { base } => base.elapsed().as_nanos() as u64,
    }
}

/// Microseconds in a tick interval.
#[inline]
pub fn to_us(ticks: u64) -> u64 {
    match source() {
        #[cfg(target_arch = "x86_64")]
        Source::Tsc { ns_per_tick } => (ticks as f64 * ns_per_tick / 1000.0) as u64,
        Source::Os { .. } => ticks / 1000,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ticks_track_real_time() {
        super::init();
        let a = super::now();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let us = super::to_us(super::now() - a);
        assert!((19_000..200_000).contains(&us), "{us} us for a 20 ms sleep");
    }
}
