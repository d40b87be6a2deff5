//! The set value type. Placeholder until the set command family lands: no
//! command creates one yet.

#[derive(Clone, Default)]
pub struct Set {}

impl Set {
    pub fn encoding_name(&self) -> &'static str {
        unreachable!("no set values exist yet")
    }
    pub fn mem_usage(&self) -> usize {
        0
    }
    pub fn free_effort(&self) -> usize {
        1
    }
}
