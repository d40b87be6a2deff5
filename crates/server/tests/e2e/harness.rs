//! Start/stop a moon process for a test.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Moon {
    pub port: u16,
    child: Child,
    /// The server's `dir`: a fresh temp directory, removed on drop.
    pub dir: std::path::PathBuf,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Moon {
    pub fn start(extra: &[&str]) -> Moon {
        // Tests run in parallel and a free port can be handed to two of
        // them; the loser's moon exits ("in use"), so try another port.
        for _ in 0..5 {
            if let Some(m) = Self::try_start(extra) {
                return m;
            }
        }
        panic!("moon did not start on any of 5 ports");
    }

    fn try_start(extra: &[&str]) -> Option<Moon> {
        let port = free_port();
        // A config file path, like redis-server's, must come first.
        let (file, flags) = match extra.first() {
            Some(f) if !f.starts_with("--") => (vec![f.to_string()], &extra[1..]),
            _ => (vec![], extra),
        };
        // A temp `dir` and no save points unless the test says otherwise:
        // never the user's data directory.
        let dir = std::env::temp_dir().join(format!("moon-e2e-dir-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut args = file;
        args.extend(["--port".to_string(), port.to_string(), "--bind".into(), "127.0.0.1".into(), "--threads".into(), "2".into()]);
        args.extend(["--dir".to_string(), dir.to_str().unwrap().to_string(), "--save".into(), String::new()]);
        args.extend(flags.iter().map(|s| s.to_string()));
        let child =
            Command::new(env!("CARGO_BIN_EXE_moon")).args(&args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn moon");
        let mut m = Moon { port, child, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if !m.alive() {
                return None;
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                // Listening, and still ours (not another test's server).
                std::thread::sleep(Duration::from_millis(20));
                return m.alive().then_some(m);
            }
            assert!(Instant::now() < deadline, "moon did not start listening on {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn client(&self) -> redis::Connection {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).unwrap().get_connection().unwrap()
    }

    pub fn raw(&self) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(st) = self.child.try_wait().unwrap() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Moon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Send bytes, then read until the peer closes or `n` bytes arrived.
pub fn exchange(s: &mut TcpStream, send: &[u8], want: usize) -> Vec<u8> {
    s.write_all(send).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while got.len() < want {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    got
}

/// True if the server closed the connection (read returns 0).
pub fn closed(s: &mut TcpStream) -> bool {
    let mut b = [0u8; 1];
    matches!(s.read(&mut b), Ok(0))
}
