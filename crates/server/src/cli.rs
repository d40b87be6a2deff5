//! Command line and config file, as redis-server reads them:
//! `moon [/path/moon.conf | -] [--name value ...]`. The file holds
//! `name value` lines with Redis' quoting, `#` comments and `include`;
//! every parameter can also be given as `--name value...` and the command
//! line overrides the file.

use moon_commands::config::{find_param, Config, MULTI_ARG, PARAMS};
use std::path::{Path, PathBuf};

pub enum Parsed {
    Run { config: Config },
    Exit { code: i32, message: String },
}

/// One directive with where it came from, for error messages.
struct Directive {
    name: String,
    values: Vec<String>,
    origin: String,
    text: String,
}

pub fn parse(args: &[String]) -> Parsed {
    parse_with(args, default_data_dir)
}

/// `parse` with the default data directory from `default_dir` (tests keep
/// it out of the user's home).
fn parse_with(args: &[String], default_dir: fn() -> Option<PathBuf>) -> Parsed {
    let mut rest = &args[1..];
    if let Some(first) = rest.first() {
        match first.as_str() {
            "-h" | "--help" => return Parsed::Exit { code: 0, message: help() },
            "-v" | "--version" => return Parsed::Exit { code: 0, message: version() },
            _ => {}
        }
    }
    let mut directives = Vec::new();
    let mut file = None;
    if let Some(first) = rest.first().filter(|a| !a.starts_with("--")) {
        let r = if first == "-" {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map(|_| s).map_err(|e| e.to_string())
        } else {
            file = Some(absolute(Path::new(first)));
            std::fs::read_to_string(first).map_err(|e| format!("Fatal error, can't open config file '{first}': {e}"))
        };
        match r.and_then(|text| read_config(&text, first, &mut directives, 0)) {
            Ok(()) => {}
            Err(m) => return Parsed::Exit { code: 1, message: m },
        }
        rest = &rest[1..];
    }
    if let Err(m) = read_cli(rest, &mut directives) {
        return Parsed::Exit { code: 1, message: m };
    }
    let config = Config::default();
    for d in &directives {
        if let Err(reason) = apply(&config, d) {
            return Parsed::Exit {
                code: 1,
                message: format!("\n*** FATAL CONFIG FILE ERROR ({}) ***\n{}\n>>> '{}'\n{}\n", version(), d.origin, d.text, reason),
            };
        }
    }
    if !directives.iter().any(|d| d.name.eq_ignore_ascii_case("dir")) {
        if let Some(dir) = default_dir() {
            // A data directory that cannot be used leaves the working one.
            if let Some(s) = dir.to_str() {
                let _ = config.set("dir", s, true);
            }
        }
    }
    *config.file.write() = file;
    Parsed::Run { config }
}

/// The default `dir`: a `moon-data` directory in the platform's per-user
/// data location ($XDG_DATA_HOME or ~/.local/share on Linux and other
/// Unix, ~/Library/Application Support on macOS), created if missing.
/// None (the working directory stays) when it cannot be found or made.
fn default_data_dir() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).map(PathBuf::from);
    let dir = data_dir_from(var("XDG_DATA_HOME"), var("HOME"))?;
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir)
}

fn data_dir_from(xdg: Option<PathBuf>, home: Option<PathBuf>) -> Option<PathBuf> {
    let home = home.filter(|h| h.is_absolute());
    let base = if cfg!(target_os = "macos") {
        home.map(|h| h.join("Library").join("Application Support"))
    } else {
        // The XDG spec ignores a relative XDG_DATA_HOME.
        xdg.filter(|p| p.is_absolute()).or_else(|| home.map(|h| h.join(".local").join("share")))
    }?;
    Some(base.join("moon-data"))
}

fn absolute(p: &Path) -> PathBuf {
    std::env::current_dir().map(|d| d.join(p)).unwrap_or_else(|_| p.to_path_buf())
}

fn apply(config: &Config, d: &Directive) -> Result<(), String> {
    // `user <name> <rules...>` may repeat; the ACL loads them at start-up.
    if d.name == "user" {
        if d.values.is_empty() {
            return Err("wrong number of arguments".into());
        }
        config.user_lines.lock().push(d.values.clone());
        return Ok(());
    }
    let param = find_param(&d.name).ok_or_else(|| "Bad directive or wrong number of arguments".to_string())?;
    let value = if param.flags & MULTI_ARG != 0 {
        d.values.join(" ")
    } else if d.values.len() == 1 {
        d.values[0].clone()
    } else {
        return Err("wrong number of arguments".into());
    };
    config.set(param.name, &value, true)
}

fn read_config(text: &str, source: &str, out: &mut Vec<Directive>, depth: usize) -> Result<(), String> {
    if depth > 16 {
        return Err(format!("Too many nested includes while reading '{source}'"));
    }
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fatal = |reason: &str| {
            format!(
                "\n*** FATAL CONFIG FILE ERROR ({}) ***\nReading the configuration file '{source}', at line {}\n>>> '{line}'\n{reason}\n",
                version(),
                n + 1
            )
        };
        let Some(words) = moon_resp::split_args(line.as_bytes()) else { return Err(fatal("Unbalanced quotes in configuration line")) };
        let words: Vec<String> = words.into_iter().map(|w| String::from_utf8_lossy(&w).into_owned()).collect();
        let name = words[0].to_ascii_lowercase();
        if name == "include" {
            if words.len() != 2 {
                return Err(fatal("wrong number of arguments"));
            }
            let inc = std::fs::read_to_string(&words[1]).map_err(|e| fatal(&format!("can't open included file: {e}")))?;
            read_config(&inc, &words[1], out, depth + 1)?;
            continue;
        }
        out.push(Directive {
            name,
            values: words[1..].to_vec(),
            origin: format!("Reading the configuration file '{source}', at line {}", n + 1),
            text: line.to_string(),
        });
    }
    Ok(())
}

