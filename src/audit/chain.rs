//! One line of the log and the chain that links it to the line before.
//!
//! Each line carries `prev`, the SHA-256 of the previous line's bytes (without its
//! newline), and `seq`, one more than the previous line's. The first line's `prev` is
//! [`GENESIS`]. Changing, removing, inserting or reordering a line breaks the link
//! after it. The newest line has no line after it: the head record beside the log
//! (`file::head_path`) remembers its number and hash, so cutting or changing it shows
//! too, unless the head is rewritten as well (one reason to forward the log to syslog).

use serde::{Deserialize, Serialize};

use super::{Event, Outcome};
use crate::hash::sha256_hex;

/// `prev` of the first line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A log line as written and read. Field order is the order on disk.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Record {
    pub seq: u64,
    /// RFC 3339, UTC.
    pub time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    pub pid: u32,
    pub ppid: u32,
    pub user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    pub entry: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argv: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    pub decision: String,
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<Vec<String>>,
    /// The command's exit status, when interlock saw it end (a preview); an exec'd
    /// command's status is never known to interlock.
    #[serde(default)]
    pub exit: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<String>,
    pub prev: String,
}

impl Record {
    /// The record for `event`, stamped with this process's identity and the time now.
    pub fn new(event: &Event, seq: u64, prev: String) -> Record {
        let approved_by = match &event.outcome {
            Outcome::Approved { by } => Some(by.clone()),
            _ => None,
        };
        Record {
            seq,
            time: jiff::Timestamp::now().to_string(),
            session: std::env::var("INTERLOCK_SESSION")
                .ok()
                .filter(|s| !s.is_empty()),
            pid: std::process::id(),
            // SAFETY: getppid has no preconditions and cannot fail.
            ppid: unsafe { libc::getppid() } as u32,
            user: current_user(),
            cwd: std::env::current_dir()
                .ok()
                .map(|d| d.to_string_lossy().into_owned()),
            entry: event.entry.as_str().to_owned(),
            argv: event.argv.clone(),
            script: event.script.clone(),
            tool: event.tool.clone(),
            rule: event.rule.clone(),
            decision: event.decision.clone(),
            outcome: event.outcome.as_str().to_owned(),
            approved_by,
            exit: event.exit,
            context: event.context.clone(),
            escalation: event.escalation.clone(),
            prev,
        }
    }

    /// The line's bytes, without the newline.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("a record always serializes")
    }

    /// The command as one line of text, for tables and syslog.
    pub fn command_text(&self) -> String {
        match (&self.argv, &self.script) {
            (Some(a), _) => shell_words::join(a),
            (None, Some(s)) => s.clone(),
            (None, None) => String::new(),
        }
    }
}

/// The hash the next line's `prev` must carry.
pub fn link(line: &[u8]) -> String {
    sha256_hex(line)
}

/// The user name of the real uid, or the number when it has no name.
fn current_user() -> String {
    let uid = crate::account::real_uid();
    crate::account::name_of(uid).unwrap_or_else(|| uid.to_string())
}
