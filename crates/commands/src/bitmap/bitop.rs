//! BITOP AND | OR | XOR | NOT | DIFF | DIFF1 | ANDOR | ONE dest src...
//!
//! Sources shorter than the longest are zero-padded. DIFF, DIFF1 and
//! ANDOR combine the first source X with the union U of the others:
//! X & !U, !X & U and X & U. ONE keeps the bits set in exactly one source.

use crate::ctx::{str_of, Ctx};
use crate::error::{CmdError, CmdResult, SYNTAX};
use crate::util::is_opt;
use moon_resp::Argv;
use moon_store::{Entry, Object};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    And,
    Or,
    Xor,
    Not,
    Diff,
    Diff1,
    AndOr,
    One,
}

impl Op {
    fn parse(a: &[u8]) -> Option<Op> {
        const OPS: [(&str, Op); 8] = [
            ("and", Op::And),
            ("or", Op::Or),
            ("xor", Op::Xor),
            ("not", Op::Not),
            ("diff", Op::Diff),
            ("diff1", Op::Diff1),
            ("andor", Op::AndOr),
            ("one", Op::One),
        ];
        OPS.iter().find(|(n, _)| is_opt(a, n)).map(|&(_, op)| op)
    }

    fn name(self) -> &'static str {
        match self {
            Op::And => "AND",
            Op::Or => "OR",
            Op::Xor => "XOR",
            Op::Not => "NOT",
            Op::Diff => "DIFF",
            Op::Diff1 => "DIFF1",
            Op::AndOr => "ANDOR",
            Op::One => "ONE",
        }
    }
}

pub fn bitop(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let op = Op::parse(argv.get(1)).ok_or(SYNTAX)?;
    let nsrc = argv.len() - 3;
    if op == Op::Not && nsrc != 1 {
        return Err(CmdError::err("BITOP NOT must be called with a single source key."));
    }
    if matches!(op, Op::Diff | Op::Diff1 | Op::AndOr) && nsrc < 2 {
        return Err(CmdError::err(format_args!("BITOP {} must be called with at least two source keys.", op.name())));
    }
    // Type-check every source before computing (Redis looks each up in
    // order and stops at the first of the wrong type), noting the length.
    let mut maxlen = 0;
    for i in 3..argv.len() {
        if let Some(s) = ctx.ks.read_str(argv.get(i))? {
            maxlen = maxlen.max(s.len());
        }
    }
    let dest = argv.get(2);
    if maxlen == 0 {
        // An empty result deletes the destination (`remove` counts it).
        if ctx.ks.remove(dest).is_some() {
            ctx.notify(crate::notify::class::GENERIC, "del", dest);
        }
        ctx.out.int(0);
        return Ok(());
    }
    let mut res = vec![0u8; maxlen];
    // `acc` is the running value for AND/OR/XOR/ONE, and the union of the
    // sources after the first for DIFF/DIFF1/ANDOR; `seen2` marks bits
    // seen in two sources (ONE).
    let mut seen2 = if op == Op::One { vec![0u8; maxlen] } else { Vec::new() };
    let mut first: Vec<u8> = Vec::new();
    for (n, i) in (3..argv.len()).enumerate() {
        // Looked up (and counted as a hit or miss) above already.
        let s = match ctx.ks.write_untouched(argv.get(i)) {
            Some(e) => str_of(e)?,
            None => b"",
        };
        let s = if s.len() > maxlen { &s[..maxlen] } else { s };
        match (op, n) {
            (Op::Diff | Op::Diff1 | Op::AndOr, 0) => first = s.to_vec(),
            (Op::Diff | Op::Diff1 | Op::AndOr, _) => or_into(&mut res, s),
            (Op::And, 0) | (Op::Or, 0) | (Op::Xor, 0) | (Op::One, 0) => res[..s.len()].copy_from_slice(s),
            (Op::Not, _) => {
                res[..s.len()].copy_from_slice(s);
                for b in &mut res {
                    *b = !*b;
                }
            }
            (Op::And, _) => {
                for (r, b) in res.iter_mut().zip(s) {
                    *r &= b;
                }
                res[s.len()..].fill(0);
            }
            (Op::Or, _) => or_into(&mut res, s),
            (Op::Xor, _) => {
                for (r, b) in res.iter_mut().zip(s) {
                    *r ^= b;
                }
            }
            (Op::One, _) => {
                for ((r, c), b) in res.iter_mut().zip(seen2.iter_mut()).zip(s) {
                    *c |= *r & b;
                    *r ^= b;
                }
            }
        }
    }
    match op {
        Op::One => {
            for (r, c) in res.iter_mut().zip(&seen2) {
                *r &= !c;
            }
        }
        Op::Diff | Op::Diff1 | Op::AndOr => {
            for (j, r) in res.iter_mut().enumerate() {
                let x = first.get(j).copied().unwrap_or(0);
                *r = match op {
                    Op::Diff => x & !*r,
                    Op::Diff1 => !x & *r,
                    _ => x & *r,
                };
            }
        }
        _ => {}
    }
    // SET semantics: the value is replaced whole and its TTL goes.
    ctx.ks.insert(Entry::new_obj(dest, Object::Str(res), None));
    ctx.notify(crate::notify::class::STRING, "set", dest);
    ctx.out.int(maxlen as i64);
    Ok(())
}

fn or_into(res: &mut [u8], s: &[u8]) {
    let mut rc = res.chunks_exact_mut(8);
    let mut sc = s.chunks_exact(8);
    for (r, b) in (&mut rc).zip(&mut sc) {
        let mut x = [0u8; 8];
        x.copy_from_slice(r);
        let mut y = [0u8; 8];
        y.copy_from_slice(b);
        r.copy_from_slice(&(u64::from_ne_bytes(x) | u64::from_ne_bytes(y)).to_ne_bytes());
    }
    let done = s.len() - sc.remainder().len();
    for (r, b) in res[done..].iter_mut().zip(&s[done..]) {
        *r |= b;
    }
}
