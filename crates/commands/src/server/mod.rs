//! Server commands: introspection, configuration, clients, diagnostics.
//! One file per command (or small group), each exporting its COMMANDS.

pub mod client_cmd;
pub mod command_cmd;
pub mod config_cmd;
pub mod debug;
pub mod help;
pub mod info;
pub mod latency_cmd;
pub mod memory;
pub mod misc;
pub mod slowlog;
