//! `interlock approve ID`, `interlock deny ID` and `interlock approvals`: the human's
//! side of the queue. Approving is refused inside an interlock session (see
//! [`super::session`]) and without a terminal; the human reads the request at
//! `/dev/tty` and types a random code shown only there, so a process that merely
//! drives a terminal blindly cannot answer. Each decision is a file of the approver's
//! own, which the waiting command trusts by its owner ([`super::queue`]).

use std::path::Path;
use std::time::Duration;

use clap::Args;

use super::queue::{self, Kind, Person, Request, Tally};
use super::tty::{Answer, Tty};
use super::{ConfirmError, ConfirmSection};
use crate::env::Env;
use crate::exit;

/// How long the approver has to type the code.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Args, Debug)]
pub struct ApproveArgs {
    /// The request id, as printed by the waiting command or `interlock approvals`.
    pub id: String,
}

#[derive(Args, Debug)]
pub struct DenyArgs {
    /// The request id.
    pub id: String,
}

#[derive(Args, Debug)]
pub struct ApprovalsArgs {
    /// Print the pending requests and exit, without the interactive queue.
    #[arg(long)]
    pub list: bool,
}

/// Why this process counts as inside an agent's session, if it does.
pub fn session_reason() -> Option<String> {
    super::session::inside().map(|i| i.why)
}

/// The checks before any approval: outside a session, at a terminal.
fn human_terminal() -> Result<Tty, ConfirmError> {
    if let Some(why) = session_reason() {
        return Err(ConfirmError::InSession { why });
    }
    Tty::open().ok_or(ConfirmError::NoTerminal)
}

fn fail(cmd: &str, e: &ConfirmError) -> u8 {
    eprintln!("interlock {cmd}: {e}");
    match e {
        ConfirmError::NoStateDir
        | ConfirmError::UnsafeDir { .. }
        | ConfirmError::Io { .. }
        | ConfirmError::Corrupt { .. }
        | ConfirmError::Config(_)
        | ConfirmError::Random(_) => exit::INTERNAL,
        _ => exit::NOT_ALLOWED,
    }
}

/// The queue and its settings, as this user reaches them.
fn queue_of(env: &Env) -> Result<(std::path::PathBuf, ConfirmSection), ConfirmError> {
    let loaded = super::load(env).map_err(ConfirmError::Config)?;
    let dir = queue::dir(env, &loaded.confirm)?;
    Ok((dir, loaded.confirm))
}

/// The request, for people. Who asked is the owner of the request's file.
pub fn details(r: &Request, owner: u32, t: &Tally) -> String {
    let mut s = format!("request {}\n", r.id);
    s.push_str(&format!("  command:  {}\n", r.command));
    s.push_str(&format!("  rule:     {} ({})\n", r.rule, r.location));
    s.push_str(&format!("  reason:   {}\n", r.reason));
    for (label, value) in &r.context {
        s.push_str(&format!("  {label}: {value}\n"));
    }
    s.push_str(&format!("  in:       {}\n", r.cwd));
    let waiter = if r.pid == 0 {
        "through an agent's hook: once approved, the agent runs it again".to_owned()
    } else {
        format!("pid {}", r.pid)
    };
    s.push_str(&format!(
        "  asked by: {} (uid {owner}; {waiter}{})\n",
        queue::user_name(owner),
        r.session
            .as_ref()
            .map(|s| format!("; session {s}"))
            .unwrap_or_default()
    ));
    s.push_str(&format!(
        "  asked:    {}; expires {}\n",
        super::format_time(r.created),
        super::format_time(r.expires)
    ));
    if r.approvals_needed > 1 {
        s.push_str(&format!(
            "  needs:    {} different approvers (two-person rule)\n",
            r.approvals_needed
        ));
    }
    for a in &t.approvers {
        s.push_str(&format!(
            "  approved by {} at {}\n",
            queue::user_name(a.uid),
            super::format_time(a.time)
        ));
    }
    s
}

