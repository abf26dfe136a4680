//! One decision per command. Grants are records, in a directory private to the user
//! (`$XDG_STATE_HOME/interlock/grants`, 0700), of approvals already given, so a
//! command is not asked about twice on its way from the agent to the tool:
//!
//! - **Token grants.** When the shell mode gets a script approved, the tools it runs
//!   reach their shims, which would ask again. The grant lists the exact argvs the
//!   approval covered, each usable once, bound to the session, expiring soon, and named
//!   by the SHA-256 of a random token that only the approved shell's environment
//!   carries (`INTERLOCK_GRANT`). The token itself is never written to disk, and the
//!   shell mode drops any `INTERLOCK_GRANT` it is given, so a command cannot bring its
//!   own.
//! - **Host grants.** An agent's hook decides before the host runs the command through
//!   its shell (interlock-bash) or the shims. When the hook answers "ask" (the host
//!   asks its user in its own prompt) it records an *asked* grant: only a shell-mode
//!   process started directly by the host process that ran the hook may use it, for
//!   exactly the argvs that needed approval, in the same directory and session, once,
//!   within [`HOST_TTL_SECS`]. If the user declines, the host starts no shell and the
//!   grant expires unused. When a human approved a hook's request in the approvals
//!   queue, the hook records an *approved* grant that the shell mode, or the shims one
//!   argv at a time, use once.

use std::ffi::OsStr;
use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ConfirmError;
use super::queue::write_atomic;
use super::session;
use crate::env::Env;
use crate::hash::sha256_hex;

pub const GRANT_VAR: &str = "INTERLOCK_GRANT";
pub const DIR_NAME: &str = "grants";
const TOKEN_PREFIX: &str = "grant-";
const HOST_PREFIX: &str = "host-";
const LOCK_FILE: &str = ".lock";
const TOKEN_BYTES: usize = 32;
const FILE_MODE: u32 = 0o600;
/// How long an approved script's tools may use the grant: long enough for a slow
/// script, short enough that a leaked token is soon worthless.
pub const GRANT_TTL_SECS: u64 = 3600;
/// How long a host grant waits to be used: the host's user may take a while to answer
/// its prompt; after that the command is asked about again, never let through.
pub const HOST_TTL_SECS: u64 = 600;

/// The grants directory, created private if missing; refused if anyone else owns it or
/// could write it (they could then plant grants).
pub fn dir(env: &Env) -> Result<PathBuf, ConfirmError> {
    let dir = env
        .user_state_dir()
        .ok_or(ConfirmError::NoStateDir)?
        .join(DIR_NAME);
    crate::env::create_private_dir(&dir).map_err(|e| ConfirmError::io("cannot create", &dir, e))?;
    check_private(&dir)?;
    Ok(dir)
}

fn check_private(dir: &Path) -> Result<(), ConfirmError> {
    let meta =
        std::fs::symlink_metadata(dir).map_err(|e| ConfirmError::io("cannot read", dir, e))?;
    let unsafe_dir = |why: String| ConfirmError::UnsafeDir {
        path: dir.to_owned(),
        why,
    };
    if !meta.is_dir() {
        return Err(unsafe_dir(
            "it is not a directory (a symlink is refused too)".into(),
        ));
    }
    // SAFETY: geteuid cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(unsafe_dir(format!(
            "it belongs to uid {}, not to you (uid {me}); remove it or fix its owner",
            meta.uid()
        )));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(unsafe_dir(format!(
            "other users can write it (mode {:o}), so they could plant approvals; run chmod 700 {}",
            meta.mode() & 0o7777,
            dir.display()
        )));
    }
    Ok(())
}

/// An exclusive lock over the grants directory, released when dropped.
pub struct Lock(#[allow(dead_code)] File);

pub fn lock(dir: &Path) -> Result<Lock, ConfirmError> {
    let p = dir.join(LOCK_FILE);
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(FILE_MODE)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&p)
        .map_err(|e| ConfirmError::io("cannot open the lock", &p, e))?;
    use std::os::fd::AsRawFd;
    loop {
        // SAFETY: flock on an fd we own.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } == 0 {
            return Ok(Lock(f));
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(ConfirmError::io("cannot lock", &p, e));
        }
    }
}

