//! The approvals queue: pending requests as files in a private directory
//! (`$XDG_STATE_HOME/interlock/approvals`, mode 0700), one JSON file per request,
//! written whole (temp file + rename) under an exclusive `flock` so concurrent
//! approvers and the waiting command never see half a record.
//!
//! The waiting command keeps the truth in memory: its exact argv, directory, request id,
//! deadline and how many approvers it needs. It accepts only approvals whose binding
//! (SHA-256 over those) matches its own, from that many different users, before its own
//! deadline — so a record copied from another request, or edited to show a different
//! command, approves nothing. The record is removed when the command runs: an approval
//! works once.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::ContextLines;
use super::{ConfirmError, Subject, Via};
use crate::entry::act::Ask;
use crate::env::Env;
use crate::hash::sha256_hex;

pub const DIR_NAME: &str = "approvals";
const REQUEST_PREFIX: &str = "req-";
const LOCK_FILE: &str = ".lock";
const RECORD_VERSION: u32 = 1;
/// Request ids: short enough to type, random enough not to guess (31^8 ≈ 2^40).
const ID_LEN: usize = 8;
/// The longest the waiter sleeps between looks even when inotify is quiet, in case an
/// event was missed (a rename over an open watch, a full event queue).
const MAX_NAP: Duration = Duration::from_secs(2);
/// How long after expiry a record may still be looked at by its waiter.
const STALE_GRACE_SECS: u64 = 60;
/// Without inotify: naps that start short (an approval shows quickly) and grow.
const FIRST_NAP: Duration = Duration::from_millis(100);

/// One approval given.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    pub user: String,
    pub uid: u32,
    pub time: u64,
    /// The binding of the request as the approver saw it.
    pub binding: String,
}

/// A pending request as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub version: u32,
    pub id: String,
    /// The command, secrets redacted (for the shell mode: the script).
    pub command: String,
    /// The argv, secrets redacted.
    pub argv: Vec<String>,
    /// SHA-256 over the request id, the directory and the exact argv bytes.
    pub binding: String,
    pub cwd: String,
    pub rule: String,
    pub reason: String,
    pub location: String,
    pub context: Vec<(String, String)>,
    pub session: Option<String>,
    pub pid: u32,
    pub requester: String,
    pub created: u64,
    pub expires: u64,
    pub approvals_needed: u8,
    pub approvals: Vec<Approval>,
    pub denied: Option<Approval>,
}

impl Request {
    /// The users whose approvals count, one name per uid, in the order they approved.
    pub fn approvers(&self, binding: &str, deadline: u64) -> Vec<String> {
        let mut seen = Vec::new();
        let mut names = Vec::new();
        for a in self
            .approvals
            .iter()
            .filter(|a| a.binding == binding && a.time <= deadline)
        {
            if !seen.contains(&a.uid) {
                seen.push(a.uid);
                names.push(a.user.clone());
            }
        }
        names
    }

    pub fn distinct_approvers(&self, binding: &str, deadline: u64) -> usize {
        let mut uids: Vec<u32> = self
            .approvals
            .iter()
            .filter(|a| a.binding == binding && a.time <= deadline)
            .map(|a| a.uid)
            .collect();
        uids.sort_unstable();
        uids.dedup();
        uids.len()
    }

    fn asker_alive(&self) -> bool {
        // SAFETY: kill with signal 0 only checks that the process exists.
        let r = unsafe { libc::kill(self.pid as libc::pid_t, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }

    /// Whether the process that asked is still waiting for an answer.
    pub fn waiting(&self) -> bool {
        self.asker_alive() && super::now() < self.expires
    }

    /// Left behind: its asker is gone (killed while waiting), or it expired long enough
    /// ago that its asker has certainly finished with it.
    pub fn stale(&self) -> bool {
        !self.asker_alive() || super::now() > self.expires + STALE_GRACE_SECS
    }
}

/// Who is approving: the real user id decides, the name is for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub uid: u32,
    pub name: String,
}

impl Person {
    pub fn current() -> Person {
        let uid = crate::account::real_uid();
        Person {
            uid,
            name: crate::account::name_of(uid).unwrap_or_else(|| format!("uid {uid}")),
        }
    }
}

/// The approvals directory, created private if missing, refused if anyone else could
/// write it (they could then forge approvals).
pub fn state_dir(env: &Env) -> Result<PathBuf, ConfirmError> {
    let dir = env
        .user_state_dir()
        .ok_or(ConfirmError::NoStateDir)?
        .join(DIR_NAME);
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(|e| ConfirmError::io("cannot create", &dir, e))?;
    check_dir(&dir)?;
    Ok(dir)
}

pub fn check_dir(dir: &Path) -> Result<(), ConfirmError> {
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
            "other users can write it (mode {:o}), so they could forge approvals; run chmod 700 {}",
            meta.mode() & 0o7777,
            dir.display()
        )));
    }
    Ok(())
}