/// A request that can still be decided on: it exists, has not expired, and its asker
/// still waits. `consistent` also requires that it was not edited after it was made.
fn open_request(dir: &Path, id: &str, consistent: bool) -> Result<(Request, u32), ConfirmError> {
    if !queue::valid_id(id) {
        return Err(ConfirmError::NoSuchRequest(id.to_owned()));
    }
    let (r, owner) = queue::read_request(dir, id)?;
    if r.id != id {
        return Err(ConfirmError::Altered { id: id.to_owned() });
    }
    if super::now() >= r.expires {
        return Err(ConfirmError::Expired(id.to_owned()));
    }
    if !r.waiting() {
        queue::remove(dir, id);
        return Err(ConfirmError::Abandoned(id.to_owned()));
    }
    if consistent && (r.binding != r.computed_binding() || r.requester_uid != owner) {
        return Err(ConfirmError::Altered { id: id.to_owned() });
    }
    Ok((r, owner))
}

/// Shows the request, asks for the code at the terminal, then records the approval.
/// Returns what to tell the approver.
fn approve_at(
    tty: &Tty,
    dir: &Path,
    cfg: &ConfirmSection,
    id: &str,
) -> Result<String, ConfirmError> {
    let (shown, owner) = open_request(dir, id, true)?;
    let me = Person::current();
    let before = queue::tally(dir, id, &shown.binding, owner, cfg.self_approval())?;
    if let Some(d) = &before.denied {
        return Err(ConfirmError::Denied {
            id: id.to_owned(),
            by: queue::user_name(d.uid),
        });
    }
    if before.approved_by(me.uid) {
        return Err(ConfirmError::SameApprover {
            id: id.to_owned(),
            user: me.name,
            needed: shown.approvals_needed,
        });
    }
    if !cfg.self_approval() && me.uid == owner {
        return Err(ConfirmError::SelfApproval {
            id: id.to_owned(),
            user: me.name,
        });
    }
    let mut text = details(&shown, owner, &before);
    if let Some(first) = before.approvers.first() {
        text.push_str(&format!(
            "{} approved it first; you would be approver {} of {}.\n",
            queue::user_name(first.uid),
            before.approvers.len() + 1,
            shown.approvals_needed
        ));
    }
    if tty
        .ask_code(&text, &format!("approve request {id}"), ANSWER_TIMEOUT)
        .is_err()
    {
        return Ok("not approved; nothing changed".into());
    }
    // What is approved is what was shown: the binding of the record as read above.
    match open_request(dir, id, true) {
        Ok((now, o)) if now == shown && o == owner => {}
        Ok(_) => return Err(ConfirmError::Changed { id: id.to_owned() }),
        Err(e) => return Err(e),
    }
    queue::record_decision(dir, id, Kind::Approve, &shown.binding)?;
    let after = queue::tally(dir, id, &shown.binding, owner, cfg.self_approval())?;
    let given = after.approvers.len();
    Ok(if given >= usize::from(shown.approvals_needed) {
        if shown.pid == 0 {
            format!("approved request {id}; the agent may now run the command again, once")
        } else {
            format!("approved request {id}; the command runs now")
        }
    } else {
        format!(
            "approved request {id} ({given} of {}); another person must approve it too",
            shown.approvals_needed
        )
    })
}

pub fn approve(a: &ApproveArgs, env: &Env) -> u8 {
    let tty = match human_terminal() {
        Ok(t) => t,
        Err(e) => return fail("approve", &e),
    };
    let result = queue_of(env).and_then(|(dir, cfg)| approve_at(&tty, &dir, &cfg, &a.id));
    match result {
        Ok(msg) => {
            eprintln!("interlock approve: {msg}");
            exit::ALLOW
        }
        Err(e) => fail("approve", &e),
    }
}

/// Records a denial. An altered request can be denied too: that is what to do with it.
fn deny_in(dir: &Path, id: &str) -> Result<(), ConfirmError> {
    let (r, _) = open_request(dir, id, false)?;
    queue::record_decision(dir, id, Kind::Deny, &r.binding)
}

/// Denying never lets anything run, so it needs no terminal and works from anywhere.
pub fn deny(a: &DenyArgs, env: &Env) -> u8 {
    let result = queue_of(env).and_then(|(dir, _)| deny_in(&dir, &a.id));
    match result {
        Ok(()) => {
            eprintln!(
                "interlock deny: denied request {}; the command will not run",
                a.id
            );
            exit::ALLOW
        }
        Err(e) => fail("deny", &e),
    }
}

/// A request still waiting, with its file's owner and its decisions so far.
struct Listed {
    request: Request,
    owner: u32,
    tally: Tally,
}

