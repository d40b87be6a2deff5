//! XADD, XTRIM, XDEL, XDELEX, XLEN, XSETID.

use super::id::{parse_id, strict_id};
use super::{create_stream, node_limits, node_max_entries, reply, sread, swrite};
use crate::ctx::Ctx;
use crate::error::{arity, CmdError, CmdResult, NO_SUCH_KEY, SYNTAX};
use crate::notify::class::STREAM;
use crate::util::{int_arg, is_opt};
use moon_resp::Argv;
use moon_store::stream::{AppendError, DeletePolicy, Stream, StreamId, Trim, TrimStrategy};

/// The options XADD and XTRIM share (streamParseAddOrTrimArgsOrReply).
pub(super) struct AddTrimArgs {
    pub trim: Trim,
    /// XADD: Some(id, seq_given) for an explicit ID, None for `*`.
    pub id: Option<(StreamId, bool)>,
    pub nomkstream: bool,
    /// Index of the first field (XADD) or one past the options (XTRIM).
    pub next: usize,
}

/// A delete policy keyword (KEEPREF / DELREF / ACKED).
pub(super) fn policy_of(arg: &[u8]) -> Option<DeletePolicy> {
    if is_opt(arg, "KEEPREF") {
        Some(DeletePolicy::KeepRef)
    } else if is_opt(arg, "DELREF") {
        Some(DeletePolicy::DelRef)
    } else if is_opt(arg, "ACKED") {
        Some(DeletePolicy::Acked)
    } else {
        None
    }
}

