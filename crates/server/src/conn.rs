//! One client connection: read, parse every complete command in the
//! buffer, run each through the dispatch path, write all replies with one
//! write per batch. Output is flushed whenever it passes FLUSH_AT, and no
//! more input is parsed until it is written, so a client that stops
//! reading holds at most one batch of replies in memory.

use moon_commands::blocking::{self, WaitEnd, Waiter};
use moon_commands::client::{bump, Action, ClientHandle, ConnState};
use moon_commands::verbose;
use moon_commands::{call_timed, Outcome, Server, WorldHold};
use moon_resp::{ArgBuf, Limits, Out, Parsed, Protocol};
use moon_store::ticks;
use std::sync::atomic::Ordering::{Acquire, Relaxed};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;

const READ_CHUNK: usize = 16 * 1024;
const FLUSH_AT: usize = 64 * 1024;

pub struct Peer {
    pub addr: String,
    pub laddr: String,
    pub fd: i64,
    pub is_local: bool,
    pub is_unix: bool,
}

enum Step {
    /// Everything complete was processed; read more.
    NeedInput,
    /// The output buffer is full: write it, then continue the batch.
    Flush,
    /// The command at the head is paused until this unix ms.
    Paused(i64),
    /// The last command blocked its client (`ConnState::blocked`).
    Blocked,
    Close,
}

/// Commands run under one hold of the shared world lock before it is let
/// go, so a FLUSHALL/SWAPDB waiting for the exclusive lock waits for at
/// most this many commands of a pipeline.
const WORLD_HOLD_COMMANDS: u32 = 32;

pub async fn serve<S: AsyncRead + AsyncWrite + Unpin>(srv: Arc<Server>, thread: usize, mut stream: S, peer: Peer) {
    let notify = Arc::new(Notify::new());
    let n2 = notify.clone();
    let id = srv.clients.next_id();
    let handle = Arc::new(ClientHandle::new(id, peer.addr, peer.laddr, peer.fd, peer.is_unix, Box::new(move || n2.notify_one())));
    srv.clients.register(handle.clone());
    srv.stats.connections_received.fetch_add(1, Relaxed);
    let authed = moon_commands::acl::connect_authenticated(&srv);
    let mut conn = ConnState::new(handle.clone(), thread, peer.is_local, authed);
    let mut out = Out::new(Protocol::Resp2);
    let mut rbuf: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut start = 0usize;
    let mut ab = ArgBuf::new();
    let mut want = 0usize;

    'conn: loop {
        // Messages queued for this client before the commands at hand
        // (pub/sub) go out first.
        let mail = handle.take_mail();
        if !mail.is_empty() {
            out.raw(&mail);
        }
        let cmds_before = handle.tot_cmds.load(Relaxed);
        let step = run_batch(&srv, &mut conn, &mut out, &rbuf, &mut start, &mut ab, &mut want);
        moon_commands::tracking::flush_bcast(&srv, &mut conn);
        if !out.buf.is_empty() && srv.journal.behind() {
            crate::journal_flush::wait(&srv).await;
        }
        // A lone command's reply waits for the other connections that are
        // ready on this thread to run theirs, so replies leave in a burst,
        // as Redis writes them all in beforeSleep: a client juggling many
        // connections then finds more of them readable per wake-up.
        // Measured +2-5% requests/s at -P 1 with 50 clients; pipelined
        // batches write at once.
        if !out.buf.is_empty() && handle.tot_cmds.load(Relaxed).wrapping_sub(cmds_before) <= 1 {
            tokio::task::yield_now().await;
        }
        bump(&handle.net_out, out.buf.len() as u64);
        if !flush(&srv, thread, &mut stream, &mut out).await {
            break;
        }
        match step {
            Step::Close => break,
            Step::Flush => continue,
            Step::Blocked => {
                let Some(w) = conn.blocked.take() else { continue };
                let end = wait_blocked(&srv, thread, &w, &notify, &mut stream, &mut rbuf).await;
                // A served reply is in the mailbox, behind what was pushed
                // before it (written at the top of the loop); other ends
                // answer after anything still queued.
                if matches!(end, WaitEnd::TimedOut | WaitEnd::Error) {
                    out.raw(&handle.take_mail());
                }
                match end {
                    WaitEnd::Served => {}
                    WaitEnd::TimedOut => w.op.timeout_reply(&mut out),
                    WaitEnd::Error => out.error("UNBLOCKED client unblocked via CLIENT UNBLOCK"),
                    WaitEnd::Cancelled => break,
                }
                continue;
            }
            Step::Paused(until) => {
                let wait = Duration::from_millis((until - moon_store::clock::now_ms()).clamp(0, 60_000) as u64);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = notify.notified() => {}
                }
                if !deliver_mailbox(&srv, &handle, &notify, &mut stream).await || handle.kill_requested.load(Acquire) {
                    break;
                }
                continue;
            }
            Step::NeedInput => {}
        }
        // Keep the unparsed tail at the front of the buffer.
        if start == rbuf.len() {
            rbuf.clear();
            start = 0;
            if rbuf.capacity() > 4 * READ_CHUNK {
                rbuf = Vec::with_capacity(READ_CHUNK);
            }
        } else if start > 0 {
            rbuf.drain(..start);
            start = 0;
        }
        let limit = srv.config.hot.client_query_buffer_limit.load(Relaxed).max(0) as usize;
        if rbuf.len() > limit {
            verbose!("Closing client that reached max query buffer length (id={})", conn.id());
            break;
        }
        let spare = rbuf.capacity() - rbuf.len();
        let need = want.saturating_sub(rbuf.len()).clamp(READ_CHUNK, limit.max(READ_CHUNK));
        if spare < READ_CHUNK / 4 || want > rbuf.capacity() {
            rbuf.reserve(need);
        }
        handle.qbuf.store(rbuf.len() as u64, Relaxed);
        let idle = srv.config.hot.timeout.load(Relaxed);
        loop {
            let idle_wait = async {
                if idle > 0 && !conn.monitor {
                    tokio::time::sleep(Duration::from_secs(idle as u64)).await
                } else {
                    std::future::pending::<()>().await
                }
            };
            tokio::select! {
                r = stream.read_buf(&mut rbuf) => {
                    match r {
                        Ok(0) | Err(_) => break 'conn,
                        Ok(n) => {
                            srv.stats.net_input_bytes.add_local(thread, n as u64);
                            bump(&handle.net_in, n as u64);
                            handle.last_interaction_ms.store(moon_store::clock::now_ms(), Relaxed);
                            break;
                        }
                    }
                }
                _ = notify.notified() => {
                    if handle.kill_requested.load(Acquire) || !deliver_mailbox(&srv, &handle, &notify, &mut stream).await {
                        break 'conn;
                    }
                }
                _ = idle_wait => {
                    verbose!("Closing idle client (id={})", conn.id());
                    break 'conn;
                }
            }
        }
    }
    moon_commands::multi::discard_state(&srv, &mut conn);
    moon_commands::pubsub::unsubscribe_all(&srv, &mut conn);
    moon_commands::tracking::forget(&srv, &mut conn);
    srv.clients.unregister(id);
}

