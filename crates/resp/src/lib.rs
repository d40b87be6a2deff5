//! RESP2/RESP3 wire format: request parsing (multibulk and inline) and
//! reply writing. No I/O and no async: the server feeds bytes in and takes
//! bytes out, so the same code serves TCP, TLS, unix sockets and replay.

mod double;
mod inline;
mod parse;
pub mod sha1;
mod write;

pub use double::{format_double, format_double_fpconv, write_double, DOUBLE_MAX_LEN};
pub use inline::split_args;
pub use parse::{parse_i64, ArgBuf, Argv, Limits, Parsed, ProtoError, INLINE_MAX_SIZE};
pub use write::{Deferred, Out, Protocol};
