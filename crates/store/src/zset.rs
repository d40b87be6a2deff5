//! The zset value type. Placeholder until the zset command family lands: no
//! command creates one yet.

#[derive(Clone, Default)]
pub struct ZSet {}

impl ZSet {
    pub fn encoding_name(&self) -> &'static str {
        unreachable!("no zset values exist yet")
    }
    pub fn mem_usage(&self) -> usize {
        0
    }
    pub fn free_effort(&self) -> usize {
        1
    }
}
