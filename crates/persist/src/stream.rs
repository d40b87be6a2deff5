//! Streams in RDB form, as Redis 7.2+ / 8.2 write them (STREAM_LISTPACKS_3)
//! and as older versions did (_2 from 7.0, the original from 5.0):
//!
//! ```text
//! [blocks len] ([master ID: 16 bytes big-endian, as a string][listpack])*
//! [length][last ID ms][seq]
//! _2+: [first ID ms][seq][max deleted ID ms][seq][entries added]
//! [groups len] per group:
//!   [name][last ID ms][seq]  _2+: [entries read]
//!   [PEL len] ([ID raw 16 BE][delivery time ms u64 LE][delivery count])*
//!   [consumers len] per consumer:
//!     [name][seen time ms]  _3: [active time ms]
//!     [PEL len] ([ID raw 16 BE])*
//! ```
//!
//! Each block's listpack is the one Redis keeps: a master entry
//! `[live][deleted][nfields][field]*[0]`, then per entry
//! `[flags][ms delta][seq delta]` followed by `[nfields]([field][value])*`,
//! or just the values when the names equal the master's (SAMEFIELDS),
//! and `[item count]` closing it.

use crate::listpack::{self, Writer as Lp};
use crate::reader::Reader;
use crate::writer::{put_len, put_ms, put_string};
use crate::{err, types as t, Error, Result, SaveOpts};
use moon_store::stream::{Group, Stream, StreamId, INVALID_ENTRIES_READ};
use std::collections::BTreeMap;

fn id_bytes(id: StreamId) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&id.ms.to_be_bytes());
    b[8..].copy_from_slice(&id.seq.to_be_bytes());
    b
}

fn id_from(b: &[u8]) -> StreamId {
    let mut ms = [0u8; 8];
    let mut seq = [0u8; 8];
    ms.copy_from_slice(&b[..8]);
    seq.copy_from_slice(&b[8..16]);
    StreamId::new(u64::from_be_bytes(ms), u64::from_be_bytes(seq))
}

fn put_id(out: &mut Vec<u8>, id: StreamId) {
    put_len(out, id.ms);
    put_len(out, id.seq);
}

/// STREAM_LISTPACKS_3: type byte and body.
pub fn encode(s: &Stream, o: SaveOpts, out: &mut Vec<u8>) {
    out.push(t::STREAM_LISTPACKS_3);
    put_len(out, s.radix_tree_keys() as u64);
    for b in s.blocks() {
        put_string(out, &id_bytes(b.master), o.compress);
        let mut lp = Lp::new();
        lp.push_int(b.live() as i64);
        lp.push_int(b.deleted() as i64);
        lp.push_int(b.master_nfields() as i64);
        for f in b.master_fields() {
            lp.push(f);
        }
        lp.push_int(0);
        for e in b.entries() {
            lp.push_int(e.flags as i64);
            lp.push_int(e.ms_delta);
            lp.push_int(e.seq_delta);
            let nf = e.fields.len() as i64;
            if e.same_fields {
                for (_, v) in e.fields {
                    lp.push(v);
                }
                lp.push_int(nf + 3);
            } else {
                lp.push_int(nf);
                for (f, v) in e.fields {
                    lp.push(f);
                    lp.push(v);
                }
                lp.push_int(2 * nf + 4);
            }
        }
        put_string(out, &lp.finish(), o.compress);
    }
    put_len(out, s.length);
    put_id(out, s.last_id);
    put_id(out, s.first_id);
    put_id(out, s.max_deleted_id);
    put_len(out, s.entries_added);
    put_len(out, s.groups.len() as u64);
    for (name, g) in &s.groups {
        put_string(out, name, o.compress);
        put_id(out, g.last_id);
        put_len(out, g.entries_read as u64);
        put_len(out, g.pel.len() as u64);
        for (id, n) in &g.pel {
            out.extend_from_slice(&id_bytes(*id));
            put_ms(out, n.delivery_time);
            put_len(out, n.delivery_count);
        }
        put_len(out, g.consumers.len() as u64);
        for c in g.consumers.values() {
            put_string(out, &c.name, o.compress);
            put_ms(out, c.seen_time);
            put_ms(out, c.active_time);
            put_len(out, c.pel.len() as u64);
            for id in &c.pel {
                out.extend_from_slice(&id_bytes(*id));
            }
        }
    }
}

fn read_id(r: &mut Reader<'_>) -> Result<StreamId> {
    Ok(StreamId::new(r.len()?, r.len()?))
}

fn lp_int(e: Option<&listpack::Elem<'_>>, what: &str) -> Result<i64> {
    e.and_then(|e| e.as_int()).ok_or_else(|| Error(format!("stream listpack: invalid {what}")))
}