fn argv_hash(argv: &[String]) -> String {
    let parts: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
    sha256_hex(&super::encode(&parts))
}

fn sorted_hashes(argvs: &[Vec<String>]) -> Vec<String> {
    let mut v: Vec<String> = argvs.iter().map(|a| argv_hash(a)).collect();
    v.sort();
    v
}

fn corrupt(p: &Path, source: serde_json::Error) -> ConfirmError {
    ConfirmError::Corrupt {
        path: p.to_owned(),
        source,
    }
}

fn read_json<T: serde::de::DeserializeOwned>(p: &Path) -> Result<Option<T>, ConfirmError> {
    match std::fs::read(p) {
        Ok(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|e| corrupt(p, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfirmError::io("cannot read", p, e)),
    }
}

fn write_json<T: Serialize>(p: &Path, v: &T) -> Result<(), ConfirmError> {
    let json = serde_json::to_vec(v).map_err(|e| corrupt(p, e))?;
    write_atomic(p, FILE_MODE, &json)
}

fn random_hex(n: usize) -> Result<String, ConfirmError> {
    Ok(super::random_bytes(n)?
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

// ---- token grants -------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Grant {
    session: Option<String>,
    expires: u64,
    /// SHA-256 of each covered argv; removed when used.
    argvs: Vec<String>,
}

fn token_path(dir: &Path, token: &[u8]) -> PathBuf {
    dir.join(format!("{TOKEN_PREFIX}{}.json", sha256_hex(token)))
}

/// Records a grant for `argvs` and returns the token to hand to the shell.
pub fn create(dir: &Path, argvs: &[Vec<String>]) -> Result<String, ConfirmError> {
    let token = random_hex(TOKEN_BYTES)?;
    let now = super::now();
    let g = Grant {
        session: session::id(),
        expires: now + GRANT_TTL_SECS,
        argvs: argvs.iter().map(|a| argv_hash(a)).collect(),
    };
    let _l = lock(dir)?;
    prune(dir, now);
    write_json(&token_path(dir, token.as_bytes()), &g)?;
    Ok(token)
}

/// Removes grants past their time, so unused ones do not pile up.
fn prune(dir: &Path, now: u64) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let expires = if name.starts_with(TOKEN_PREFIX) {
            read_json::<Grant>(&e.path())
                .ok()
                .flatten()
                .map(|g| g.expires)
        } else if name.starts_with(HOST_PREFIX) {
            read_json::<HostGrant>(&e.path())
                .ok()
                .flatten()
                .map(|g| g.expires)
        } else {
            continue;
        };
        if expires.is_none_or(|x| x <= now) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Uses the grant named by `token` for `argv`, if it covers it in this session and has
/// not expired. True when the command may run without asking again.
pub fn consume(dir: &Path, token: &OsStr, argv: &[String]) -> Result<bool, ConfirmError> {
    if token.is_empty() {
        return Ok(false);
    }
    let p = token_path(dir, token.as_bytes());
    let _l = lock(dir)?;
    let Some(mut g) = read_json::<Grant>(&p)? else {
        return Ok(false);
    };
    if g.expires <= super::now() {
        let _ = std::fs::remove_file(&p);
        return Ok(false);
    }
    if g.session != session::id() {
        return Ok(false);
    }
    let want = argv_hash(argv);
    let Some(i) = g.argvs.iter().position(|h| *h == want) else {
        return Ok(false);
    };
    g.argvs.remove(i);
    if g.argvs.is_empty() {
        std::fs::remove_file(&p).map_err(|e| ConfirmError::io("cannot remove", &p, e))?;
    } else {
        write_json(&p, &g)?;
    }
    Ok(true)
}

// ---- host grants --------------------------------------------------------------------

/// A process named so that a reused pid does not match: pid and start time.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Starter {
    pid: u32,
    start: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostGrant {
    /// The agent whose hook recorded it.
    host: String,
    /// `None`: the host asked its user in its own prompt (an *asked* grant). `Some`:
    /// these people approved it in the approvals queue.
    approved_by: Option<Vec<String>>,
    session: Option<String>,
    cwd: String,
    expires: u64,
    /// SHA-256 of each covered argv, sorted; the shims take them out one by one.
    argvs: Vec<String>,
    /// For an asked grant: the hook's parent and grandparent, one of which is the host.
    starters: Vec<Starter>,
}

/// Who approved a command before it got here, for the audit log.
#[derive(Debug, PartialEq, Eq)]
pub struct Earlier {
    pub by: Vec<String>,
}

fn cwd_text(cwd: &Path) -> String {
    String::from_utf8_lossy(cwd.as_os_str().as_bytes()).into_owned()
}

/// Records a host grant for the commands `covered` in `cwd` (see the module docs):
/// `approved_by` is `None` when the host's own prompt decides.
pub fn record_host(
    dir: &Path,
    host: &str,
    cwd: &Path,
    covered: &[Vec<String>],
    approved_by: Option<Vec<String>>,
) -> Result<(), ConfirmError> {
    let held = lock(dir)?;
    record_host_held(&held, dir, host, cwd, covered, approved_by)
}

/// [`record_host`] for a caller that already holds the directory's lock (a second
/// `flock` on it from the same process would wait for itself).
pub fn record_host_held(
    _held: &Lock,
    dir: &Path,
    host: &str,
    cwd: &Path,
    covered: &[Vec<String>],
    approved_by: Option<Vec<String>>,
) -> Result<(), ConfirmError> {
    let now = super::now();
    let starters = if approved_by.is_none() {
        session::ancestors(2)
            .into_iter()
            .map(|p| Starter {
                pid: p.pid,
                start: p.start,
            })
            .collect()
    } else {
        Vec::new()
    };
    let g = HostGrant {
        host: host.to_owned(),
        approved_by,
        session: session::id(),
        cwd: cwd_text(cwd),
        expires: now + HOST_TTL_SECS,
        argvs: sorted_hashes(covered),
        starters,
    };
    let p = dir.join(format!("{HOST_PREFIX}{}.json", random_hex(16)?));
    prune(dir, now);
    write_json(&p, &g)
}

/// Every live host grant for this session and directory, with its path.
fn host_grants(dir: &Path, cwd: &Path) -> Vec<(PathBuf, HostGrant)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let (now, sess, cwd) = (super::now(), session::id(), cwd_text(cwd));
    let mut out: Vec<(PathBuf, HostGrant)> = rd
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(HOST_PREFIX))
        .filter_map(|e| {
            let g = read_json::<HostGrant>(&e.path()).ok().flatten()?;
            (g.expires > now && g.session == sess && g.cwd == cwd).then(|| (e.path(), g))
        })
        .collect();
    // Approved grants first: a human's decision in the queue is the better record.
    out.sort_by_key(|(p, g)| (g.approved_by.is_none(), p.clone()));
    out
}

