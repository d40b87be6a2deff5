//! ACL users and selectors: applying rules ("on", ">pass", "~pattern",
//! "+@read", "(selector)", ...) exactly as Redis' ACLSetUser/ACLSetSelector
//! do, and printing them back as ACL LIST / GETUSER show them.

use super::sha256::hash_hex;
use crate::spec::cat;
use crate::table::Table;

/// Key pattern permissions (%R~ / %W~ / ~).
pub const PERM_R: u8 = 1;
pub const PERM_W: u8 = 2;
pub const PERM_ALL: u8 = PERM_R | PERM_W;

/// Why a rule was refused; `text` is Redis' ACLSetUserStringError.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleError {
    /// ENOENT: names an unknown command or category.
    Unknown,
    Syntax,
    KeyAfterAll,
    ChannelAfterAll,
    NoSuchPassword,
    BadHash,
    FirstArgOfSub,
}

impl RuleError {
    pub fn text(self) -> &'static str {
        match self {
            RuleError::Unknown => "Unknown command or category name in ACL",
            RuleError::Syntax => "Syntax error",
            RuleError::KeyAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            RuleError::ChannelAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
            }
            RuleError::NoSuchPassword => "The password you are trying to remove from the user does not exist",
            RuleError::BadHash => "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
            RuleError::FirstArgOfSub => "Allowing first-arg of a subcommand is not supported",
        }
    }
}

/// One set of permissions. A user has a root selector and may have more;
/// a command is allowed when any selector allows all of it.
#[derive(Clone, Debug)]
pub struct Selector {
    /// Allowed command ids (table entry index), one bit each.
    pub allowed: Vec<u64>,
    /// +@all with nothing removed since (Redis' SELECTOR_FLAG_ALLCOMMANDS).
    pub all_commands: bool,
    /// Commands added later are allowed (the reserved bit +@all sets).
    pub future: bool,
    pub all_keys: bool,
    pub all_channels: bool,
    /// (command id, allowed first arguments) for "+cmd|arg" rules.
    pub first_args: Vec<(usize, Vec<Vec<u8>>)>,
    pub patterns: Vec<(Vec<u8>, u8)>,
    pub channels: Vec<Vec<u8>>,
    /// The command rules in the order given, compacted as Redis does
    /// (a later rule for a command replaces earlier ones for it).
    pub rules: Vec<String>,
}

impl Selector {
    pub fn new(ncmds: usize, all_channels: bool) -> Selector {
        Selector {
            allowed: vec![0; ncmds.div_ceil(64)],
            all_commands: false,
            future: false,
            all_keys: false,
            all_channels,
            first_args: Vec::new(),
            patterns: Vec::new(),
            channels: Vec::new(),
            rules: Vec::new(),
        }
    }

