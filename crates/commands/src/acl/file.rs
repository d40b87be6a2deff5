//! Users from outside: the ACL file (aclfile, ACL LOAD / SAVE) and `user`
//! lines in the config file, with Redis' error texts.

use super::cmd::user_line;
use super::user::{merge_selector_args, RuleError, User};
use crate::error::CmdError;
use crate::state::Server;
use crate::table::Table;

const NO_FILE: &str = "This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";

/// acl-pubsub-default is allchannels: new users may use every channel.
pub fn pubsub_default_all(srv: &Server) -> bool {
    srv.config.get_str("acl-pubsub-default") == "allchannels"
}

/// The configured ACL file, or the error ACL LOAD / SAVE give without one.
pub fn acl_file(srv: &Server) -> Result<String, CmdError> {
    let f = srv.config.get_str("aclfile");
    if f.is_empty() {
        return Err(CmdError::err(NO_FILE));
    }
    Ok(f)
}

/// Parse an ACL file into users (Redis' ACLLoadFromFile): Err holds every
/// problem found, in Redis' words.
pub fn parse_users(table: &Table, text: &str, path: &str, pubsub_all: bool) -> Result<Vec<User>, String> {
    let mut errors = String::new();
    let mut users: Vec<User> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let n = i + 1;
        let line = raw.trim_matches(|c| c == ' ' || c == '\t' || c == '\r' || c == '\n');
        if line.is_empty() {
            continue;
        }
        // Split on single spaces: repeated spaces give empty arguments,
        // which are syntax errors, as in Redis.
        let argv: Vec<&str> = line.split(' ').collect();
        if argv[0] != "user" || argv.len() < 2 {
            errors.push_str(&format!("{path}:{n} should start with user keyword followed by the username. "));
            continue;
        }
        let name = argv[1];
        if name.contains('\0') {
            errors.push_str(&format!("'{path}:{n}: username '{name}' contains invalid characters. "));
            continue;
        }
        if users.iter().any(|u| u.name == name) {
            errors.push_str(&format!("WARNING: Duplicate user '{name}' found on line {n}. "));
            continue;
        }
        let mut u = User::new(name, table.entries.len(), pubsub_all);
        let args: Vec<&[u8]> = argv[2..].iter().map(|a| a.as_bytes()).collect();
        let ops = match merge_selector_args(&args) {
            Ok(ops) => ops,
            Err(_) => {
                errors.push_str(&format!("{path}:{n}: Unmatched parenthesis in selector definition."));
                Vec::new()
            }
        };
        let mut reported = false;
        for op in ops {
            let op = trim_bytes(&op);
            if let Err(e) = u.apply(table, op, pubsub_all) {
                if e == RuleError::Unknown {
                    errors.push_str(&format!("{path}:{n}: Error in applying operation '{}': {}. ", String::from_utf8_lossy(op), e.text()));
                } else if !reported {
                    errors.push_str(&format!("{path}:{n}: {}. ", e.text()));
                    reported = true;
                }
            }
        }
        if errors.is_empty() {
            users.push(u);
        }
    }
    if !errors.is_empty() {
        errors.push_str("WARNING: ACL errors detected, no change to the previously active ACL rules was performed");
        return Err(errors);
    }
    if !users.iter().any(|u| u.name == "default") {
        users.push(User::new_default(table));
    }
    Ok(users)
}

fn trim_bytes(b: &[u8]) -> &[u8] {
    let is_ws = |c: &u8| matches!(c, b'\t' | b'\r' | b'\n');
    let start = b.iter().position(|c| !is_ws(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !is_ws(c)).map_or(start, |e| e + 1);
    &b[start..end.max(start)]
}

/// ACL LOAD: replace every user with the file's, or change nothing.
pub fn load_file(srv: &Server, path: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("Error loading ACLs, opening file '{path}': {}", os_error(&e)))?;
    let users = parse_users(&srv.table, &text, path, pubsub_default_all(srv))?;
    srv.acl.replace_all(users);
    Ok(())
}

fn os_error(e: &std::io::Error) -> String {
    let s = e.to_string();
    // "No such file or directory (os error 2)" -> strerror's text.
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// ACL SAVE: every user as an ACL LIST line, written to a temporary file
/// renamed over the ACL file.
pub fn save_file(srv: &Server, path: &str) -> std::io::Result<()> {
    let mut text = Vec::new();
    for u in srv.acl.all() {
        text.extend_from_slice(&user_line(&u));
        text.push(b'\n');
    }
    let tmp = format!("{path}.tmp-{}", std::process::id());
    std::fs::write(&tmp, &text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Users at start-up: the ACL file, or the config file's `user` lines
/// (not both). Err is the message to exit with.
pub fn load_at_startup(srv: &Server) -> Result<(), String> {
    let lines = srv.config.user_lines.lock().clone();
    let path = srv.config.get_str("aclfile");
    if !path.is_empty() && !lines.is_empty() {
        return Err("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.".into());
    }
    if !path.is_empty() {
        return load_file(srv, &path).map_err(|e| format!("Aborting Redis startup because of ACL errors: {e}"));
    }
    let table = &srv.table;
    let pubsub_all = pubsub_default_all(srv);
    let mut seen: Vec<&str> = Vec::new();
    for words in &lines {
        let Some(name) = words.first() else { continue };
        if seen.contains(&name.as_str()) {
            return Err("Duplicate user found. A user can only be defined once in config files".into());
        }
        seen.push(name);
        if name.contains(' ') || name.contains('\0') {
            return Err("Spaces not allowed in ACL usernames".into());
        }
        let mut u = match srv.acl.get(name) {
            // Only the default user exists already; it starts over.
            Some(old) => {
                let mut u = (*old).clone();
                let _ = u.apply(table, b"reset", pubsub_all);
                u
            }
            None => User::new(name, table.entries.len(), pubsub_all),
        };
        let args: Vec<&[u8]> = words[1..].iter().map(|a| a.as_bytes()).collect();
        let ops = merge_selector_args(&args)
            .map_err(|i| format!("Error in user declaration '{}': Unmatched parenthesis in acl selector", words[i + 1]))?;
        for op in ops {
            u.apply(table, &op, pubsub_all)
                .map_err(|e| format!("Error in user declaration '{}': {}", String::from_utf8_lossy(&op), e.text()))?;
        }
        srv.acl.put(u);
    }
    Ok(())
}
