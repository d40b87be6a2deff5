//! The command table, the dispatch path and every command family.

pub mod bitmap;
pub mod blocking;
pub mod client;
pub mod config;
pub mod connection;
pub mod ctx;
pub mod error;
pub mod evict;
pub mod exec;
pub mod geo;
pub mod hash;
pub mod hll;
pub mod keys;
pub mod latency;
pub mod list;
pub mod multi;
pub mod persistence;
pub mod scripting;
pub mod server;
pub mod set;
pub mod sort;
pub mod spec;
pub mod state;
pub mod stats;
pub mod stream;
pub mod string;
pub mod table;
pub mod testing;
pub mod util;
pub mod world;
pub mod zset;

pub use client::{Action, ClientHandle, ConnState};
pub use config::Config;
pub use exec::{call, call_timed, Outcome, WorldHold};
pub use state::Server;
