//! Values, the striped keyspace and expiry. No networking, no commands.

pub mod clock;
pub mod db;
pub mod entry;
pub mod hash;
pub mod list;
mod group;
pub mod object;
pub mod set;
pub mod slot;
pub mod spin;
pub mod stripe;
pub mod ticks;
pub mod zset;
pub mod table;

pub use db::{Db, Keyspace};
pub use entry::{Entry, StrEncoding, ValueRef};
pub use object::Object;
pub use stripe::Stripe;
pub use table::Table;
