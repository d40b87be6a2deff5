//! One key and its value in a single allocation, referenced by a thin
//! pointer, so the hash table holds 8 bytes per slot and a key costs one
//! allocation (plus whatever its value owns, e.g. a compact hash's buffer).
//!
//! Two layouts (8-byte aligned), told apart by the `F_BOXED` flag:
//! ```text
//! inline string: [key_len u32][meta u32][payload_len u32][expire i64 if F_EXPIRE][key][string bytes]
//! object:        [key_len u32][meta u32][Object][expire i64 if F_EXPIRE][key]
//! ```
//! `meta` packs the 24-bit LRU/LFU field (as Redis' `robj.lru`) and flags.
//! An object entry holds the [`Object`] itself at offset 8 (aligned), not a
//! pointer to a boxed one: that saves an allocation per collection key and
//! the 4-byte payload length (the size is fixed), 16 bytes of allocator size
//! class for a 20-field hash. The entry is reallocated (and the Object moved
//! bitwise, which Rust values allow) only through `&mut self`, so no
//! reference into it can be live then.

use crate::object::Object;
use std::alloc::{alloc, dealloc, handle_alloc_error, realloc, Layout};
use std::ptr::{self, NonNull};

/// Header of an inline string: key_len, meta, payload_len.
const STR_HDR: usize = 12;
/// Offset of the Object in an object entry (after key_len and meta).
const OBJ_AT: usize = 8;
/// Header of an object entry: key_len, meta, the Object.
const OBJ_HDR: usize = OBJ_AT + std::mem::size_of::<Object>();
const LRU_MASK: u32 = (1 << 24) - 1;
const F_EXPIRE: u32 = 1 << 24;
/// The entry holds an Object (the object layout), not an inline string.
const F_BOXED: u32 = 1 << 25;
/// Two bits of string encoding history (see [`StrEncoding`]).
const ENC_SHIFT: u32 = 26;
const ENC_MASK: u32 = 3 << ENC_SHIFT;
/// The value is a hash with field TTLs: the stripe (which counts these
/// entries) purges its expired fields on lookup and in the active expiry.
const F_FIELD_TTL: u32 = 1 << 28;

// The Object sits at offset 8 of an 8-aligned allocation and the expire
// after it stays 8-aligned.
const _: () = assert!(std::mem::align_of::<Object>() <= 8 && std::mem::size_of::<Object>() % 8 == 0);

pub struct Entry {
    ptr: NonNull<u8>,
}

