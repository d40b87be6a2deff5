//! The hash value type. Placeholder until the hash command family lands: no
//! command creates one yet.

#[derive(Clone, Default)]
pub struct Hash {}

impl Hash {
    pub fn encoding_name(&self) -> &'static str {
        unreachable!("no hash values exist yet")
    }
    pub fn mem_usage(&self) -> usize {
        0
    }
    pub fn free_effort(&self) -> usize {
        1
    }
}
