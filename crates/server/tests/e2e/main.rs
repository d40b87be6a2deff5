//! End-to-end tests: start the real `moon` binary on an ephemeral port and
//! talk to it with the redis crate and with raw sockets. One test binary
//! (modules below) keeps linking cheap.

mod acl;
mod aof;
mod blocked_pushes;
mod blocking;
mod commands;
mod harness;
mod migrate;
mod persistence;
mod protocol;
mod pubsub;
mod scripting;
mod startup;
mod tls;
mod transactions;