pub(super) fn parse_add_trim(ctx: &Ctx, argv: &Argv, xadd: bool) -> Result<AddTrimArgs, CmdError> {
    let mut trim = Trim { strategy: TrimStrategy::None, approx: false, limit: 0, policy: DeletePolicy::KeepRef };
    let mut limit: Option<i64> = None;
    let mut policy_given = false;
    let mut nomkstream = false;
    let mut id = None;
    let argc = argv.len();
    let mut i = 2;
    while i < argc {
        let more = argc - 1 - i;
        let opt = argv.get(i);
        if xadd && opt == b"*" {
            break;
        } else if (is_opt(opt, "MAXLEN") || is_opt(opt, "MINID")) && more > 0 {
            if trim.strategy != TrimStrategy::None {
                return Err(CmdError::err("syntax error, MAXLEN and MINID options at the same time are not compatible"));
            }
            let maxlen = is_opt(opt, "MAXLEN");
            trim.approx = false;
            let next = argv.get(i + 1);
            if more >= 2 && next == b"~" {
                trim.approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            let v = argv.get(i + 1);
            trim.strategy = if maxlen {
                let n = int_arg(v)?;
                if n < 0 {
                    return Err(CmdError::err("The MAXLEN argument must be >= 0."));
                }
                TrimStrategy::MaxLen(n as u64)
            } else {
                TrimStrategy::MinId(strict_id(v)?)
            };
            i += 2;
            continue;
        } else if is_opt(opt, "LIMIT") && more > 0 {
            let n = int_arg(argv.get(i + 1))?;
            if n < 0 {
                return Err(CmdError::err("The LIMIT argument must be >= 0."));
            }
            limit = Some(n);
            i += 2;
            continue;
        } else if xadd && is_opt(opt, "NOMKSTREAM") {
            nomkstream = true;
        } else if let Some(p) = policy_of(opt).filter(|_| !policy_given) {
            trim.policy = p;
            policy_given = true;
        } else if xadd {
            let p = parse_id(opt, 0, true, true)?;
            id = Some((p.id, p.seq_given));
            break;
        } else {
            return Err(SYNTAX);
        }
        i += 1;
    }
    match limit {
        Some(_) if trim.strategy == TrimStrategy::None => {
            return Err(CmdError::err("syntax error, LIMIT cannot be used without specifying a trimming strategy"));
        }
        Some(_) if !trim.approx => return Err(CmdError::err("syntax error, LIMIT cannot be used without the special ~ option")),
        Some(n) => trim.limit = n as u64,
        None if trim.approx => {
            let n = 100i64.saturating_mul(node_max_entries(ctx));
            trim.limit = if n <= 0 || n > 1_000_000 { 10_000 } else { n as u64 };
        }
        None => trim.limit = 0,
    }
    Ok(AddTrimArgs { trim, id, nomkstream, next: i + 1 })
}

pub fn xadd(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let a = parse_add_trim(ctx, argv, true)?;
    let field_pos = a.next;
    let nargs = argv.len().saturating_sub(field_pos);
    if nargs < 2 || nargs % 2 == 1 {
        return Err(arity(ctx.name()));
    }
    if let Some((id, true)) = a.id {
        if id.is_zero() {
            return Err(CmdError::err("The ID specified in XADD must be greater than 0-0"));
        }
    }
    let key = argv.get(1);
    let lim = node_limits(ctx);
    let now = ctx.now();
    let journal = ctx.ks.journal.on;
    if swrite(&mut ctx.ks, key)?.is_none() {
        if a.nomkstream {
            ctx.out.null();
            return Ok(());
        }
        create_stream(&mut ctx.ks, key);
    }
    let Some(s) = swrite(&mut ctx.ks, key)? else { return Ok(()) };
    if s.last_id == StreamId::MAX {
        return Err(CmdError::err("The stream has exhausted the last possible ID, unable to add more items"));
    }
    let not_greater = || CmdError::err("The ID specified in XADD is equal or smaller than the target stream top item");
    let id = match a.id {
        None => s.next_auto_id(now.max(0) as u64).ok_or_else(not_greater)?,
        Some((id, true)) => id,
        Some((id, false)) => {
            if id.ms == s.last_id.ms {
                if s.last_id.seq == u64::MAX {
                    return Err(not_greater());
                }
                StreamId::new(id.ms, s.last_id.seq + 1)
            } else if id.ms > s.last_id.ms {
                StreamId::new(id.ms, 0)
            } else {
                return Err(not_greater());
            }
        }
    };
    let pairs: Vec<&[u8]> = (field_pos..argv.len()).map(|i| argv.get(i)).collect();
    match s.append(id, &pairs, lim) {
        Ok(()) => {}
        Err(AppendError::NotGreater) => return Err(not_greater()),
        Err(AppendError::TooLarge) => return Err(CmdError::err("Elements are too large to be stored")),
    }
    reply::id(ctx.out, id);
    let trimmed = s.trim(&a.trim);
    if journal {
        // Journaled with the ID it got and an exact trim to what it left.
        let (trim, id_text) = (trim_clause(s, &a.trim), id.to_string());
        let mut args: Vec<&[u8]> = vec![b"XADD", key];
        push_trim(&mut args, &trim);
        args.push(id_text.as_bytes());
        args.extend(pairs.iter().copied());
        ctx.ks.propagate(&args);
    }
    ctx.ks.dirty += 1;
    ctx.notify(STREAM, "xadd", key);
    if trimmed > 0 {
        ctx.notify(STREAM, "xtrim", key);
    }
    Ok(())
}

pub fn xtrim(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let key = argv.get(1);
    let a = parse_add_trim(ctx, argv, false)?;
    if a.trim.strategy == TrimStrategy::None {
        return Err(CmdError::err("syntax error, XTRIM must be called with a trimming strategy"));
    }
    let Some(s) = swrite(&mut ctx.ks, key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let removed = s.trim(&a.trim);
    let trim = trim_clause(s, &a.trim);
    ctx.ks.dirty += removed;
    if removed > 0 {
        ctx.notify(STREAM, "xtrim", key);
        if a.trim.approx {
            let mut args: Vec<&[u8]> = vec![b"XTRIM", key];
            push_trim(&mut args, &trim);
            ctx.ks.propagate(&args);
        }
    }
    ctx.out.int(removed as i64);
    Ok(())
}

/// A trim as the journal records it: exact, to the length (MAXLEN) or
/// first ID (MINID) the stream was left with, so a replay removes the same
/// entries whatever `~` decided. (strategy word, value, policy word)
type TrimClause = Option<(&'static [u8], String, Option<&'static [u8]>)>;

fn trim_clause(s: &Stream, trim: &Trim) -> TrimClause {
    let (word, value) = match trim.strategy {
        TrimStrategy::None => return None,
        TrimStrategy::MaxLen(_) => (&b"MAXLEN"[..], s.len().to_string()),
        TrimStrategy::MinId(_) => {
            (&b"MINID"[..], s.first_entry().map_or_else(|| s.last_id.next().unwrap_or(StreamId::MAX), |e| e.id).to_string())
        }
    };
    let policy: Option<&'static [u8]> = match trim.policy {
        DeletePolicy::KeepRef => None,
        DeletePolicy::DelRef => Some(b"DELREF"),
        DeletePolicy::Acked => Some(b"ACKED"),
    };
    Some((word, value, policy))
}

fn push_trim<'a>(args: &mut Vec<&'a [u8]>, t: &'a TrimClause) {
    if let Some((word, value, policy)) = t {
        args.extend([*word, b"=", value.as_bytes()]);
        args.extend(*policy);
    }
}

pub fn xlen(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let n = sread(&mut ctx.ks, argv.get(1))?.map_or(0, |s| s.len());
    ctx.out.int(n as i64);
    Ok(())
}

/// Delete one entry with XDEL's bookkeeping; true if it existed.
fn delete_entry(s: &mut Stream, id: StreamId, first_deleted: &mut bool) -> bool {
    if !s.delete(id) {
        return false;
    }
    if id == s.first_id {
        *first_deleted = true;
    }
    s.note_deleted(id);
    true
}

fn finish_deletes(s: &mut Stream, deleted: u64, first_deleted: bool) {
    if deleted > 0 && (s.is_empty() || first_deleted) {
        s.refresh_first_id();
    }
}

