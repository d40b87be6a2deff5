//! Listeners and I/O threads. Each I/O thread runs a single-threaded tokio
//! runtime with its own SO_REUSEPORT listener per bind address, so the
//! kernel spreads connections and a connection stays on one thread.

use crate::conn::{serve, Peer};
use crate::tls::{self, TlsContext};
use moon_commands::Server;
use moon_commands::{notice, verbose, warning};
use socket2::{Domain, Protocol as SockProto, SockRef, Socket, TcpKeepalive, Type};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// A bind address; `optional` ones (written with a '-' prefix) may fail.
struct BindAddr {
    ip: IpAddr,
    optional: bool,
}

fn parse_binds(spec: &str) -> Result<Vec<BindAddr>, String> {
    let mut v = Vec::new();
    for word in spec.split_whitespace() {
        let (optional, addr) = match word.strip_prefix('-') {
            Some(a) => (true, a),
            None => (false, word),
        };
        let ip = match addr {
            "*" => IpAddr::from([0, 0, 0, 0]),
            "::*" => "::".parse().expect("valid"),
            a => a.parse().map_err(|_| format!("Invalid bind address '{addr}'"))?,
        };
        v.push(BindAddr { ip, optional });
    }
    Ok(v)
}

/// Whether another process already listens on the address. Our listeners
/// use SO_REUSEPORT, which would otherwise let a second server (same user)
/// silently share the port; a plain bind fails on it as Redis' does.
fn port_taken(ip: IpAddr, port: u16) -> Option<std::io::Error> {
    let addr = SocketAddr::new(ip, port);
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(SockProto::TCP)).ok()?;
    let _ = s.set_reuse_address(true);
    if ip.is_ipv6() {
        let _ = s.set_only_v6(true);
    }
    match s.bind(&addr.into()) {
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Some(e),
        _ => None,
    }
}

fn listen_socket(ip: IpAddr, port: u16, backlog: i32) -> std::io::Result<std::net::TcpListener> {
    let addr = SocketAddr::new(ip, port);
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(SockProto::TCP))?;
    s.set_reuse_address(true)?;
    #[cfg(target_os = "linux")]
    s.set_reuse_port(true)?;
    if ip.is_ipv6() {
        s.set_only_v6(true)?;
    }
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    s.listen(backlog)?;
    Ok(s.into())
}

/// A listening socket of one I/O thread; `tls` ones handshake first.
struct Listener {
    socket: std::net::TcpListener,
    tls: bool,
}

/// One SO_REUSEPORT listener per I/O thread on every bind address for
/// `port`. `kind` ("TCP"/"TLS", "tcp"/"tls") only words the errors.
fn bind_port(binds: &[BindAddr], port: u16, backlog: i32, tls: bool, per_thread: &mut [Vec<Listener>]) -> Result<(), String> {
    let (kind, lower) = if tls { ("TLS", "tls") } else { ("TCP", "tcp") };
    let threads = per_thread.len();
    let mut any = false;
    for b in binds {
        if let Some(e) = port_taken(b.ip, port) {
            return Err(format!("Could not create server {kind} listening socket {}:{}: {e}", b.ip, port));
        }
        // On systems without SO_REUSEPORT load balancing only the first
        // thread gets a listener; connections then all land there.
        let n = if cfg!(target_os = "linux") { threads } else { 1 };
        for (t, list) in per_thread.iter_mut().enumerate().take(n) {
            match listen_socket(b.ip, port, backlog) {
                Ok(socket) => {
                    list.push(Listener { socket, tls });
                    any = true;
                }
                Err(e) if b.optional => {
                    if t == 0 {
                        warning!("Could not create server {kind} listening socket {}:{}: {}", b.ip, port, e);
                    }
                    break;
                }
                Err(e) => return Err(format!("Could not create server {kind} listening socket {}:{}: {e}", b.ip, port)),
            }
        }
    }
    if !any {
        return Err(format!("Failed listening on port {port} ({lower}), aborting."));
    }
    Ok(())
}

/// Every listening socket, bound and listening but not yet accepting.
pub struct Bound {
    per_thread: Vec<Vec<Listener>>,
    unix: Option<std::os::unix::net::UnixListener>,
    tls: Option<Arc<TlsContext>>,
    ready: Vec<&'static str>,
}