/// Run the complete commands in `rbuf[start..]` until input runs out, the
/// output needs writing, a pause, or a close. Synchronous on purpose: the
/// shared world lock held across the batch must never live across an await.
fn run_batch(srv: &Server, conn: &mut ConnState, out: &mut Out, rbuf: &[u8], start: &mut usize, ab: &mut ArgBuf, want: &mut usize) -> Step {
    // Commands of one batch share a wall-clock base (as Redis caches the
    // time per event loop iteration); each command's end times the next.
    let base_ms = moon_store::clock::now_ms();
    let base_t = ticks::now();
    let mut t = base_t;
    let mut world: WorldHold = None;
    let mut held = 0u32;
    loop {
        if conn.handle.kill_requested.load(Acquire) {
            return Step::Close;
        }
        let limits = Limits { max_bulk_len: srv.config.hot.proto_max_bulk_len.load(Relaxed), auth_required: !conn.authenticated };
        match ab.parse(&rbuf[*start..], &limits) {
            Ok(Parsed::Incomplete { hint }) => {
                *want = hint;
                return Step::NeedInput;
            }
            Ok(Parsed::Skip { consumed }) => *start += consumed,
            Ok(Parsed::Command { consumed }) => {
                let argv = ab.argv(&rbuf[*start..]);
                let now = base_ms + (ticks::to_us(t - base_t) / 1000) as i64;
                let (outcome, end) = call_timed(srv, conn, out, &argv, now, t, &mut world);
                t = end;
                if let Outcome::Paused { until } = outcome {
                    // Not consumed: the same command runs again after the pause.
                    return Step::Paused(until);
                }
                *start += consumed;
                if conn.blocked.is_some() {
                    return Step::Blocked;
                }
                match conn.action.take() {
                    Some(Action::Close) => return Step::Close,
                    Some(Action::Shutdown) => {
                        out.buf.clear();
                        return Step::Close;
                    }
                    None => {}
                }
                if out.buf.len() >= FLUSH_AT {
                    return Step::Flush;
                }
                held += 1;
                if held >= WORLD_HOLD_COMMANDS {
                    world = None;
                    held = 0;
                }
            }
            Err(e) => {
                verbose!("Protocol error ({}) from client id={}", e.message(), conn.id());
                out.error(&format!("ERR {}", e.message()));
                return Step::Close;
            }
        }
    }
}

