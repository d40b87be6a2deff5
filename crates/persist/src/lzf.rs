//! LZF through the C liblzf that Redis bundles, so compressed strings are
//! byte-compatible in both directions.

use std::os::raw::{c_uint, c_void};

/// Compress `src` into at most `max_out` bytes; None if it does not fit
/// (incompressible), as lzf_compress returning 0.
pub fn compress(src: &[u8], max_out: usize) -> Option<Vec<u8>> {
    if src.is_empty() || max_out == 0 || src.len() > c_uint::MAX as usize {
        return None;
    }
    let mut out = vec![0u8; max_out + 1];
    // SAFETY: both pointers are valid for the lengths passed; lzf never
    // writes past out_len.
    let n = unsafe {
        lzf_sys::lzf_compress(src.as_ptr() as *const c_void, src.len() as c_uint, out.as_mut_ptr() as *mut c_void, max_out as c_uint)
    };
    if n == 0 {
        return None;
    }
    out.truncate(n as usize);
    Some(out)
}

/// Decompress `src` into exactly `len` bytes; None if the data is corrupt
/// or does not expand to `len`.
pub fn decompress(src: &[u8], len: usize) -> Option<Vec<u8>> {
    if len == 0 || src.is_empty() || src.len() > c_uint::MAX as usize || len > c_uint::MAX as usize {
        return None;
    }
    let mut out = vec![0u8; len];
    // SAFETY: lzf_decompress checks both input and output bounds (liblzf
    // is built with CHECK_INPUT) and returns 0 on any overrun.
    let n = unsafe {
        lzf_sys::lzf_decompress(src.as_ptr() as *const c_void, src.len() as c_uint, out.as_mut_ptr() as *mut c_void, len as c_uint)
    };
    (n as usize == len).then_some(out)
}