/// Whether this process was started directly by one of `starters`.
fn started_by(starters: &[Starter]) -> bool {
    let parent = std::os::unix::process::parent_id();
    let Some(p) = session::stat(parent) else {
        return false;
    };
    starters
        .iter()
        .any(|s| s.pid == parent && s.start == p.start)
}

/// For the shell mode: uses the host grant for exactly the commands `covered` in `cwd`,
/// if there is one this process may use. A host's prompt is one person: it never
/// stands for the `needed` approvers of a two-person rule.
pub fn take_for_shell(
    dir: &Path,
    cwd: &Path,
    covered: &[Vec<String>],
    needed: u8,
) -> Result<Option<Earlier>, ConfirmError> {
    let want = sorted_hashes(covered);
    let _l = lock(dir)?;
    for (p, g) in host_grants(dir, cwd) {
        if g.argvs != want {
            continue;
        }
        if g.approved_by.is_none() && (needed > 1 || !started_by(&g.starters)) {
            continue;
        }
        std::fs::remove_file(&p).map_err(|e| ConfirmError::io("cannot remove", &p, e))?;
        let by = g
            .approved_by
            .unwrap_or_else(|| vec![format!("the user, in {}'s own prompt", g.host)]);
        return Ok(Some(Earlier { by }));
    }
    Ok(None)
}

