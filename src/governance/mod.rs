//! Rules about when and how fast, layered on top of what the rules decided: change
//! freezes block every command a rule matched during a declared window, and the speed
//! brake sends risky commands to a human once a session runs too many too fast.
//!
//! Both apply only to commands some rule matched (the "risky" ones); a plain allow is
//! never slowed by them. Both only ever make a decision stricter.

pub mod brake;
pub mod freeze;

use std::sync::{Arc, OnceLock};

use jiff::Timestamp;

use crate::config::Config;
use crate::env::Env;
use crate::policy::{Match, Verdict};
use crate::rules::{Action, Fallback, LoadError};

pub use brake::BrakeConfig;
pub use freeze::{Freeze, FreezeError, Window};

/// Id of the built-in rule a freeze shows up as.
pub const FREEZE_RULE: &str = "change-freeze";
/// Id of the built-in rule the speed brake shows up as.
pub const BRAKE_RULE: &str = "speed-brake";

/// Why the governance step could not decide; the command is then not run.
#[derive(Debug, thiserror::Error)]
pub enum GovernanceError {
    #[error("config file {0}")]
    Config(LoadError),
    #[error("{0}")]
    Freeze(#[from] FreezeError),
    #[error("{0}")]
    Brake(#[from] brake::BrakeError),
    #[error("no state directory for the speed brake: set HOME or XDG_STATE_HOME")]
    NoStateDir,
}

/// The process's config, read once and only when a decision needs it (never on the
/// plain-allow path unless the audit log records allows).
pub fn config(env: &Env) -> &'static Result<Config, LoadError> {
    static CONFIG: OnceLock<Result<Config, LoadError>> = OnceLock::new();
    CONFIG.get_or_init(|| crate::config::load(env))
}

/// The windows in effect, each checked for mistakes.
pub fn windows(cfg: &Config) -> Result<Vec<Window>, FreezeError> {
    cfg.freeze.iter().flatten().map(Freeze::compile).collect()
}

fn escalate(v: &mut Verdict, index: usize, m: Match) {
    let c = &mut v.commands[index];
    c.decision = c.decision.max(m.action);
    c.matches.insert(0, m);
    c.matches.sort_by_key(|m| std::cmp::Reverse(m.action));
    v.decision = v
        .commands
        .iter()
        .map(|c| c.decision)
        .max()
        .unwrap_or(v.decision);
}

fn builtin(id: &str, action: Action, reason: String, location: String) -> Match {
    Match {
        id: id.to_owned(),
        action,
        reason,
        fallback: Fallback::Block,
        location,
        approvals: 1,
        rule: None,
    }
}

/// Blocks every risky command a freeze window covers at `now`. Returns the note for
/// the log (`change freeze NAME until ...`), if any window applied.
pub fn apply_freeze(v: &mut Verdict, windows: &[Window], now: Timestamp) -> Option<String> {
    let mut note = None;
    for i in 0..v.commands.len() {
        if v.commands[i].matches.is_empty() {
            continue;
        }
        let class = v.commands[i].context.as_ref().and_then(|c| c.class);
        for w in windows {
            if !w.covers(class) {
                continue;
            }
            if let Some(end) = w.active_until(now) {
                let text = format!("change freeze {} until {}", w.name, w.describe_end(end));
                let reason = format!(
                    "{text}: changes wait until the freeze ends, or a human makes them outside the agent session"
                );
                escalate(
                    v,
                    i,
                    builtin(
                        FREEZE_RULE,
                        Action::Block,
                        reason,
                        format!("config.toml [[freeze]] {}", w.name),
                    ),
                );
                note.get_or_insert(text);
                break;
            }
        }
    }
    if note.is_some() {
        v.escalation = note.clone();
    }
    note
}

/// The speed brake key: the session, or the user when there is no session.
pub fn session_key() -> String {
    match std::env::var("INTERLOCK_SESSION") {
        Ok(s) if !s.is_empty() => format!("session:{s}"),
        _ => format!("user:{}", crate::account::real_uid()),
    }
}

/// Counts a risky decision and, when the session has had too many in the window,
/// raises its allow and dry-run commands to confirm.
pub fn apply_brake(
    v: &mut Verdict,
    cfg: &BrakeConfig,
    state_file: &std::path::Path,
    now: Timestamp,
    layer: brake::Layer,
) -> Result<(), GovernanceError> {
    if !cfg.enabled || v.is_plain_allow() {
        return Ok(());
    }
    let command = v
        .deciding()
        .map(|c| c.command.argv().join("\u{1f}"))
        .unwrap_or_default();
    let before = brake::count(state_file, cfg, now.as_millisecond(), &command, layer)?;
    if !brake::tripped(cfg, before) {
        return Ok(());
    }
    let text = format!(
        "speed brake: {before} risky commands in the last {} minutes (limit {})",
        cfg.minutes, cfg.max
    );
    let mut hit = false;
    for i in 0..v.commands.len() {
        let c = &v.commands[i];
        if c.matches.is_empty() || c.decision > Action::DryRun {
            continue;
        }
        let reason = format!(
            "{text}; a runaway loop is stopped here until a human looks. Slow down, or ask a human to confirm"
        );
        escalate(
            v,
            i,
            builtin(
                BRAKE_RULE,
                Action::Confirm,
                reason,
                "config.toml [brake]".into(),
            ),
        );
        hit = true;
    }
    if hit && v.escalation.is_none() {
        v.escalation = Some(text);
    }
    Ok(())
}

/// Freeze and brake for a decision about to be acted on by a shim or the shell.
pub fn govern(
    v: &mut Verdict,
    env: &Env,
    now: Timestamp,
    layer: brake::Layer,
) -> Result<(), GovernanceError> {
    if v.is_plain_allow() {
        return Ok(());
    }
    let cfg = config(env)
        .as_ref()
        .map_err(|e| GovernanceError::Config(e.clone()))?;
    apply_freeze(v, &windows(cfg)?, now);
    let brake = cfg.brake.clone().unwrap_or_default();
    if brake.enabled {
        let dir = env.user_state_dir().ok_or(GovernanceError::NoStateDir)?;
        apply_brake(
            v,
            &brake,
            &brake::state_file(&dir, &session_key()),
            now,
            layer,
        )?;
    }
    Ok(())
}

/// Context detection for the engine, reading `[context]` from the config only when a
/// rule matched.
pub fn detector(env: &Env) -> Box<dyn crate::context::ContextSource> {
    Box::new(LazyDetector {
        env: Arc::new(env.clone()),
        inner: OnceLock::new(),
    })
}

struct LazyDetector {
    env: Arc<Env>,
    inner: OnceLock<crate::context::Detector>,
}

impl crate::context::ContextSource for LazyDetector {
    fn context(
        &self,
        tool: &str,
        cmd: &crate::normalize::Command,
        view: &crate::policy::args::ArgView<'_>,
        changes: &crate::context::Changes,
    ) -> Option<crate::context::Context> {
        let d = self.inner.get_or_init(|| {
            // A config that does not load leaves the default patterns; the governance
            // step then refuses the command for the broken config anyway.
            let cfg = config(&self.env)
                .as_ref()
                .ok()
                .and_then(|c| c.context.as_ref());
            crate::context::Detector::from_process(&self.env, cfg)
        });
        d.context(tool, cmd, view, changes)
    }
}
