//! The `moon` binary: read config, start the I/O threads, run the cron
//! (stats sampling, active expiry) on the main thread until shutdown.

mod alloc;
mod cli;
mod conn;
mod expire;
mod journal_flush;
mod net;
mod tls;

use moon_commands::{log, notice, warning};
use moon_commands::{Config, Server};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: alloc::Counting = alloc::Counting;

static SIGNALLED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    SIGNALLED.store(true, Ordering::SeqCst);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match cli::parse(&args) {
        cli::Parsed::Exit { code, message } => {
            // write! rather than println!: `moon --help | head` closes the
            // pipe early, which must not panic.
            use std::io::Write;
            let _ = if code == 0 { writeln!(std::io::stdout(), "{message}") } else { writeln!(std::io::stderr(), "{message}") };
            std::process::exit(code);
        }
        cli::Parsed::Run { config } => run(config),
    }
}

fn run(config: Config) {
    log::set_level(&config.get_str("loglevel"));
    if let Err(e) = log::set_file(&config.get_str("logfile")) {
        eprintln!("Can't open the log file: {e}");
        std::process::exit(1);
    }
    if config.get_bool("daemonize") {
        daemonize();
    }
    if config.get_bool("disable-thp") {
        alloc::disable_thp();
    }
    let threads = match config.get_i64("threads") {
        0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        n => n as usize,
    };
    let stripes = config.get_i64("keyspace-stripes");
    if stripes <= 0 || (stripes & (stripes - 1)) != 0 {
        eprintln!("keyspace-stripes must be a power of two between 1 and 16384 (got {stripes})");
        std::process::exit(1);
    }
    notice!("oO0OoO0OoO0Oo Moon is starting oO0OoO0OoO0Oo");
    notice!("{}, pid={}, just started", cli::version(), std::process::id());
    let mut srv = Server::new(config, threads);
    srv.set_memory_probe(alloc::probe);
    srv.set_used_probe(alloc::used);
    if let Err(e) = moon_commands::acl::file::load_at_startup(&srv) {
        warning!("{e}");
        std::process::exit(1);
    }
    notice!("Data directory: {}", srv.config.get_str("dir"));
    let _ = srv.scripting.kill.on_busy.set(net::script_turned_busy);
    let srv: Arc<Server> = srv.share();
    let listeners = net::bind(&srv).unwrap_or_else(|e| {
        warning!("{e}");
        std::process::exit(1);
    });
    srv.journal.set_fsync(moon_commands::journal::Fsync::from_name(&srv.config.get_str("appendfsync")));
    if srv.config.get_bool("appendonly") {
        load_aof(&srv);
    } else {
        load_rdb(&srv);
    }
    let pidfile = srv.config.get_str("pidfile");
    if !pidfile.is_empty() {
        if let Err(e) = std::fs::write(&pidfile, format!("{}\n", std::process::id())) {
            warning!("Failed to write PID file: {e}");
        }
    }
    // Before the listeners: a SIGTERM that arrives once clients can
    // connect must already take the clean shutdown path.
    install_signals();
    if let Err(e) = net::start(srv.clone(), listeners) {
        warning!("{e}");
        std::process::exit(1);
    }
    notice!("Server initialized with {} I/O thread(s), port {}", threads, srv.config.get_i64("port"));
    if cron(&srv) == Stop::Signal {
        save_on_signal(&srv);
    }
    moon_commands::journal::aof::flush_for_shutdown(&srv);
    notice!("Moon is now ready to exit, bye bye...");
    if !pidfile.is_empty() {
        let _ = std::fs::remove_file(&pidfile);
    }
    let unix = srv.config.get_str("unixsocket");
    if !unix.is_empty() {
        let _ = std::fs::remove_file(unix);
    }
    std::process::exit(0);
}

