//! The list command family.

use crate::spec::CommandDef;

pub static COMMANDS: &[CommandDef] = &[];
