//! Access control lists: users, their permissions, the one permission check
//! the dispatcher runs before every command, AUTH, and the ACL LOG.
//!
//! Users live in a map behind a lock; every change bumps a generation
//! counter. A connection caches its user's entry with the generation it
//! read it at, so the per-command check for a user allowed everything (the
//! default user, as usual) is one atomic load and two compares.

pub mod cmd;
pub mod file;
pub mod log;
pub mod sha256;
pub mod user;

#[cfg(test)]
mod tests;

use crate::client::ConnState;
use crate::error::CmdError;
use crate::spec::{flag, kf, CommandDef};
use crate::state::Server;
use crate::table::{Table, TableEntry};
use log::{AclLog, Context, Reason};
use moon_resp::Argv;
use parking_lot::{Mutex, RwLock};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
pub use user::{RuleError, Selector, User};

pub struct Acl {
    users: RwLock<BTreeMap<String, Arc<User>>>,
    /// Bumped on every change to any user (connections re-read theirs).
    gen: AtomicU64,
    /// The default user is on and nopass: clients need not AUTH.
    default_open: AtomicBool,
    pub log: Mutex<AclLog>,
}

/// A connection's cached view of its user.
#[derive(Default)]
pub struct ConnAcl {
    gen: u64,
    unrestricted: bool,
    user: Option<Arc<User>>,
}

impl ConnAcl {
    /// Forget the cached user (after AUTH switched users).
    pub fn invalidate(&mut self) {
        self.gen = 0;
        self.user = None;
    }
}

impl Acl {
    pub fn new(table: &Table) -> Acl {
        let acl = Acl {
            users: RwLock::new(BTreeMap::new()),
            gen: AtomicU64::new(1),
            default_open: AtomicBool::new(true),
            log: Default::default(),
        };
        acl.put(User::new_default(table));
        acl
    }

    pub fn get(&self, name: &str) -> Option<Arc<User>> {
        self.users.read().get(name).cloned()
    }

    pub fn get_bytes(&self, name: &[u8]) -> Option<Arc<User>> {
        std::str::from_utf8(name).ok().and_then(|n| self.get(n))
    }

    pub fn exists(&self, name: &[u8]) -> bool {
        self.get_bytes(name).is_some()
    }

    /// Every user, in name order (ACL LIST / USERS / SAVE).
    pub fn all(&self) -> Vec<Arc<User>> {
        self.users.read().values().cloned().collect()
    }

    /// Add or replace a user.
    pub fn put(&self, u: User) {
        let mut users = self.users.write();
        if u.name == "default" {
            self.default_open.store(u.enabled && u.nopass, Ordering::Relaxed);
        }
        users.insert(u.name.clone(), Arc::new(u));
        self.gen.fetch_add(1, Ordering::Release);
    }

    pub fn remove(&self, name: &str) -> bool {
        let removed = self.users.write().remove(name).is_some();
        self.gen.fetch_add(1, Ordering::Release);
        removed
    }

    /// Replace every user at once (ACL LOAD); `default` must be among them.
    pub fn replace_all(&self, users: Vec<User>) {
        let mut map = self.users.write();
        map.clear();
        for u in users {
            if u.name == "default" {
                self.default_open.store(u.enabled && u.nopass, Ordering::Relaxed);
            }
            map.insert(u.name.clone(), Arc::new(u));
        }
        self.gen.fetch_add(1, Ordering::Release);
    }

    /// Clients must AUTH before running commands (Redis' authRequired,
    /// for a client that has not authenticated).
    pub fn auth_required(&self) -> bool {
        !self.default_open.load(Ordering::Relaxed)
    }

