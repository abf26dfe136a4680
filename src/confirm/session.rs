//! Where this process stands relative to an agent's session, read from `/proc`.
//!
//! `interlock run` marks the agent's process with `INTERLOCK_SESSION` (and the terminal
//! it was started on with `INTERLOCK_TTY`) in the environment it execs the agent with,
//! and makes the agent a child subreaper. A process counts as inside the session when
//! it carries the variable itself or when any ancestor's *initial* environment
//! (`/proc/PID/environ`) does: removing the variable (`env -u`, `env -i`) changes only
//! the process's own copy, and leaving the process tree (`setsid -f`, a double fork)
//! re-parents to the agent, the nearest subreaper, instead of to init.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// Set by `interlock run` for the agent's session.
pub const SESSION_VAR: &str = "INTERLOCK_SESSION";
/// Set by `interlock run`: the device number of the terminal it was started on (as
/// `TIOCGDEV` reports it). Inside a session, the terminal prompt is shown only on that terminal.
pub const TTY_VAR: &str = "INTERLOCK_TTY";
/// How far up the process tree to look.
const MAX_ANCESTORS: usize = 64;

/// A process as `/proc/PID/stat` describes it: its parent and its start time (in clock
/// ticks since boot), which together with the pid names one process even after the
/// pid is reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proc {
    pub pid: u32,
    pub ppid: u32,
    pub start: u64,
}

/// `/proc/PID/stat`: fields 4 (ppid) and 22 (starttime), read after the command name,
/// which may itself contain spaces and parentheses.
pub fn stat(pid: u32) -> Option<Proc> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut after = stat[stat.rfind(')')? + 1..].split_whitespace();
    let ppid = after.nth(1)?.parse().ok()?;
    let start = after.nth(17)?.parse().ok()?;
    Some(Proc { pid, ppid, start })
}

/// The first `n` ancestors of this process, nearest first.
pub fn ancestors(n: usize) -> Vec<Proc> {
    let mut out = Vec::new();
    let mut pid = std::os::unix::process::parent_id();
    while out.len() < n && pid > 1 {
        let Some(p) = stat(pid) else { break };
        out.push(p);
        pid = p.ppid;
    }
    out
}

/// The value of `name` in the initial environment of `pid`, if it is there (and the
/// environment can be read at all).
fn environ_var(pid: u32, name: &str) -> Option<Vec<u8>> {
    let env = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    let key = format!("{name}=");
    env.split(|b| *b == 0)
        .find_map(|kv| kv.strip_prefix(key.as_bytes()))
        .map(<[u8]>::to_vec)
}

fn tty_value(v: &[u8]) -> Option<u64> {
    std::str::from_utf8(v).ok()?.trim().parse().ok()
}

/// This process is inside an agent's session.
#[derive(Debug, PartialEq, Eq)]
pub struct Inside {
    /// Why, for messages.
    pub why: String,
    /// The terminal `interlock run` was started on, from the outermost process that
    /// carries the session: a process inside cannot change what its ancestors were
    /// started with, whatever it sets for itself. `None`: it started without one.
    pub tty: Option<u64>,
}

/// Whether this process is inside an agent's session (see the module docs).
pub fn inside() -> Option<Inside> {
    let own = std::env::var_os(SESSION_VAR).filter(|s| !s.is_empty());
    let mut found = own.map(|_| Inside {
        why: format!("{SESSION_VAR} is set"),
        tty: std::env::var_os(TTY_VAR).and_then(|v| tty_value(OsStr::new(&v).as_bytes())),
    });
    let mut pid = std::os::unix::process::parent_id();
    for _ in 0..MAX_ANCESTORS {
        if pid <= 1 {
            break;
        }
        if environ_var(pid, SESSION_VAR).is_some_and(|v| !v.is_empty()) {
            let tty = environ_var(pid, TTY_VAR).and_then(|v| tty_value(&v));
            match &mut found {
                Some(f) => f.tty = tty,
                None => {
                    found = Some(Inside {
                        why: format!("its ancestor process {pid} was started with {SESSION_VAR}"),
                        tty,
                    });
                }
            }
        }
        match stat(pid) {
            Some(p) => pid = p.ppid,
            None => break,
        }
    }
    found
}

/// The session id this process carries, if any (for binding grants and the audit log).
pub fn id() -> Option<String> {
    std::env::var(SESSION_VAR).ok().filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_names_this_process_and_its_parent() {
        let me = stat(std::process::id()).unwrap();
        assert_eq!(me.ppid, std::os::unix::process::parent_id());
        assert!(me.start > 0);
        // The parent started no later than this process.
        let parent = stat(me.ppid).unwrap();
        assert!(parent.start <= me.start);
        assert_eq!(ancestors(1), vec![parent]);
    }

    #[test]
    fn terminal_values_are_decimal_device_numbers() {
        assert_eq!(tty_value(b"34816"), Some(34816));
        assert_eq!(tty_value(b""), None);
        assert_eq!(tty_value(b"/dev/pts/3"), None);
    }
}
