//! A whole RDB file: "REDIS" + 4-digit version, aux fields, per database
//! SELECTDB + RESIZEDB and its keys (each optionally preceded by
//! EXPIRETIME_MS and IDLE or FREQ), EOF and the CRC64 of everything before
//! it (0 when rdbchecksum is off).
//!
//! Loading parses the whole file before anything is handed to the caller,
//! so a corrupt file changes nothing.

use crate::decode::{self, Limits, Value};
use crate::reader::Reader;
use crate::writer::{put_len, put_ms, put_string};
use crate::{encode, err, types as t, Error, Result, SaveOpts, CRC64, RDB_VERSION};
use moon_store::{clock, Entry, Keyspace};
use std::io::{self, Write};

/// How the LRU/LFU field of each key is saved and restored, after the
/// eviction policy: Redis writes IDLE records under an LRU policy and FREQ
/// records under an LFU policy, and applies them on load only then.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AccessInfo {
    #[default]
    None,
    Lru,
    Lfu,
}

#[derive(Clone)]
pub struct FileOpts {
    pub value: SaveOpts,
    /// rdbchecksum.
    pub checksum: bool,
    pub access: AccessInfo,
    /// Reported in the redis-ver aux field.
    pub redis_ver: String,
    pub used_mem: u64,
    pub now_ms: i64,
    /// Function library codes, saved as FUNCTION2 records before the
    /// databases (as Redis does).
    pub functions: Vec<Vec<u8>>,
}

/// What a save wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct SaveStats {
    pub keys: u64,
    pub bytes: u64,
}

/// Streams the file to `w`, computing the checksum on the way.
struct Sink<'w, W: Write> {
    w: &'w mut W,
    buf: Vec<u8>,
    crc: crc::Digest<'static, u64>,
    bytes: u64,
}

impl<W: Write> Sink<'_, W> {
    fn flush_if(&mut self, min: usize) -> io::Result<()> {
        if self.buf.len() >= min {
            self.crc.update(&self.buf);
            self.w.write_all(&self.buf)?;
            self.bytes += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }
}

fn aux(out: &mut Vec<u8>, k: &str, v: &[u8]) {
    out.push(t::OP_AUX);
    put_string(out, k.as_bytes(), false);
    put_string(out, v, false);
}

/// The magic, version and aux fields that open a file.
pub(crate) fn header(out: &mut Vec<u8>, o: &FileOpts) {
    out.extend_from_slice(format!("REDIS{RDB_VERSION:04}").as_bytes());
    aux(out, "redis-ver", o.redis_ver.as_bytes());
    aux(out, "redis-bits", b"64");
    aux(out, "ctime", (o.now_ms / 1000).to_string().as_bytes());
    aux(out, "used-mem", o.used_mem.to_string().as_bytes());
    aux(out, "aof-base", b"0");
    for code in &o.functions {
        crate::functions::put_library(out, code);
    }
}

/// SELECTDB and RESIZEDB before a database's keys.
pub(crate) fn db_header(out: &mut Vec<u8>, db: usize, keys: usize, volatile: usize) {
    out.push(t::OP_SELECTDB);
    put_len(out, db as u64);
    out.push(t::OP_RESIZEDB);
    put_len(out, keys as u64);
    put_len(out, volatile as u64);
}

