//! Shared pieces of the container commands (CLIENT, CONFIG, COMMAND,
//! DEBUG, SLOWLOG, LATENCY, MEMORY): the HELP reply layout and the subcommand syntax error.

use crate::error::CmdError;
use moon_resp::{Argv, Out};

/// A HELP reply as Redis lays it out: a header line naming the command,
/// one status line per entry (subcommands flush left, descriptions
/// indented by four spaces), then the entry for HELP itself.
pub fn reply_help(out: &mut Out, command: &str, lines: &[&str]) {
    out.array(lines.len() + 3);
    out.simple(&format!("{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
    for l in lines {
        out.simple(l);
    }
    out.simple("HELP");
    out.simple("    Show this help.");
}

/// "unknown subcommand or wrong number of arguments for '<sub>'. Try
/// <CMD> HELP." with the subcommand as the client typed it.
pub fn subcommand_syntax_error(argv: &Argv) -> CmdError {
    let cmd = String::from_utf8_lossy(argv.get(0)).to_uppercase();
    let sub = String::from_utf8_lossy(argv.get(1));
    let sub: String = sub.chars().take(128).collect();
    CmdError::err(format!("unknown subcommand or wrong number of arguments for '{sub}'. Try {cmd} HELP."))
}

/// Redis' bytesToHuman: "123B", "1.50K", "2.00M", ... up to petabytes.
pub fn bytes_to_human(n: u64) -> String {
    const UNITS: [(u64, &str); 5] = [(1 << 50, "P"), (1 << 40, "T"), (1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K")];
    if n >= 1024 << 50 {
        return format!("{n}B");
    }
    for (div, unit) in UNITS {
        if n >= div {
            return format!("{:.2}{unit}", n as f64 / div as f64);
        }
    }
    format!("{n}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(bytes_to_human(0), "0B");
        assert_eq!(bytes_to_human(1023), "1023B");
        assert_eq!(bytes_to_human(694176), "677.91K");
        assert_eq!(bytes_to_human(6615040), "6.31M");
        assert_eq!(bytes_to_human(25276063744), "23.54G");
    }
}
