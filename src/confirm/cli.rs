//! `interlock approve ID`, `interlock deny ID` and `interlock approvals`: the human's
//! side of the queue. Approving is refused inside an interlock session (this process or
//! any ancestor started with `INTERLOCK_SESSION`, which catches `env -u`) and without a
//! terminal, and the human confirms at `/dev/tty` after reading the request.

use std::path::Path;
use std::time::Duration;

use clap::Args;

use super::queue::{self, Person, Request};
use super::tty::{Answer, Tty};
use super::{ConfirmError, SESSION_VAR};
use crate::env::Env;
use crate::exit;

/// How long the approver has to answer "approve? [y/N]".
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);
/// How far up the process tree to look for an agent session.
const MAX_ANCESTORS: usize = 64;

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

/// The parent pid of `pid`, from `/proc/PID/stat` (field 4, after the command name,
/// which may itself contain spaces and parentheses).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}

fn environ_has_session(pid: u32) -> bool {
    let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else {
        return false;
    };
    let key = format!("{SESSION_VAR}=");
    env.split(|b| *b == 0)
        .any(|kv| kv.len() > key.len() && kv.starts_with(key.as_bytes()))
}

/// Why this process counts as inside an agent's session, if it does.
pub fn session_reason() -> Option<String> {
    if super::session().is_some() {
        return Some(format!("{SESSION_VAR} is set"));
    }
    let mut pid = std::os::unix::process::parent_id();
    for _ in 0..MAX_ANCESTORS {
        if pid <= 1 {
            break;
        }
        if environ_has_session(pid) {
            return Some(format!(
                "its ancestor process {pid} was started with {SESSION_VAR}"
            ));
        }
        match parent_of(pid) {
            Some(p) => pid = p,
            None => break,
        }
    }
    None
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
        | ConfirmError::Random(_) => exit::INTERNAL,
        _ => exit::NOT_ALLOWED,
    }
}