async fn flush<S: AsyncWrite + Unpin>(srv: &Server, thread: usize, stream: &mut S, out: &mut Out) -> bool {
    if out.buf.is_empty() {
        return true;
    }
    // flush: a TLS stream may keep encrypted records buffered otherwise.
    let ok = stream.write_all(&out.buf).await.is_ok() && stream.flush().await.is_ok();
    srv.stats.net_output_bytes.add_local(thread, out.buf.len() as u64);
    out.buf.clear();
    if out.buf.capacity() > 4 * FLUSH_AT {
        out.buf = Vec::new();
    }
    ok
}

/// Park a blocked client until a write serves it, its deadline passes,
/// CLIENT UNBLOCK ends the wait, or it goes away. Input that arrives
/// meanwhile is buffered (and runs after the wait), as Redis does; the
/// socket is still read so a disconnect is noticed. What others queue for
/// it (pub/sub messages, tracking invalidations; in the end its own served
/// reply) is written as it comes, as Redis writes pushes to a blocked
/// client.
async fn wait_blocked<S: AsyncRead + AsyncWrite + Unpin>(
    srv: &Server,
    thread: usize,
    w: &Arc<Waiter>,
    notify: &Notify,
    stream: &mut S,
    rbuf: &mut Vec<u8>,
) -> WaitEnd {
    loop {
        if let Some(end) = w.outcome() {
            return end;
        }
        let deadline = async {
            if w.deadline > 0 {
                let left = (w.deadline - moon_store::clock::now_ms()).max(0) as u64;
                tokio::time::sleep(Duration::from_millis(left)).await
            } else {
                std::future::pending::<()>().await
            }
        };
        if rbuf.capacity() - rbuf.len() < READ_CHUNK / 4 {
            rbuf.reserve(READ_CHUNK);
        }
        tokio::select! {
            _ = deadline => return blocking::finish(srv, w, true),
            _ = notify.notified() => {
                if w.client.kill_requested.load(Acquire) || !deliver_mailbox(srv, &w.client, notify, stream).await {
                    blocking::finish(srv, w, false);
                    return WaitEnd::Cancelled;
                }
            }
            r = stream.read_buf(rbuf) => {
                let limit = srv.config.hot.client_query_buffer_limit.load(Relaxed).max(0) as usize;
                match r {
                    Ok(n) if n > 0 && rbuf.len() <= limit => {
                        srv.stats.net_input_bytes.add_local(thread, n as u64);
                        bump(&w.client.net_in, n as u64);
                    }
                    _ => {
                        blocking::finish(srv, w, false);
                        return WaitEnd::Cancelled;
                    }
                }
            }
        }
    }
}

/// Write what other clients queued for this one (MONITOR feed, pub/sub
/// messages) until the mailbox is empty. A client that is killed while a
/// write is stuck (it stopped reading and its queue passed the limit) is
/// dropped without waiting for the write.
async fn deliver_mailbox<S: AsyncWrite + Unpin>(srv: &Server, handle: &ClientHandle, notify: &Notify, stream: &mut S) -> bool {
    loop {
        let bytes = handle.take_mail();
        if bytes.is_empty() {
            return true;
        }
        // A served blocked client's reply comes this way: like any reply,
        // not before the change it reveals is in the journal.
        if srv.journal.behind() {
            crate::journal_flush::wait(srv).await;
        }
        srv.stats.net_output_bytes.fetch_add(bytes.len() as u64, Relaxed);
        let write = stream.write_all(&bytes);
        tokio::pin!(write);
        loop {
            tokio::select! {
                r = &mut write => {
                    if r.is_err() {
                        return false;
                    }
                    break;
                }
                _ = notify.notified() => {
                    if handle.kill_requested.load(Acquire) {
                        return false;
                    }
                }
            }
        }
        // TLS streams buffer: push the bytes out.
        if stream.flush().await.is_err() {
            return false;
        }
    }
}
