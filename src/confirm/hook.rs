//! Confirmation for agents' hooks, which answer at once (hosts time hooks out) and
//! never see the command run.
//!
//! - **Hosts with an "ask" answer** (Claude Code, Cursor) ask their user in their own
//!   prompt. The hook records an *asked* host grant ([`grant`]) so that the shell the
//!   host then starts (interlock-bash) does not ask a second time.
//! - **Hosts without one** (Codex, Gemini CLI, Copilot) would run past an ask, so the
//!   hook denies — but first puts the command in the approvals queue as a request
//!   nobody waits on, and says so. When the agent runs the same command again in the
//!   same directory and a human has approved the request, the hook lets it through
//!   once, and records an *approved* host grant so the shell mode and the shims do not
//!   ask again.
//!
//! The request is rebuilt from the command itself on every retry, from a private
//! record of its id, timing and secret nonce: what counts is what a human approved
//! after being shown this very command, not anything the queue's copy says.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{ConfirmError, Subject, grant, queue};
use crate::entry::act::Ask;
use crate::env::Env;
use crate::hash::sha256_hex;

const RETRY_PREFIX: &str = "retry-";

/// What a hook without "ask" answers about a command that needs approval.
#[derive(Debug, PartialEq, Eq)]
pub enum Retried {
    /// A human approved it in the queue: let it through, this once.
    Approved(Vec<String>),
    /// Not approved (yet): deny, saying why and what to do.
    NotYet {
        why: String,
        todo: String,
        decided: Option<crate::audit::Outcome>,
    },
    /// No request could be made (waiting is off, or the queue is unusable): the rule's
    /// fallback, for this reason.
    Fallback(String),
}

/// The private record of a request a hook made.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Retry {
    id: String,
    nonce: String,
    created: u64,
    expires: u64,
    queue: PathBuf,
}

/// For a host that asks its user itself: records that it does, for its shell. A
/// failure only means the shell asks again.
pub fn host_asks(agent: &str, ask: &Ask, cwd: &Path) -> Result<(), ConfirmError> {
    if ask.covered.is_empty() {
        return Ok(());
    }
    let dir = grant::dir(&Env::from_process())?;
    grant::record_host(&dir, agent, cwd, &ask.covered, None)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn retry_path(dir: &Path, agent: &str, subject: &Subject) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let session = super::session::id().unwrap_or_default();
    let mut parts: Vec<&[u8]> = vec![
        b"interlock-retry-v1",
        agent.as_bytes(),
        session.as_bytes(),
        subject.cwd.as_os_str().as_bytes(),
    ];
    parts.extend(subject.argv.iter().map(Vec::as_slice));
    dir.join(format!(
        "{RETRY_PREFIX}{}.json",
        sha256_hex(&super::encode(&parts))
    ))
}

/// Removes retry records past their request's expiry, and their requests.
fn prune(dir: &Path, now: u64) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        if !e.file_name().to_string_lossy().starts_with(RETRY_PREFIX) {
            continue;
        }
        let r = std::fs::read(e.path())
            .ok()
            .and_then(|b| serde_json::from_slice::<Retry>(&b).ok());
        if let Some(r) = &r {
            if r.expires > now {
                continue;
            }
            if queue::valid_id(&r.id) {
                queue::remove(&r.queue, &r.id);
            }
        }
        let _ = std::fs::remove_file(e.path());
    }
}

/// For a host without "ask": the command's request in the queue, made now or looked up
/// again (see the module docs).
pub fn without_host_prompt(agent: &str, ask: &Ask, command: &str, cwd: &Path) -> Retried {
    let env = Env::from_process();
    let loaded = match super::load(&env) {
        Ok(l) => l,
        Err(e) => return Retried::Fallback(format!("config.toml does not load ({e})")),
    };
    if let Some(why) = super::no_wait_reason(&loaded.confirm) {
        return Retried::Fallback(why.to_owned());
    }
    match retry(&env, &loaded, agent, ask, command, cwd) {
        Ok(r) => r,
        Err(e) => Retried::Fallback(format!("the approvals queue cannot be used: {e}")),
    }
}