    #[inline]
    pub fn allows_id(&self, id: usize) -> bool {
        self.allowed.get(id / 64).is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    fn set_bit(&mut self, id: usize, on: bool) {
        if let Some(w) = self.allowed.get_mut(id / 64) {
            if on {
                *w |= 1 << (id % 64);
            } else {
                *w &= !(1 << (id % 64));
                self.all_commands = false;
            }
        }
    }

    /// A command and, for a container, all its subcommands.
    fn change_perm(&mut self, table: &Table, id: usize, allow: bool) {
        self.set_bit(id, allow);
        self.first_args.retain(|(c, _)| *c != id);
        for &sid in table.get(id).subs.values() {
            self.set_bit(sid, allow);
        }
    }

    fn set_category(&mut self, table: &Table, category: u64, allow: bool) {
        for (id, e) in table.entries.iter().enumerate() {
            if e.def.acl_categories() & category != 0 {
                self.change_perm(table, id, allow);
            }
        }
    }

    /// Replace earlier rules for the same command (or its subcommands /
    /// first args) or category, then append this one.
    fn update_rules(&mut self, rule: &str, allow: bool) {
        let rule = rule.to_ascii_lowercase();
        self.rules.retain(|r| {
            let name = &r[1..];
            !(name == rule || (name.len() > rule.len() && name.starts_with(rule.as_str()) && name.as_bytes()[rule.len()] == b'|'))
        });
        self.rules.push(format!("{}{}", if allow { '+' } else { '-' }, rule));
    }

    pub fn allows_first_arg(&self, id: usize, arg: &[u8]) -> bool {
        self.first_args.iter().any(|(c, args)| *c == id && args.iter().any(|a| a.eq_ignore_ascii_case(arg)))
    }

    /// Apply one selector rule (Redis' ACLSetSelector).
    pub fn apply(&mut self, table: &Table, op: &[u8]) -> Result<(), RuleError> {
        let is = |kw: &str| op.eq_ignore_ascii_case(kw.as_bytes());
        if is("allkeys") || op == b"~*" {
            self.all_keys = true;
            self.patterns.clear();
        } else if is("resetkeys") {
            self.all_keys = false;
            self.patterns.clear();
        } else if is("allchannels") || op == b"&*" {
            self.all_channels = true;
            self.channels.clear();
        } else if is("resetchannels") {
            self.all_channels = false;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") {
            self.allowed.iter_mut().for_each(|w| *w = u64::MAX);
            self.all_commands = true;
            self.future = true;
            self.rules.clear();
            self.first_args.clear();
        } else if is("nocommands") || is("-@all") {
            self.allowed.iter_mut().for_each(|w| *w = 0);
            self.all_commands = false;
            self.future = false;
            self.rules.clear();
            self.first_args.clear();
        } else if op.first() == Some(&b'~') || op.first() == Some(&b'%') {
            self.add_key_pattern(op)?;
        } else if op.first() == Some(&b'&') {
            if self.all_channels {
                return Err(RuleError::ChannelAfterAll);
            }
            let ch = op[1..].to_vec();
            if !self.channels.contains(&ch) {
                self.channels.push(ch);
            }
        } else if op.len() > 1 && (op[0] == b'+' || op[0] == b'-') && op[1] == b'@' {
            let allow = op[0] == b'+';
            let name = std::str::from_utf8(&op[2..]).map_err(|_| RuleError::Unknown)?;
            let category = category_by_name(name).ok_or(RuleError::Unknown)?;
            self.set_category(table, category, allow);
            self.update_rules(&format!("@{name}"), allow);
        } else if op.first() == Some(&b'+') {
            self.allow_command(table, &op[1..])?;
        } else if op.first() == Some(&b'-') {
            let id = lookup_command(table, &op[1..]).ok_or(RuleError::Unknown)?;
            self.change_perm(table, id, false);
            self.update_rules(&table.get(id).full_name, false);
        } else {
            return Err(RuleError::Syntax);
        }
        Ok(())
    }

    fn add_key_pattern(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if self.all_keys {
            return Err(RuleError::KeyAfterAll);
        }
        let mut flags = 0u8;
        let mut offset = 1;
        if op[0] == b'%' {
            while offset < op.len() {
                match op[offset].to_ascii_uppercase() {
                    b'R' if flags & PERM_R == 0 => flags |= PERM_R,
                    b'W' if flags & PERM_W == 0 => flags |= PERM_W,
                    b'~' => {
                        offset += 1;
                        break;
                    }
                    _ => return Err(RuleError::Syntax),
                }
                offset += 1;
            }
            if flags == 0 {
                return Err(RuleError::Syntax);
            }
        } else {
            flags = PERM_ALL;
        }
        let pat = &op[offset.min(op.len())..];
        if pat == b"*" && flags == PERM_ALL {
            self.all_keys = true;
            self.patterns.clear();
        } else if let Some(p) = self.patterns.iter_mut().find(|(p, _)| p.as_slice() == pat) {
            p.1 |= flags;
        } else {
            self.patterns.push((pat.to_vec(), flags));
        }
        Ok(())
    }

    /// "+cmd", "+container|sub" or the deprecated "+cmd|firstarg".
    fn allow_command(&mut self, table: &Table, name: &[u8]) -> Result<(), RuleError> {
        let Some(bar) = name.iter().rposition(|&c| c == b'|') else {
            let id = lookup_command(table, name).ok_or(RuleError::Unknown)?;
            self.change_perm(table, id, true);
            self.update_rules(&table.get(id).full_name, true);
            return Ok(());
        };
        let (base, sub) = (&name[..bar], &name[bar + 1..]);
        let id = lookup_command(table, base).ok_or(RuleError::Unknown)?;
        if table.get(id).parent.is_some() {
            return Err(RuleError::FirstArgOfSub);
        }
        if sub.is_empty() {
            return Err(RuleError::Syntax);
        }
        if !table.get(id).subs.is_empty() {
            let sid = lookup_command(table, name).ok_or(RuleError::Unknown)?;
            self.change_perm(table, sid, true);
        } else {
            match self.first_args.iter_mut().find(|(c, _)| *c == id) {
                Some((_, args)) => {
                    if !args.iter().any(|a| a.eq_ignore_ascii_case(sub)) {
                        args.push(sub.to_vec());
                    }
                }
                None => self.first_args.push((id, vec![sub.to_vec()])),
            }
        }
        self.update_rules(&String::from_utf8_lossy(name), true);
        Ok(())
    }

    /// The command part as ACL LIST prints it ("+@all -flushall").
    pub fn describe_commands(&self) -> String {
        let mut s = String::from(if self.future { "+@all" } else { "-@all" });
        for r in &self.rules {
            s.push(' ');
            s.push_str(r);
        }
        s
    }

    /// Key patterns joined by spaces ("~a* %R~b*"), "~*" for all keys.
    pub fn describe_keys(&self) -> Vec<u8> {
        if self.all_keys {
            return b"~*".to_vec();
        }
        let mut s = Vec::new();
        for (i, (p, f)) in self.patterns.iter().enumerate() {
            if i > 0 {
                s.push(b' ');
            }
            s.extend_from_slice(match *f {
                PERM_R => b"%R~",
                PERM_W => b"%W~",
                _ => b"~",
            });
            s.extend_from_slice(p);
        }
        s
    }

    /// Channel patterns joined by spaces, "&*" for all channels.
    pub fn describe_channels(&self) -> Vec<u8> {
        if self.all_channels {
            return b"&*".to_vec();
        }
        let mut s = Vec::new();
        for (i, c) in self.channels.iter().enumerate() {
            if i > 0 {
                s.push(b' ');
            }
            s.push(b'&');
            s.extend_from_slice(c);
        }
        s
    }

    /// The whole selector as ACL LIST prints it.
    pub fn describe(&self) -> Vec<u8> {
        let mut s = Vec::new();
        let keys = self.describe_keys();
        if !keys.is_empty() {
            s.extend_from_slice(&keys);
            s.push(b' ');
        }
        if self.all_channels {
            s.extend_from_slice(b"&* ");
        } else {
            s.extend_from_slice(b"resetchannels ");
            for c in &self.channels {
                s.push(b'&');
                s.extend_from_slice(c);
                s.push(b' ');
            }
        }
        s.extend_from_slice(self.describe_commands().as_bytes());
        s
    }

    fn unrestricted(&self) -> bool {
        self.all_commands && self.all_keys && self.all_channels
    }
}

/// Look up "cmd" or "container|sub" (case-insensitive), as ACL rules name
/// commands.
pub fn lookup_command(table: &Table, name: &[u8]) -> Option<usize> {
    let mut parts = name.split(|&c| c == b'|');
    let base = parts.next()?;
    let id = table.lookup(base)?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(id),
        (Some(sub), None) if !table.get(id).subs.is_empty() => table.lookup_sub(id, sub),
        _ => None,
    }
}

