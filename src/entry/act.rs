//! Turning a verdict into what a shim or the shell does: run, refuse, preview, or ask a
//! human. Every message starts with one stable, greppable line:
//!
//! - `interlock: blocked by RULE-ID: REASON` (exit 100)
//! - `interlock: dry run by RULE-ID: REASON` (exit 101 when the preview succeeds)
//! - `interlock: not approved by RULE-ID: REASON` (exit 102)
//!
//! then `  command: ...` (secrets redacted), then what happened and `  to do: ...`.

use crate::exit;
use crate::policy::{CommandVerdict, Verdict};
use crate::redact::redact_argv;
use crate::rules::{Action, Fallback};

/// What to do with a judged command.
#[derive(Debug)]
pub enum Outcome {
    Run,
    /// Do not run; print `message` and exit with `code`.
    Refuse {
        code: u8,
        message: String,
    },
    /// Run the tool's own preview instead; print `message` first.
    Preview {
        argv: Vec<String>,
        message: String,
        /// Exit statuses besides 0 that mean the preview ran.
        ok_exit: Vec<u8>,
    },
    /// A human must approve it first ([`crate::confirm::resolve`] asks).
    Confirm(Box<Ask>),
}

/// Everything needed to ask a human about a command, and to act when none answers.
#[derive(Debug)]
pub struct Ask {
    pub rule: String,
    pub reason: String,
    /// Where the rule is defined (`rules/kubernetes.toml:64`).
    pub location: String,
    /// How many different people must approve (two-person rule).
    pub approvals: u8,
    /// The command that decided, as judged (for its context: cluster, account, ...).
    pub command: Option<CommandVerdict>,
    /// The deciding command for people, secrets redacted.
    pub shown: String,
    /// The tool's own preview of the deciding command, if it has one.
    pub preview: Option<Vec<String>>,
    /// Exit statuses besides 0 that mean that preview ran.
    pub preview_ok_exit: Vec<u8>,
    /// What the rule says to do when no human can answer.
    pub fallback: Fallback,
    /// The verdict was about one command (so its preview is a preview of the whole).
    pub single: bool,
    /// The argvs one approval covers: every command the shims would otherwise ask about
    /// again (see `confirm::grant`). Commands whose rule is a dry run are not covered:
    /// they stay previews even inside an approved script.
    pub covered: Vec<Vec<String>>,
}

/// An argv for people: shell-quoted, secrets redacted.
pub fn shown(argv: &[String]) -> String {
    clip(shell_words::join(redact_argv(argv)))
}

/// The longest command a message shows whole; a longer one (a script that could not
/// be parsed) shows its start and end and how long it is.
const SHOWN_MAX: usize = 2000;

