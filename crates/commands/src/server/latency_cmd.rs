//! LATENCY LATEST / HISTORY / RESET / GRAPH / DOCTOR / HELP over the
//! latency monitor's event history (crate::latency), which the dispatcher
//! and background tasks fill. HISTOGRAM is not offered: Moon keeps no
//! per-command latency histograms.

use super::help::reply_help;
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::latency::{EventHistory, LatencyMonitor};
use crate::spec::{cmd, flag::*, CommandDef, Locking};
use moon_resp::Argv;
use std::fmt::Write;
use std::sync::atomic::Ordering::Relaxed;

const SUB_FLAGS: u64 = ADMIN | NOSCRIPT | LOADING | STALE;

static SUBS: &[CommandDef] = &[
    cmd("doctor", 2, SUB_FLAGS, 0, &[], doctor, "server").locking(Locking::None),
    cmd("graph", 3, SUB_FLAGS, 0, &[], graph, "server").locking(Locking::None),
    cmd("help", 2, LOADING | STALE, 0, &[], help, "server").locking(Locking::None),
    cmd("history", 3, SUB_FLAGS, 0, &[], history, "server").locking(Locking::None),
    cmd("latest", 2, SUB_FLAGS, 0, &[], latest, "server").locking(Locking::None),
    cmd("reset", -2, SUB_FLAGS, 0, &[], reset, "server").locking(Locking::None),
];

pub static COMMANDS: &[CommandDef] = &[cmd("latency", -2, 0, 0, &[], help, "server").locking(Locking::None).subs(SUBS)];

fn event<'m>(mon: &'m LatencyMonitor, name: &[u8]) -> Option<&'m EventHistory> {
    std::str::from_utf8(name).ok().and_then(|n| mon.events.get(n))
}

fn latest(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    let mon = ctx.srv.latency.lock();
    let out = &mut *ctx.out;
    let d = out.defer();
    let mut n = 0;
    for (name, h) in &mon.events {
        let Some(&(t, ms)) = h.samples.last() else { continue };
        out.array(4);
        out.bulk(name.as_bytes());
        out.int(t);
        out.int(ms as i64);
        out.int(h.max as i64);
        n += 1;
    }
    out.end_array(d, n);
    Ok(())
}

fn history(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let mon = ctx.srv.latency.lock();
    let samples = event(&mon, argv.get(2)).map(|h| h.samples.as_slice()).unwrap_or(&[]);
    let out = &mut *ctx.out;
    out.array(samples.len());
    for &(t, ms) in samples {
        out.array(2);
        out.int(t);
        out.int(ms as i64);
    }
    Ok(())
}

fn reset(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let mut mon = ctx.srv.latency.lock();
    let removed = if argv.len() == 2 {
        let n = mon.events.len();
        mon.events.clear();
        n
    } else {
        argv.iter().skip(2).filter(|a| std::str::from_utf8(a).ok().and_then(|n| mon.events.remove(n)).is_some()).count()
    };
    ctx.out.int(removed as i64);
    Ok(())
}