pub fn xdel(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let key = argv.get(1);
    let Some(s) = swrite(&mut ctx.ks, key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let ids = (2..argv.len()).map(|i| strict_id(argv.get(i))).collect::<Result<Vec<_>, _>>()?;
    let (mut deleted, mut first) = (0u64, false);
    for id in ids {
        if delete_entry(s, id, &mut first) {
            deleted += 1;
        }
    }
    finish_deletes(s, deleted, first);
    ctx.ks.dirty += deleted;
    if deleted > 0 {
        ctx.notify(STREAM, "xdel", key);
    }
    ctx.out.int(deleted as i64);
    Ok(())
}

/// `[KEEPREF|DELREF|ACKED] IDS numids id...` from `from` on (XDELEX,
/// XACKDEL): the policy and the argument range of the IDs.
pub(super) fn parse_ids_block(argv: &Argv, from: usize) -> Result<(DeletePolicy, std::ops::Range<usize>), CmdError> {
    let mut policy = None;
    let mut ids = None;
    let argc = argv.len();
    let mut i = from;
    while i < argc {
        let opt = argv.get(i);
        let more = argc - 1 - i;
        if is_opt(opt, "IDS") && more > 0 {
            let n = crate::util::parse_i64(argv.get(i + 1)).filter(|&n| n > 0);
            let Some(n) = n else { return Err(CmdError::err("Number of IDs must be a positive integer")) };
            let start = i + 2;
            if (n as u64) > (argc - start) as u64 {
                return Err(CmdError::err("The `numids` parameter must match the number of arguments"));
            }
            ids = Some(start..start + n as usize);
            i = start + n as usize;
            continue;
        } else if let Some(p) = policy_of(opt).filter(|_| policy.is_none()) {
            policy = Some(p);
        } else {
            return Err(SYNTAX);
        }
        i += 1;
    }
    let Some(ids) = ids else { return Err(SYNTAX) };
    Ok((policy.unwrap_or_default(), ids))
}

/// Reply code of XDELEX / XACKDEL for one ID.
pub(super) const NOT_FOUND: i64 = -1;
pub(super) const DELETED: i64 = 1;
pub(super) const STILL_REFERENCED: i64 = 2;

pub fn xdelex(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let (policy, range) = parse_ids_block(argv, 2)?;
    let key = argv.get(1);
    let Some(s) = swrite(&mut ctx.ks, key)? else {
        ctx.out.array(range.len());
        for _ in range {
            ctx.out.int(NOT_FOUND);
        }
        return Ok(());
    };
    let ids = range.map(|i| strict_id(argv.get(i))).collect::<Result<Vec<_>, _>>()?;
    ctx.out.array(ids.len());
    let (mut deleted, mut first) = (0u64, false);
    for id in ids {
        let code = delete_with_policy(s, id, policy, &mut first);
        if code == DELETED {
            deleted += 1;
        }
        ctx.out.int(code);
    }
    finish_deletes(s, deleted, first);
    ctx.ks.dirty += deleted;
    if deleted > 0 {
        ctx.notify(STREAM, "xdel", key);
    }
    Ok(())
}

/// Delete `id` under a reference policy; returns the reply code.
pub(super) fn delete_with_policy(s: &mut Stream, id: StreamId, policy: DeletePolicy, first: &mut bool) -> i64 {
    if policy == DeletePolicy::Acked && s.is_referenced(id) {
        return STILL_REFERENCED;
    }
    if !delete_entry(s, id, first) {
        return NOT_FOUND;
    }
    if policy == DeletePolicy::DelRef {
        s.remove_refs(id);
    }
    DELETED
}

pub fn xsetid(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let id = strict_id(argv.get(2))?;
    let mut entries_added: i64 = -1;
    let mut max_xdel = StreamId::MIN;
    let argc = argv.len();
    let mut i = 3;
    while i < argc {
        let more = argc - 1 - i;
        let opt = argv.get(i);
        if is_opt(opt, "ENTRIESADDED") && more > 0 {
            entries_added = int_arg(argv.get(i + 1))?;
            if entries_added < 0 {
                return Err(CmdError::err("entries_added must be positive"));
            }
        } else if is_opt(opt, "MAXDELETEDID") && more > 0 {
            max_xdel = strict_id(argv.get(i + 1))?;
            if id < max_xdel {
                return Err(CmdError::err("The ID specified in XSETID is smaller than the provided max_deleted_entry_id"));
            }
        } else {
            return Err(SYNTAX);
        }
        i += 2;
    }
    let Some(s) = swrite(&mut ctx.ks, argv.get(1))? else { return Err(NO_SUCH_KEY) };
    if id < s.max_deleted_id {
        return Err(CmdError::err("The ID specified in XSETID is smaller than current max_deleted_entry_id"));
    }
    if !s.is_empty() {
        if id < s.edge_id(false) {
            return Err(CmdError::err("The ID specified in XSETID is smaller than the target stream top item"));
        }
        if entries_added != -1 && s.len() > entries_added as u64 {
            return Err(CmdError::err("The entries_added specified in XSETID is smaller than the target stream length"));
        }
    }
    s.last_id = id;
    if entries_added != -1 {
        s.entries_added = entries_added as u64;
    }
    if !max_xdel.is_zero() {
        s.max_deleted_id = max_xdel;
    }
    ctx.ks.dirty += 1;
    ctx.notify(STREAM, "xsetid", argv.get(1));
    ctx.out.ok();
    Ok(())
}