/// Load `dir`/`dbfilename` if it exists; a file that cannot be loaded
/// stops the server, as in Redis (serving without the data would lose it
/// at the next save).
fn load_rdb(srv: &Server) {
    let t = Instant::now();
    match moon_commands::persistence::load_from_disk(srv) {
        Ok(None) => {}
        Ok(Some(r)) => {
            for w in &r.warnings {
                warning!("{w}");
            }
            notice!("Done loading RDB, keys loaded: {}, keys expired: {}.", r.keys, r.expired);
            notice!("DB loaded from disk: {:.3} seconds", t.elapsed().as_secs_f64());
        }
        Err(e) => {
            warning!("{e}");
            warning!("Fatal error loading the DB, check server logs. Exiting.");
            std::process::exit(1);
        }
    }
}

/// appendonly yes: the AOF replaces the RDB file as the source of the
/// data (as in Redis); one that cannot be loaded stops the server.
fn load_aof(srv: &Server) {
    let t = Instant::now();
    match moon_commands::journal::aof::start_at_boot(srv) {
        Ok(r) => {
            if r.files > 0 {
                notice!(
                    "DB loaded from append only file: {:.3} seconds ({} files, {} keys from the base, {} commands)",
                    t.elapsed().as_secs_f64(),
                    r.files,
                    r.keys,
                    r.commands
                );
            }
        }
        Err(e) => {
            warning!("{e}");
            warning!("Fatal error loading the DB, check server logs. Exiting.");
            std::process::exit(1);
        }
    }
}

/// SIGTERM / SIGINT with save points set: stop a running BGSAVE and save,
/// as Redis does before exiting (SHUTDOWN saves in the command itself).
fn save_on_signal(srv: &Server) {
    if moon_commands::persistence::bgsave::save_points(srv).is_empty() {
        return;
    }
    notice!("Saving the final RDB snapshot before exiting.");
    let _w = srv.world.exclusive();
    match moon_commands::persistence::bgsave::save_for_shutdown(srv) {
        Ok(()) => notice!("DB saved on disk"),
        Err(e) => warning!("Error trying to save the DB: {e}"),
    }
}

#[derive(PartialEq, Eq)]
enum Stop {
    Signal,
    Command,
}

/// Background work at `hz`: stats samples, active expiry, eviction left
/// over by commands, save points; returns when a shutdown was requested
/// (SHUTDOWN, SIGTERM, SIGINT).
fn cron(srv: &Server) -> Stop {
    let mut expire = expire::ActiveExpire::new();
    let mut last_sample = Instant::now();
    loop {
        let hz = srv.config.hot.hz.load(Ordering::Relaxed).clamp(1, 500) as u64;
        std::thread::sleep(Duration::from_millis(1000 / hz));
        if SIGNALLED.load(Ordering::SeqCst) {
            warning!("Received shutdown signal, scheduling shutdown...");
            return Stop::Signal;
        }
        if srv.shutdown_requested.load(Ordering::SeqCst) {
            notice!("User requested shutdown...");
            return Stop::Command;
        }
        if last_sample.elapsed() >= Duration::from_millis(100) {
            srv.stats.sample(moon_store::clock::now_ms());
            last_sample = Instant::now();
        }
        expire.cycle(srv);
        moon_commands::evict::background(srv, 1000 / hz / 2);
        moon_commands::persistence::bgsave::cron(srv);
        moon_commands::journal::rewrite::cron(srv);
    }
}

fn install_signals() {
    // SAFETY: the handler only stores to an atomic, which is signal-safe.
    unsafe {
        libc::signal(libc::SIGTERM, on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t);
        libc::signal(libc::SIGINT, on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t);
    }
}

/// Detach from the terminal before any thread exists (fork is only safe then).
fn daemonize() {
    // SAFETY: called before any other thread is started; the standard
    // fork/setsid/redirect sequence.
    unsafe {
        match libc::fork() {
            -1 => {
                eprintln!("fork failed");
                std::process::exit(1);
            }
            0 => {}
            _ => std::process::exit(0),
        }
        libc::setsid();
        let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if fd >= 0 {
            libc::dup2(fd, 0);
            libc::dup2(fd, 1);
            libc::dup2(fd, 2);
            if fd > 2 {
                libc::close(fd);
            }
        }
    }
}