fn graph(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let text = {
        let mon = ctx.srv.latency.lock();
        match event(&mon, argv.get(2)).filter(|h| !h.samples.is_empty()) {
            Some(h) => render_graph(&String::from_utf8_lossy(argv.get(2)), h, ctx.now() / 1000),
            None => {
                let name = String::from_utf8_lossy(argv.get(2));
                return Err(CmdError::err(format!("No samples available for event '{name}'")));
            }
        }
    };
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

/// Columns per block of the graph; longer histories wrap into more blocks.
const GRAPH_COLS: usize = 80;
/// Text rows of the chart; each row resolves three heights ("_", "o",
/// "#"), and the area under a column's top is filled with "|".
const GRAPH_ROWS: usize = 4;
const GLYPHS: &[u8; 3] = b"_o#";
const FILL: char = '|';

/// The ASCII chart LATENCY GRAPH shows: a header with the shown range,
/// the curve (one column per sample, oldest left) and, under each
/// column, how long ago the sample was taken, written top to bottom.
fn render_graph(name: &str, h: &EventHistory, now_s: i64) -> String {
    let min = h.samples.iter().map(|s| s.1).min().unwrap_or(0);
    let max = h.samples.iter().map(|s| s.1).max().unwrap_or(0);
    let mut g = format!("{name} - high {max} ms, low {min} ms (all time high {} ms)\n", h.max);
    g.push_str(&"-".repeat(GRAPH_COLS));
    g.push('\n');
    for (i, block) in h.samples.chunks(GRAPH_COLS).enumerate() {
        if i > 0 {
            g.push('\n');
        }
        draw_block(&mut g, block, min, max, now_s);
    }
    g
}

fn draw_block(g: &mut String, block: &[(i64, u64)], min: u64, max: u64, now_s: i64) {
    let levels = GRAPH_ROWS * GLYPHS.len();
    let span = if max > min { (max - min) as f64 } else { 1.0 };
    // Height of each column in 0..levels, scaled between min and max.
    let height: Vec<usize> =
        block.iter().map(|&(_, v)| ((((v - min) as f64 * levels as f64).trunc() / span) as usize).min(levels - 1)).collect();
    for row in 0..GRAPH_ROWS {
        let base = (GRAPH_ROWS - 1 - row) * GLYPHS.len();
        for &hgt in &height {
            g.push(match hgt.checked_sub(base) {
                Some(k) if k < GLYPHS.len() => GLYPHS[k] as char,
                Some(_) => FILL,
                None => ' ',
            });
        }
        g.push('\n');
    }
    // One blank line, then the age labels written vertically.
    g.push_str(&" ".repeat(block.len()));
    g.push('\n');
    let labels: Vec<Vec<u8>> = block.iter().map(|&(t, _)| age_label(now_s - t).into_bytes()).collect();
    let tallest = labels.iter().map(Vec::len).max().unwrap_or(0);
    for k in 0..tallest {
        for l in &labels {
            g.push(l.get(k).map_or(' ', |&c| c as char));
        }
        g.push('\n');
    }
}

/// "12s", "5m", "3h", "2d": how long ago, in the largest whole unit.
fn age_label(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

fn doctor(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    let threshold = ctx.srv.config.hot.latency_threshold.load(Relaxed);
    let slowlog = ctx.srv.config.hot.slowlog_slower_than.load(Relaxed);
    let report = {
        let mon = ctx.srv.latency.lock();
        doctor_report(&mon, threshold, slowlog)
    };
    ctx.out.verbatim("txt", report.as_bytes());
    Ok(())
}

/// Per-event figures the doctor reports.
struct EventSummary {
    spikes: usize,
    avg: u64,
    /// Mean absolute deviation from the average, in ms.
    mad: u64,
    /// Average seconds between spikes (0 with a single spike).
    period: f64,
    worst: u64,
}

fn summarize(h: &EventHistory) -> EventSummary {
    let n = h.samples.len().max(1) as u64;
    let avg = h.samples.iter().map(|s| s.1).sum::<u64>() / n;
    let mad = h.samples.iter().map(|s| s.1.abs_diff(avg)).sum::<u64>() / n;
    let period = match (h.samples.first(), h.samples.last()) {
        (Some(a), Some(b)) if h.samples.len() > 1 => (b.0 - a.0) as f64 / (h.samples.len() - 1) as f64,
        _ => 0.0,
    };
    EventSummary { spikes: h.samples.len(), avg, mad, period, worst: h.max }
}

fn doctor_report(mon: &LatencyMonitor, threshold_ms: i64, slowlog_us: i64) -> String {
    let events: Vec<(&String, EventSummary)> =
        mon.events.iter().filter(|(_, h)| !h.samples.is_empty()).map(|(n, h)| (n, summarize(h))).collect();
    if events.is_empty() {
        return if threshold_ms == 0 {
            "Latency doctor: the latency monitor is off (latency-monitor-threshold is 0), so there is nothing to analyze. \
             Turn it on with CONFIG SET latency-monitor-threshold <milliseconds> and ask again once events were recorded.\n"
                .to_string()
        } else {
            format!("Latency doctor: no event took {threshold_ms} ms or more since the data was last reset. Nothing to report.\n")
        };
    }
    let mut r = format!("Latency doctor: {} kind(s) of event went over the threshold.\n\n", events.len());
    for (i, (name, s)) in events.iter().enumerate() {
        let _ = write!(r, "{}. {name}: {} spike(s), average {} ms (mean deviation {} ms)", i + 1, s.spikes, s.avg, s.mad);
        if s.spikes > 1 {
            let _ = write!(r, ", about one every {:.2} s", s.period);
        }
        let _ = writeln!(r, "; worst ever {} ms.", s.worst);
    }
    let mut advice = Vec::new();
    let has = |n: &str| events.iter().any(|(e, _)| e.as_str() == n);
    if has("command") || has("fast-command") {
        if slowlog_us < 0 || (threshold_ms > 0 && slowlog_us > threshold_ms.saturating_mul(1000)) {
            advice.push(format!(
                "The slow log does not catch every command the latency monitor flags. CONFIG SET slowlog-log-slower-than {} makes them visible in SLOWLOG GET.",
                threshold_ms.max(1).saturating_mul(1000)
            ));
        }
        advice.push(
            "SLOWLOG GET names the slow commands. Commands over whole collections (KEYS, SMEMBERS, HGETALL, LRANGE 0 -1, ...) cost time proportional to their size; SCAN-style iteration keeps each call short."
                .to_string(),
        );
    }
    if has("fast-command") {
        advice.push(
            "Commands that should take constant time were slow. That points at the machine rather than the workload: swapping, CPU contention with other processes, or transparent huge pages."
                .to_string(),
        );
    }
    if has("expire-cycle") {
        advice.push(
            "Expiring keys took long. Many keys expiring at the same moment cause this; spreading expire times out helps.".to_string(),
        );
    }
    if !advice.is_empty() {
        r.push_str("\nSuggestions:\n\n");
        for a in advice {
            let _ = writeln!(r, "- {a}");
        }
    }
    r
}

fn help(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    reply_help(
        ctx.out,
        "LATENCY",
        &[
            "DOCTOR",
            "    Analyze the recorded latency events and suggest what to check.",
            "GRAPH <event>",
            "    Draw the history of <event> as an ASCII chart.",
            "HISTORY <event>",
            "    List the (unix time, latency ms) samples recorded for <event>.",
            "LATEST",
            "    For every event: its name, the time and latency of its last sample,",
            "    and the highest latency seen.",
            "RESET [<event> ...]",
            "    Forget the samples of the given events (all events without arguments).",
        ],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestClient;
    use moon_resp::Protocol;

    fn add(c: &TestClient, event: &str, t: i64, ms: u64) {
        c.srv.latency.lock().add(event, t, ms);
    }

    #[test]
    fn latest_history_reset() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["LATENCY", "LATEST"]), "*0\r\n");
        add(&c, "command", 100, 5);
        add(&c, "command", 100, 9);
        add(&c, "command", 101, 3);
        add(&c, "expire-cycle", 50, 2);
        assert_eq!(
            c.run(&["LATENCY", "LATEST"]),
            "*2\r\n*4\r\n$7\r\ncommand\r\n:101\r\n:3\r\n:9\r\n*4\r\n$12\r\nexpire-cycle\r\n:50\r\n:2\r\n:2\r\n"
        );
        assert_eq!(c.run(&["LATENCY", "HISTORY", "command"]), "*2\r\n*2\r\n:100\r\n:9\r\n*2\r\n:101\r\n:3\r\n");
        assert_eq!(c.run(&["LATENCY", "HISTORY", "nosuch"]), "*0\r\n");
        assert_eq!(c.run(&["LATENCY", "HISTORY"]), "-ERR wrong number of arguments for 'latency|history' command\r\n");
        assert_eq!(c.run(&["LATENCY", "RESET", "nosuch", "command", "command"]), ":1\r\n");
        add(&c, "a", 1, 1);
        assert_eq!(c.run(&["LATENCY", "RESET"]), ":2\r\n");
        assert_eq!(c.run(&["LATENCY", "LATEST"]), "*0\r\n");
        assert_eq!(c.run(&["LATENCY", "HISTOGRAM"]), "-ERR unknown subcommand 'HISTOGRAM'. Try LATENCY HELP.\r\n");
    }

    #[test]
    fn monitor_records_slow_commands() {
        let mut c = TestClient::with_config(&[("latency-monitor-threshold", "1")]);
        c.run(&["DEBUG", "SLEEP", "0.02"]);
        let r = c.run(&["LATENCY", "LATEST"]);
        assert!(r.starts_with("*1\r\n*4\r\n$7\r\ncommand\r\n"), "{r}");
    }

    #[test]
    fn graph_layout() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["LATENCY", "GRAPH", "command"]), "-ERR No samples available for event 'command'\r\n");
        add(&c, "command", moon_store::clock::now_ms() / 1000, 120);
        let r = c.run(&["LATENCY", "GRAPH", "command"]);
        let dashes = "-".repeat(80);
        // The age label is "0s" (or "1s" if a second boundary passed).
        let body = format!("command - high 120 ms, low 120 ms (all time high 120 ms)\n{dashes}\n \n \n \n_\n \n");
        let len = body.len() + 4;
        assert!(r.starts_with(&format!("${len}\r\n{body}")) && r.ends_with("\ns\n\r\n"), "{r}");
        c.out.proto = Protocol::Resp3;
        assert!(c.run(&["LATENCY", "GRAPH", "command"]).starts_with(&format!("={}\r\ntxt:command", len + 4)));
    }

    #[test]
    fn graph_heights_and_labels() {
        let h = EventHistory { samples: vec![(0, 10), (40, 20), (100, 30), (7200, 40)], max: 50 };
        let g = render_graph("e", &h, 7200 + 86400 * 3);
        let lines: Vec<&str> = g.lines().collect();
        assert_eq!(lines[0], "e - high 40 ms, low 10 ms (all time high 50 ms)");
        // Heights 0, 4, 8, 11 of 0..12 over four rows of three glyphs.
        assert_eq!(&lines[2..6], ["   #", "  #|", " o||", "_|||"]);
        assert_eq!(lines[6], "    ");
        assert_eq!(&lines[7..], ["3333", "dddd"]);
        assert_eq!(
            (age_label(59), age_label(60), age_label(3599), age_label(3600), age_label(86400)),
            ("59s".into(), "1m".into(), "59m".into(), "1h".into(), "1d".into())
        );
        // More than 80 samples wrap into a second block.
        let h = EventHistory { samples: (0..81).map(|i| (i, 5)).collect(), max: 5 };
        let g = render_graph("e", &h, 81);
        assert_eq!(g.lines().nth(2).unwrap().len(), 80);
        assert!(g.contains("\n\n \n \n \n_\n \n1\ns\n"), "{g}");
    }

    #[test]
    fn graph_matches_reference_layout() {
        // Samples and output taken from a Redis 8.2 server.
        let t0 = 1795296183;
        let samples = vec![(t0, 5), (t0 + 1, 30), (t0 + 2, 12), (t0 + 3, 50), (t0 + 4, 2), (t0 + 6, 20)];
        let h = EventHistory { samples, max: 50 };
        let expect = format!(
            "command - high 50 ms, low 2 ms (all time high 50 ms)\n{}\n   #  \n o |  \n | | o\n_|#|_|\n      \n765431\nssssss\n",
            "-".repeat(80)
        );
        assert_eq!(render_graph("command", &h, t0 + 7), expect);
    }

    #[test]
    fn doctor_reports() {
        let mut c = TestClient::new();
        assert!(c.run(&["LATENCY", "DOCTOR"]).contains("latency monitor is off"));
        let mut mon = LatencyMonitor::default();
        assert!(doctor_report(&mon, 5, 10000).contains("no event took 5 ms"));
        mon.add("command", 10, 100);
        mon.add("command", 12, 200);
        mon.add("fast-command", 12, 30);
        let r = doctor_report(&mon, 5, 10000);
        assert!(
            r.contains("1. command: 2 spike(s), average 150 ms (mean deviation 50 ms), about one every 2.00 s; worst ever 200 ms."),
            "{r}"
        );
        assert!(r.contains("2. fast-command: 1 spike(s), average 30 ms"), "{r}");
        assert!(r.contains("CONFIG SET slowlog-log-slower-than 5000"), "{r}");
        assert!(r.contains("swapping"), "{r}");
        assert!(!doctor_report(&mon, 5, 1000).contains("slowlog-log-slower-than"));
        c.out.proto = Protocol::Resp3;
        assert!(c.run(&["LATENCY", "DOCTOR"]).starts_with('='));
        assert!(c.run(&["LATENCY", "HELP"]).starts_with("*14\r\n+LATENCY <subcommand>"));
    }
}
