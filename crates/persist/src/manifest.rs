//! Redis 7's multi-part AOF manifest: the list of files that make up the
//! append-only file, one `file <name> seq <n> type <b|h|i>` line each (an
//! incr file may carry `startoffset`/`endoffset`, which Redis 8 writes and
//! Moon keeps). Parsing follows Redis' aofLoadManifestFromFile: quoted
//! names, `#` comments, and the same error wording.

use crate::{err, Result};
use moon_resp::split_args;

/// The role of one file in the AOF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The base: an RDB snapshot or an AOF of commands rebuilding it.
    Base,
    /// An earlier file kept until a rewrite completes.
    History,
    /// Commands since the base, replayed in sequence order.
    Incr,
}

impl Kind {
    fn letter(self) -> char {
        match self {
            Kind::Base => 'b',
            Kind::History => 'h',
            Kind::Incr => 'i',
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AofFile {
    pub name: String,
    pub seq: u64,
    pub kind: Kind,
    /// Journal offset where an incr file began (Redis 8's `startoffset`).
    pub start_offset: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<AofFile>,
    /// In sequence order.
    pub incr: Vec<AofFile>,
    /// Files a finished rewrite made obsolete, deleted once the new
    /// manifest is durable.
    pub history: Vec<AofFile>,
}

/// The longest manifest line Redis accepts.
const MAX_LINE: usize = 1024;

impl Manifest {
    pub fn parse(text: &[u8]) -> Result<Manifest> {
        let mut m = Manifest::default();
        let mut last_incr_seq = 0;
        for line in text.split(|&b| b == b'\n') {
            if line.len() > MAX_LINE {
                return err("The AOF manifest file contains too long line");
            }
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let trimmed = line.trim_ascii();
            if trimmed.is_empty() || trimmed[0] == b'#' {
                continue;
            }
            let Some(args) = split_args(trimmed) else { return err("Invalid AOF manifest file format") };
            if args.len() < 6 || args.len() % 2 != 0 {
                return err("Invalid AOF manifest file format");
            }
            let (mut name, mut seq, mut kind, mut start) = (None, None, None, None);
            for kv in args.chunks(2) {
                let v = String::from_utf8_lossy(&kv[1]).into_owned();
                match kv[0].as_slice() {
                    b"file" => name = Some(v),
                    b"seq" => seq = v.parse::<u64>().ok(),
                    b"type" => {
                        kind = match v.as_str() {
                            "b" => Some(Kind::Base),
                            "h" => Some(Kind::History),
                            "i" => Some(Kind::Incr),
                            _ => None,
                        }
                    }
                    b"startoffset" => start = v.parse::<u64>().ok(),
                    // Other keys (endoffset, future ones) are ignored, as Redis does.
                    _ => {}
                }
            }
            let (Some(name), Some(seq), Some(kind)) = (name, seq, kind) else {
                return err("Invalid AOF manifest file format");
            };
            if name.is_empty() || name.contains('/') {
                return err("Invalid AOF manifest file format");
            }
            let f = AofFile { name, seq, kind, start_offset: start };
            match kind {
                Kind::Base => {
                    if m.base.is_some() {
                        return err("Found duplicate base file information");
                    }
                    m.base = Some(f);
                }
                Kind::History => m.history.push(f),
                Kind::Incr => {
                    if seq <= last_incr_seq {
                        return err("Found a non-monotonic sequence number");
                    }
                    last_incr_seq = seq;
                    m.incr.push(f);
                }
            }
        }
        Ok(m)
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        let mut line = |f: &AofFile| {
            s.push_str(&format!("file {} seq {} type {}", quote(&f.name), f.seq, f.kind.letter()));
            if let Some(o) = f.start_offset {
                s.push_str(&format!(" startoffset {o}"));
            }
            s.push('\n');
        };
        if let Some(b) = &self.base {
            line(b);
        }
        for f in self.history.iter().chain(&self.incr) {
            line(f);
        }
        s
    }

    pub fn is_empty(&self) -> bool {
        self.base.is_none() && self.incr.is_empty()
    }

    /// The files to replay, in order: the base, then the incr files.
    pub fn load_order(&self) -> impl Iterator<Item = &AofFile> {
        self.base.iter().chain(&self.incr)
    }

    /// The next sequence numbers for a new base and a new incr file.
    pub fn next_base_seq(&self) -> u64 {
        self.base.as_ref().map_or(1, |b| b.seq + 1)
    }
    pub fn next_incr_seq(&self) -> u64 {
        self.incr.last().map_or(1, |f| f.seq + 1)
    }
}

/// Names as Redis makes them from `appendfilename`.
pub fn base_name(prefix: &str, seq: u64, rdb: bool) -> String {
    format!("{prefix}.{seq}.base.{}", if rdb { "rdb" } else { "aof" })
}
pub fn incr_name(prefix: &str, seq: u64) -> String {
    format!("{prefix}.{seq}.incr.aof")
}
pub fn manifest_name(prefix: &str) -> String {
    format!("{prefix}.manifest")
}

/// A name with spaces, quotes or control bytes is written quoted, as
/// Redis' sdscatrepr does, so `parse` reads it back.
fn quote(name: &str) -> String {
    if !name.bytes().any(|b| b <= b' ' || b == b'"' || b == b'\'' || b == b'\\' || b >= 0x7f) {
        return name.to_string();
    }
    let mut s = String::from("\"");
    for b in name.bytes() {
        match b {
            b'\\' | b'"' => {
                s.push('\\');
                s.push(b as char);
            }
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_redis_writes() {
        let m =
            Manifest::parse(b"file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i startoffset 0\n")
                .unwrap();
        assert_eq!(m.base.as_ref().unwrap().name, "appendonly.aof.1.base.rdb");
        assert_eq!(m.incr.len(), 1);
        assert_eq!(m.incr[0].start_offset, Some(0));
        assert_eq!(m.render(), "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i startoffset 0\n");
        assert_eq!(m.next_base_seq(), 2);
        assert_eq!(m.next_incr_seq(), 2);
    }

    #[test]
    fn rejects_what_redis_rejects() {
        let bad: &[(&[u8], &str)] = &[
            (b"file a seq 1\n", "Invalid AOF manifest file format"),
            (b"file a seq 1 type x\n", "Invalid AOF manifest file format"),
            (b"file a/b seq 1 type b\n", "Invalid AOF manifest file format"),
            (b"file a seq 1 type b\nfile b seq 2 type b\n", "Found duplicate base file information"),
            (b"file a seq 2 type i\nfile b seq 1 type i\n", "Found a non-monotonic sequence number"),
        ];
        for (text, msg) in bad {
            assert_eq!(Manifest::parse(text).unwrap_err().0, *msg, "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn comments_blank_lines_and_quoted_names() {
        let m = Manifest::parse(b"# c\n\nfile \"my file.aof\" seq 3 type i\nfile h.aof seq 1 type h\n").unwrap();
        assert_eq!(m.incr[0].name, "my file.aof");
        assert_eq!(m.history.len(), 1);
        assert_eq!(Manifest::parse(m.render().as_bytes()).unwrap(), m);
    }
}