pub fn category_by_name(name: &str) -> Option<u64> {
    cat::NAMES.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)).map(|(c, _)| *c)
}

#[derive(Clone, Debug)]
pub struct User {
    pub name: String,
    pub enabled: bool,
    pub nopass: bool,
    pub skip_sanitize: bool,
    /// Lowercase hex SHA-256 of each password, in the order added.
    pub passwords: Vec<String>,
    /// The root selector first.
    pub selectors: Vec<Selector>,
    /// The root selector allows everything: the permission check is one
    /// load of this flag.
    pub unrestricted: bool,
}

impl User {
    /// A new user as ACL SETUSER creates it: off, no passwords, no
    /// permissions (channels per acl-pubsub-default).
    pub fn new(name: &str, ncmds: usize, all_channels: bool) -> User {
        User {
            name: name.to_string(),
            enabled: false,
            nopass: false,
            skip_sanitize: false,
            passwords: Vec::new(),
            selectors: vec![Selector::new(ncmds, all_channels)],
            unrestricted: false,
        }
    }

    /// The default user of a fresh server: "on nopass ~* &* +@all".
    pub fn new_default(table: &Table) -> User {
        let mut u = User::new("default", table.entries.len(), false);
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            let _ = u.apply(table, op.as_bytes(), false);
        }
        u
    }

    pub fn root(&self) -> &Selector {
        &self.selectors[0]
    }

    /// Apply one rule (Redis' ACLSetUser). `pubsub_all`: acl-pubsub-default
    /// is allchannels (for "reset" and new selectors).
    pub fn apply(&mut self, table: &Table, op: &[u8], pubsub_all: bool) -> Result<(), RuleError> {
        let r = self.apply_inner(table, op, pubsub_all);
        self.unrestricted = self.selectors[0].unrestricted();
        r
    }

    fn apply_inner(&mut self, table: &Table, op: &[u8], pubsub_all: bool) -> Result<(), RuleError> {
        // An empty rule changes nothing, as in Redis.
        if op.is_empty() {
            return Ok(());
        }
        let is = |kw: &str| op.eq_ignore_ascii_case(kw.as_bytes());
        if is("on") {
            self.enabled = true;
        } else if is("off") {
            self.enabled = false;
        } else if is("skip-sanitize-payload") {
            self.skip_sanitize = true;
        } else if is("sanitize-payload") {
            self.skip_sanitize = false;
        } else if is("nopass") {
            self.nopass = true;
            self.passwords.clear();
        } else if is("resetpass") {
            self.nopass = false;
            self.passwords.clear();
        } else if is("clearselectors") {
            self.selectors.truncate(1);
        } else if is("reset") {
            let ncmds = table.entries.len();
            *self = User { name: std::mem::take(&mut self.name), ..User::new("", ncmds, pubsub_all) };
        } else if op.first() == Some(&b'>') || op.first() == Some(&b'#') {
            let hash = if op[0] == b'>' { hash_hex(&op[1..]) } else { valid_hash(&op[1..])? };
            if !self.passwords.contains(&hash) {
                self.passwords.push(hash);
            }
            self.nopass = false;
        } else if op.first() == Some(&b'<') || op.first() == Some(&b'!') {
            let hash = if op[0] == b'<' { hash_hex(&op[1..]) } else { valid_hash(&op[1..])? };
            let pos = self.passwords.iter().position(|h| *h == hash).ok_or(RuleError::NoSuchPassword)?;
            self.passwords.remove(pos);
        } else if op.len() >= 2 && op[0] == b'(' && op[op.len() - 1] == b')' {
            let mut s = Selector::new(table.entries.len(), pubsub_all);
            let inner = &op[1..op.len() - 1];
            let args = moon_resp::split_args(inner).ok_or(RuleError::Syntax)?;
            for a in args {
                s.apply(table, &a)?;
            }
            self.selectors.push(s);
        } else {
            self.selectors[0].apply(table, op)?;
        }
        Ok(())
    }

    /// The rules that recreate this user, as ACL LIST prints them after
    /// "user <name> ".
    pub fn describe(&self) -> Vec<u8> {
        let mut s = Vec::new();
        s.extend_from_slice(if self.enabled { b"on " } else { b"off " });
        if self.nopass {
            s.extend_from_slice(b"nopass ");
        }
        s.extend_from_slice(if self.skip_sanitize { b"skip-sanitize-payload " } else { b"sanitize-payload " });
        for p in &self.passwords {
            s.push(b'#');
            s.extend_from_slice(p.as_bytes());
            s.push(b' ');
        }
        for (i, sel) in self.selectors.iter().enumerate() {
            if i == 0 {
                s.extend_from_slice(&sel.describe());
            } else {
                s.extend_from_slice(b" (");
                s.extend_from_slice(&sel.describe());
                s.push(b')');
            }
        }
        s
    }

    /// The GETUSER "flags" list.
    pub fn flag_names(&self) -> Vec<&'static str> {
        let mut f = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            f.push("nopass");
        }
        f.push(if self.skip_sanitize { "skip-sanitize-payload" } else { "sanitize-payload" });
        f
    }

    /// Whether `password` opens this user (Redis' ACLCheckUserCredentials).
    pub fn password_ok(&self, password: &[u8]) -> bool {
        if !self.enabled {
            return false;
        }
        if self.nopass {
            return true;
        }
        let h = hash_hex(password);
        // Compare every hash in full, not stopping at the first difference.
        self.passwords.iter().fold(false, |ok, p| ok | ct_eq(p.as_bytes(), h.as_bytes()))
    }
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

fn valid_hash(h: &[u8]) -> Result<String, RuleError> {
    if h.len() != 64 || !h.iter().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c)) {
        return Err(RuleError::BadHash);
    }
    Ok(String::from_utf8_lossy(h).into_owned())
}

/// Group "(" ... ")" arguments into one selector argument as Redis'
/// ACLMergeSelectorArguments does; Err(index) of an unclosed selector.
pub fn merge_selector_args(args: &[&[u8]]) -> Result<Vec<Vec<u8>>, usize> {
    let mut out = Vec::with_capacity(args.len());
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (i, &a) in args.iter().enumerate() {
        if let Some((_, sel)) = open.as_mut() {
            sel.push(b' ');
            sel.extend_from_slice(a);
            if a.last() == Some(&b')') {
                out.push(open.take().map(|(_, s)| s).unwrap_or_default());
            }
            continue;
        }
        if a.first() == Some(&b'(') && a.last() != Some(&b')') {
            open = Some((i, a.to_vec()));
            continue;
        }
        out.push(a.to_vec());
    }
    match open {
        Some((i, _)) => Err(i),
        None => Ok(out),
    }
}
