//! The list value type. Placeholder until the list command family lands: no
//! command creates one yet.

#[derive(Clone, Default)]
pub struct List {}

impl List {
    pub fn encoding_name(&self) -> &'static str {
        unreachable!("no list values exist yet")
    }
    pub fn mem_usage(&self) -> usize {
        0
    }
    pub fn free_effort(&self) -> usize {
        1
    }
}
