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
const PTR: usize = std::mem::size_of::<*mut Object>();

pub struct Entry {
    ptr: NonNull<u8>,
}

// SAFETY: an Entry exclusively owns its allocation (and the boxed Object),
// like a Box; Object is Send + Sync.
unsafe impl Send for Entry {}
unsafe impl Sync for Entry {}

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
    /// A string key/value, stored inline.
    pub fn new_str(key: &[u8], val: &[u8], expire: Option<i64>) -> Entry {
        let e = Self::alloc_raw(key, val.len(), expire, 0);
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

    /// Bytes this entry occupies (allocation plus boxed object).
    pub fn mem_usage(&self) -> usize {
        let own = self.size();
        match self.value() {
            ValueRef::Inline(_) => own,
            ValueRef::Obj(o) => own + o.mem_usage(),
        }
    }

    /// Replace the value with an inline string, keeping key, expire, LRU.
    pub fn set_str(&mut self, val: &[u8]) {
        self.drop_boxed();
        self.resize_payload(val.len());
        let m = self.meta();
        self.set_hdr(2, m & !F_BOXED);
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
    fn empty_key_and_value() {
        let e = Entry::new_str(b"", b"", Some(-1));
        assert_eq!((e.key(), inline(&e), e.expire()), (&b""[..], vec![], Some(-1)));
    }
}
