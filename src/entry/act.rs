//! Turning a verdict into what a shim or the shell does: run, refuse, or preview.

use crate::exit;
use crate::policy::Verdict;
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
    },
}

/// Every command shown to the agent goes through here, so secrets are hidden once.
fn quote(argv: &[String]) -> String {
    shell_words::join(crate::redact::redact_argv(argv))
}

/// Decides the outcome. `what` is how to name the command to the agent (its argv for a
/// shim, the script for the shell). A preview is only run when the verdict is about
/// one command: the preview of one part of a compound command is not a preview of it.
pub fn decide(v: &Verdict) -> Outcome {
    let deciding = v.deciding();
    let m = deciding.and_then(|c| c.deciding());
    let (id, reason) = match m {
        Some(m) => (m.id.clone(), m.reason.clone()),
        None => ("interlock".to_owned(), v.reason()),
    };
    let command = deciding
        .map(|c| quote(&c.command.argv()))
        .unwrap_or_default();
    let preview = deciding.and_then(|c| c.dry_run.clone());
    let single = v.commands.len() == 1;
    let action = match v.decision {
        Action::Allow => return Outcome::Run,
        Action::Confirm => match m.map_or(Fallback::Block, |m| m.fallback) {
            Fallback::DryRun if preview.is_some() => Action::DryRun,
            _ => {
                let mut message = format!(
                    "interlock: not run: {id} needs a human to approve it: {reason}\n  command: {command}\n"
                );
                message.push_str(
                    "  no human can be asked from here (there is no approval channel yet), so it was not run.\n",
                );
                match &preview {
                    Some(p) => message.push_str(&format!(
                        "  to do: run the preview `{}` and ask a human to run the real command\n",
                        quote(p)
                    )),
                    None => message.push_str(
                        "  to do: ask a human to review and run it outside the agent session\n",
                    ),
                }
                return Outcome::Refuse {
                    code: exit::NOT_APPROVED,
                    message,
                };
            }
        },
        a => a,
    };
    match (action, preview) {
        (Action::DryRun, Some(p)) if single => Outcome::Preview {
            message: format!(
                "interlock: dry run instead of: {command}\n  rule {id}: {reason}\n  running: {}\n",
                quote(&p)
            ),
            argv: p,
        },
        (Action::DryRun, Some(p)) => Outcome::Refuse {
            code: exit::BLOCKED,
            message: format!(
                "interlock: blocked by {id}: {reason}\n  command: {command}\n  it is part of a longer script, so interlock cannot run a preview in its place.\n  to do: run the preview on its own: {}\n",
                quote(&p)
            ),
        },
        (_, p) => {
            let mut message =
                format!("interlock: blocked by {id}: {reason}\n  command: {command}\n");
            match p {
                Some(p) => message.push_str(&format!(
                    "  to do: see what it would do with `{}`; if it must really happen, ask a human to run it\n",
                    quote(&p)
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
    }
}
