//! A client that drives the real dispatch path in unit tests, without
//! sockets: build argv, call `exec::call`, return the raw reply bytes.

use crate::client::{ClientHandle, ConnState};
use crate::config::Config;
use crate::exec::{call, Outcome};
use crate::state::Server;
use moon_resp::{ArgBuf, Limits, Out, Parsed, Protocol};
use std::sync::Arc;

pub struct TestClient {
    pub srv: Arc<Server>,
    pub conn: ConnState,
    pub out: Out,
}

impl TestClient {
    pub fn new() -> TestClient {
        Self::with_config(&[])
    }

    pub fn with_config(params: &[(&str, &str)]) -> TestClient {
        let config = Config::default();
        config.set("enable-debug-command", "yes", true).unwrap();
        for (k, v) in params {
            config.set(k, v, true).unwrap();
        }
        let srv = Arc::new(Server::new(config, 1));
        Self::connect(srv)
    }

    /// Another client of the same server.
    pub fn connect(srv: Arc<Server>) -> TestClient {
        let id = srv.clients.next_id();
        let h = Arc::new(ClientHandle::new(id, "127.0.0.1:50000".into(), "127.0.0.1:6379".into(), 8, false, Box::new(|| {})));
        srv.clients.register(h.clone());
        let authed = crate::acl::connect_authenticated(&srv);
        let conn = ConnState::new(h, 0, true, authed);
        TestClient { srv, conn, out: Out::new(Protocol::Resp2) }
    }

    /// Run one command; returns its reply as (lossy) text.
    pub fn run(&mut self, args: &[&str]) -> String {
        String::from_utf8_lossy(&self.run_bytes(&args.iter().map(|a| a.as_bytes()).collect::<Vec<_>>())).into_owned()
    }

    pub fn run_bytes(&mut self, args: &[&[u8]]) -> Vec<u8> {
        let mut wire = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            wire.extend(format!("${}\r\n", a.len()).bytes());
            wire.extend_from_slice(a);
            wire.extend_from_slice(b"\r\n");
        }
        let mut ab = ArgBuf::new();
        let Ok(Parsed::Command { .. }) = ab.parse(&wire, &Limits::default()) else { panic!("bad test command") };
        self.out.buf.clear();
        let argv = ab.argv(&wire);
        assert_eq!(call(&self.srv, &mut self.conn, &mut self.out, &argv), Outcome::Done);
        // Each command is a batch of its own (as if the connection read it alone).
        crate::tracking::flush_bcast(&self.srv, &mut self.conn);
        std::mem::take(&mut self.out.buf)
    }
}

impl TestClient {
    /// For a client a command left blocked: how its wait ended so far
    /// (None while it still waits). A served reply is returned as text.
    pub fn wait_end(&mut self) -> Option<crate::blocking::WaitEnd> {
        let end = self.conn.blocked.as_ref()?.outcome()?;
        self.conn.blocked = None;
        Some(end)
    }

    /// The reply a write handed to this blocked client, if any yet (with
    /// anything pushed to it before, as it is all in its mailbox).
    pub fn served(&mut self) -> Option<String> {
        match self.wait_end()? {
            crate::blocking::WaitEnd::Served => Some(String::from_utf8_lossy(&self.conn.handle.take_mail()).into_owned()),
            other => panic!("wait ended without a reply: {other:?}"),
        }
    }
}

impl Default for TestClient {
    fn default() -> Self {
        Self::new()
    }
}