/// `--name v1 v2 --other v` → directives; values run until the next `--`.
fn read_cli(args: &[String], out: &mut Vec<Directive>) -> Result<(), String> {
    let mut i = 0;
    while i < args.len() {
        let Some(name) = args[i].strip_prefix("--") else {
            return Err(format!("Invalid argument '{}': options must start with '--' (see moon --help)", args[i]));
        };
        let mut values = Vec::new();
        i += 1;
        while i < args.len() && !(args[i].starts_with("--") && args[i].len() > 2) {
            values.push(args[i].clone());
            i += 1;
        }
        let text = format!(
            "--{name} {}",
            values.iter().map(|v| if v.is_empty() { "\"\"".into() } else { v.clone() }).collect::<Vec<_>>().join(" ")
        );
        out.push(Directive {
            name: name.to_ascii_lowercase(),
            values,
            origin: format!("Reading the command line option '--{name}'"),
            text: text.trim_end().to_string(),
        });
    }
    Ok(())
}

pub fn version() -> String {
    format!("Moon {} (Redis {} compatible)", env!("CARGO_PKG_VERSION"), moon_commands::connection::REDIS_VERSION)
}

fn help() -> String {
    let mut s = format!(
        "{}\n\nUsage: moon [/path/to/moon.conf | -] [--<option> <value>...]\n       moon -v | --version\n       moon -h | --help\n\n\
         The config file uses redis.conf syntax (`name value` lines, quotes, # comments, include).\n\
         Every option below can be given on the command line as --name value; the command line\n\
         overrides the file.\n\nOptions (default in brackets):\n",
        version()
    );
    for p in PARAMS {
        s.push_str(&format!("  --{:<28} {} [{}]\n", p.name, p.help, if p.default.is_empty() { "\"\"" } else { p.default }));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Parsed {
        let v: Vec<String> = std::iter::once("moon").chain(args.iter().copied()).map(String::from).collect();
        parse_with(&v, || None)
    }

    #[test]
    fn default_data_dir_location() {
        let p = |s: &str| Some(PathBuf::from(s));
        if !cfg!(target_os = "macos") {
            assert_eq!(data_dir_from(p("/x/data"), p("/home/u")), p("/x/data/moon-data"));
            assert_eq!(data_dir_from(p("rel"), p("/home/u")), p("/home/u/.local/share/moon-data"));
            assert_eq!(data_dir_from(None, p("/home/u")), p("/home/u/.local/share/moon-data"));
        }
        assert_eq!(data_dir_from(None, None), None);
        assert_eq!(data_dir_from(None, p("relative")), None);
        // Used when no dir is given, and only then.
        let tmp = std::env::temp_dir().join(format!("moon-cli-data-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap();
        let v: Vec<String> = ["moon", "--port", "7002"].iter().map(|s| s.to_string()).collect();
        fn tmp_dir() -> Option<PathBuf> {
            Some(std::env::temp_dir().join(format!("moon-cli-data-{}", std::process::id())))
        }
        let Parsed::Run { config } = parse_with(&v, tmp_dir) else { panic!() };
        assert_eq!(PathBuf::from(config.get("dir").unwrap()).canonicalize().unwrap(), tmp.canonicalize().unwrap());
        let v: Vec<String> = ["moon", "--dir", "/tmp"].iter().map(|s| s.to_string()).collect();
        let Parsed::Run { config } = parse_with(&v, tmp_dir) else { panic!() };
        assert_eq!(config.get("dir").unwrap(), "/tmp");
    }

    #[test]
    fn cli_overrides_file_and_multiword_values() {
        let dir = std::env::temp_dir().join(format!("moon-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let inc = dir.join("inc.conf");
        std::fs::write(&inc, "timeout 7\n").unwrap();
        let conf = dir.join("moon.conf");
        std::fs::write(&conf, format!("# comment\nport 7000\nrequirepass \"a b\"\ninclude {}\n", inc.display())).unwrap();
        let Parsed::Run { config } = run(&[conf.to_str().unwrap(), "--port", "7001", "--save", "", "--bind", "127.0.0.1", "::1"]) else {
            panic!("should parse")
        };
        assert_eq!(config.get("port").unwrap(), "7001");
        assert_eq!(config.get("requirepass").unwrap(), "a b");
        assert_eq!(config.get("timeout").unwrap(), "7");
        assert_eq!(config.get("bind").unwrap(), "127.0.0.1 ::1");
        assert_eq!(config.get("save").unwrap(), "");
    }

    #[test]
    fn errors_name_the_option() {
        let Parsed::Exit { code: 1, message } = run(&["--port", "abc"]) else { panic!() };
        assert!(message.contains("--port abc") && message.contains("integer"), "{message}");
        let Parsed::Exit { code: 1, message } = run(&["--nosuch", "1"]) else { panic!() };
        assert!(message.contains("nosuch") && message.contains("Bad directive"), "{message}");
        let Parsed::Exit { code: 1, message } = run(&["--appendfsync", "sometimes"]) else { panic!() };
        assert!(message.contains("appendfsync"), "{message}");
        let Parsed::Exit { code: 1, .. } = run(&["/nonexistent/moon.conf"]) else { panic!() };
        let Parsed::Exit { code: 0, message } = run(&["--help"]) else { panic!() };
        assert!(message.contains("--maxclients"));
    }
}
