//! The stream type (XADD and friends). Placeholder until the stream
//! representation lands: no command creates one yet.

#[derive(Clone, Default)]
pub struct Stream {}

impl Stream {
    pub fn encoding_name(&self) -> &'static str {
        "stream"
    }
    pub fn mem_usage(&self) -> usize {
        0
    }
    pub fn free_effort(&self) -> usize {
        1
    }
}