/// Bind every listener (before the data is loaded, as Redis does: a second
/// server on the same port fails before touching the data files). Errors
/// (a mandatory address that cannot be bound, a TLS configuration that
/// can't be loaded) are fatal.
pub fn bind(srv: &Server) -> Result<Bound, String> {
    let cfg = &srv.config;
    let binds = parse_binds(&cfg.get_str("bind"))?;
    let port = cfg.get_i64("port") as u16;
    let tls_port = cfg.get_i64("tls-port") as u16;
    let backlog = cfg.get_i64("tcp-backlog") as i32;
    let threads = srv.threads;
    let tls = if tls::enabled(cfg) {
        let ctx = tls::TlsContext::new(cfg).map_err(|e| {
            warning!("{e}");
            tls::STARTUP_FAILED.to_string()
        })?;
        let c2 = ctx.clone();
        cfg.add_apply_hook("tls-", Box::new(move |cfg| c2.reload(cfg)));
        Some(ctx)
    } else {
        None
    };
    let mut per_thread: Vec<Vec<Listener>> = (0..threads).map(|_| Vec::new()).collect();
    if port != 0 {
        bind_port(&binds, port, backlog, false, &mut per_thread)?;
    }
    if tls_port != 0 {
        bind_port(&binds, tls_port, backlog, true, &mut per_thread)?;
    }
    let unix_path = cfg.get_str("unixsocket");
    let unix = if unix_path.is_empty() {
        None
    } else {
        let _ = std::fs::remove_file(&unix_path);
        let l = std::os::unix::net::UnixListener::bind(&unix_path).map_err(|e| format!("Failed opening Unix socket: {e}"))?;
        let perm = u32::from_str_radix(&cfg.get_str("unixsocketperm"), 8).unwrap_or(0);
        if perm != 0 {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&unix_path, std::fs::Permissions::from_mode(perm));
        }
        l.set_nonblocking(true).map_err(|e| e.to_string())?;
        Some(l)
    };
    let ready = [(port != 0, "tcp"), (tls_port != 0, "tls"), (!unix_path.is_empty(), "unix")];
    Ok(Bound { per_thread, unix, tls, ready: ready.iter().filter(|(on, _)| *on).map(|(_, k)| *k).collect() })
}

/// Start the I/O threads on the bound listeners.
pub fn start(srv: Arc<Server>, b: Bound) -> Result<(), String> {
    let Bound { per_thread, mut unix, tls, ready } = b;
    for (t, listeners) in per_thread.into_iter().enumerate() {
        let srv = srv.clone();
        let unix = if t == 0 { unix.take() } else { None };
        let tls = tls.clone();
        std::thread::Builder::new()
            .name(format!("moon-io-{t}"))
            .spawn(move || run_io_thread(srv, t, listeners, unix, tls))
            .map_err(|e| e.to_string())?;
    }
    for kind in ready {
        notice!("Ready to accept connections {kind}");
    }
    Ok(())
}

/// A script on this I/O thread has run past busy-reply-threshold (called
/// from the script's hook): hand the worker, with every other connection
/// of the thread, to another OS thread, so they are answered BUSY (and can
/// SCRIPT KILL it) while this one keeps running the script, as Redis
/// serves clients from inside a long script.
pub fn script_turned_busy() {
    let on_worker = tokio::runtime::Handle::try_current().is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if on_worker {
        // The worker's core goes to a pool thread, which must take it
        // before this returns, or this thread takes it back: a moment's
        // pause, once per busy script (which has run for
        // busy-reply-threshold already).
        tokio::task::block_in_place(|| std::thread::sleep(std::time::Duration::from_millis(10)));
    }
}

fn run_io_thread(
    srv: Arc<Server>,
    thread: usize,
    listeners: Vec<Listener>,
    unix: Option<std::os::unix::net::UnixListener>,
    tls: Option<Arc<TlsContext>>,
) {
    // One worker: the connections of this thread run on it. Multi-thread
    // flavour only so a script that turns busy can hand the worker's other
    // connections to another OS thread (see `script_turned_busy`); every
    // thread of the runtime gets the group-commit flusher.
    let flusher = crate::journal_flush::Flusher::new();
    let f2 = flusher.clone();
    let built = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(format!("moon-io-{thread}"))
        .on_thread_start(move || crate::journal_flush::install(&f2))
        .enable_all()
        .build();
    let rt = match built {
        Ok(rt) => rt,
        Err(e) => {
            warning!("Cannot start I/O thread {thread}: {e}");
            std::process::exit(1);
        }
    };
    rt.block_on(async move {
        crate::journal_flush::start(srv.clone(), flusher);
        for l in listeners {
            let tls = if l.tls { tls.clone() } else { None };
            match tokio::net::TcpListener::from_std(l.socket) {
                Ok(l) => {
                    tokio::spawn(accept_tcp(srv.clone(), thread, l, tls));
                }
                Err(e) => warning!("listener setup failed: {e}"),
            }
        }
        if let Some(u) = unix {
            match tokio::net::UnixListener::from_std(u) {
                Ok(u) => {
                    tokio::spawn(accept_unix(srv.clone(), thread, u));
                }
                Err(e) => warning!("unix listener setup failed: {e}"),
            }
        }
        std::future::pending::<()>().await
    });
}