/// An exclusive lock over the whole directory, released when dropped.
pub struct Lock(#[allow(dead_code)] File);

pub fn lock(dir: &Path) -> Result<Lock, ConfirmError> {
    let p = dir.join(LOCK_FILE);
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
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

pub fn request_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{REQUEST_PREFIX}{id}.json"))
}

/// Ids are typed by people; anything else could name a path.
pub fn valid_id(id: &str) -> bool {
    id.len() == ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Writes `bytes` to `path` whole: a private temp file, then rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ConfirmError> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&tmp)
        .map_err(|e| ConfirmError::io("cannot write", &tmp, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| ConfirmError::io("cannot write", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        ConfirmError::io("cannot write", path, e)
    })
}

pub fn read_request(dir: &Path, id: &str) -> Result<Request, ConfirmError> {
    let p = request_path(dir, id);
    let bytes = match std::fs::read(&p) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ConfirmError::NoSuchRequest(id.to_owned()));
        }
        Err(e) => return Err(ConfirmError::io("cannot read", &p, e)),
    };
    serde_json::from_slice(&bytes).map_err(|source| ConfirmError::Corrupt { path: p, source })
}

pub fn write_request(dir: &Path, r: &Request) -> Result<(), ConfirmError> {
    let p = request_path(dir, &r.id);
    let json = serde_json::to_vec_pretty(r).map_err(|source| ConfirmError::Corrupt {
        path: p.clone(),
        source,
    })?;
    write_atomic(&p, &json)
}

/// Every request in the directory, oldest first. Records that do not parse are skipped
/// (and reported through `bad`).
pub fn list(dir: &Path, bad: &mut Vec<String>) -> Result<Vec<Request>, ConfirmError> {
    let rd = std::fs::read_dir(dir).map_err(|e| ConfirmError::io("cannot list", dir, e))?;
    let mut out = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(id) = name
            .strip_prefix(REQUEST_PREFIX)
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        match read_request(dir, id) {
            Ok(r) => out.push(r),
            Err(ConfirmError::NoSuchRequest(_)) => {}
            Err(e) => bad.push(e.to_string()),
        }
    }
    out.sort_by_key(|r| (r.created, r.id.clone()));
    Ok(out)
}

/// The binding of a request: its id, directory and exact argv bytes.
pub fn binding(id: &str, cwd: &Path, argv: &[Vec<u8>]) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut parts: Vec<&[u8]> = vec![
        b"interlock-approval-v1",
        id.as_bytes(),
        cwd.as_os_str().as_bytes(),
    ];
    parts.extend(argv.iter().map(Vec::as_slice));
    sha256_hex(&super::encode(&parts))
}

/// How waiting ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Waited {
    /// Approved, by these users.
    Approved(Vec<String>),
    Denied(String),
    Expired(Duration),
    /// The record vanished or no longer matches: refuse, saying why.
    Refused(String),
}

/// The approvals waited for, the command's own view of its request.
struct Pending {
    id: String,
    binding: String,
    cwd: String,
    needed: u8,
    deadline: u64,
}

