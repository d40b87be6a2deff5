//! Persistence in Redis' own formats: RDB snapshots and DUMP payloads,
//! and the multi-part AOF's manifest.
//!
//! - [`encode`] / [`decode`]: one value in RDB form (what follows the type
//!   byte), for every type Moon has ([`stream`] holds the stream layout).
//! - [`file`]: a whole RDB file (header, aux fields, databases, EOF, CRC64).
//! - [`dump`]: DUMP / RESTORE payloads.
//! - [`digest`]: DEBUG DIGEST's SHA1-based dataset signature.
//! - [`snapshot`]: BGSAVE's point-in-time file, written without fork().
//! - [`manifest`]: the file list of a multi-part append-only file.
//!
//! Loading never panics and never allocates from a length in the input
//! beyond what the remaining input can back; corrupt input is an [`Error`].

pub mod decode;
pub mod digest;
pub mod dump;
pub mod encode;
pub mod file;
pub mod functions;
mod intset;
mod listpack;
mod lzf;
pub mod manifest;
mod reader;
pub mod snapshot;
pub mod stream;
use moon_resp::sha1;
mod types;
mod writer;
mod ziplist;

pub use decode::{Limits, Value};
pub use encode::SaveOpts;

/// The RDB version Moon writes: Redis 7.4's and 8.2's (the first with hash
/// field TTLs); both load it. Loading accepts 1..=RDB_VERSION.
pub const RDB_VERSION: u16 = 12;

/// A load error: the input is truncated, corrupt, or uses a feature Moon
/// cannot load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn err<T>(msg: impl Into<String>) -> Result<T> {
    Err(Error(msg.into()))
}

/// CRC64 as Redis computes it (Jones polynomial, reflected), used by the
/// RDB file trailer and DUMP payloads.
pub(crate) const CRC64: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_REDIS);

pub fn crc64(data: &[u8]) -> u64 {
    CRC64.checksum(data)
}

#[cfg(test)]
mod tests_roundtrip;
#[cfg(test)]
mod tests_snapshot;