/// The request, for people.
pub fn details(r: &Request) -> String {
    let mut s = format!("request {}\n", r.id);
    s.push_str(&format!("  command:  {}\n", r.command));
    s.push_str(&format!("  rule:     {} ({})\n", r.rule, r.location));
    s.push_str(&format!("  reason:   {}\n", r.reason));
    for (label, value) in &r.context {
        s.push_str(&format!("  {label}: {value}\n"));
    }
    s.push_str(&format!("  in:       {}\n", r.cwd));
    s.push_str(&format!(
        "  asked by: {} (pid {}{})\n",
        r.requester,
        r.pid,
        r.session
            .as_ref()
            .map(|s| format!(", session {s}"))
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
    for a in &r.approvals {
        s.push_str(&format!(
            "  approved by {} at {}\n",
            a.user,
            super::format_time(a.time)
        ));
    }
    s
}

fn open_request(dir: &Path, id: &str) -> Result<Request, ConfirmError> {
    if !queue::valid_id(id) {
        return Err(ConfirmError::NoSuchRequest(id.to_owned()));
    }
    let r = queue::read_request(dir, id)?;
    if super::now() >= r.expires {
        return Err(ConfirmError::Expired(id.to_owned()));
    }
    if !r.waiting() {
        let _l = queue::lock(dir)?;
        let _ = std::fs::remove_file(queue::request_path(dir, id));
        return Err(ConfirmError::Abandoned(id.to_owned()));
    }
    Ok(r)
}

/// Shows the request, asks at the terminal, then records the approval. Returns what to
/// tell the approver.
fn approve_at(tty: &Tty, dir: &Path, id: &str) -> Result<String, ConfirmError> {
    let shown = open_request(dir, id)?;
    let me = Person::current();
    if shown.approvals.iter().any(|a| a.uid == me.uid) {
        return Err(ConfirmError::SameApprover {
            id: id.to_owned(),
            user: me.name,
            needed: shown.approvals_needed,
        });
    }
    tty.write(&details(&shown));
    if let Some(first) = shown.approvals.first() {
        tty.write(&format!(
            "{} approved it first; you would be approver {} of {}.\n",
            first.user,
            shown.approvals.len() + 1,
            shown.approvals_needed
        ));
    }
    tty.discard_typeahead();
    tty.write(&format!(
        "Approve request {id} and let the command run? [y/N] "
    ));
    match tty.read_line(ANSWER_TIMEOUT) {
        Answer::Line(l) if l.eq_ignore_ascii_case("y") || l.eq_ignore_ascii_case("yes") => {}
        Answer::Line(_) | Answer::Closed => return Ok("not approved; nothing changed".into()),
        Answer::TimedOut | Answer::Interrupted => {
            tty.write("\n");
            return Ok("not approved; nothing changed".into());
        }
    }
    let _l = queue::lock(dir)?;
    let mut r = queue::read_request(dir, id)?;
    if r.binding != shown.binding || r.command != shown.command {
        return Err(ConfirmError::Changed { id: id.to_owned() });
    }
    let p = queue::add_approval(&mut r, &me, super::now())?;
    queue::write_request(dir, &r)?;
    Ok(if p.given >= usize::from(p.needed) {
        format!("approved request {id}; the command runs now")
    } else {
        format!(
            "approved request {id} ({} of {}); another person must approve it too",
            p.given, p.needed
        )
    })
}

pub fn approve(a: &ApproveArgs, env: &Env) -> u8 {
    let tty = match human_terminal() {
        Ok(t) => t,
        Err(e) => return fail("approve", &e),
    };
    let dir = match queue::state_dir(env) {
        Ok(d) => d,
        Err(e) => return fail("approve", &e),
    };
    match approve_at(&tty, &dir, &a.id) {
        Ok(msg) => {
            eprintln!("interlock approve: {msg}");
            exit::ALLOW
        }
        Err(e) => fail("approve", &e),
    }
}

fn deny_in(dir: &Path, id: &str) -> Result<(), ConfirmError> {
    open_request(dir, id)?;
    let _l = queue::lock(dir)?;
    let mut r = queue::read_request(dir, id)?;
    queue::add_denial(&mut r, &Person::current(), super::now())?;
    queue::write_request(dir, &r)
}

/// Denying never lets anything run, so it needs no terminal and works from anywhere.
pub fn deny(a: &DenyArgs, env: &Env) -> u8 {
    let result = queue::state_dir(env).and_then(|dir| deny_in(&dir, &a.id));
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

/// The requests still waiting; records left behind by killed commands are removed.
fn pending(dir: &Path) -> Result<Vec<Request>, ConfirmError> {
    let mut bad = Vec::new();
    let all = queue::list(dir, &mut bad)?;
    for b in bad {
        eprintln!("interlock approvals: {b}");
    }
    if all.iter().any(Request::stale) {
        let _l = queue::lock(dir)?;
        for r in all.iter().filter(|r| r.stale()) {
            let _ = std::fs::remove_file(queue::request_path(dir, &r.id));
        }
    }
    Ok(all.into_iter().filter(Request::waiting).collect())
}

fn summary(i: usize, r: &Request) -> String {
    let left = r.expires.saturating_sub(super::now());
    let two = if r.approvals_needed > 1 {
        format!(" [{}/{} approvals]", r.approvals.len(), r.approvals_needed)
    } else {
        String::new()
    };
    format!(
        "{:>2}. {}  {:<28} {}s left{two}  {}\n",
        i + 1,
        r.id,
        r.rule,
        left,
        r.command
    )
}

pub fn approvals(a: &ApprovalsArgs, env: &Env) -> u8 {
    let dir = match queue::state_dir(env) {
        Ok(d) => d,
        Err(e) => return fail("approvals", &e),
    };
    if a.list || Tty::open().is_none() {
        return match pending(&dir) {
            Ok(list) => {
                if list.is_empty() {
                    println!("no pending requests");
                }
                for (i, r) in list.iter().enumerate() {
                    print!("{}", summary(i, r));
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
    interactive(&tty, &dir)
}

/// The queue in the human's terminal: pick a request, read it, approve or deny it.
fn interactive(tty: &Tty, dir: &Path) -> u8 {
    loop {
        let list = match pending(dir) {
            Ok(l) => l,
            Err(e) => return fail("approvals", &e),
        };
        if list.is_empty() {
            tty.write("no pending requests. Enter to look again, q to quit: ");
        } else {
            tty.write("pending requests:\n");
            for (i, r) in list.iter().enumerate() {
                tty.write(&summary(i, r));
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
            .or_else(|| list.iter().find(|r| r.id == line));
        let Some(r) = chosen else {
            tty.write(&format!("no pending request {line}\n"));
            continue;
        };
        tty.write(&details(r));
        tty.write("a = approve, d = deny, Enter = back: ");
        let id = r.id.clone();
        let msg = match tty.read_line(ANSWER_TIMEOUT) {
            Answer::Line(l) if l.eq_ignore_ascii_case("a") => match approve_at(tty, dir, &id) {
                Ok(m) => m,
                Err(e) => e.to_string(),
            },
            Answer::Line(l) if l.eq_ignore_ascii_case("d") => match deny_in(dir, &id) {
                Ok(()) => format!("denied request {id}"),
                Err(e) => e.to_string(),
            },
            _ => continue,
        };
        tty.write(&format!("{msg}\n"));
    }
}