/// The requests still waiting. Records left behind by killed commands, and this user's
/// own decisions about requests that are gone, are removed (in a shared queue the rest
/// are their owners' to remove).
fn pending(dir: &Path, cfg: &ConfirmSection) -> Result<Vec<Listed>, ConfirmError> {
    let mut bad = Vec::new();
    let all = queue::list(dir, &mut bad)?;
    for b in bad {
        eprintln!("interlock approvals: {b}");
    }
    for (r, _) in all.iter().filter(|(r, _)| r.stale()) {
        queue::remove(dir, &r.id);
    }
    queue::prune_own_decisions(dir);
    all.into_iter()
        .filter(|(r, _)| r.waiting())
        .map(|(request, owner)| {
            let tally = queue::tally(
                dir,
                &request.id,
                &request.binding,
                owner,
                cfg.self_approval(),
            )?;
            Ok(Listed {
                request,
                owner,
                tally,
            })
        })
        .collect()
}

fn summary(i: usize, l: &Listed) -> String {
    let r = &l.request;
    let left = r.expires.saturating_sub(super::now());
    let two = if r.approvals_needed > 1 {
        format!(
            " [{}/{} approvals]",
            l.tally.approvers.len(),
            r.approvals_needed
        )
    } else {
        String::new()
    };
    format!(
        "{:>2}. {}  {:<28} {}s left{two}  {} (by {})\n",
        i + 1,
        r.id,
        r.rule,
        left,
        r.command,
        queue::user_name(l.owner)
    )
}

pub fn approvals(a: &ApprovalsArgs, env: &Env) -> u8 {
    let (dir, cfg) = match queue_of(env) {
        Ok(d) => d,
        Err(e) => return fail("approvals", &e),
    };
    if a.list || Tty::open().is_none() {
        return match pending(&dir, &cfg) {
            Ok(list) => {
                if list.is_empty() {
                    println!("no pending requests");
                }
                for (i, l) in list.iter().enumerate() {
                    print!("{}", summary(i, l));
                }
                exit::ALLOW
            }
            Err(e) => fail("approvals", &e),
        };
    }
    let tty = match human_terminal() {
        Ok(t) => t,
        Err(e) => return fail("approvals", &e),
    };
    interactive(&tty, &dir, &cfg)
}

/// The queue in the human's terminal: pick a request, read it, approve or deny it.
fn interactive(tty: &Tty, dir: &Path, cfg: &ConfirmSection) -> u8 {
    loop {
        let list = match pending(dir, cfg) {
            Ok(l) => l,
            Err(e) => return fail("approvals", &e),
        };
        if list.is_empty() {
            tty.write("no pending requests. Enter to look again, q to quit: ");
        } else {
            tty.write("pending requests:\n");
            for (i, l) in list.iter().enumerate() {
                tty.write(&summary(i, l));
            }
            tty.write("number or id to open, Enter to refresh, q to quit: ");
        }
        let line = match tty.read_line(ANSWER_TIMEOUT) {
            Answer::Line(l) => l,
            Answer::TimedOut => continue,
            Answer::Interrupted | Answer::Closed => {
                tty.write("\n");
                return exit::ALLOW;
            }
        };
        if line.eq_ignore_ascii_case("q") {
            return exit::ALLOW;
        }
        if line.is_empty() {
            continue;
        }
        let chosen = line
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|n| list.get(n))
            .or_else(|| list.iter().find(|l| l.request.id == line));
        let Some(l) = chosen else {
            tty.write(&format!("no pending request {line}\n"));
            continue;
        };
        tty.write(&details(&l.request, l.owner, &l.tally));
        tty.write("a = approve, d = deny, Enter = back: ");
        let id = l.request.id.clone();
        let msg = match tty.read_line(ANSWER_TIMEOUT) {
            Answer::Line(x) if x.eq_ignore_ascii_case("a") => {
                match approve_at(tty, dir, cfg, &id) {
                    Ok(m) => m,
                    Err(e) => e.to_string(),
                }
            }
            Answer::Line(x) if x.eq_ignore_ascii_case("d") => match deny_in(dir, &id) {
                Ok(()) => format!("denied request {id}"),
                Err(e) => e.to_string(),
            },
            _ => continue,
        };
        tty.write(&format!("{msg}\n"));
    }
}
