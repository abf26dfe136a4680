//! Between judging and acting: the change freeze and the speed brake may make the
//! decision stricter, and the decision is written to the audit log before anything
//! runs. For a command that is not a plain allow, any failure here means it does not
//! run; a plain allow is never held up by the log.

use jiff::Timestamp;

use super::act;
use crate::audit::{self, Entry, Event, Judged, Log};
use crate::env::Env;
use crate::exit;
use crate::governance;
use crate::policy::Verdict;
use crate::rules::Action;

/// Writes the decision about one command once its outcome is known.
pub struct Recorder {
    entry: Entry,
    log: Option<Log>,
    plain: bool,
    /// Why the log could not be opened, for a blocked command: it is refused with its
    /// own message and code, and this is said too.
    open_error: Option<String>,
}

/// Why a command must not run, and the exit code that says so.
#[derive(Debug)]
pub struct Refusal {
    pub code: u8,
    pub message: String,
}

impl From<String> for Refusal {
    /// Anything but a broken config file is interlock failing to do its part.
    fn from(message: String) -> Refusal {
        Refusal {
            code: exit::INTERNAL,
            message,
        }
    }
}

/// Applies freeze and brake to `v`, and opens the log. `Err` says why the command must
/// not run.
pub fn prepare(entry: Entry, v: &mut Verdict, env: &Env) -> Result<Recorder, Refusal> {
    if v.is_plain_allow() {
        // Only when the config asks for allows to be recorded does an allow cost a
        // config read and a log write; a log that fails then only warns.
        let log = match governance::config(env) {
            Ok(cfg) => match cfg.audit.as_ref().filter(|a| a.allows) {
                Some(a) => Log::open(a, env)
                    .map_err(|e| eprintln!("interlock: warning: allowed command not recorded: {e}"))
                    .ok(),
                None => None,
            },
            Err(_) => None,
        };
        return Ok(Recorder {
            entry,
            log,
            plain: true,
            open_error: None,
        });
    }
    let blocked = v.decision == Action::Block;
    let layer = match entry {
        Entry::Hook => governance::brake::Layer::Hook,
        Entry::Shell => governance::brake::Layer::Shell,
        Entry::Shim => governance::brake::Layer::Shim,
    };
    if let Err(e) = governance::govern(v, env, Timestamp::now(), layer) {
        if !blocked {
            // A config file that does not load is a usage error, as a rules file is.
            let (code, why) = match e {
                governance::GovernanceError::Config(_) => (
                    exit::USAGE,
                    "interlock reads config.toml to check change freezes and the speed brake before a risky command runs",
                ),
                governance::GovernanceError::Freeze(_) => (
                    exit::INTERNAL,
                    "interlock checks the change freezes in config.toml before a risky command runs",
                ),
                governance::GovernanceError::Brake(_) | governance::GovernanceError::NoStateDir => {
                    (
                        exit::INTERNAL,
                        "interlock counts risky commands for the speed brake in its state directory before one runs; \
                     it must be writable (mkdir -p -m 700 the directory, or fix its owner)",
                    )
                }
            };
            return Err(Refusal {
                code,
                message: format!(
                    "interlock: not run: {e}\n  {why}.\n  \
                     to do: fix the problem above (see `interlock doctor`), then retry\n"
                ),
            });
        }
        // A block stays a block, with its own message and code; say what else failed.
        eprintln!("interlock: note: {e}");
    }
    // A freeze may have made it a block.
    let blocked = v.decision == Action::Block;
    let cfg = match governance::config(env) {
        Ok(c) => c,
        Err(_) if blocked => {
            return Ok(Recorder {
                entry,
                log: None,
                plain: false,
                open_error: Some(
                    "interlock: and the block could not be written to the audit log, because config.toml does not load\n"
                        .into(),
                ),
            });
        }
        // A config file that does not load is a usage error, as a rules file is.
        Err(e) => {
            return Err(Refusal {
                code: exit::USAGE,
                message: format!("interlock: not run: config file {e}\n"),
            });
        }
    };
    match Log::open(&cfg.audit.clone().unwrap_or_default(), env) {
        Ok(log) => Ok(Recorder {
            entry,
            log: Some(log),
            plain: false,
            open_error: None,
        }),
        Err(e) if blocked => Ok(Recorder {
            entry,
            log: None,
            plain: false,
            open_error: Some(format!(
                "interlock: and the block could not be written to the audit log: {e}\n"
            )),
        }),
        Err(e) => Err(audit::refusal(&e).into()),
    }
}

/// The log's name for what an entry point is about to do (or did).
pub fn outcome_of(o: &act::Outcome) -> audit::Outcome {
    match o {
        act::Outcome::Run => audit::Outcome::Ran,
        act::Outcome::Refuse { code, .. } if *code == exit::BLOCKED => audit::Outcome::Blocked,
        act::Outcome::Refuse { .. } => audit::Outcome::NotRun,
        act::Outcome::Preview { .. } => audit::Outcome::DryRun,
        // Still waiting for a human is nothing run yet.
        act::Outcome::Confirm(_) => audit::Outcome::NotRun,
    }
}

impl Recorder {
    /// Records the outcome. `Err` carries the message for a command that is not a
    /// plain allow and could not be recorded: it must not run (or, after a preview,
    /// the caller reports the failure).
    pub fn record(
        &self,
        judged: Judged<'_>,
        v: &Verdict,
        outcome: &act::Outcome,
        exit: Option<i32>,
    ) -> Result<(), String> {
        self.record_decided(judged, v, outcome, None, exit)
    }

    /// [`Recorder::record`], with what a human decided when one was asked (approved by
    /// whom, denied, timed out), which the outcome alone does not say.
    pub fn record_decided(
        &self,
        judged: Judged<'_>,
        v: &Verdict,
        outcome: &act::Outcome,
        decided: Option<audit::Outcome>,
        exit: Option<i32>,
    ) -> Result<(), String> {
        let Some(log) = &self.log else {
            return match &self.open_error {
                Some(m) => Err(m.clone()),
                None => Ok(()),
            };
        };
        let mut event = Event::from_verdict(
            self.entry,
            judged,
            v,
            decided.unwrap_or_else(|| outcome_of(outcome)),
        );
        event.exit = exit;
        match log.append(&event) {
            Ok(_) => Ok(()),
            Err(e) if self.plain => {
                eprintln!("interlock: warning: allowed command not recorded: {e}");
                Ok(())
            }
            Err(e) => Err(audit::refusal(&e)),
        }
    }
}