fn retry(
    env: &Env,
    loaded: &super::Loaded,
    agent: &str,
    ask: &Ask,
    command: &str,
    cwd: &Path,
) -> Result<Retried, ConfirmError> {
    let cfg = &loaded.confirm;
    let gdir = grant::dir(env)?;
    let qdir = queue::dir(env, cfg)?;
    let subject = Subject::hook(command, cwd);
    let context = super::context_lines(ask, env, loaded.config.context.as_ref());
    let draft = queue::Draft {
        ask,
        subject: &subject,
        context: &context,
    };
    let path = retry_path(&gdir, agent, &subject);
    let now = super::now();
    let held = grant::lock(&gdir)?;
    prune(&gdir, now);
    let earlier = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Retry>(&b).ok())
        .filter(|r| r.queue == qdir && queue::valid_id(&r.id));
    if let Some(r) = earlier
        && let Some(nonce) = unhex(&r.nonce)
    {
        let request = draft.request(&r.id, &nonce, 0, r.created, r.expires);
        let needed = request.approvals_needed;
        let pending = queue::Pending {
            request,
            self_approval: cfg.self_approval(),
        };
        let looked = pending.look(&qdir, &mut Vec::new());
        if looked.is_some() {
            // Decided either way: the request and its record are used up.
            queue::remove(&qdir, &r.id);
            let _ = std::fs::remove_file(&path);
        }
        return Ok(match looked {
            Some(queue::Waited::Approved(by)) => {
                if let Err(e) = grant::record_host_held(
                    &held,
                    &gdir,
                    agent,
                    cwd,
                    &ask.covered,
                    Some(by.clone()),
                )
                {
                    eprintln!(
                        "interlock: approved, but the shell or the tools may ask again: cannot record the approval for them ({e})"
                    );
                }
                Retried::Approved(by)
            }
            Some(queue::Waited::Denied(by)) => Retried::NotYet {
                why: format!("{by} denied request {}", r.id),
                todo: "a human decided against it; do not retry it in another form. Ask them what to do instead".into(),
                decided: Some(crate::audit::Outcome::Denied),
            },
            Some(queue::Waited::Refused(why)) => Retried::NotYet {
                why,
                todo: "ask a human to look at the approvals queue (`interlock approvals`); running the same command again makes a new request".into(),
                decided: None,
            },
            Some(queue::Waited::Expired(_)) => Retried::NotYet {
                why: format!("request {} ended without an approval", r.id),
                todo: "running the same command again makes a new request".into(),
                decided: None,
            },
            None => Retried::NotYet {
                why: format!(
                    "it is still waiting in the approvals queue as request {} ({}), until {}",
                    r.id,
                    approvers(needed),
                    super::format_time(r.expires)
                ),
                todo: approve_then_retry(&r.id),
                decided: Some(crate::audit::Outcome::NotRun),
            },
        });
    }
    let (id, nonce) = queue::new_id()?;
    let expires = now + cfg.queue_timeout().as_secs();
    let request = draft.request(&id, &nonce, 0, now, expires);
    queue::write_request(&qdir, &request)?;
    let record = Retry {
        id: id.clone(),
        nonce: hex(&nonce),
        created: now,
        expires,
        queue: qdir,
    };
    let json = serde_json::to_vec(&record).map_err(|source| ConfirmError::Corrupt {
        path: path.clone(),
        source,
    })?;
    queue::write_atomic(&path, 0o600, &json)?;
    Ok(Retried::NotYet {
        why: format!(
            "it needs {} and {agent}'s hook cannot ask anyone; it waits in the approvals queue as request {id} until {}",
            approvers(request.approvals_needed),
            super::format_time(expires)
        ),
        todo: approve_then_retry(&id),
        decided: Some(crate::audit::Outcome::NotRun),
    })
}

fn approvers(needed: u8) -> String {
    if needed > 1 {
        format!("approval by {needed} different people")
    } else {
        "a human's approval".to_owned()
    }
}

fn approve_then_retry(id: &str) -> String {
    format!(
        "ask a human to approve it with `interlock approve {id}` (or `interlock approvals`) in their own terminal; \
         once a human approves it, run the same command again, unchanged, in the same directory"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_survive_the_record() {
        let n = [0u8, 1, 0xab, 0xff];
        assert_eq!(unhex(&hex(&n)).unwrap(), n);
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
    }
}