/// Write every database of `ks` as an RDB file. The caller holds the
/// world lock so the snapshot is consistent. A value that cannot be
/// serialized (a stream, for now) fails the save.
pub fn save<W: Write>(ks: &Keyspace, w: &mut W, o: &FileOpts) -> io::Result<SaveStats> {
    let mut s = Sink { w, buf: Vec::with_capacity(1 << 16), crc: CRC64.digest(), bytes: 0 };
    header(&mut s.buf, o);
    let mut keys = 0u64;
    let mut failure: Option<Error> = None;
    for (i, db) in ks.dbs.iter().enumerate() {
        if !db.allocated() {
            continue;
        }
        let (n, vol) = db.sizes();
        if n == 0 {
            continue;
        }
        db_header(&mut s.buf, i, n, vol);
        let mut io_err: Option<io::Error> = None;
        db.for_each_stripe(|_, st| {
            if failure.is_some() || io_err.is_some() {
                return;
            }
            for e in st.iter() {
                if let Err(x) = key_value(&mut s.buf, e, o) {
                    failure = Some(x);
                    return;
                }
                keys += 1;
                if let Err(x) = s.flush_if(1 << 16) {
                    io_err = Some(x);
                    return;
                }
            }
        });
        if let Some(x) = io_err {
            return Err(x);
        }
        if let Some(f) = failure.take() {
            return Err(io::Error::other(f.0));
        }
    }
    s.buf.push(t::OP_EOF);
    s.flush_if(0)?;
    let crc = if o.checksum { s.crc.clone().finalize() } else { 0 };
    s.w.write_all(&crc.to_le_bytes())?;
    s.bytes += 8;
    Ok(SaveStats { keys, bytes: s.bytes })
}

/// One key: [EXPIRETIME_MS t][IDLE n | FREQ c][type][key][value].
pub fn key_value(out: &mut Vec<u8>, e: &Entry, o: &FileOpts) -> Result<()> {
    if let Some(t) = e.expire() {
        out.push(t::OP_EXPIRETIME_MS);
        put_ms(out, t);
    }
    match o.access {
        AccessInfo::Lru => {
            out.push(t::OP_IDLE);
            put_len(out, clock::idle_ms(e.lru(), o.now_ms) / 1000);
        }
        AccessInfo::Lfu => {
            out.push(t::OP_FREQ);
            out.push(clock::lfu_decay(e.lru(), o.now_ms));
        }
        AccessInfo::None => {}
    }
    let mark = out.len();
    // The type byte comes first, then the key, then the body: encode the
    // value after a placeholder and move the type byte into place.
    out.push(0);
    put_string(out, e.key(), o.value.compress);
    let body_at = out.len();
    if let Err(x) = encode::value(e.value(), o.value, out) {
        out.truncate(mark);
        return Err(x);
    }
    out[mark] = out[body_at];
    out.remove(body_at);
    Ok(())
}

pub struct LoadOpts {
    pub limits: Limits,
    pub now_ms: i64,
    pub access: AccessInfo,
    /// Databases available; a file naming a higher one is refused.
    pub databases: usize,
}

/// A parsed file: every live key with its database, ready to insert.
#[derive(Default)]
pub struct Loaded {
    pub entries: Vec<(usize, Entry)>,
    pub version: u16,
    /// Keys skipped because their expire time had passed.
    pub expired: u64,
    /// Keys skipped because their value was empty.
    pub empty: u64,
    /// Non-fatal notes (records skipped).
    pub warnings: Vec<String>,
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    /// Function library codes (FUNCTION2 records).
    pub functions: Vec<Vec<u8>>,
}

/// Set the LRU/LFU field of a loaded entry from its IDLE/FREQ record
/// (Redis' objectSetLRUOrLFU): under an LFU policy the frequency counts,
/// under any other the idle time; 0 leaves it for the keyspace to stamp.
pub fn apply_access(e: &mut Entry, access: AccessInfo, idle_secs: Option<u64>, freq: Option<u8>, now_ms: i64) {
    match (access, idle_secs, freq) {
        (AccessInfo::Lfu, _, Some(f)) => e.set_lru(clock::lfu_field(now_ms, f)),
        (AccessInfo::Lfu, _, None) => {}
        (_, Some(idle), _) => {
            let period = clock::LRU_CLOCK_MAX + 1;
            let now = clock::lru_clock(now_ms) as u64;
            let v = ((now + period - idle % period) % period) as u32;
            e.set_lru(v.max(1));
        }
        _ => {}
    }
}

/// Build the keyspace entry for a loaded value.
pub fn make_entry(key: &[u8], v: Value, expire: Option<i64>) -> Entry {
    match v {
        Value::Str(s) => Entry::new_str(key, &s, expire),
        Value::Obj(o) => Entry::new_obj(key, o, expire),
    }
}

