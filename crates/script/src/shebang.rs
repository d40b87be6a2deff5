//! `#!lua flags=...` headers of EVAL scripts and function libraries.

pub mod flags {
    pub const NO_WRITES: u32 = 1 << 0;
    pub const ALLOW_OOM: u32 = 1 << 1;
    pub const ALLOW_STALE: u32 = 1 << 2;
    pub const NO_CLUSTER: u32 = 1 << 3;
    pub const ALLOW_CROSS_SLOT: u32 = 1 << 4;
    /// A script without a shebang: Redis' EVAL compatibility mode.
    pub const EVAL_COMPAT: u32 = 1 << 5;

    /// Flag names as scripts and FUNCTION LIST spell them, in Redis' order.
    pub const NAMES: &[(u32, &str)] = &[
        (NO_WRITES, "no-writes"),
        (ALLOW_OOM, "allow-oom"),
        (ALLOW_STALE, "allow-stale"),
        (NO_CLUSTER, "no-cluster"),
        (ALLOW_CROSS_SLOT, "allow-cross-slot-keys"),
    ];

    pub fn by_name(name: &[u8]) -> Option<u32> {
        NAMES.iter().find(|(_, n)| n.as_bytes() == name).map(|&(f, _)| f)
    }
}

/// Parse an EVAL script's shebang. Returns (flags, length of the header
/// line to skip when compiling); a script without one gets EVAL_COMPAT.
pub fn parse_shebang(body: &[u8]) -> Result<(u32, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((flags::EVAL_COMPAT, 0));
    }
    let end = body.iter().position(|&c| c == b'\n').unwrap_or(body.len());
    let line = &body[..end];
    let mut parts = line.split(|&c| c == b' ').filter(|p| !p.is_empty());
    let engine = parts.next().unwrap_or(b"#!");
    if engine != b"#!lua" {
        return Err(format!("ERR Unexpected engine in script shebang: {}", String::from_utf8_lossy(engine)));
    }
    let mut f = 0;
    for p in parts {
        if let Some(list) = p.strip_prefix(b"flags=") {
            for name in list.split(|&c| c == b',').filter(|n| !n.is_empty()) {
                match flags::by_name(name) {
                    Some(b) => f |= b,
                    None => return Err(format!("ERR Unexpected flag in script shebang: {}", String::from_utf8_lossy(name))),
                }
            }
        } else {
            return Err(format!("ERR Unknown lua shebang option: {}", String::from_utf8_lossy(p)));
        }
    }
    Ok((f, end))
}
