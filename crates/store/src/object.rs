//! Values other than inline strings. An entry holds the Object itself
//! (see entry.rs), so its size is paid by every collection key: variants
//! that would make it wider than 32 bytes are boxed. Each collection type
//! lives in its own module and reports its type name, encoding name (as
//! OBJECT ENCODING prints it), memory usage and free effort.

use crate::{hash::Hash, list::List, set::Set, stream::Stream, zset::ZSet};

#[derive(Clone)]
pub enum Object {
    /// A string in Redis' "raw" encoding: one that was modified in place
    /// (APPEND, SETRANGE), kept with spare capacity so appends amortize.
    Str(Vec<u8>),
    List(List),
    Hash(Hash),
    /// Boxed: `Set` is 40 bytes (three intset widths, listpack + count)
    /// and would grow every Object, i.e. every collection key, to 40.
    Set(Box<Set>),
    ZSet(ZSet),
    Stream(Box<Stream>),
}

impl Object {
    pub fn type_name(&self) -> &'static str {
        match self {
            Object::Str(_) => "string",
            Object::List(_) => "list",
            Object::Hash(_) => "hash",
            Object::Set(_) => "set",
            Object::ZSet(_) => "zset",
            Object::Stream(_) => "stream",
        }
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Object::Str(_) => "raw",
            Object::List(v) => v.encoding_name(),
            Object::Hash(v) => v.encoding_name(),
            Object::Set(v) => v.encoding_name(),
            Object::ZSet(v) => v.encoding_name(),
            Object::Stream(v) => v.encoding_name(),
        }
    }

    /// Heap bytes the object owns beyond itself (the Object is inside
    /// its entry).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Object::Str(v) => v.capacity(),
            Object::List(v) => v.mem_usage(),
            Object::Hash(v) => v.mem_usage(),
            Object::Set(v) => v.mem_usage(),
            Object::ZSet(v) => v.mem_usage(),
            Object::Stream(v) => v.mem_usage(),
        }
    }

    /// About how many allocations freeing it takes (Redis'
    /// lazyfreeGetFreeEffort): decides whether UNLINK frees in the background.
    pub fn free_effort(&self) -> usize {
        match self {
            Object::Str(_) => 1,
            Object::List(v) => v.free_effort(),
            Object::Hash(v) => v.free_effort(),
            Object::Set(v) => v.free_effort(),
            Object::ZSet(v) => v.free_effort(),
            Object::Stream(v) => v.free_effort(),
        }
    }
}