impl Pending {
    /// Looks at the record once: `Some` when waiting is over.
    fn look(&self, dir: &Path) -> Option<Waited> {
        let r = match read_request(dir, &self.id) {
            Ok(r) => r,
            Err(ConfirmError::NoSuchRequest(_)) => {
                return Some(Waited::Refused(format!(
                    "request {} was removed from the queue before anyone approved it",
                    self.id
                )));
            }
            Err(e) => {
                return Some(Waited::Refused(format!(
                    "request {} can no longer be read ({e})",
                    self.id
                )));
            }
        };
        if r.id != self.id || r.binding != self.binding || r.cwd != self.cwd {
            return Some(Waited::Refused(format!(
                "request {} was altered in the queue (it no longer describes this exact command), so its approvals do not count",
                self.id
            )));
        }
        if let Some(d) = &r.denied {
            return Some(Waited::Denied(d.user.clone()));
        }
        if r.distinct_approvers(&self.binding, self.deadline) >= usize::from(self.needed) {
            return Some(Waited::Approved(r.approvers(&self.binding, self.deadline)));
        }
        None
    }
}

/// Watches the directory for changes with inotify, so the waiter sleeps until something
/// happens instead of polling.
struct Watch(Option<std::os::fd::OwnedFd>);

impl Watch {
    fn new(dir: &Path) -> Watch {
        use std::os::fd::FromRawFd;
        use std::os::unix::ffi::OsStrExt;
        let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
            return Watch(None);
        };
        // SAFETY: plain inotify calls; the fd is owned below or closed on failure.
        unsafe {
            let fd = libc::inotify_init1(libc::IN_CLOEXEC | libc::IN_NONBLOCK);
            if fd < 0 {
                return Watch(None);
            }
            let owned = std::os::fd::OwnedFd::from_raw_fd(fd);
            let mask = libc::IN_CLOSE_WRITE
                | libc::IN_MOVED_TO
                | libc::IN_MOVED_FROM
                | libc::IN_DELETE
                | libc::IN_ATTRIB;
            if libc::inotify_add_watch(fd, c.as_ptr(), mask) < 0 {
                return Watch(None);
            }
            Watch(Some(owned))
        }
    }

    /// Sleeps until the directory changes or `nap` passes.
    fn wait(&self, nap: Duration) {
        use std::os::fd::AsRawFd;
        let Some(fd) = &self.0 else {
            std::thread::sleep(nap);
            return;
        };
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = nap.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, ms) };
        if r > 0 {
            let mut buf = [0u8; 4096];
            // Drain the events: which file changed does not matter, the record is re-read.
            // SAFETY: reading into a live buffer from an owned, non-blocking fd.
            while unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) } > 0 {}
        }
    }

    fn active(&self) -> bool {
        self.0.is_some()
    }
}