/// For a shim: uses one argv of an approved host grant in `cwd`, if one covers `argv`.
pub fn take_for_shim(
    dir: &Path,
    cwd: &Path,
    argv: &[String],
) -> Result<Option<Earlier>, ConfirmError> {
    let want = argv_hash(argv);
    let _l = lock(dir)?;
    for (p, mut g) in host_grants(dir, cwd) {
        let Some(by) = g.approved_by.clone() else {
            continue;
        };
        let Some(i) = g.argvs.iter().position(|h| *h == want) else {
            continue;
        };
        g.argvs.remove(i);
        if g.argvs.is_empty() {
            std::fs::remove_file(&p).map_err(|e| ConfirmError::io("cannot remove", &p, e))?;
        } else {
            write_json(&p, &g)?;
        }
        return Ok(Some(Earlier { by }));
    }
    Ok(None)
}

/// The grants directory if it already exists (looking for a grant never creates it).
pub fn existing_dir(env: &Env) -> Option<PathBuf> {
    let d = env.user_state_dir()?.join(DIR_NAME);
    check_private(&d).ok()?;
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_grant_covers_its_exact_argvs_once() {
        let dir = tempfile::tempdir().unwrap();
        let a = v(&["kubectl", "delete", "pod", "x"]);
        let b = v(&["kubectl", "delete", "pod", "y"]);
        let token = create(dir.path(), &[a.clone(), b.clone()]).unwrap();
        let t = OsStr::new(&token);
        assert!(!consume(dir.path(), t, &v(&["kubectl", "delete", "pod", "z"])).unwrap());
        assert!(consume(dir.path(), t, &a).unwrap());
        assert!(!consume(dir.path(), t, &a).unwrap(), "used twice");
        assert!(!consume(dir.path(), OsStr::new("forged"), &b).unwrap());
        assert!(consume(dir.path(), t, &b).unwrap());
        // Fully used: the record is gone.
        assert!(!token_path(dir.path(), token.as_bytes()).exists());
    }

    #[test]
    fn an_asked_host_grant_serves_only_a_shell_its_starters_started() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let cwd = Path::new("/w");
        let a = v(&["kubectl", "drain", "node-1"]);
        // Recorded here, its starters are this process's parent and grandparent; this
        // process itself, whose parent is that same parent, may use it.
        record_host(d, "claude", cwd, std::slice::from_ref(&a), None).unwrap();
        assert_eq!(
            take_for_shell(d, Path::new("/x"), std::slice::from_ref(&a), 1).unwrap(),
            None
        );
        assert_eq!(
            take_for_shell(d, cwd, &[a.clone(), a.clone()], 1).unwrap(),
            None
        );
        assert_eq!(
            take_for_shim(d, cwd, &a).unwrap(),
            None,
            "shims never use an asked grant"
        );
        assert_eq!(
            take_for_shell(d, cwd, std::slice::from_ref(&a), 2).unwrap(),
            None,
            "a host's prompt is one person"
        );
        let got = take_for_shell(d, cwd, std::slice::from_ref(&a), 1)
            .unwrap()
            .unwrap();
        assert_eq!(got.by, ["the user, in claude's own prompt"]);
        assert_eq!(
            take_for_shell(d, cwd, std::slice::from_ref(&a), 1).unwrap(),
            None,
            "used once"
        );
        // Someone else's starters: not usable here.
        record_host(d, "claude", cwd, std::slice::from_ref(&a), None).unwrap();
        for (p, mut g) in host_grants(d, cwd) {
            g.starters = vec![Starter { pid: 1, start: 1 }];
            write_json(&p, &g).unwrap();
        }
        assert_eq!(
            take_for_shell(d, cwd, std::slice::from_ref(&a), 1).unwrap(),
            None
        );
    }

    #[test]
    fn an_approved_host_grant_serves_each_argv_once() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let cwd = Path::new("/w");
        let a = v(&["kubectl", "drain", "node-1"]);
        let b = v(&["kubectl", "drain", "node-2"]);
        record_host(
            d,
            "gemini",
            cwd,
            &[a.clone(), b.clone()],
            Some(vec!["alice".into()]),
        )
        .unwrap();
        assert_eq!(take_for_shim(d, cwd, &a).unwrap().unwrap().by, ["alice"]);
        assert_eq!(take_for_shim(d, cwd, &a).unwrap(), None);
        assert!(take_for_shim(d, cwd, &b).unwrap().is_some());
        assert_eq!(
            std::fs::read_dir(d)
                .unwrap()
                .filter(|e| e
                    .as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(HOST_PREFIX))
                .count(),
            0
        );
    }
}
