//! The audit log: one JSON line per decision that is not a plain allow (and, when
//! configured, per allow too), appended under a lock and hash-chained so an edited,
//! removed or reordered line is found by `interlock log --verify`.
//!
//! The log is the record a human reads after the fact, so it must never be silently
//! incomplete: when a line cannot be written for a command that is not a plain allow,
//! the caller does not run the command ([`Log::append`] returns an error to refuse on).

mod chain;
mod file;
pub mod show;
mod syslog;
mod verify;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::env::Env;
use crate::policy::Verdict;
use crate::redact;

pub use chain::{GENESIS, Record};
pub(crate) use file::lock_exclusive;
pub use verify::{Broken, verify};

/// Where the log goes when `[audit] path` is not set: under the user's state directory.
pub const FILE_NAME: &str = "audit.log";
/// The system-wide socket syslog daemons and journald listen on.
pub const DEFAULT_SYSLOG_SOCKET: &str = "/dev/log";

/// `[audit]` in config.toml.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// The log file. Default: `$XDG_STATE_HOME/interlock/audit.log`. A system install
    /// sets a system path here in `/etc/interlock/config.toml`.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// Record plain allows too (commands no rule matched). Costs a config read and a
    /// locked append on every allowed command.
    #[serde(default)]
    pub allows: bool,
    /// fsync after each line: survives a power cut, costs a disk flush per decision.
    #[serde(default)]
    pub fsync: bool,
    /// Also send each line to syslog (journald reads the same socket).
    #[serde(default)]
    pub syslog: bool,
    /// The syslog socket; default `/dev/log`.
    #[serde(default)]
    pub syslog_socket: Option<PathBuf>,
}

impl AuditConfig {
    /// The log file this config names, or the default under the state directory.
    pub fn log_path(&self, env: &Env) -> Option<PathBuf> {
        self.path
            .clone()
            .or_else(|| env.user_state_dir().map(|d| d.join(FILE_NAME)))
    }
}

/// Why a line could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("no place for the audit log: neither [audit] path nor HOME/XDG_STATE_HOME is set")]
    NoPath,
    #[error("cannot create the audit log's directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the audit log {path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the audit log {path} stayed locked by another process for {waited_ms} ms")]
    LockTimeout { path: PathBuf, waited_ms: u64 },
    #[error("cannot lock the audit log {path}: {source}")]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the audit log {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write to the audit log {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Which front of interlock made the decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Entry {
    Shim,
    Shell,
    Hook,
}

impl Entry {
    pub fn as_str(self) -> &'static str {
        match self {
            Entry::Shim => "shim",
            Entry::Shell => "shell",
            Entry::Hook => "hook",
        }
    }
}

/// What happened to the command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The command itself ran (exec'd; its exit status is not known to interlock).
    Ran,
    Blocked,
    /// The tool's preview ran instead.
    DryRun,
    /// A human approved it; who.
    Approved {
        by: Vec<String>,
    },
    Denied,
    TimedOut,
    /// Not run for another reason (no human could be asked, an internal failure).
    NotRun,
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Ran => "ran",
            Outcome::Blocked => "blocked",
            Outcome::DryRun => "dry-run",
            Outcome::Approved { .. } => "approved",
            Outcome::Denied => "denied",
            Outcome::TimedOut => "timed-out",
            Outcome::NotRun => "not-run",
        }
    }
}