/// Records a pending request, tells the agent (one line on stderr) how a human approves
/// it, and waits until it is decided or `timeout` passes.
pub fn ask_and_wait(
    env: &Env,
    ask: &Ask,
    subject: &Subject,
    context: &ContextLines,
    timeout: Duration,
) -> Result<Waited, ConfirmError> {
    let dir = state_dir(env)?;
    let id = super::random_code(ID_LEN)?;
    let created = super::now();
    // Whole seconds on disk: round up, so a request never looks expired before the
    // waiter (which times itself with a monotonic clock) gives up on it.
    let expires = created + timeout.as_secs() + 1;
    let binding = binding(&id, &subject.cwd, &subject.argv);
    let argv: Vec<String> = subject
        .argv
        .iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let request = Request {
        version: RECORD_VERSION,
        id: id.clone(),
        command: subject.shown.clone(),
        argv: match subject.via {
            Via::Shim => crate::redact::redact_argv(&argv),
            Via::Shell => argv.iter().map(|a| crate::redact::redact_text(a)).collect(),
        },
        binding: binding.clone(),
        cwd: subject.cwd.display().to_string(),
        rule: ask.rule.clone(),
        reason: ask.reason.clone(),
        location: ask.location.clone(),
        context: context.clone(),
        session: super::session(),
        pid: std::process::id(),
        requester: Person::current().name,
        created,
        expires,
        approvals_needed: ask.approvals.max(1),
        approvals: Vec::new(),
        denied: None,
    };
    let pending = Pending {
        id: id.clone(),
        binding,
        cwd: request.cwd.clone(),
        needed: request.approvals_needed,
        deadline: expires,
    };
    {
        let _l = lock(&dir)?;
        write_request(&dir, &request)?;
    }
    let watch = Watch::new(&dir);
    let who = if request.approvals_needed > 1 {
        format!("{} different people run", request.approvals_needed)
    } else {
        "a human runs".to_owned()
    };
    eprintln!(
        "interlock: waiting for approval by {}: request {id} ({}); {who} `interlock approve {id}` (or `interlock approvals`) in their own terminal; waiting up to {} s",
        ask.rule,
        ask.shown,
        timeout.as_secs()
    );
    let start = Instant::now();
    let mut nap = if watch.active() { MAX_NAP } else { FIRST_NAP };
    let result = loop {
        if let Some(w) = pending.look(&dir) {
            break w;
        }
        let left = timeout.saturating_sub(start.elapsed());
        if left.is_zero() {
            // One last look under the lock: an approval may have landed just now.
            let _l = lock(&dir)?;
            break pending.look(&dir).unwrap_or(Waited::Expired(timeout));
        }
        watch.wait(nap.min(left));
        if !watch.active() {
            nap = (nap * 2).min(MAX_NAP);
        }
    };
    // Used once, whatever the outcome: the record goes.
    let _l = lock(&dir)?;
    if matches!(result, Waited::Approved(_)) {
        // The approval counts only if it is still there when it is used.
        match pending.look(&dir) {
            Some(Waited::Approved(_)) => {}
            Some(other) => {
                let _ = std::fs::remove_file(request_path(&dir, &id));
                return Ok(other);
            }
            None => {
                let _ = std::fs::remove_file(request_path(&dir, &id));
                return Ok(Waited::Refused(format!(
                    "the approvals of request {id} were withdrawn"
                )));
            }
        }
    }
    let _ = std::fs::remove_file(request_path(&dir, &id));
    Ok(result)
}

/// What an approval achieved.
#[derive(Debug, PartialEq, Eq)]
pub struct Progress {
    pub given: usize,
    pub needed: u8,
    /// Who approved before (for the second person of a two-person rule).
    pub earlier: Vec<String>,
}

/// Adds `who`'s approval to `r` if allowed: not expired, not denied, and not the same
/// person twice.
pub fn add_approval(r: &mut Request, who: &Person, now: u64) -> Result<Progress, ConfirmError> {
    if now >= r.expires {
        return Err(ConfirmError::Expired(r.id.clone()));
    }
    if let Some(d) = &r.denied {
        return Err(ConfirmError::Denied {
            id: r.id.clone(),
            by: d.user.clone(),
        });
    }
    if r.approvals.iter().any(|a| a.uid == who.uid) {
        return Err(ConfirmError::SameApprover {
            id: r.id.clone(),
            user: who.name.clone(),
            needed: r.approvals_needed,
        });
    }
    let earlier = r
        .approvals
        .iter()
        .map(|a| format!("{} at {}", a.user, super::format_time(a.time)))
        .collect();
    r.approvals.push(Approval {
        user: who.name.clone(),
        uid: who.uid,
        time: now,
        binding: r.binding.clone(),
    });
    Ok(Progress {
        given: r.distinct_approvers(&r.binding, r.expires),
        needed: r.approvals_needed,
        earlier,
    })
}