/// Parse a whole RDB file.
pub fn parse(data: &[u8], o: &LoadOpts) -> Result<Loaded> {
    let mut r = Reader::new(data);
    let magic = r.bytes(9).map_err(|_| Error("file too short for an RDB header".into()))?;
    if &magic[..5] != b"REDIS" {
        return err("wrong signature trying to load DB from file");
    }
    let ver: u16 = std::str::from_utf8(&magic[5..])
        .ok()
        .filter(|s| s.bytes().all(|c| c.is_ascii_digit()))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error("invalid RDB version".into()))?;
    if ver < 1 || ver > RDB_VERSION {
        return err(format!("can't handle RDB format version {ver}"));
    }
    let mut out = Loaded { version: ver, ..Default::default() };
    let mut db = 0usize;
    let mut expire: Option<i64> = None;
    let (mut idle, mut freq) = (None, None);
    loop {
        let ty = r.u8()?;
        match ty {
            t::OP_EXPIRETIME => expire = Some(r.u32_le()? as i32 as i64 * 1000),
            t::OP_EXPIRETIME_MS => expire = Some(r.i64_le()?),
            t::OP_IDLE => idle = Some(r.len()?),
            t::OP_FREQ => freq = Some(r.u8()?),
            t::OP_SELECTDB => {
                let n = r.len()?;
                if n >= o.databases as u64 {
                    return err(format!("the file uses database {n}, but only {} are configured", o.databases));
                }
                db = n as usize;
            }
            t::OP_RESIZEDB => {
                r.len()?;
                r.len()?;
            }
            t::OP_SLOT_INFO => {
                r.len()?;
                r.len()?;
                r.len()?;
            }
            t::OP_AUX => {
                let k = r.string()?;
                let v = r.string()?;
                out.aux.push((k, v));
            }
            t::OP_MODULE_AUX => {
                let id = r.len()?;
                skip_module_value(&mut r)?;
                out.warnings.push(format!("skipped auxiliary data of module id {id:#x}"));
            }
            t::OP_FUNCTION2 => out.functions.push(r.string()?),
            t::OP_FUNCTION_PRE_GA => return err("function records of Redis 7.0 release candidates are not supported"),
            t::OP_EOF => break,
            ty if t::is_object_type(ty) => {
                let key = r.string()?;
                let v = decode::value(&mut r, ty, &o.limits, o.now_ms)
                    .map_err(|e| Error(format!("key {:?}: {}", String::from_utf8_lossy(&key), e.0)))?;
                let (exp, id, fr) = (expire.take(), idle.take(), freq.take());
                let Some(v) = v else {
                    out.empty += 1;
                    continue;
                };
                if exp.is_some_and(|t| t < o.now_ms) {
                    out.expired += 1;
                    continue;
                }
                let mut e = make_entry(&key, v, exp);
                apply_access(&mut e, o.access, id, fr, o.now_ms);
                out.entries.push((db, e));
            }
            _ => return err(format!("unknown RDB record type {ty} at offset {}", r.pos() - 1)),
        }
    }
    if ver >= 5 {
        let at = r.pos();
        let stored = r.u64_le().map_err(|_| Error("missing checksum".into()))?;
        if stored != 0 {
            let actual = crate::crc64(&data[..at]);
            if actual != stored {
                return err(format!("wrong RDB checksum expected {stored:016x} got {actual:016x}"));
            }
        }
    }
    if !r.is_empty() {
        out.warnings.push(format!("{} bytes after the end of the RDB ignored", r.remaining()));
    }
    Ok(out)
}

/// Skip a module-serialized value: [when opcode len][when len] then
/// (opcode, value) pairs up to the EOF opcode.
fn skip_module_value(r: &mut Reader<'_>) -> Result<()> {
    r.len()?;
    r.len()?;
    loop {
        match r.len()? {
            0 => return Ok(()),
            1 | 2 => {
                r.len()?;
            }
            3 => {
                r.bytes(4)?;
            }
            4 => {
                r.bytes(8)?;
            }
            5 => r.skip_string()?,
            op => return err(format!("unknown module value opcode {op}")),
        }
    }
}
