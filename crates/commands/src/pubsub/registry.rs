//! Who is subscribed to what, and delivery of published messages.
//!
//! A message is framed once per protocol and appended to each receiver's
//! mailbox (its connection writes it out), in publish order. A receiver
//! whose mailbox passes client-output-buffer-limit pubsub's hard limit is
//! disconnected instead, so one that stops reading can't grow memory.

use crate::client::{ClientHandle, OutputLimit};
use crate::util::glob_match;
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const SHARDS: usize = 16;

type Subscribers = Vec<Arc<ClientHandle>>;

/// One namespace of channels (classic, or shard channels).
pub struct Channels {
    shards: Box<[Mutex<HashMap<Vec<u8>, Subscribers>>]>,
    hasher: foldhash::fast::FixedState,
}

impl Default for Channels {
    fn default() -> Self {
        Channels {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: foldhash::fast::FixedState::with_seed(0x5eed),
        }
    }
}

impl Channels {
    fn shard(&self, channel: &[u8]) -> &Mutex<HashMap<Vec<u8>, Subscribers>> {
        let mut h = self.hasher.build_hasher();
        h.write(channel);
        &self.shards[h.finish() as usize % SHARDS]
    }

    /// Add `c` to `channel`'s subscribers (the caller checked it wasn't).
    pub fn add(&self, channel: &[u8], c: &Arc<ClientHandle>) {
        self.shard(channel).lock().entry(channel.to_vec()).or_default().push(c.clone());
    }

    pub fn remove(&self, channel: &[u8], c: &Arc<ClientHandle>) {
        let mut shard = self.shard(channel).lock();
        if let Some(subs) = shard.get_mut(channel) {
            subs.retain(|s| !Arc::ptr_eq(s, c));
            if subs.is_empty() {
                shard.remove(channel);
            }
        }
    }

    pub fn count(&self, channel: &[u8]) -> usize {
        self.shard(channel).lock().get(channel).map_or(0, Vec::len)
    }

    /// How many channels have a subscriber.
    pub fn active(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len()).sum()
    }

    /// Channels with at least one subscriber, matching `pattern` if given.
    pub fn names(&self, pattern: Option<&[u8]>) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            out.extend(shard.lock().keys().filter(|ch| pattern.is_none_or(|p| glob_match(p, ch, false))).cloned());
        }
        out
    }

    /// Deliver to every subscriber of `channel`; returns how many.
    fn deliver(&self, channel: &[u8], frames: &mut Frames) -> usize {
        let shard = self.shard(channel).lock();
        let Some(subs) = shard.get(channel) else { return 0 };
        let limit = frames.limit;
        for s in subs {
            s.deliver(frames.for_client(s), &limit);
        }
        subs.len()
    }
}

/// A message framed lazily for RESP2 and RESP3 receivers.
struct Frames<'a> {
    build: &'a dyn Fn(bool) -> Vec<u8>,
    resp2: Option<Vec<u8>>,
    resp3: Option<Vec<u8>>,
    limit: OutputLimit,
}

impl Frames<'_> {
    fn for_client(&mut self, c: &ClientHandle) -> &[u8] {
        let build = self.build;
        if c.resp3() {
            self.resp3.get_or_insert_with(|| build(true))
        } else {
            self.resp2.get_or_insert_with(|| build(false))
        }
    }
}

#[derive(Default)]
pub struct PubSub {
    pub channels: Channels,
    pub shard_channels: Channels,
    /// (pattern, subscriber): patterns are few, and every publish scans them.
    patterns: RwLock<Vec<(Vec<u8>, Arc<ClientHandle>)>>,
    /// Distinct patterns subscribed (PUBSUB NUMPAT).
    distinct_patterns: AtomicUsize,
    /// Clients with at least one subscription (INFO pubsub_clients).
    pub clients: AtomicUsize,
}

/// The pubsub class of client-output-buffer-limit.
pub fn queue_limit(srv: &crate::state::Server) -> OutputLimit {
    OutputLimit::from_class(&srv.config.hot.obuf_pubsub)
}

impl PubSub {
    pub fn add_pattern(&self, pattern: &[u8], c: &Arc<ClientHandle>) {
        let mut ps = self.patterns.write();
        if !ps.iter().any(|(p, _)| p == pattern) {
            self.distinct_patterns.fetch_add(1, Ordering::Relaxed);
        }
        ps.push((pattern.to_vec(), c.clone()));
    }

    pub fn remove_pattern(&self, pattern: &[u8], c: &Arc<ClientHandle>) {
        let mut ps = self.patterns.write();
        ps.retain(|(p, s)| !(p == pattern && Arc::ptr_eq(s, c)));
        if !ps.iter().any(|(p, _)| p == pattern) {
            self.distinct_patterns.fetch_sub(1, Ordering::Relaxed);
        }
    }

    pub fn numpat(&self) -> usize {
        self.distinct_patterns.load(Ordering::Relaxed)
    }

    /// PUBLISH: deliver to the channel's subscribers and to every pattern
    /// subscription matching it; returns the number of receivers.
    pub fn publish(&self, channel: &[u8], message: &[u8], limit: OutputLimit) -> usize {
        let build = |resp3: bool| frame(resp3, &[b"message", channel, message]);
        let mut frames = Frames { build: &build, resp2: None, resp3: None, limit };
        let mut n = self.channels.deliver(channel, &mut frames);
        let ps = self.patterns.read();
        if ps.is_empty() {
            return n;
        }
        for (p, s) in ps.iter() {
            if glob_match(p, channel, false) {
                s.deliver(&frame(s.resp3(), &[b"pmessage", p, channel, message]), &limit);
                n += 1;
            }
        }
        n
    }

    /// SPUBLISH: shard channel subscribers only.
    pub fn spublish(&self, channel: &[u8], message: &[u8], limit: OutputLimit) -> usize {
        let build = |resp3: bool| frame(resp3, &[b"smessage", channel, message]);
        let mut frames = Frames { build: &build, resp2: None, resp3: None, limit };
        self.shard_channels.deliver(channel, &mut frames)
    }
}

/// A push frame of bulk strings: `>N` in RESP3, `*N` in RESP2.
fn frame(resp3: bool, parts: &[&[u8]]) -> Vec<u8> {
    let mut out = moon_resp::Out::new(if resp3 { moon_resp::Protocol::Resp3 } else { moon_resp::Protocol::Resp2 });
    out.push(parts.len());
    for p in parts {
        out.bulk(p);
    }
    out.buf
}
