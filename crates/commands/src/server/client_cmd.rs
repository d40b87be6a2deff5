use crate::spec::CommandDef;

pub static COMMANDS: &[CommandDef] = &[];