    /// CONFIG SET requirepass: the default user gets exactly this password
    /// ("" makes it nopass), as Redis' ACLUpdateDefaultUserPassword.
    pub fn set_default_password(&self, table: &Table, password: &str) {
        let mut u = self.get("default").map(|u| (*u).clone()).unwrap_or_else(|| User::new_default(table));
        let _ = u.apply(table, b"resetpass", false);
        if password.is_empty() {
            let _ = u.apply(table, b"nopass", false);
        } else {
            let _ = u.apply(table, format!(">{password}").as_bytes(), false);
        }
        self.put(u);
    }
}

/// A new connection is authenticated when the default user needs no
/// password (Redis' clientSetDefaultAuth).
pub fn connect_authenticated(srv: &Server) -> bool {
    !srv.acl.auth_required()
}

/// The permission check of every command, run by the dispatcher after the
/// authentication check. Ok for a user allowed everything without
/// touching anything but one atomic.
#[inline]
pub fn check(srv: &Server, conn: &mut ConnState, entry: &TableEntry, argv: &Argv) -> Result<(), CmdError> {
    if conn.acl.unrestricted && conn.acl.gen == srv.acl.gen.load(Ordering::Acquire) {
        return Ok(());
    }
    check_in(srv, conn, entry, argv, Context::Toplevel)
}

/// The check with the context ACL LOG records (MULTI/EXEC and scripts
/// call this with their own context).
pub fn check_in(srv: &Server, conn: &mut ConnState, entry: &TableEntry, argv: &Argv, context: Context) -> Result<(), CmdError> {
    refresh(srv, conn);
    if conn.acl.unrestricted {
        return Ok(());
    }
    let Some(id) = entry_id(&srv.table, entry) else { return Ok(()) };
    let denied = match &conn.acl.user {
        Some(u) => denial(&srv.table, u, id, argv),
        None => Some((Denied::Command, 0)),
    };
    let Some((why, pos)) = denied else { return Ok(()) };
    let (reason, object) = match why {
        Denied::Command => (Reason::Command, entry.full_name.as_bytes().to_vec()),
        Denied::Key => (Reason::Key, argv.get(pos).to_vec()),
        Denied::Channel => (Reason::Channel, argv.get(pos).to_vec()),
    };
    log::record(srv, conn, reason, context, object, conn.user.as_bytes().to_vec(), &entry.full_name, argv);
    Err(CmdError::raw(format!("NOPERM {}", message(why, &conn.user, entry, argv, pos, false))))
}

/// Whether the connection's user may run command `id` with `argv`
/// (redis.acl_check_cmd; nothing is logged).
pub fn user_may_run(srv: &Server, conn: &mut ConnState, id: usize, argv: &Argv) -> bool {
    refresh(srv, conn);
    if conn.acl.unrestricted {
        return true;
    }
    match &conn.acl.user {
        Some(u) => denial(&srv.table, u, id, argv).is_none(),
        None => false,
    }
}

fn refresh(srv: &Server, conn: &mut ConnState) {
    let g = srv.acl.gen.load(Ordering::Acquire);
    if conn.acl.gen == g {
        return;
    }
    let u = srv.acl.get(&conn.user);
    conn.acl = ConnAcl { gen: g, unrestricted: u.as_ref().is_some_and(|u| u.unrestricted), user: u };
}

