//! geo commands (being built).

use crate::spec::CommandDef;

pub static COMMANDS: &[CommandDef] = &[];