/// Rebuild one block from Redis' listpack.
fn load_block(s: &mut Stream, master: StreamId, lp: &[u8]) -> Result<u32> {
    let mut el = Vec::new();
    listpack::parse(lp, |e| {
        el.push(e);
        Ok(())
    })?;
    if el.is_empty() {
        return err("Empty listpack inside stream");
    }
    let mut it = el.iter();
    lp_int(it.next(), "master entry count")?;
    lp_int(it.next(), "master deleted count")?;
    let mnf = lp_int(it.next(), "master field count")?;
    if mnf < 0 || mnf as usize > el.len() {
        return err("stream listpack: invalid master field count");
    }
    let master_fields: Vec<Vec<u8>> = (0..mnf)
        .map(|_| it.next().map(|e| e.to_vec()))
        .collect::<Option<_>>()
        .ok_or_else(|| Error("stream listpack: truncated master entry".into()))?;
    if lp_int(it.next(), "master terminator")? != 0 {
        return err("stream listpack: invalid master terminator");
    }
    let mut entries: Vec<(StreamId, bool, Vec<Vec<u8>>)> = Vec::new();
    while let Some(f) = it.next() {
        let flags = lp_int(Some(f), "entry flags")?;
        let ms = lp_int(it.next(), "entry ID")?;
        let seq = lp_int(it.next(), "entry ID")?;
        let id = StreamId::new(master.ms.wrapping_add(ms as u64), master.seq.wrapping_add(seq as u64));
        let mut items = Vec::new();
        if flags & 2 != 0 {
            for name in &master_fields {
                let v = it.next().ok_or_else(|| Error("stream listpack: truncated entry".into()))?;
                items.push(name.clone());
                items.push(v.to_vec());
            }
        } else {
            let nf = lp_int(it.next(), "entry field count")?;
            if nf < 0 || nf as usize > el.len() {
                return err("stream listpack: invalid entry field count");
            }
            for _ in 0..nf * 2 {
                items.push(it.next().ok_or_else(|| Error("stream listpack: truncated entry".into()))?.to_vec());
            }
        }
        lp_int(it.next(), "entry item count")?;
        entries.push((id, flags & 1 != 0, items));
    }
    let mref: Vec<&[u8]> = master_fields.iter().map(|f| &f[..]).collect();
    let eref: Vec<(StreamId, bool, Vec<&[u8]>)> = entries.iter().map(|(id, d, v)| (*id, *d, v.iter().map(|x| &x[..]).collect())).collect();
    s.load_block(master, &mref, &eref).map_err(|e| Error(format!("stream listpack: {e:?}")))
}

/// The body of a stream of type `ty` (any of the three stream types).
pub fn decode(r: &mut Reader<'_>, ty: u8) -> Result<Stream> {
    let mut s = Stream::new();
    let nblocks = r.count(2)?;
    let mut live = 0u64;
    for _ in 0..nblocks {
        let key = r.string()?;
        if key.len() != 16 {
            return err("Stream node key entry is not the size of a stream ID");
        }
        let lp = r.string()?;
        live += load_block(&mut s, id_from(&key), &lp)? as u64;
    }
    s.length = r.len()?;
    s.last_id = read_id(r)?;
    if s.length != live {
        return err(format!("stream length {} does not match its {live} entries", s.length));
    }
    if s.length > 0 && s.edge_id(false) > s.last_id {
        return err("stream entry after the stream's last ID");
    }
    if ty >= t::STREAM_LISTPACKS_2 {
        s.first_id = read_id(r)?;
        s.max_deleted_id = read_id(r)?;
        s.entries_added = r.len()?;
    } else {
        s.first_id = s.edge_id(true);
        s.entries_added = s.length;
    }
    let ngroups = r.count(3)?;
    for _ in 0..ngroups {
        let name = r.string()?;
        let last = read_id(r)?;
        let entries_read =
            if ty >= t::STREAM_LISTPACKS_2 { r.len()? as i64 } else { s.estimate_distance(last).unwrap_or(INVALID_ENTRIES_READ) };
        let mut g = Group::new(last, entries_read);
        let npel = r.count(17)?;
        let mut pel: BTreeMap<StreamId, (i64, u64)> = BTreeMap::new();
        for _ in 0..npel {
            let id = id_from(r.bytes(16)?);
            let time = r.i64_le()?;
            let count = r.len()?;
            if pel.insert(id, (time, count)).is_some() {
                return err("Duplicated global PEL entry loading stream consumer group");
            }
        }
        let nconsumers = r.count(17)?;
        let mut owned = 0usize;
        for _ in 0..nconsumers {
            let cname = r.string()?;
            let seen = r.i64_le()?;
            let active = if ty >= t::STREAM_LISTPACKS_3 { r.i64_le()? } else { seen };
            if !g.create_consumer(&cname, seen) {
                return err("Duplicate stream consumer detected");
            }
            if let Some(c) = g.consumer_mut(&cname) {
                c.active_time = active;
            }
            let n = r.count(16)?;
            for _ in 0..n {
                let id = id_from(r.bytes(16)?);
                let Some(&(time, count)) = pel.get(&id) else {
                    return err("Consumer entry not found in group global PEL");
                };
                if g.pel.contains_key(&id) {
                    return err("Duplicated consumer PEL entry loading a stream consumer group");
                }
                g.assign(id, &cname, time, count);
                owned += 1;
            }
        }
        if owned != pel.len() {
            return err("Stream CG PEL entry without consumer");
        }
        if s.groups.insert(name, g).is_some() {
            return err("Duplicated consumer group name");
        }
    }
    Ok(s)
}