// SAFETY: an Entry exclusively owns its allocation (and the Object in it),
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

    /// A key holding an object.
    pub fn new_obj(key: &[u8], obj: Object, expire: Option<i64>) -> Entry {
        let e = Self::alloc_raw(key, 0, expire, F_BOXED);
        // SAFETY: an object entry has room for an Object at OBJ_AT,
        // aligned; it is uninitialized, so write without dropping.
        unsafe { ptr::write(e.obj_ptr(), obj) };
        e
    }

    /// Allocate an entry and write its header, expire and key. For a
    /// string (`flags` without F_BOXED) `payload_len` bytes follow the key,
    /// uninitialized; for an object the Object slot is uninitialized and
    /// the caller must write it.
    fn alloc_raw(key: &[u8], payload_len: usize, expire: Option<i64>, flags: u32) -> Entry {
        let boxed = flags & F_BOXED != 0;
        let fixed = if boxed { OBJ_HDR } else { STR_HDR };
        let exp_len = if expire.is_some() { 8 } else { 0 };
        let size = fixed + exp_len + key.len() + if boxed { 0 } else { payload_len };
        let lay = layout(size);
        // SAFETY: size >= STR_HDR > 0.
        let p = unsafe { alloc(lay) };
        let Some(ptr) = NonNull::new(p) else { handle_alloc_error(lay) };
        let meta = flags | if expire.is_some() { F_EXPIRE } else { 0 };
        // SAFETY: the allocation is `size` bytes, 8-aligned; header fields
        // are at aligned offsets 0, 4 (and 8 for a string).
        unsafe {
            let h = p as *mut u32;
            h.write(key.len() as u32);
            h.add(1).write(meta);
            if !boxed {
                h.add(2).write(payload_len as u32);
            }
            if let Some(t) = expire {
                ptr::write_unaligned(p.add(fixed) as *mut i64, t);
            }
            ptr::copy_nonoverlapping(key.as_ptr(), p.add(fixed + exp_len), key.len());
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
    fn meta(&self) -> u32 {
        self.hdr(1)
    }
    #[inline]
    fn set_meta(&mut self, m: u32) {
        self.set_hdr(1, m)
    }
    /// Bytes of the inline string (0 for an object entry).
    #[inline]
    fn payload_len(&self) -> usize {
        if self.is_boxed() {
            0
        } else {
            self.hdr(2) as usize
        }
    }
    /// Where the expire (or, without one, the key) starts.
    #[inline]
    fn fixed(&self) -> usize {
        if self.is_boxed() {
            OBJ_HDR
        } else {
            STR_HDR
        }
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
        self.fixed() + self.exp_len() + self.key_len() + self.payload_len()
    }
    /// The inline string's bytes (string entries only).
    #[inline]
    fn payload_ptr(&self) -> *mut u8 {
        // SAFETY: within the allocation.
        unsafe { self.ptr.as_ptr().add(STR_HDR + self.exp_len() + self.key_len()) }
    }
    /// The Object's slot (object entries only).
    #[inline]
    fn obj_ptr(&self) -> *mut Object {
        // SAFETY: within the allocation; OBJ_AT is 8-aligned.
        unsafe { self.ptr.as_ptr().add(OBJ_AT) as *mut Object }
    }

    #[inline]
    pub fn key(&self) -> &[u8] {
        // SAFETY: key bytes are initialized and live as long as &self.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().add(self.fixed() + self.exp_len()), self.key_len()) }
    }

    /// Whether the value is an [`Object`] rather than an inline string.
    #[inline]
    pub fn is_boxed(&self) -> bool {
        self.meta() & F_BOXED != 0
    }

    #[inline]
    pub fn value(&self) -> ValueRef<'_> {
        if self.is_boxed() {
            // SAFETY: object entries hold an initialized Object at OBJ_AT.
            ValueRef::Obj(unsafe { &*self.obj_ptr() })
        } else {
            // SAFETY: inline payload bytes are initialized.
            ValueRef::Inline(unsafe { std::slice::from_raw_parts(self.payload_ptr(), self.payload_len()) })
        }
    }

    /// The object, if the value is not an inline string.
    pub fn obj_mut(&mut self) -> Option<&mut Object> {
        if self.is_boxed() {
            // SAFETY: as value(); &mut self is exclusive, and the entry
            // cannot be reallocated while the borrow lives.
            Some(unsafe { &mut *self.obj_ptr() })
        } else {
            None
        }
    }

    /// Absolute expire time in unix ms, if any.
    #[inline]
    pub fn expire(&self) -> Option<i64> {
        if self.meta() & F_EXPIRE != 0 {
            // SAFETY: F_EXPIRE means 8 bytes at fixed() hold the time.
            Some(unsafe { ptr::read_unaligned(self.ptr.as_ptr().add(self.fixed()) as *const i64) })
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
        self.set_meta((m & !LRU_MASK) | (v & LRU_MASK));
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
        self.set_meta(if on { m | F_FIELD_TTL } else { m & !F_FIELD_TTL });
    }

    /// Bytes this entry occupies (its allocation plus what the object owns).
    pub fn mem_usage(&self) -> usize {
        let own = self.size();
        match self.value() {
            ValueRef::Inline(_) => own,
            ValueRef::Obj(o) => own + o.heap_bytes(),
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
        self.set_meta((m & !ENC_MASK) | ((enc as u32) << ENC_SHIFT));
    }

    /// Replace the value with an inline string, keeping key, expire, LRU;
    /// the encoding is SET's for the new value.
    pub fn set_str(&mut self, val: &[u8]) {
        if self.is_boxed() {
            // Another layout: build it, then drop the old entry (and its
            // object) in its place.
            let flags = self.meta() & !(F_BOXED | F_EXPIRE);
            let mut n = Self::alloc_raw(self.key(), val.len(), self.expire(), flags);
            std::mem::swap(self, &mut n);
        } else {
            self.resize_payload(val.len());
        }
        let enc = creation_encoding(self.key_len(), val, self.expire().is_some());
        self.set_str_encoding(enc);
        // SAFETY: the payload now has val.len() bytes.
        unsafe { ptr::copy_nonoverlapping(val.as_ptr(), self.payload_ptr(), val.len()) };
    }

    /// Replace the value with an object, keeping key, expire, LRU.
    pub fn set_obj(&mut self, obj: Object) {
        if let Some(o) = self.obj_mut() {
            *o = obj;
            return;
        }
        let flags = (self.meta() & !F_EXPIRE) | F_BOXED;
        let mut n = Self::alloc_raw(self.key(), 0, self.expire(), flags);
        // SAFETY: n is an object entry with an uninitialized Object slot.
        unsafe { ptr::write(n.obj_ptr(), obj) };
        std::mem::swap(self, &mut n);
    }

    /// Set or clear the expire time.
    pub fn set_expire(&mut self, t: Option<i64>) {
        let fixed = self.fixed();
        match (self.expire().is_some(), t) {
            (true, Some(t)) => {
                // SAFETY: the expire slot exists.
                unsafe { ptr::write_unaligned(self.ptr.as_ptr().add(fixed) as *mut i64, t) }
            }
            (false, None) => {}
            (false, Some(t)) => {
                let old = self.size();
                self.grow_to(old + 8);
                // SAFETY: the allocation is now old+8 bytes; shift key+payload
                // right by 8 to open the expire slot.
                unsafe {
                    let p = self.ptr.as_ptr();
                    ptr::copy(p.add(fixed), p.add(fixed + 8), old - fixed);
                    ptr::write_unaligned(p.add(fixed) as *mut i64, t);
                }
                let m = self.meta();
                self.set_meta(m | F_EXPIRE);
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
                    ptr::copy(p.add(fixed + 8), p.add(fixed), old - fixed - 8);
                }
                // Shrink while the header still describes the old size.
                self.grow_to(old - 8);
                let m = self.meta();
                self.set_meta(m & !F_EXPIRE);
            }
        }
    }

    /// Resize an inline string's payload (contents unspecified after).
    fn resize_payload(&mut self, new_len: usize) {
        debug_assert!(!self.is_boxed());
        let new_size = self.size() - self.payload_len() + new_len;
        self.grow_to(new_size);
        self.set_hdr(2, new_len as u32);
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
        if self.is_boxed() {
            // SAFETY: an object entry's Object is initialized and dropped
            // only here.
            unsafe { ptr::drop_in_place(self.obj_ptr()) };
        }
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

    /// A compact hash of `fields` fields.
    fn counted_hash(fields: usize) -> Object {
        let mut h = crate::hash::Hash::new();
        let lim = crate::hash::Limits { max_entries: 128, max_value: 64 };
        for i in 0..fields {
            h.set(format!("f{i}").as_bytes(), b"v", false, lim);
        }
        Object::Hash(h)
    }

    fn hash_len(e: &Entry) -> usize {
        match e.value() {
            ValueRef::Obj(Object::Hash(h)) => h.len(),
            _ => panic!("not a hash"),
        }
    }

    #[test]
    fn object_layout_is_one_allocation() {
        let e = Entry::new_obj(b"hash:00000001", counted_hash(0), None);
        assert_eq!(e.size(), OBJ_HDR + 13);
        assert_eq!(e.size(), 8 + std::mem::size_of::<Object>() + 13);
        assert_eq!(e.obj_ptr() as usize % std::mem::align_of::<Object>(), 0);
        assert_eq!(e.mem_usage(), e.size(), "an empty compact hash owns no heap bytes");
        let s = Entry::new_str(b"k", b"val", Some(1));
        assert_eq!(s.size(), STR_HDR + 8 + 1 + 3);
    }

    #[test]
    fn object_entries_survive_expire_changes_and_mutation() {
        let mut e = Entry::new_obj(b"some-key", counted_hash(3), None);
        e.set_lru(99);
        e.set_expire(Some(1_700_000_000_000));
        assert_eq!((e.key(), e.expire(), e.lru(), hash_len(&e)), (&b"some-key"[..], Some(1_700_000_000_000), 99, 3));
        // Grow the object through the entry: the compact hash reallocates
        // its own buffer, then converts to a hashtable past the limit.
        let lim = crate::hash::Limits { max_entries: 4, max_value: 64 };
        let Some(Object::Hash(h)) = e.obj_mut() else { panic!("hash") };
        for i in 3..10 {
            h.set(format!("f{i}").as_bytes(), b"value", false, lim);
        }
        assert_eq!(h.encoding_name(), "hashtable");
        assert_eq!((hash_len(&e), e.key(), e.expire()), (10, &b"some-key"[..], Some(1_700_000_000_000)));
        e.set_expire(Some(5));
        assert_eq!(e.expire(), Some(5));
        e.set_expire(None);
        assert_eq!((e.key(), e.expire(), e.lru(), hash_len(&e)), (&b"some-key"[..], None, 99, 10));
        assert!(e.mem_usage() > e.size());
    }

    #[test]
    fn conversions_between_layouts_keep_key_expire_and_flags() {
        let mut e = Entry::new_str(b"key", b"12345", Some(77));
        e.set_lru(5);
        e.set_field_ttl(true);
        e.set_obj(counted_hash(2));
        assert!(e.is_boxed());
        assert_eq!((e.key(), e.expire(), e.lru(), e.has_field_ttl(), hash_len(&e)), (&b"key"[..], Some(77), 5, true, 2));
        e.set_obj(counted_hash(4));
        assert_eq!(hash_len(&e), 4, "replaced in place, the old object dropped");
        e.set_str(b"back to a string");
        assert!(!e.is_boxed());
        assert_eq!((e.key(), e.expire(), e.lru(), inline(&e)), (&b"key"[..], Some(77), 5, b"back to a string".to_vec()));
        assert_eq!(e.size(), STR_HDR + 8 + 3 + 16);
        e.set_field_ttl(false);
        e.set_expire(None);
        e.set_obj(counted_hash(1));
        assert_eq!((e.key(), e.expire(), hash_len(&e)), (&b"key"[..], None, 1));
    }

    /// Every transition frees what it replaces exactly once (the system
    /// allocator aborts on a double free; miri, where installed, also
    /// reports leaks).
    #[test]
    fn transitions_free_each_value_once() {
        let mut e = Entry::new_obj(b"k", Object::Str(vec![1; 100]), None);
        e.set_expire(Some(1));
        e.set_str(b"x");
        e.set_obj(Object::Str(vec![2; 10]));
        e.set_obj(counted_hash(3));
        e.set_expire(None);
        assert_eq!(hash_len(&e), 3);
        drop(e);
        let entries: Vec<Entry> =
            (0..100).map(|i| Entry::new_obj(format!("k{i}").as_bytes(), counted_hash(i % 7), Some(i as i64))).collect();
        assert!(entries.iter().enumerate().all(|(i, e)| hash_len(e) == i % 7 && e.expire() == Some(i as i64)));
    }

    #[test]
    fn empty_key_and_value() {
        let e = Entry::new_str(b"", b"", Some(-1));
        assert_eq!((e.key(), inline(&e), e.expire()), (&b""[..], vec![], Some(-1)));
    }
}
