//! Values, the striped keyspace and expiry. No networking, no commands.

pub mod clock;
pub mod db;
pub mod entry;
mod group;
pub mod hash;
pub mod list;
pub mod object;
mod probe;
pub mod set;
pub mod slot;
pub mod snapshot;
pub mod spin;
pub mod stream;
pub mod stripe;
pub mod table;
pub mod ticks;
pub mod zset;

pub use db::{Db, Keyspace};
pub use entry::{Entry, StrEncoding, ValueRef};
pub use object::Object;
pub use stripe::Stripe;
pub use table::Table;