async fn accept_tcp(srv: Arc<Server>, thread: usize, l: tokio::net::TcpListener, tls: Option<Arc<TlsContext>>) {
    let laddr = l.local_addr().map(|a| a.to_string()).unwrap_or_default();
    loop {
        let (mut stream, peer) = match l.accept().await {
            Ok(x) => x,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                warning!("Error accepting a client connection: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let is_local = peer.ip().is_loopback();
        if tls.is_none() {
            if let Some(msg) = admission_error(&srv, is_local) {
                let _ = stream.write_all(msg.as_bytes()).await;
                continue;
            }
        }
        let _ = stream.set_nodelay(true);
        let ka = srv.config.get_i64("tcp-keepalive");
        if ka > 0 {
            let secs = Duration::from_secs(ka as u64);
            let params = TcpKeepalive::new().with_time(secs).with_interval(Duration::from_secs((ka as u64 / 3).max(1)));
            let _ = SockRef::from(&stream).set_tcp_keepalive(&params);
        }
        let fd = std::os::fd::AsRawFd::as_raw_fd(&stream) as i64;
        let peer = Peer { addr: peer.to_string(), laddr: laddr.clone(), fd, is_local, is_unix: false };
        match &tls {
            None => {
                tokio::spawn(serve(srv.clone(), thread, stream, peer));
            }
            Some(ctx) => {
                tokio::spawn(serve_tls(srv.clone(), thread, stream, peer, ctx.current()));
            }
        }
    }
}

/// Handshake (bounded by HANDSHAKE_TIMEOUT), then serve as any connection.
/// A failed handshake just closes. Admission is checked afterwards, as in
/// Redis, so the refusal reaches the client inside the TLS session.
async fn serve_tls(srv: Arc<Server>, thread: usize, stream: tokio::net::TcpStream, peer: Peer, cfg: Arc<rustls::ServerConfig>) {
    let acceptor = tokio_rustls::TlsAcceptor::from(cfg);
    let mut stream = match tokio::time::timeout(tls::HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            verbose!("Error accepting a client connection: {e} (addr={} laddr={})", peer.addr, peer.laddr);
            return;
        }
        Err(_) => {
            verbose!("Error accepting a client connection: TLS handshake timed out (addr={} laddr={})", peer.addr, peer.laddr);
            return;
        }
    };
    if let Some(msg) = admission_error(&srv, peer.is_local) {
        let _ = stream.write_all(msg.as_bytes()).await;
        let _ = stream.shutdown().await;
        return;
    }
    serve(srv, thread, stream, peer).await
}

async fn accept_unix(srv: Arc<Server>, thread: usize, l: tokio::net::UnixListener) {
    let path = srv.config.get_str("unixsocket");
    loop {
        let (mut stream, _) = match l.accept().await {
            Ok(x) => x,
            Err(e) => {
                warning!("Error accepting a unix connection: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        if let Some(msg) = admission_error(&srv, true) {
            let _ = stream.write_all(msg.as_bytes()).await;
            continue;
        }
        let fd = std::os::fd::AsRawFd::as_raw_fd(&stream) as i64;
        let peer = Peer { addr: format!("{path}:0"), laddr: format!("{path}:0"), fd, is_local: true, is_unix: true };
        tokio::spawn(serve(srv.clone(), thread, stream, peer));
    }
}

/// maxclients and protected mode, checked before a connection is served.
fn admission_error(srv: &Server, is_local: bool) -> Option<&'static str> {
    let maxclients = srv.config.hot.maxclients.load(Relaxed);
    if srv.clients.count() as i64 >= maxclients {
        srv.stats.rejected_connections.fetch_add(1, Relaxed);
        return Some("-ERR max number of clients reached\r\n");
    }
    if !is_local && srv.config.hot.protected_mode.load(Relaxed) && !srv.acl.auth_required() {
        srv.stats.rejected_connections.fetch_add(1, Relaxed);
        return Some(
            "-DENIED Moon is running in protected mode: no password is set for the default user, so only \
             loopback connections are accepted. Set a password (requirepass), or disable protected mode \
             with 'CONFIG SET protected-mode no' from a local connection or '--protected-mode no' at start, \
             after making sure the server is not reachable from untrusted networks.\r\n",
        );
    }
    None
}
