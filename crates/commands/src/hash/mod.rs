//! The hash command family.

use crate::spec::CommandDef;

pub static COMMANDS: &[CommandDef] = &[];
