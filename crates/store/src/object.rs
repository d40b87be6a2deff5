//! Values that do not live inline in an entry. The collection types plug in
//! here as variants; every variant reports its type name and memory usage.

#[derive(Clone)]
pub enum Object {
    /// A string in Redis' "raw" encoding: one that was modified in place
    /// (APPEND, SETRANGE), kept with spare capacity so appends amortize.
    Str(Vec<u8>),
}

impl Object {
    pub fn type_name(&self) -> &'static str {
        match self {
            Object::Str(_) => "string",
        }
    }

    pub fn mem_usage(&self) -> usize {
        std::mem::size_of::<Object>()
            + match self {
                Object::Str(v) => v.capacity(),
            }
    }
}
