//! One key and its value in a single allocation, referenced by a thin
//! pointer, so the hash table holds 8 bytes per slot and a small string key
//! costs one allocation: header + [expire] + key + value.
//!
//! Layout (8-byte aligned):
//! ```text
//! [key_len u32][payload_len u32][meta u32][expire i64 if HAS_EXPIRE][key][payload]
//! ```
//! `meta` packs the 24-bit LRU/LFU field (as Redis' `robj.lru`) and flags.
//! The payload is the string bytes for an inline string, or a pointer to a
//! boxed [`Object`] for everything else (raw strings, collections).

use crate::object::Object;
use std::alloc::{alloc, dealloc, handle_alloc_error, realloc, Layout};
use std::ptr::{self, NonNull};

const HDR: usize = 12;
const LRU_MASK: u32 = (1 << 24) - 1;
const F_EXPIRE: u32 = 1 << 24;
const F_BOXED: u32 = 1 << 25;
/// Two bits of string encoding history (see [`StrEncoding`]).
const ENC_SHIFT: u32 = 26;
const ENC_MASK: u32 = 3 << ENC_SHIFT;
/// The value is a hash with field TTLs: the stripe (which counts these
/// entries) purges its expired fields on lookup and in the active expiry.
const F_FIELD_TTL: u32 = 1 << 28;
const PTR: usize = std::mem::size_of::<*mut Object>();

pub struct Entry {
    ptr: NonNull<u8>,
}

// SAFETY: an Entry exclusively owns its allocation (and the boxed Object),
// like a Box; Object is Send + Sync.
unsafe impl Send for Entry {}
unsafe impl Sync for Entry {}

/// How Redis would hold an inline string. Redis fixes this when it creates
/// the value object and changes it only on specific operations, so two
/// keys with equal bytes can differ; each entry records its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrEncoding {
    Int = 1,
    Embstr = 2,
    Raw = 3,
}

/// Whether Redis 8 embeds a value of this shape in the key's object
/// ("embstr"). The boundary follows its allocation size classes, so it is
/// irregular; this is the rule measured on Redis 8.2.3 over key lengths
/// 0-49 x value lengths 0-49: without an expire, key + value <= 41; with
/// one, key + value <= 33, or a key of 32+ bytes with key + value of 40-41.
pub fn fits_embstr(key_len: usize, val_len: usize, has_expire: bool) -> bool {
    let total = key_len + val_len;
    if has_expire {
        total <= 33 || (key_len >= 32 && (40..=41).contains(&total))
    } else {
        total <= 41
    }
}

/// The encoding Redis gives a string stored by SET and friends
/// (tryObjectEncoding): a canonical 64-bit integer of <= 20 bytes is
/// "int", else "embstr" if it fits, else "raw".
pub fn creation_encoding(key_len: usize, val: &[u8], has_expire: bool) -> StrEncoding {
    if val.len() <= 20 && is_canonical_i64(val) {
        StrEncoding::Int
    } else if fits_embstr(key_len, val.len(), has_expire) {
        StrEncoding::Embstr
    } else {
        StrEncoding::Raw
    }
}

/// Redis' string2l: a canonical integer within i64.
fn is_canonical_i64(s: &[u8]) -> bool {
    moon_resp::parse_i64(s).is_some()
}

