//! Command documentation for COMMAND DOCS and the tips of COMMAND INFO,
//! generated at build time (build.rs) from the vendored command spec and
//! Moon's own summaries (spec/summaries.txt).

use moon_resp::Out;

pub struct Doc {
    /// Full lowercase name ("get", "client|kill").
    pub name: &'static str,
    pub summary: &'static str,
    pub since: &'static str,
    pub group: &'static str,
    pub doc_flags: &'static [&'static str],
    pub deprecated_since: Option<&'static str>,
    pub tips: &'static [&'static str],
    pub args: &'static [Arg],
}

pub struct Arg {
    pub name: &'static str,
    pub kind: &'static str,
    pub display: Option<&'static str>,
    pub key_spec_index: i64,
    pub token: Option<&'static str>,
    pub since: Option<&'static str>,
    pub deprecated_since: Option<&'static str>,
    /// 1: optional, 2: multiple, 4: multiple_token.
    pub flags: u8,
    pub args: &'static [Arg],
}

include!(concat!(env!("OUT_DIR"), "/command_docs.rs"));

/// The documentation of a command by full lowercase name.
pub fn find(full_name: &str) -> Option<&'static Doc> {
    DOCS.binary_search_by(|d| d.name.cmp(full_name)).ok().map(|i| &DOCS[i])
}

/// The map Redis' COMMAND DOCS gives one command (without subcommands,
/// which the caller appends and counts in `extra`).
pub fn reply_doc(out: &mut Out, doc: Option<&Doc>, group: &str, extra: usize) {
    let Some(d) = doc else {
        // A command the spec does not describe: only what Moon knows.
        out.map(1 + extra);
        out.bulk(b"group");
        out.bulk(group.as_bytes());
        return;
    };
    let mut n = 3 + extra;
    n += !d.doc_flags.is_empty() as usize;
    n += d.deprecated_since.is_some() as usize;
    n += !d.args.is_empty() as usize;
    out.map(n);
    out.bulk(b"summary");
    out.bulk(d.summary.as_bytes());
    out.bulk(b"since");
    out.bulk(d.since.as_bytes());
    out.bulk(b"group");
    out.bulk(d.group.as_bytes());
    if !d.doc_flags.is_empty() {
        out.bulk(b"doc_flags");
        out.set(d.doc_flags.len());
        for f in d.doc_flags {
            out.simple(f);
        }
    }
    if let Some(v) = d.deprecated_since {
        out.bulk(b"deprecated_since");
        out.bulk(v.as_bytes());
    }
    if !d.args.is_empty() {
        out.bulk(b"arguments");
        reply_args(out, d.args);
    }
}

fn reply_args(out: &mut Out, args: &[Arg]) {
    out.array(args.len());
    for a in args {
        let container = matches!(a.kind, "oneof" | "block");
        let mut n = 2;
        n += !container as usize;
        n += (a.key_spec_index >= 0) as usize;
        n += a.token.is_some() as usize;
        n += a.since.is_some() as usize;
        n += a.deprecated_since.is_some() as usize;
        n += (a.flags != 0) as usize;
        n += container as usize;
        out.map(n);
        out.bulk(b"name");
        out.bulk(a.name.as_bytes());
        out.bulk(b"type");
        out.bulk(a.kind.as_bytes());
        if !container {
            out.bulk(b"display_text");
            out.bulk(a.display.unwrap_or(a.name).as_bytes());
        }
        if a.key_spec_index >= 0 {
            out.bulk(b"key_spec_index");
            out.int(a.key_spec_index);
        }
        if let Some(t) = a.token {
            out.bulk(b"token");
            out.bulk(t.as_bytes());
        }
        if let Some(s) = a.since {
            out.bulk(b"since");
            out.bulk(s.as_bytes());
        }
        if let Some(s) = a.deprecated_since {
            out.bulk(b"deprecated_since");
            out.bulk(s.as_bytes());
        }
        if a.flags != 0 {
            out.bulk(b"flags");
            let names = [(1, "optional"), (2, "multiple"), (4, "multiple_token")];
            out.set(names.iter().filter(|(b, _)| a.flags & b != 0).count());
            for (b, name) in names {
                if a.flags & b != 0 {
                    out.simple(name);
                }
            }
        }
        if container {
            out.bulk(b"arguments");
            reply_args(out, a.args);
        }
    }
}