/// What was judged: a shim's argv or a shell script. Redacted when made into an event.
#[derive(Clone, Debug)]
pub enum Judged<'a> {
    Argv(&'a [String]),
    Script(&'a str),
}

/// One decision, as the entry points describe it. [`Log::append`] adds who, where,
/// when and the chain.
#[derive(Clone, Debug)]
pub struct Event {
    pub entry: Entry,
    pub argv: Option<Vec<String>>,
    pub script: Option<String>,
    pub tool: Option<String>,
    pub rule: Option<String>,
    pub decision: String,
    pub outcome: Outcome,
    pub exit: Option<i32>,
    /// Where the command points (`kube-context=prod-eu namespace=payments`), when known.
    pub context: Option<String>,
    /// A change freeze or the speed brake that made the decision stricter.
    pub escalation: Option<String>,
}

impl Event {
    /// The event for a verdict; secrets in the command are redacted here, so nothing
    /// later can write them by mistake.
    pub fn from_verdict(entry: Entry, judged: Judged<'_>, v: &Verdict, outcome: Outcome) -> Event {
        let deciding = v.deciding();
        let (argv, script) = match judged {
            Judged::Argv(a) => (Some(redact::redact_argv(a)), None),
            Judged::Script(s) => (None, Some(redact::redact_text(s))),
        };
        Event {
            entry,
            argv,
            script,
            tool: deciding
                .map(|c| c.tool.clone())
                .filter(|t| !t.is_empty())
                .or_else(|| {
                    v.commands
                        .first()
                        .map(|c| c.tool.clone())
                        .filter(|t| !t.is_empty())
                }),
            rule: v.rule().map(|m| m.id.clone()),
            decision: v.decision.as_str().to_owned(),
            outcome,
            exit: None,
            context: deciding
                .and_then(|c| c.context.as_ref())
                .map(|c| redact::redact_text(&c.to_string())),
            escalation: v.escalation.clone(),
        }
    }

    pub fn with_exit(mut self, code: i32) -> Event {
        self.exit = Some(code);
        self
    }
}

/// An audit log opened for appending. Opening early (before a preview runs) finds an
/// unwritable log before anything happens; the line itself is written under the lock.
pub struct Log {
    path: PathBuf,
    file: std::fs::File,
    cfg: AuditConfig,
}

impl Log {
    /// Opens (creating it and its directory, mode 0600/0700) the configured log.
    pub fn open(cfg: &AuditConfig, env: &Env) -> Result<Log, AuditError> {
        let path = cfg.log_path(env).ok_or(AuditError::NoPath)?;
        let file = file::open_append(&path)?;
        Ok(Log {
            path,
            file,
            cfg: cfg.clone(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the event as one chained line; forwards it to syslog when configured
    /// (forwarding is best effort: the file is the record).
    pub fn append(&self, event: &Event) -> Result<Record, AuditError> {
        let record = file::append_chained(&self.file, &self.path, self.cfg.fsync, |seq, prev| {
            Record::new(event, seq, prev)
        })?;
        if self.cfg.syslog {
            let socket = self
                .cfg
                .syslog_socket
                .clone()
                .unwrap_or_else(|| PathBuf::from(DEFAULT_SYSLOG_SOCKET));
            let _ = syslog::send(&socket, &record);
        }
        Ok(record)
    }
}

/// Opens the log and appends one event.
pub fn record(cfg: &AuditConfig, env: &Env, event: &Event) -> Result<Record, AuditError> {
    Log::open(cfg, env)?.append(event)
}

/// The message for a command that is not run because its decision could not be
/// recorded.
pub fn refusal(e: &AuditError) -> String {
    format!(
        "interlock: not run: the decision could not be written to the audit log: {e}\n  \
         every command that is not a plain allow is recorded before it runs, and this one could not be.\n  \
         to do: make the log writable (see [audit] path in config.toml and `interlock doctor`), then retry\n"
    )
}

/// For `interlock doctor`: the config loads, the log opens for appending and its chain
/// verifies. `Err` says what is wrong and what to do.
pub fn health(env: &Env) -> Result<String, String> {
    let cfg = crate::config::load(env)
        .map_err(|e| format!("config file {e}; until it is fixed, risky commands are not run"))?;
    let cfg = cfg.audit.unwrap_or_default();
    let log = Log::open(&cfg, env).map_err(|e| {
        format!("{e}; risky commands are not run until the audit log can be written (set [audit] path, or fix the directory's owner and permissions)")
    })?;
    let verdict = verify::verify_log(log.path())
        .map_err(|e| format!("cannot read the audit log {}: {e}", log.path().display()))?;
    match verdict {
        Ok(n) => Ok(format!(
            "audit log {} is writable, {n} lines, chain intact",
            log.path().display()
        )),
        Err(b) => Err(format!(
            "audit log {}: chain broken at {b}; keep the file for investigation, move it aside, and a new chain starts",
            log.path().display()
        )),
    }
}