/// A borrowed view of a value.
pub enum ValueRef<'a> {
    /// A string stored inline (Redis' "int"/"embstr" encodings).
    Inline(&'a [u8]),
    Obj(&'a Object),
}

fn layout(size: usize) -> Layout {
    Layout::from_size_align(size, 8).expect("entry size fits a Layout")
}

impl Entry {
    /// A string key/value, stored inline, with the encoding SET would give.
    pub fn new_str(key: &[u8], val: &[u8], expire: Option<i64>) -> Entry {
        let enc = creation_encoding(key.len(), val, expire.is_some());
        let e = Self::alloc_raw(key, val.len(), expire, (enc as u32) << ENC_SHIFT);
        // SAFETY: alloc_raw reserved payload_len == val.len() bytes.
        unsafe { ptr::copy_nonoverlapping(val.as_ptr(), e.payload_ptr(), val.len()) };
        e
    }

    /// A key holding a boxed object.
    pub fn new_obj(key: &[u8], obj: Object, expire: Option<i64>) -> Entry {
        let e = Self::alloc_raw(key, PTR, expire, F_BOXED);
        let b = Box::into_raw(Box::new(obj));
        // SAFETY: the payload has room for one pointer; unaligned write.
        unsafe { ptr::write_unaligned(e.payload_ptr() as *mut *mut Object, b) };
        e
    }

    fn alloc_raw(key: &[u8], payload_len: usize, expire: Option<i64>, flags: u32) -> Entry {
        let exp_len = if expire.is_some() { 8 } else { 0 };
        let size = HDR + exp_len + key.len() + payload_len;
        let lay = layout(size);
        // SAFETY: size >= HDR > 0.
        let p = unsafe { alloc(lay) };
        let Some(ptr) = NonNull::new(p) else { handle_alloc_error(lay) };
        let meta = flags | if expire.is_some() { F_EXPIRE } else { 0 };
        // SAFETY: the allocation is `size` bytes, 8-aligned; header fields
        // are at aligned offsets 0, 4, 8.
        unsafe {
            let h = p as *mut u32;
            h.write(key.len() as u32);
            h.add(1).write(payload_len as u32);
            h.add(2).write(meta);
            if let Some(t) = expire {
                ptr::write_unaligned(p.add(HDR) as *mut i64, t);
            }
            ptr::copy_nonoverlapping(key.as_ptr(), p.add(HDR + exp_len), key.len());
        }
        Entry { ptr }
    }

    #[inline]
    fn hdr(&self, i: usize) -> u32 {
        // SAFETY: the header is always initialized, aligned.
        unsafe { (self.ptr.as_ptr() as *const u32).add(i).read() }
    }

    #[inline]
    fn set_hdr(&mut self, i: usize, v: u32) {
        // SAFETY: as hdr(); &mut self gives exclusive access.
        unsafe { (self.ptr.as_ptr() as *mut u32).add(i).write(v) }
    }

    #[inline]
    fn key_len(&self) -> usize {
        self.hdr(0) as usize
    }
    #[inline]
    fn payload_len(&self) -> usize {
        self.hdr(1) as usize
    }
    #[inline]
    fn meta(&self) -> u32 {
        self.hdr(2)
    }
    #[inline]
    fn exp_len(&self) -> usize {
        if self.meta() & F_EXPIRE != 0 {
            8
        } else {
            0
        }
    }
    #[inline]
    fn size(&self) -> usize {
        HDR + self.exp_len() + self.key_len() + self.payload_len()
    }
    #[inline]
    fn payload_ptr(&self) -> *mut u8 {
        // SAFETY: within the allocation.
        unsafe { self.ptr.as_ptr().add(HDR + self.exp_len() + self.key_len()) }
    }

    #[inline]
    pub fn key(&self) -> &[u8] {
        // SAFETY: key bytes are initialized and live as long as &self.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().add(HDR + self.exp_len()), self.key_len()) }
    }

    #[inline]
    pub fn is_boxed(&self) -> bool {
        self.meta() & F_BOXED != 0
    }

    #[inline]
    pub fn value(&self) -> ValueRef<'_> {
        if self.is_boxed() {
            // SAFETY: boxed entries hold a valid Box<Object> pointer.
            ValueRef::Obj(unsafe { &*ptr::read_unaligned(self.payload_ptr() as *const *mut Object) })
        } else {
            // SAFETY: inline payload bytes are initialized.
            ValueRef::Inline(unsafe { std::slice::from_raw_parts(self.payload_ptr(), self.payload_len()) })
        }
    }

    /// The boxed object, if the value is not an inline string.
    pub fn obj_mut(&mut self) -> Option<&mut Object> {
        if self.is_boxed() {
            // SAFETY: as value(); &mut self is exclusive.
            Some(unsafe { &mut *ptr::read_unaligned(self.payload_ptr() as *const *mut Object) })
        } else {
            None
        }
    }

    /// Absolute expire time in unix ms, if any.
    #[inline]
    pub fn expire(&self) -> Option<i64> {
        if self.meta() & F_EXPIRE != 0 {
            // SAFETY: HAS_EXPIRE means 8 bytes at HDR hold the time.
            Some(unsafe { ptr::read_unaligned(self.ptr.as_ptr().add(HDR) as *const i64) })
        } else {
            None
        }
    }

    #[inline]
    pub fn lru(&self) -> u32 {
        self.meta() & LRU_MASK
    }

    #[inline]
    pub fn set_lru(&mut self, v: u32) {
        let m = self.meta();
        self.set_hdr(2, (m & !LRU_MASK) | (v & LRU_MASK));
    }

    /// Whether the entry is flagged as a hash with field TTLs.
    #[inline]
    pub fn has_field_ttl(&self) -> bool {
        self.meta() & F_FIELD_TTL != 0
    }

    /// Only the stripe sets this, keeping its count of flagged entries.
    #[inline]
    pub(crate) fn set_field_ttl(&mut self, on: bool) {
        let m = self.meta();
        self.set_hdr(2, if on { m | F_FIELD_TTL } else { m & !F_FIELD_TTL });
    }

    /// Bytes this entry occupies (allocation plus boxed object).
    pub fn mem_usage(&self) -> usize {
        let own = self.size();
        match self.value() {
            ValueRef::Inline(_) => own,
            ValueRef::Obj(o) => own + o.mem_usage(),
        }
    }

    /// The recorded encoding of an inline string.
    pub fn str_encoding(&self) -> StrEncoding {
        match (self.meta() & ENC_MASK) >> ENC_SHIFT {
            1 => StrEncoding::Int,
            2 => StrEncoding::Embstr,
            3 => StrEncoding::Raw,
            _ => match self.value() {
                ValueRef::Inline(v) => creation_encoding(self.key_len(), v, self.expire().is_some()),
                ValueRef::Obj(_) => StrEncoding::Raw,
            },
        }
    }

    pub fn set_str_encoding(&mut self, enc: StrEncoding) {
        let m = self.meta();
        self.set_hdr(2, (m & !ENC_MASK) | ((enc as u32) << ENC_SHIFT));
    }

    /// Replace the value with an inline string, keeping key, expire, LRU;
    /// the encoding is SET's for the new value.
    pub fn set_str(&mut self, val: &[u8]) {
        self.drop_boxed();
        self.resize_payload(val.len());
        let m = self.meta();
        self.set_hdr(2, m & !F_BOXED);
        let enc = creation_encoding(self.key_len(), val, self.expire().is_some());
        self.set_str_encoding(enc);
        // SAFETY: the payload now has val.len() bytes.
        unsafe { ptr::copy_nonoverlapping(val.as_ptr(), self.payload_ptr(), val.len()) };
    }

    /// Replace the value with a boxed object, keeping key, expire, LRU.
    pub fn set_obj(&mut self, obj: Object) {
        if let Some(o) = self.obj_mut() {
            *o = obj;
            return;
        }
        self.resize_payload(PTR);
        let m = self.meta();
        self.set_hdr(2, m | F_BOXED);
        let b = Box::into_raw(Box::new(obj));
        // SAFETY: the payload has room for a pointer.
        unsafe { ptr::write_unaligned(self.payload_ptr() as *mut *mut Object, b) };
    }

    /// Set or clear the expire time.
    pub fn set_expire(&mut self, t: Option<i64>) {
        match (self.expire().is_some(), t) {
            (true, Some(t)) => {
                // SAFETY: the expire slot exists.
                unsafe { ptr::write_unaligned(self.ptr.as_ptr().add(HDR) as *mut i64, t) }
            }
            (false, None) => {}
            (false, Some(t)) => {
                let old = self.size();
                self.grow_to(old + 8);
                // SAFETY: the allocation is now old+8 bytes; shift key+payload
                // right by 8 to open the expire slot.
                unsafe {
                    let p = self.ptr.as_ptr();
                    ptr::copy(p.add(HDR), p.add(HDR + 8), old - HDR);
                    ptr::write_unaligned(p.add(HDR) as *mut i64, t);
                }
                let m = self.meta();
                self.set_hdr(2, m | F_EXPIRE);
                // Redis re-creates the object with room for the expire; an
                // embedded string that no longer fits becomes raw.
                if !self.is_boxed() && self.str_encoding() == StrEncoding::Embstr && !fits_embstr(self.key_len(), self.payload_len(), true)
                {
                    self.set_str_encoding(StrEncoding::Raw);
                }
            }
            (true, None) => {
                let old = self.size();
                // SAFETY: shift key+payload left over the expire slot, then shrink.
                unsafe {
                    let p = self.ptr.as_ptr();
                    ptr::copy(p.add(HDR + 8), p.add(HDR), old - HDR - 8);
                }
                // Shrink while the header still describes the old size.
                self.grow_to(old - 8);
                let m = self.meta();
                self.set_hdr(2, m & !F_EXPIRE);
            }
        }
    }

    fn drop_boxed(&mut self) {
        if self.is_boxed() {
            // SAFETY: the pointer came from Box::into_raw; clear the flag so
            // it is never freed twice.
            unsafe { drop(Box::from_raw(ptr::read_unaligned(self.payload_ptr() as *const *mut Object))) };
            let m = self.meta();
            self.set_hdr(2, m & !F_BOXED);
        }
    }

    fn resize_payload(&mut self, new_len: usize) {
        let new_size = self.size() - self.payload_len() + new_len;
        self.grow_to(new_size);
        self.set_hdr(1, new_len as u32);
    }

    /// Reallocate to `new_size` bytes (the header still describes the old size).
    fn grow_to(&mut self, new_size: usize) {
        let old = layout(self.size());
        if old.size() == new_size {
            return;
        }
        // SAFETY: ptr was allocated with `old`; new_size > 0.
        let p = unsafe { realloc(self.ptr.as_ptr(), old, new_size) };
        match NonNull::new(p) {
            Some(p) => self.ptr = p,
            None => handle_alloc_error(layout(new_size)),
        }
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.drop_boxed();
        // SAFETY: allocated with this layout.
        unsafe { dealloc(self.ptr.as_ptr(), layout(self.size())) }
    }
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Entry({:?})", String::from_utf8_lossy(self.key()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inline(e: &Entry) -> Vec<u8> {
        match e.value() {
            ValueRef::Inline(b) => b.to_vec(),
            ValueRef::Obj(_) => panic!("boxed"),
        }
    }

    #[test]
    fn inline_roundtrip_and_expire_changes() {
        let mut e = Entry::new_str(b"key", b"value", None);
        assert_eq!(e.key(), b"key");
        assert_eq!(inline(&e), b"value");
        assert_eq!(e.expire(), None);
        e.set_expire(Some(12345));
        assert_eq!((e.key(), e.expire()), (&b"key"[..], Some(12345)));
        assert_eq!(inline(&e), b"value");
        e.set_lru(77);
        e.set_str(b"a much longer value than before");
        assert_eq!(inline(&e), b"a much longer value than before");
        assert_eq!((e.lru(), e.expire()), (77, Some(12345)));
        e.set_expire(None);
        assert_eq!(e.expire(), None);
        assert_eq!(e.key(), b"key");
        assert_eq!(inline(&e), b"a much longer value than before");
        assert_eq!(e.lru(), 77);
    }

    #[test]
    fn boxed_values() {
        let mut e = Entry::new_obj(b"k", Object::Str(b"raw".to_vec()), Some(5));
        assert!(matches!(e.value(), ValueRef::Obj(Object::Str(s)) if s == b"raw"));
        e.set_obj(Object::Str(b"other".to_vec()));
        e.set_str(b"inline");
        assert_eq!(inline(&e), b"inline");
        e.set_obj(Object::Str(vec![1; 1000]));
        e.set_expire(None);
        assert!(matches!(e.value(), ValueRef::Obj(Object::Str(s)) if s.len() == 1000));
        assert_eq!(e.key(), b"k");
    }

    #[test]
    fn creation_encodings_match_redis_8() {
        use StrEncoding::*;
        assert_eq!(creation_encoding(1, b"123", false), Int);
        assert_eq!(creation_encoding(100, b"-9223372036854775808", true), Int);
        assert_eq!(creation_encoding(1, b"9223372036854775807", false), Int);
        assert_eq!(creation_encoding(1, b"9223372036854775808", false), Embstr);
        assert_eq!(creation_encoding(1, b"-9223372036854775809", false), Embstr);
        assert_eq!(creation_encoding(1, b"0", false), Int);
        assert_eq!(creation_encoding(1, b"12345678901234567890", false), Embstr);
        assert_eq!(creation_encoding(1, b"01", false), Embstr);
        assert_eq!(creation_encoding(1, b"-0", false), Embstr);
        assert_eq!(creation_encoding(1, &[b'a'; 40], false), Embstr);
        assert_eq!(creation_encoding(1, &[b'a'; 41], false), Raw);
        assert_eq!(creation_encoding(1, &[b'a'; 32], true), Embstr);
        assert_eq!(creation_encoding(1, &[b'a'; 33], true), Raw);
        assert_eq!(creation_encoding(40, b"", true), Embstr);
        assert_eq!(creation_encoding(32, &[b'a'; 8], true), Embstr);
        assert_eq!(creation_encoding(32, &[b'a'; 3], true), Raw);
        let mut e = Entry::new_str(b"k", &[b'a'; 35], None);
        assert_eq!(e.str_encoding(), Embstr);
        e.set_expire(Some(1));
        assert_eq!(e.str_encoding(), Raw, "an expire that no longer fits makes it raw");
        e.set_expire(None);
        assert_eq!(e.str_encoding(), Raw, "and it stays raw");
    }

    #[test]
    fn empty_key_and_value() {
        let e = Entry::new_str(b"", b"", Some(-1));
        assert_eq!((e.key(), inline(&e), e.expire()), (&b""[..], vec![], Some(-1)));
    }
}