/// Marks `r` denied by `who`, unless it is past its deadline.
pub fn add_denial(r: &mut Request, who: &Person, now: u64) -> Result<(), ConfirmError> {
    if now >= r.expires {
        return Err(ConfirmError::Expired(r.id.clone()));
    }
    r.denied = Some(Approval {
        user: who.name.clone(),
        uid: who.uid,
        time: now,
        binding: r.binding.clone(),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(needed: u8) -> Request {
        Request {
            version: RECORD_VERSION,
            id: "abcd2345".into(),
            command: "kubectl delete pod x".into(),
            argv: vec!["kubectl".into(), "delete".into(), "pod".into(), "x".into()],
            binding: "b1".into(),
            cwd: "/w".into(),
            rule: "kubectl-delete".into(),
            reason: "r".into(),
            location: "l".into(),
            context: Vec::new(),
            session: None,
            pid: 1,
            requester: "agent".into(),
            created: 100,
            expires: 200,
            approvals_needed: needed,
            approvals: Vec::new(),
            denied: None,
        }
    }

    fn person(uid: u32, name: &str) -> Person {
        Person {
            uid,
            name: name.into(),
        }
    }

    #[test]
    fn two_person_rule_needs_two_different_users() {
        let mut r = request(2);
        let alice = person(1000, "alice");
        let p = add_approval(&mut r, &alice, 150).unwrap();
        assert_eq!((p.given, p.needed), (1, 2));
        assert!(p.earlier.is_empty());
        let again = add_approval(&mut r, &alice, 151).unwrap_err();
        assert!(
            matches!(again, ConfirmError::SameApprover { .. }),
            "{again}"
        );
        let p = add_approval(&mut r, &person(1001, "bob"), 152).unwrap();
        assert_eq!((p.given, p.needed), (2, 2));
        assert_eq!(p.earlier.len(), 1);
        assert!(p.earlier[0].starts_with("alice at "), "{:?}", p.earlier);
        let pending = Pending {
            id: r.id.clone(),
            binding: "b1".into(),
            cwd: "/w".into(),
            needed: 2,
            deadline: 200,
        };
        assert_eq!(r.distinct_approvers(&pending.binding, pending.deadline), 2);
    }

    #[test]
    fn expired_and_denied_requests_take_no_approval() {
        let mut r = request(1);
        assert!(matches!(
            add_approval(&mut r, &person(1, "a"), 200),
            Err(ConfirmError::Expired(_))
        ));
        add_denial(&mut r, &person(1, "a"), 150).unwrap();
        assert!(matches!(
            add_approval(&mut r, &person(2, "b"), 160),
            Err(ConfirmError::Denied { .. })
        ));
    }

    #[test]
    fn approvals_for_another_binding_or_after_the_deadline_do_not_count() {
        let mut r = request(1);
        r.approvals.push(Approval {
            user: "a".into(),
            uid: 1,
            time: 150,
            binding: "other".into(),
        });
        assert_eq!(r.distinct_approvers("b1", 200), 0);
        r.approvals.push(Approval {
            user: "a".into(),
            uid: 1,
            time: 250,
            binding: "b1".into(),
        });
        assert_eq!(r.distinct_approvers("b1", 200), 0);
    }

    #[test]
    fn waiter_refuses_a_record_altered_or_copied_from_another_request() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = request(1);
        r.approvals.push(Approval {
            user: "a".into(),
            uid: 1,
            time: 150,
            binding: "b1".into(),
        });
        write_request(dir.path(), &r).unwrap();
        let pending = |binding: &str| Pending {
            id: r.id.clone(),
            binding: binding.into(),
            cwd: "/w".into(),
            needed: 1,
            deadline: 200,
        };
        assert!(matches!(
            pending("b1").look(dir.path()),
            Some(Waited::Approved(by)) if !by.is_empty()
        ));
        assert!(matches!(
            pending("b2").look(dir.path()),
            Some(Waited::Refused(_))
        ));
    }

    #[test]
    fn bindings_cover_id_directory_and_every_byte() {
        let argv = vec![b"kubectl".to_vec(), b"delete".to_vec()];
        let b = binding("abcd2345", Path::new("/w"), &argv);
        assert_ne!(b, binding("abcd2346", Path::new("/w"), &argv));
        assert_ne!(b, binding("abcd2345", Path::new("/x"), &argv));
        assert_ne!(
            b,
            binding(
                "abcd2345",
                Path::new("/w"),
                &[b"kubectl".to_vec(), b"delete ".to_vec()]
            )
        );
    }

    #[test]
    fn unsafe_directories_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("approvals");
        std::fs::create_dir(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = check_dir(&d).unwrap_err();
        assert!(e.to_string().contains("chmod 700"), "{e}");
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
        check_dir(&d).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&d, &link).unwrap();
        assert!(check_dir(&link).is_err());
    }
}
