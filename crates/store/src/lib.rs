//! Values, the striped keyspace and expiry. No networking, no commands.

pub mod clock;
pub mod db;
pub mod entry;
pub mod object;
pub mod slot;
pub mod stripe;

pub use db::{Db, Keyspace};
pub use entry::{Entry, ValueRef};
pub use object::Object;
pub use stripe::Stripe;
