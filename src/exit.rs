//! Exit codes. Documented in README.md; never renumber one.

/// `check`: the command would be allowed.
pub const ALLOW: u8 = 0;
/// `check`: the command would not run as written (block, confirm or dry run).
pub const NOT_ALLOWED: u8 = 1;
/// Usage or configuration error (bad flags, a rules file that does not load).
pub const USAGE: u8 = 2;
/// A command was blocked by a rule. Chosen outside the range tools commonly use.
pub const BLOCKED: u8 = 100;
/// A dry run ran instead of the command (whatever the preview itself returned).
pub const DRY_RUN: u8 = 101;
/// A confirmation was denied, timed out, or no human could be asked.
pub const NOT_APPROVED: u8 = 102;
/// interlock itself failed before running anything.
pub const INTERNAL: u8 = 103;
/// The program was not found, as a shell reports it.
pub const NOT_FOUND: u8 = 127;