/// The index of `entry` in the table (its command id).
fn entry_id(table: &Table, entry: &TableEntry) -> Option<usize> {
    let base = table.entries.as_ptr() as usize;
    let addr = entry as *const TableEntry as usize;
    let size = std::mem::size_of::<TableEntry>();
    let id = addr.checked_sub(base)? / size;
    table.entries.get(id).filter(|e| std::ptr::eq(*e, entry)).map(|_| id)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Denied {
    Command,
    Key,
    Channel,
}

/// The NOPERM text (without the prefix); `verbose` is ACL DRYRUN's form.
pub fn message(why: Denied, user: &str, entry: &TableEntry, argv: &Argv, pos: usize, verbose: bool) -> String {
    let val = || String::from_utf8_lossy(argv.get(pos)).into_owned();
    match (why, verbose) {
        (Denied::Command, _) => format!("User {user} has no permissions to run the '{}' command", entry.full_name),
        (Denied::Key, false) => "No permissions to access a key".into(),
        (Denied::Channel, false) => "No permissions to access a channel".into(),
        (Denied::Key, true) => format!("User {user} has no permissions to access the '{}' key", val()),
        (Denied::Channel, true) => format!("User {user} has no permissions to access the '{}' channel", val()),
    }
}

/// What `u` may not do in this command line, and the argument at fault:
/// None when some selector allows all of it. Among failing selectors the
/// reported error is the gravest (command < key < channel), then the one
/// at the latest argument, as Redis picks it.
pub fn denial(table: &Table, u: &User, id: usize, argv: &Argv) -> Option<(Denied, usize)> {
    let mut keys = None;
    let mut worst = (Denied::Command, 0);
    for sel in &u.selectors {
        match selector_check(table, sel, id, argv, &mut keys) {
            Ok(()) => return None,
            Err(e) => {
                if e.0 > worst.0 || (e.0 == worst.0 && e.1 > worst.1) {
                    worst = e;
                }
            }
        }
    }
    Some(worst)
}

fn selector_check(
    table: &Table,
    sel: &Selector,
    id: usize,
    argv: &Argv,
    keys: &mut Option<Vec<(usize, u32)>>,
) -> Result<(), (Denied, usize)> {
    let entry = table.get(id);
    let def = entry.def;
    if !sel.all_commands && !def.has(flag::NO_AUTH) && !sel.allows_id(id) {
        let idx = if entry.parent.is_some() { 2 } else { 1 };
        if argv.len() <= idx || !sel.allows_first_arg(id, argv.get(idx)) {
            return Err((Denied::Command, 0));
        }
    }
    if !sel.all_keys && !def.key_specs.is_empty() {
        let keys = keys.get_or_insert_with(|| key_refs(def, argv));
        for &(pos, flags) in keys.iter() {
            if !key_allowed(sel, argv.get(pos), flags) {
                return Err((Denied::Key, pos));
            }
        }
    }
    if !sel.all_channels {
        if let Some((only_first, pattern)) = channel_args(&entry.full_name) {
            let last = if only_first { 1.min(argv.len() - 1) } else { argv.len() - 1 };
            for pos in 1..=last {
                if !channel_allowed(sel, argv.get(pos), pattern) {
                    return Err((Denied::Channel, pos));
                }
            }
        }
    }
    Ok(())
}

/// The keys of a command line with the flags of the key spec naming each.
pub fn key_refs(def: &CommandDef, argv: &Argv) -> Vec<(usize, u32)> {
    let mut out = Vec::new();
    let mut args: Option<Vec<&[u8]>> = None;
    def.for_each_key(argv, |pos, spec| {
        let mut flags = spec.flags;
        if flags & kf::VARIABLE_FLAGS != 0 {
            if let Some(f) = def.variable_key_flags {
                let a = args.get_or_insert_with(|| argv.iter().collect());
                flags = f(a);
            }
        }
        out.push((pos, flags));
    });
    sort_store_key(def, argv, &mut out);
    out
}

/// SORT's STORE destination is named by an "unknown" key spec, which Redis
/// resolves with the command's own key finder (sortGetKeys): the last
/// STORE option's argument, skipping LIMIT/GET/BY arguments.
fn sort_store_key(def: &CommandDef, argv: &Argv, out: &mut Vec<(usize, u32)>) {
    if def.name != "sort" || def.key_specs.len() < 3 {
        return;
    }
    if let Some(pos) = crate::sort::store_key_index(argv.len(), |i| argv.get(i)) {
        out.push((pos, def.key_specs[2].flags));
    }
}

/// Whether the connection's user may read every key in this command
/// (a selector that allows the command has "~*" or "%R~*"). SORT's BY and
/// GET patterns read keys no key spec names, so they need this.
pub fn full_read_access(srv: &Server, conn: &mut ConnState, entry: &TableEntry, argv: &Argv) -> bool {
    refresh(srv, conn);
    if conn.acl.unrestricted {
        return true;
    }
    let (Some(u), Some(id)) = (&conn.acl.user, entry_id(&srv.table, entry)) else { return false };
    let mut keys = None;
    u.selectors.iter().any(|sel| {
        selector_check(&srv.table, sel, id, argv, &mut keys).is_ok()
            && (sel.all_keys || sel.patterns.iter().any(|(p, f)| f & user::PERM_R != 0 && p.as_slice() == b"*"))
    })
}

/// Redis' ACLSelectorCheckKey: ACCESS needs read permission, INSERT,
/// DELETE and UPDATE need write permission.
pub fn key_allowed(sel: &Selector, key: &[u8], spec_flags: u32) -> bool {
    if sel.all_keys {
        return true;
    }
    let mut need = 0u8;
    if spec_flags & kf::ACCESS != 0 {
        need |= user::PERM_R;
    }
    if spec_flags & (kf::INSERT | kf::DELETE | kf::UPDATE) != 0 {
        need |= user::PERM_W;
    }
    sel.patterns.iter().any(|(p, f)| f & need == need && crate::util::glob_match(p, key, false))
}

/// Channels are matched as globs; a subscription pattern must appear
/// literally in the user's list.
pub fn channel_allowed(sel: &Selector, channel: &[u8], is_pattern: bool) -> bool {
    sel.all_channels
        || sel.channels.iter().any(|p| if is_pattern { p.as_slice() == channel } else { crate::util::glob_match(p, channel, false) })
}

/// Whether any selector of `u` lets it use `channel` (for the pub/sub code
/// deciding which subscriptions survive a permission change).
pub fn user_may_use_channel(u: &User, channel: &[u8], is_pattern: bool) -> bool {
    u.selectors.iter().any(|s| channel_allowed(s, channel, is_pattern))
}

/// The pub/sub commands whose arguments are channels the check covers:
/// (only argv[1] is a channel, the channels are patterns). PUBLISH and
/// SPUBLISH name one channel, the subscribe commands all their arguments;
/// unsubscribing is always allowed.
fn channel_args(full_name: &str) -> Option<(bool, bool)> {
    match full_name {
        "publish" | "spublish" => Some((true, false)),
        "subscribe" | "ssubscribe" => Some((false, false)),
        "psubscribe" => Some((false, true)),
        _ => None,
    }
}

/// AUTH / HELLO AUTH: switch the connection to `user` when the password
/// opens it; a failure is logged (object: the command name as sent).
pub fn authenticate(srv: &Server, conn: &mut ConnState, user: &[u8], pass: &[u8], argv: &Argv, cmd_name: &str) -> bool {
    let ok = srv.acl.get_bytes(user).is_some_and(|u| u.password_ok(pass));
    if ok {
        set_user(conn, &String::from_utf8_lossy(user));
        conn.authenticated = true;
    } else {
        log::record(srv, conn, Reason::Auth, Context::Toplevel, argv.get(0).to_vec(), user.to_vec(), cmd_name, argv);
    }
    ok
}

/// Make `name` the connection's user.
pub fn set_user(conn: &mut ConnState, name: &str) {
    conn.user = name.to_string();
    conn.handle.meta.lock().user = conn.user.clone();
    conn.acl.invalidate();
}

/// Disconnect the clients authenticated as `name` (its user was deleted);
/// the calling connection closes after its reply.
pub fn kill_clients_of(srv: &Server, conn: &mut ConnState, name: &str) {
    for h in srv.clients.all() {
        if h.meta.lock().user == name {
            if h.id == conn.id() {
                conn.action = Some(crate::client::Action::Close);
            } else {
                h.kill();
            }
        }
    }
}