fn clip(text: String) -> String {
    if text.len() <= SHOWN_MAX {
        return text;
    }
    let floor = |mut i: usize| {
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let head = floor(SHOWN_MAX * 3 / 4);
    let tail = floor(text.len() - SHOWN_MAX / 8);
    format!(
        "{} [... {} bytes in all, shortened here ...] {}",
        &text[..head],
        text.len(),
        &text[tail..]
    )
}

/// The first line and the command line every message starts with.
fn head(kind: &str, id: &str, reason: &str, command: &str) -> String {
    format!("interlock: {kind} by {id}: {reason}\n  command: {command}\n")
}

/// Decides the outcome. A preview is only run when the verdict is about one command:
/// the preview of one part of a compound command is not a preview of it.
pub fn decide(v: &Verdict) -> Outcome {
    with_context(v, decide_verdict(v))
}

/// Adds where the command points (`  context: kube-context=prod-eu ...`) under the
/// first line of a message.
fn with_context(v: &Verdict, o: Outcome) -> Outcome {
    add_context(v.deciding(), o)
}

fn add_context(deciding: Option<&CommandVerdict>, mut o: Outcome) -> Outcome {
    let Some(ctx) = deciding.and_then(|c| c.context.as_ref()) else {
        return o;
    };
    if let Outcome::Refuse { message, .. } | Outcome::Preview { message, .. } = &mut o {
        let at = message.find('\n').map_or(message.len(), |i| i + 1);
        message.insert_str(at, &format!("  context: {ctx}\n"));
    }
    o
}

fn decide_verdict(v: &Verdict) -> Outcome {
    let deciding = v.deciding();
    let m = deciding.and_then(|c| c.deciding());
    let (id, reason) = match m {
        Some(m) => (m.id.clone(), m.reason.clone()),
        None => ("interlock".to_owned(), v.reason()),
    };
    let command = deciding
        .map(|c| shown(&c.command.argv()))
        .unwrap_or_default();
    let preview = deciding.and_then(|c| c.dry_run.clone());
    let ok_exit = deciding
        .map(|c| c.dry_run_ok_exit.clone())
        .unwrap_or_default();
    let single = v.commands.len() == 1;
    match v.decision {
        Action::Allow => Outcome::Run,
        Action::Confirm => Outcome::Confirm(Box::new(Ask {
            location: m.map(|m| m.location.clone()).unwrap_or_default(),
            // Any confirm rule that matched may ask for more approvers: the most wins.
            approvals: deciding
                .map(|c| {
                    c.matches
                        .iter()
                        .filter(|x| x.action == Action::Confirm)
                        .map(|x| x.approvals)
                        .max()
                        .unwrap_or(1)
                })
                .unwrap_or(1)
                .max(1),
            fallback: m.map_or(Fallback::Block, |m| m.fallback),
            command: deciding.cloned(),
            covered: v
                .commands
                .iter()
                .filter(|c| c.decision == Action::Confirm)
                .map(|c| c.command.argv())
                .collect(),
            rule: id,
            reason,
            shown: command,
            preview,
            preview_ok_exit: ok_exit,
            single,
        })),
        Action::DryRun => dry_run(&id, &reason, &command, preview, ok_exit, single, None),
        Action::Block => blocked(&id, &reason, &command, preview.as_deref()),
    }
}

fn blocked(id: &str, reason: &str, command: &str, preview: Option<&[String]>) -> Outcome {
    let mut message = head("blocked", id, reason, command);
    match preview {
        Some(p) => message.push_str(&format!(
            "  to do: see what it would do with `{}`; if it must really happen, ask a human to run it\n",
            shown(p)
        )),
        None => message.push_str(
            "  to do: find a less destructive way, or ask a human to run it outside the agent session\n",
        ),
    }
    Outcome::Refuse {
        code: exit::BLOCKED,
        message,
    }
}

/// The preview in place of the command; `why` says why no human approved it, when a
/// confirm rule fell back to its dry run.
fn dry_run(
    id: &str,
    reason: &str,
    command: &str,
    preview: Option<Vec<String>>,
    ok_exit: Vec<u8>,
    single: bool,
    why: Option<&str>,
) -> Outcome {
    let Some(p) = preview else {
        // A rule with no preview is never a dry run (the loader refuses it); a verdict
        // that still gets here is refused rather than run.
        return blocked(id, reason, command, None);
    };
    if !single {
        // Nothing runs, so the first line must not say "dry run".
        let (kind, code) = match why {
            Some(_) => ("not approved", exit::NOT_APPROVED),
            None => ("blocked", exit::BLOCKED),
        };
        let mut message = head(kind, id, reason, command);
        if let Some(why) = why {
            message.push_str(&format!("  not run: {why}\n"));
        }
        message.push_str(&format!(
            "  it is part of a longer script, so interlock cannot run a preview in its place; nothing was run.\n  \
             to do: run the preview on its own: {}\n",
            shown(&p)
        ));
        return Outcome::Refuse { code, message };
    }
    let mut message = head("dry run", id, reason, command);
    if let Some(why) = why {
        message.push_str(&format!("  not approved: {why}\n"));
    }
    message.push_str(&format!(
        "  preview: {} (the command itself does not run; nothing is changed)\n",
        shown(&p)
    ));
    Outcome::Preview {
        argv: p,
        message,
        ok_exit,
    }
}

/// Printed after a preview ran: the exit status alone must not be mistaken for success.
/// `status` is the preview's own.
pub fn preview_done(code: u8, status: Option<i32>) -> String {
    match status {
        _ if code != exit::DRY_RUN => format!(
            "interlock: the dry run failed with exit {code}; nothing was changed by interlock, and the command itself did not run\n"
        ),
        Some(s) if s != 0 => format!(
            "interlock: that was a dry run: the preview exited {s}, which this tool also uses when a preview finds the real call would succeed (and for some errors: read its output above); nothing was changed either way (exit {}); to make the change, a human must run or approve the real command\n",
            exit::DRY_RUN
        ),
        _ => format!(
            "interlock: that was a dry run: nothing was changed (exit {}); to make the change, a human must run or approve the real command\n",
            exit::DRY_RUN
        ),
    }
}

/// A preview's exit status as interlock's exit code and the status the log records: a
/// preview that ran exits DRY_RUN (0, or a status its rule lists in `ok_exit`), so that
/// no caller mistakes it for the change.
pub fn preview_exit(s: std::process::ExitStatus, ok_exit: &[u8]) -> (u8, Option<i32>) {
    if s.success() {
        return (exit::DRY_RUN, Some(0));
    }
    let code = super::exec::status_code(s);
    if s.code().is_some() && ok_exit.contains(&code) {
        (exit::DRY_RUN, Some(i32::from(code)))
    } else {
        (code, Some(i32::from(code)))
    }
}

/// The end of a preview: says what came of it (when it ran) and records it. A record
/// that cannot be written turns the exit into INTERNAL: an unlogged run must not look
/// as if all went well.
pub fn preview_finished(
    code: u8,
    status: Option<i32>,
    record: impl FnOnce(Option<i32>) -> Result<(), String>,
) -> u8 {
    if status.is_some() {
        eprint!("{}", preview_done(code, status));
    }
    match record(status) {
        Ok(()) => code,
        Err(m) => {
            eprint!("{m}");
            exit::INTERNAL
        }
    }
}

/// The end of an outcome that runs nothing: a refusal says why, is recorded, and exits
/// with its code; a confirmation still unanswered here is a bug, and runs nothing either.
pub fn nothing_run(outcome: &Outcome, record: impl FnOnce(&Outcome) -> Result<(), String>) -> u8 {
    match outcome {
        Outcome::Refuse { code, message } => {
            eprint!("{message}");
            if let Err(m) = record(outcome) {
                eprint!("{m}");
            }
            *code
        }
        _ => {
            eprintln!(
                "interlock: internal error: a confirmation was left unanswered; nothing was run"
            );
            exit::INTERNAL
        }
    }
}

/// No human approved it because none could be asked (`why`): the rule's fallback, a
/// preview or a refusal with exit 102.
pub fn fallback(ask: &Ask, why: &str) -> Outcome {
    if ask.fallback == Fallback::DryRun && ask.preview.is_some() {
        let o = dry_run(
            &ask.rule,
            &ask.reason,
            &ask.shown,
            ask.preview.clone(),
            ask.preview_ok_exit.clone(),
            ask.single,
            Some(why),
        );
        return add_context(ask.command.as_ref(), o);
    }
    not_approved(ask, why, "")
}

/// Not approved, with `why` (denied, timed out, no human) and an optional extra to-do.
pub fn not_approved(ask: &Ask, why: &str, todo: &str) -> Outcome {
    let mut message = head("not approved", &ask.rule, &ask.reason, &ask.shown);
    message.push_str(&format!("  not run: {why}\n"));
    if !todo.is_empty() {
        message.push_str(&format!("  to do: {todo}\n"));
    } else {
        match &ask.preview {
            Some(p) => message.push_str(&format!(
                "  to do: run the preview `{}` and ask a human to approve the real command (`interlock approvals`)\n",
                shown(p)
            )),
            None => message.push_str(
                "  to do: ask a human to approve it (`interlock approvals` in their own terminal) or to run it outside the agent session\n",
            ),
        }
    }
    add_context(
        ask.command.as_ref(),
        Outcome::Refuse {
            code: exit::NOT_APPROVED,
            message,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_command_is_shortened_in_messages() {
        let long = format!("echo {}é", "x".repeat(300_000));
        let s = shown(&[long]);
        assert!(s.len() < 2 * SHOWN_MAX, "{}", s.len());
        assert!(s.contains("bytes in all, shortened"), "{s}");
        assert_eq!(shown(&["ls".into(), "-la".into()]), "ls -la");
    }
}
