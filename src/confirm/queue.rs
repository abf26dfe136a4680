//! The approvals queue: a directory of pending requests and of decisions about them.
//!
//! - `req-ID.json` is a request, written whole (temp file + rename) by the command that
//!   asks. It shows what would run — the command and argv (secrets redacted), directory,
//!   rule, reason, context, who asked — and ends with a *binding*: SHA-256 over every
//!   field shown and an opaque digest of the exact argv bytes.
//! - `ID.ok.UID` is an approval and `ID.no.UID` a denial, each created (`O_EXCL`, never
//!   replaced) by `interlock approve` or `deny` and holding the binding of the request
//!   as the approver saw it.
//!
//! Who decided is never read from a file's content: it is the file's owner as the
//! kernel reports it (`fstat`), and a decision counts only if that owner is the uid in
//! its name, it is a regular file with one link, and (for an approval) its binding is
//! the one the waiting command holds in memory. So an approval cannot be written by
//! anyone but the approver's own uid, one uid counts once whatever it writes, and an
//! approval of a request that was edited to show something else approves nothing.
//!
//! The directory is the user's own (`$XDG_STATE_HOME/interlock/approvals`, 0700) by
//! default. A shared one (`[confirm] queue_dir` in the system config) lets approvers who
//! are other users — the human beside an agent that runs as its own user, the second
//! person of a two-person rule — add their decisions. It must belong to root or the
//! caller and, if others may write it, carry the sticky bit, so that nobody can remove
//! or rename another user's files. Requests and decisions are mode 0644: who may read
//! them is decided by the directory's own mode and group.

use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::ContextLines;
use super::{ConfirmError, ConfirmSection, Subject, Via};
use crate::entry::act::Ask;
use crate::env::Env;
use crate::hash::sha256_hex;

pub const DIR_NAME: &str = "approvals";
const REQUEST_PREFIX: &str = "req-";
const RECORD_VERSION: u32 = 2;
/// Request ids: short enough to type, random enough not to guess (31^8 ≈ 2^40).
const ID_LEN: usize = 8;
/// The secret that makes a request's argv digest unguessable (it never leaves memory).
const NONCE_LEN: usize = 32;
/// Requests and decisions are read by other users in a shared queue.
const FILE_MODE: u32 = 0o644;
/// Larger files are not interlock's and are not read.
const MAX_REQUEST_BYTES: u64 = 1 << 20;
const MAX_DECISION_BYTES: u64 = 4096;
/// The longest the waiter sleeps between looks even when inotify is quiet, in case an
/// event was missed (a rename over an open watch, a full event queue).
const MAX_NAP: Duration = Duration::from_secs(2);
/// How long after expiry a record may still be looked at by its waiter.
const STALE_GRACE_SECS: u64 = 60;
/// Without inotify: naps that start short (an approval shows quickly) and grow.
const FIRST_NAP: Duration = Duration::from_millis(100);

/// A pending request as stored.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub version: u32,
    pub id: String,
    /// The command, secrets redacted (for the shell mode and hooks: the script).
    pub command: String,
    /// The argv, secrets redacted.
    pub argv: Vec<String>,
    pub cwd: String,
    pub rule: String,
    pub reason: String,
    pub location: String,
    pub context: Vec<(String, String)>,
    pub session: Option<String>,
    /// The process that waits for the answer; 0 when nobody waits (asked through an
    /// agent's hook: once approved, the agent runs the command again).
    pub pid: u32,
    pub requester: String,
    /// Checked against the file's owner.
    pub requester_uid: u32,
    pub created: u64,
    pub expires: u64,
    pub approvals_needed: u8,
    /// SHA-256 over a secret nonce, the id, the directory and the exact argv bytes:
    /// binds the request to what runs without showing (or letting anyone guess at)
    /// secrets in the argv.
    pub exact: String,
    /// SHA-256 over `exact` and every field above: what an approval names.
    pub binding: String,
}

impl Request {
    /// The binding this record's own fields give. A record whose stored binding differs
    /// was edited after it was made.
    pub fn computed_binding(&self) -> String {
        let nums = [
            self.version.to_string(),
            self.pid.to_string(),
            self.requester_uid.to_string(),
            self.created.to_string(),
            self.expires.to_string(),
            self.approvals_needed.to_string(),
        ];
        let mut parts: Vec<&[u8]> = vec![
            b"interlock-request-v2",
            self.exact.as_bytes(),
            self.id.as_bytes(),
            self.command.as_bytes(),
            self.cwd.as_bytes(),
            self.rule.as_bytes(),
            self.reason.as_bytes(),
            self.location.as_bytes(),
            self.session.as_deref().unwrap_or("").as_bytes(),
            self.requester.as_bytes(),
        ];
        parts.extend(nums.iter().map(String::as_bytes));
        let argc = self.argv.len().to_string();
        parts.push(argc.as_bytes());
        parts.extend(self.argv.iter().map(String::as_bytes));
        let ctxc = self.context.len().to_string();
        parts.push(ctxc.as_bytes());
        for (k, v) in &self.context {
            parts.push(k.as_bytes());
            parts.push(v.as_bytes());
        }
        sha256_hex(&super::encode(&parts))
    }

    fn asker_alive(&self) -> bool {
        if self.pid == 0 {
            return true;
        }
        // SAFETY: kill with signal 0 only checks that the process exists.
        let r = unsafe { libc::kill(self.pid as libc::pid_t, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }

    /// Whether the request can still be answered.
    pub fn waiting(&self) -> bool {
        self.asker_alive() && super::now() < self.expires
    }

    /// Left behind: its asker is gone (killed while waiting), or it expired long enough
    /// ago that its asker has certainly finished with it.
    pub fn stale(&self) -> bool {
        !self.asker_alive() || super::now() > self.expires + STALE_GRACE_SECS
    }
}

/// What a request is made from: everything but its timing and the process that waits.
pub struct Draft<'a> {
    pub ask: &'a Ask,
    pub subject: &'a Subject,
    pub context: &'a ContextLines,
}

impl Draft<'_> {
    /// The request with `id`, bound through the secret `nonce`. The same inputs always
    /// give the same record, so a hook can rebuild it when the agent asks again.
    pub fn request(&self, id: &str, nonce: &[u8], pid: u32, created: u64, expires: u64) -> Request {
        let subject = self.subject;
        let argv: Vec<String> = subject
            .argv
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let cwd = subject.cwd.as_os_str().as_bytes();
        let mut parts: Vec<&[u8]> = vec![b"interlock-exact-v2", nonce, id.as_bytes(), cwd];
        parts.extend(subject.argv.iter().map(Vec::as_slice));
        let me = Person::current();
        let mut r = Request {
            version: RECORD_VERSION,
            id: id.to_owned(),
            command: subject.shown.clone(),
            argv: match subject.via {
                Via::Shim => crate::redact::redact_argv(&argv),
                Via::Shell => argv.iter().map(|a| crate::redact::redact_text(a)).collect(),
            },
            cwd: subject.cwd.display().to_string(),
            rule: self.ask.rule.clone(),
            reason: self.ask.reason.clone(),
            location: self.ask.location.clone(),
            context: self.context.clone(),
            session: super::session::id(),
            pid,
            requester: me.name,
            requester_uid: me.uid,
            created,
            expires,
            approvals_needed: self.ask.approvals.max(1),
            exact: sha256_hex(&super::encode(&parts)),
            binding: String::new(),
        };
        r.binding = r.computed_binding();
        r
    }
}

/// A fresh request id and the secret that binds it.
pub fn new_id() -> Result<(String, Vec<u8>), ConfirmError> {
    Ok((super::random_code(ID_LEN)?, super::random_bytes(NONCE_LEN)?))
}

/// Who is deciding: the effective uid (the owner of the files this process creates)
/// decides; the name is for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub uid: u32,
    pub name: String,
}

impl Person {
    pub fn current() -> Person {
        // SAFETY: geteuid cannot fail.
        let uid = unsafe { libc::geteuid() };
        Person {
            uid,
            name: user_name(uid),
        }
    }
}

/// A uid for people: its passwd name, or `uid N` when it has none.
pub fn user_name(uid: u32) -> String {
    crate::account::name_of(uid).unwrap_or_else(|| format!("uid {uid}"))
}

fn euid() -> u32 {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() }
}

/// The approvals directory: the shared one the system config names, or the user's
/// private one (created 0700 if missing). Refused if it is unsafe ([`check_dir`]).
pub fn dir(env: &Env, cfg: &ConfirmSection) -> Result<PathBuf, ConfirmError> {
    if let Some(shared) = &cfg.queue_dir {
        if !shared.is_absolute() {
            return Err(ConfirmError::UnsafeDir {
                path: shared.clone(),
                why: "`[confirm] queue_dir` must be an absolute path".into(),
            });
        }
        // A shared queue is made by its administrator, with its owner, group and mode.
        check_dir(shared)?;
        return Ok(shared.clone());
    }
    let dir = env
        .user_state_dir()
        .ok_or(ConfirmError::NoStateDir)?
        .join(DIR_NAME);
    crate::env::create_private_dir(&dir).map_err(|e| ConfirmError::io("cannot create", &dir, e))?;
    check_dir(&dir)?;
    Ok(dir)
}

/// A queue directory is safe when it is a real directory (not a symlink) owned by root
/// or by the caller, and when others can write it only with the sticky bit set, which
/// keeps them from removing or renaming files that are not theirs.
pub fn check_dir(dir: &Path) -> Result<(), ConfirmError> {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ConfirmError::UnsafeDir {
                path: dir.to_owned(),
                why: format!(
                    "it does not exist; create it (as root for a shared queue: mkdir -p {0} && chmod 1777 {0})",
                    dir.display()
                ),
            });
        }
        Err(e) => return Err(ConfirmError::io("cannot read", dir, e)),
    };
    let unsafe_dir = |why: String| ConfirmError::UnsafeDir {
        path: dir.to_owned(),
        why,
    };
    if !meta.is_dir() {
        return Err(unsafe_dir(
            "it is not a directory (a symlink is refused too)".into(),
        ));
    }
    let me = euid();
    if meta.uid() != me && meta.uid() != 0 {
        return Err(unsafe_dir(format!(
            "it belongs to uid {}, not to you (uid {me}) or root; remove it or fix its owner",
            meta.uid()
        )));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 && mode & 0o1000 == 0 {
        return Err(unsafe_dir(format!(
            "other users can write it (mode {mode:o}) without the sticky bit, so they could remove or replace requests and approvals; \
             run chmod 700 {0} for a private queue, or chmod +t {0} for a shared one",
            dir.display()
        )));
    }
    Ok(())
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

/// Creates `path` anew (never following or replacing anything there), mode `mode`
/// whatever the umask, with `bytes` in it.
fn create_new(path: &Path, mode: u32, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)?;
    let written = f
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .and_then(|()| f.write_all(bytes))
        .and_then(|()| f.sync_all());
    if written.is_err() {
        let _ = std::fs::remove_file(path);
    }
    written
}

/// Writes `bytes` to `path` whole: a new temp file beside it, then rename.
pub fn write_atomic(path: &Path, mode: u32, bytes: &[u8]) -> Result<(), ConfirmError> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(
        ".{}.tmp{}",
        name.unwrap_or_default(),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&tmp);
    create_new(&tmp, mode, bytes).map_err(|e| ConfirmError::io("cannot write", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        ConfirmError::io("cannot write", path, e)
    })
}

/// Opens a file in the queue for reading without following a symlink or blocking on a
/// FIFO, and says who owns it; refused unless it is a regular file no larger than `max`.
fn open_plain(path: &Path, max: u64) -> std::io::Result<(Vec<u8>, std::fs::Metadata)> {
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other("it is not a regular file"));
    }
    if meta.len() > max {
        return Err(std::io::Error::other(format!(
            "it is larger than {max} bytes"
        )));
    }
    let mut b = Vec::new();
    std::io::Read::by_ref(&mut f)
        .take(max)
        .read_to_end(&mut b)?;
    Ok((b, meta))
}

/// A request and the uid that owns its file.
pub fn read_request(dir: &Path, id: &str) -> Result<(Request, u32), ConfirmError> {
    let p = request_path(dir, id);
    let (bytes, meta) = match open_plain(&p, MAX_REQUEST_BYTES) {
        Ok(x) => x,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ConfirmError::NoSuchRequest(id.to_owned()));
        }
        Err(e) => return Err(ConfirmError::io("cannot read", &p, e)),
    };
    let r = serde_json::from_slice(&bytes).map_err(|source| ConfirmError::Corrupt {
        path: p.clone(),
        source,
    })?;
    Ok((r, meta.uid()))
}

pub fn write_request(dir: &Path, r: &Request) -> Result<(), ConfirmError> {
    let p = request_path(dir, &r.id);
    let json = serde_json::to_vec_pretty(r).map_err(|source| ConfirmError::Corrupt {
        path: p.clone(),
        source,
    })?;
    write_atomic(&p, FILE_MODE, &json)
}

/// Every request in the directory, oldest first, with the uid owning its file. Records
/// that cannot be read are skipped (and reported through `bad`).
pub fn list(dir: &Path, bad: &mut Vec<String>) -> Result<Vec<(Request, u32)>, ConfirmError> {
    let rd = std::fs::read_dir(dir).map_err(|e| ConfirmError::io("cannot list", dir, e))?;
    let mut out = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(id) = name
            .strip_prefix(REQUEST_PREFIX)
            .and_then(|n| n.strip_suffix(".json"))
            .filter(|id| valid_id(id))
        else {
            continue;
        };
        match read_request(dir, id) {
            Ok(r) => out.push(r),
            Err(ConfirmError::NoSuchRequest(_)) => {}
            Err(e) => bad.push(e.to_string()),
        }
    }
    out.sort_by_key(|(r, _)| (r.created, r.id.clone()));
    Ok(out)
}

/// An approval or a denial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Approve,
    Deny,
}

impl Kind {
    fn tag(self) -> &'static str {
        match self {
            Kind::Approve => "ok",
            Kind::Deny => "no",
        }
    }
}

/// What a decision file holds. The approver is not in it: that is the file's owner.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionRecord {
    binding: String,
    time: u64,
}

/// A decision as the queue holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub kind: Kind,
    pub uid: u32,
    pub time: u64,
    pub binding: String,
    /// When the file was written, as the kernel keeps it (for the order of approvers).
    written: (i64, i64),
}

pub fn decision_path(dir: &Path, id: &str, kind: Kind, uid: u32) -> PathBuf {
    dir.join(format!("{id}.{}.{uid}", kind.tag()))
}

fn parse_decision_name(name: &str) -> Option<(&str, Kind, u32)> {
    let mut parts = name.splitn(3, '.');
    let id = parts.next()?;
    let kind = match parts.next()? {
        "ok" => Kind::Approve,
        "no" => Kind::Deny,
        _ => return None,
    };
    let uid = parts.next()?;
    // Canonical decimal only, so one uid has one name.
    if !valid_id(id) || uid.is_empty() || (uid.len() > 1 && uid.starts_with('0')) {
        return None;
    }
    Some((id, kind, uid.parse().ok()?))
}

/// Reads the decision file `path`, whose name says `kind` by `uid`; `Err` says why it
/// does not count.
fn read_decision(path: &Path, kind: Kind, uid: u32) -> Result<Decision, String> {
    let (bytes, meta) = open_plain(path, MAX_DECISION_BYTES).map_err(|e| e.to_string())?;
    if meta.uid() != uid {
        return Err(format!(
            "it is named for {} but was made by {}",
            user_name(uid),
            user_name(meta.uid())
        ));
    }
    if meta.nlink() != 1 {
        return Err("it has other names (hard links)".into());
    }
    let d: DecisionRecord = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    Ok(Decision {
        kind,
        uid,
        time: d.time,
        binding: d.binding,
        written: (meta.mtime(), meta.mtime_nsec()),
    })
}

/// Records `kind` by this process's user for request `id` as seen with `binding`.
pub fn record_decision(
    dir: &Path,
    id: &str,
    kind: Kind,
    binding: &str,
) -> Result<(), ConfirmError> {
    let me = euid();
    let p = decision_path(dir, id, kind, me);
    let json = serde_json::to_vec(&DecisionRecord {
        binding: binding.to_owned(),
        time: super::now(),
    })
    .map_err(|source| ConfirmError::Corrupt {
        path: p.clone(),
        source,
    })?;
    match create_new(&p, FILE_MODE, &json) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let owner = std::fs::symlink_metadata(&p).map(|m| m.uid()).ok();
            Err(ConfirmError::DecisionExists {
                path: p,
                made_by: owner.map(user_name),
            })
        }
        Err(e) => Err(ConfirmError::io("cannot write", &p, e)),
    }
}

/// The decisions about one request, as the waiting command counts them.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Approvals that count: one per uid, earliest first.
    pub approvers: Vec<Decision>,
    /// The first valid denial, whatever it names: a denial never lets anything run.
    pub denied: Option<Decision>,
    /// Decision files that do not count, and why.
    pub ignored: Vec<String>,
}

impl Tally {
    pub fn approved_by(&self, uid: u32) -> bool {
        self.approvers.iter().any(|d| d.uid == uid)
    }

    pub fn names(&self) -> Vec<String> {
        self.approvers.iter().map(|d| user_name(d.uid)).collect()
    }
}

/// Counts the decisions about request `id` against `binding`. With `self_approval`
/// off, an approval by `requester_uid` (the user the request was made as) does not
/// count.
pub fn tally(
    dir: &Path,
    id: &str,
    binding: &str,
    requester_uid: u32,
    self_approval: bool,
) -> Result<Tally, ConfirmError> {
    let rd = std::fs::read_dir(dir).map_err(|e| ConfirmError::io("cannot list", dir, e))?;
    let mut t = Tally::default();
    let mut names: Vec<(String, Kind, u32)> = rd
        .flatten()
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            let (i, kind, uid) = parse_decision_name(&n)?;
            (i == id).then(|| (n.clone(), kind, uid))
        })
        .collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, kind, uid) in names {
        let d = match read_decision(&dir.join(&name), kind, uid) {
            Ok(d) => d,
            Err(why) => {
                t.ignored.push(format!("{name} does not count: {why}"));
                continue;
            }
        };
        match kind {
            Kind::Deny => {
                if t.denied.as_ref().is_none_or(|x| d.written < x.written) {
                    t.denied = Some(d);
                }
            }
            Kind::Approve if d.binding != binding => t.ignored.push(format!(
                "{name} does not count: it approves another version of request {id}"
            )),
            Kind::Approve if !self_approval && uid == requester_uid => t.ignored.push(format!(
                "{name} does not count: it is by the user who asked ({}), and `self_approval = false`",
                user_name(uid)
            )),
            Kind::Approve => t.approvers.push(d),
        }
    }
    t.approvers.sort_by_key(|d| (d.written, d.uid));
    Ok(t)
}

/// Removes request `id` and the decisions about it that this user may remove (in a
/// shared sticky directory, only its own: other users' stay until they clean up).
pub fn remove(dir: &Path, id: &str) {
    let _ = std::fs::remove_file(request_path(dir, id));
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if parse_decision_name(&n).is_some_and(|(i, _, _)| i == id) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Removes this user's decisions about requests that are gone.
pub fn prune_own_decisions(dir: &Path) {
    let me = euid();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        let Some((id, _, uid)) = parse_decision_name(&n) else {
            continue;
        };
        if uid == me && !request_path(dir, id).exists() {
            let _ = std::fs::remove_file(e.path());
        }
    }
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

/// The command's own view of its request, which the queue's copy must match.
pub struct Pending {
    pub request: Request,
    pub self_approval: bool,
}

impl Pending {
    /// Looks at the queue once: `Some` when waiting is over. `seen` collects reasons
    /// already reported, so each is said once.
    pub fn look(&self, dir: &Path, seen: &mut Vec<String>) -> Option<Waited> {
        let id = &self.request.id;
        match read_request(dir, id) {
            Ok((r, owner)) if r == self.request && owner == self.request.requester_uid => {}
            Ok(_) => {
                return Some(Waited::Refused(format!(
                    "request {id} was altered in the queue (it no longer describes this exact command), so its approvals do not count"
                )));
            }
            Err(ConfirmError::NoSuchRequest(_)) => {
                return Some(Waited::Refused(format!(
                    "request {id} was removed from the queue before anyone approved it"
                )));
            }
            Err(e) => {
                return Some(Waited::Refused(format!(
                    "request {id} can no longer be read ({e})"
                )));
            }
        }
        let t = match tally(
            dir,
            id,
            &self.request.binding,
            self.request.requester_uid,
            self.self_approval,
        ) {
            Ok(t) => t,
            Err(e) => {
                return Some(Waited::Refused(format!(
                    "the decisions about request {id} can no longer be read ({e})"
                )));
            }
        };
        for why in t.ignored.iter() {
            if !seen.contains(why) {
                eprintln!("interlock: {why}");
                seen.push(why.clone());
            }
        }
        if let Some(d) = &t.denied {
            return Some(Waited::Denied(user_name(d.uid)));
        }
        if t.approvers.len() >= usize::from(self.request.approvals_needed) {
            return Some(Waited::Approved(t.names()));
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
                | libc::IN_CREATE
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
            // Drain the events: which file changed does not matter, the queue is re-read.
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
    dir: &Path,
    draft: &Draft,
    self_approval: bool,
    timeout: Duration,
) -> Result<Waited, ConfirmError> {
    let (id, nonce) = new_id()?;
    let created = super::now();
    // Whole seconds on disk: round up, so a request never looks expired before the
    // waiter (which times itself with a monotonic clock) gives up on it.
    let expires = created + timeout.as_secs() + 1;
    let request = draft.request(&id, &nonce, std::process::id(), created, expires);
    let pending = Pending {
        request,
        self_approval,
    };
    let watch = Watch::new(dir);
    write_request(dir, &pending.request)?;
    let needed = pending.request.approvals_needed;
    let who = if needed > 1 {
        format!("{needed} different people run")
    } else {
        "a human runs".to_owned()
    };
    eprintln!(
        "interlock: waiting for approval by {}: request {id} ({}); {who} `interlock approve {id}` (or `interlock approvals`) in their own terminal; waiting up to {} s",
        draft.ask.rule,
        draft.ask.shown,
        timeout.as_secs()
    );
    let start = Instant::now();
    let mut nap = if watch.active() { MAX_NAP } else { FIRST_NAP };
    let mut seen = Vec::new();
    let result = loop {
        if let Some(w) = pending.look(dir, &mut seen) {
            break w;
        }
        let left = timeout.saturating_sub(start.elapsed());
        if left.is_zero() {
            // One last look: an approval may have landed just now.
            break pending
                .look(dir, &mut seen)
                .unwrap_or(Waited::Expired(timeout));
        }
        watch.wait(nap.min(left));
        if !watch.active() {
            nap = (nap * 2).min(MAX_NAP);
        }
    };
    // The approval counts only if it is still there when it is used (an approver may
    // remove their own file to withdraw it).
    let result = match result {
        Waited::Approved(_) => match pending.look(dir, &mut seen) {
            Some(w) => w,
            None => Waited::Refused(format!("the approvals of request {id} were withdrawn")),
        },
        other => other,
    };
    // Used once, whatever the outcome: the record goes.
    remove(dir, &id);
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(needed: u8) -> Request {
        let mut r = Request {
            version: RECORD_VERSION,
            id: "abcd2345".into(),
            command: "kubectl delete pod x".into(),
            argv: vec!["kubectl".into(), "delete".into(), "pod".into(), "x".into()],
            cwd: "/w".into(),
            rule: "kubectl-delete".into(),
            reason: "r".into(),
            location: "l".into(),
            context: vec![("kube context".into(), "prod".into())],
            session: None,
            pid: 0,
            requester: "agent".into(),
            requester_uid: euid(),
            created: super::super::now(),
            expires: super::super::now() + 600,
            approvals_needed: needed,
            exact: "e".into(),
            binding: String::new(),
        };
        r.binding = r.computed_binding();
        r
    }

    fn private_dir() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        d
    }

    fn plant(dir: &Path, name: &str, binding: &str) {
        let json = format!("{{\"binding\":\"{binding}\",\"time\":1}}");
        create_new(&dir.join(name), FILE_MODE, json.as_bytes()).unwrap();
    }

    #[test]
    fn the_binding_covers_every_field_a_human_is_shown() {
        let r = request(1);
        let edits: &[fn(&mut Request)] = &[
            |r| r.command = "kubectl get pods".into(),
            |r| r.argv[1] = "get".into(),
            |r| r.cwd = "/x".into(),
            |r| r.rule = "x".into(),
            |r| r.reason = "x".into(),
            |r| r.location = "x".into(),
            |r| r.context[0].1 = "staging".into(),
            |r| r.session = Some("s".into()),
            |r| r.requester = "x".into(),
            |r| r.requester_uid += 1,
            |r| r.approvals_needed = 2,
            |r| r.expires += 1,
            |r| r.exact = "f".into(),
            |r| r.id = "abcd2346".into(),
        ];
        for (i, edit) in edits.iter().enumerate() {
            let mut x = r.clone();
            edit(&mut x);
            assert_ne!(x.computed_binding(), r.binding, "edit {i}");
        }
        // Field boundaries are kept: moving text between fields changes it too.
        let mut x = r.clone();
        x.rule = "kubectl-delete".into();
        x.reason = "r".into();
        x.argv = vec!["kubectl delete".into(), "pod".into(), "x".into()];
        assert_ne!(x.computed_binding(), r.binding);
    }

    #[test]
    fn exact_bindings_cover_id_directory_and_every_byte() {
        let engine = crate::policy::Engine::new(crate::rules::RuleSet::load(
            &crate::rules::Sources::embedded_only(),
        ));
        let argv: Vec<String> = ["kubectl", "drain", "node-1"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let crate::entry::act::Outcome::Confirm(ask) =
            crate::entry::act::decide(&engine.judge_argv(&argv))
        else {
            panic!("not a confirm");
        };
        let subject = |argv: &[&[u8]], cwd: &str| Subject {
            via: Via::Shim,
            argv: argv.iter().map(|a| a.to_vec()).collect(),
            shown: "kubectl drain node-1".into(),
            cwd: PathBuf::from(cwd),
        };
        let context = Vec::new();
        let exact = |s: &Subject, id: &str, nonce: &[u8]| {
            Draft {
                ask: &ask,
                subject: s,
                context: &context,
            }
            .request(id, nonce, 1, 1, 2)
            .exact
        };
        let base = subject(&[b"kubectl", b"drain", b"node-1"], "/w");
        let e = exact(&base, "abcd2345", b"n");
        assert_eq!(e, exact(&base, "abcd2345", b"n"), "deterministic");
        assert_ne!(e, exact(&base, "abcd2346", b"n"));
        assert_ne!(e, exact(&base, "abcd2345", b"m"));
        assert_ne!(
            e,
            exact(
                &subject(&[b"kubectl", b"drain", b"node-1"], "/x"),
                "abcd2345",
                b"n"
            )
        );
        assert_ne!(
            e,
            exact(
                &subject(&[b"kubectl", b"drain", b"node-1 "], "/w"),
                "abcd2345",
                b"n"
            )
        );
    }

    #[test]
    fn decisions_count_by_their_owner_and_binding() {
        let dir = private_dir();
        let d = dir.path();
        let r = request(1);
        let me = euid();
        let t = tally(d, &r.id, &r.binding, me, true).unwrap();
        assert!(t.approvers.is_empty() && t.denied.is_none());
        // Named for another uid, but this user made it: nothing.
        plant(d, &format!("{}.ok.{}", r.id, me + 1), &r.binding);
        // Another request's approval, or one for another binding: nothing.
        plant(d, &format!("abcd2399.ok.{me}"), &r.binding);
        let t = tally(d, &r.id, &r.binding, me, true).unwrap();
        assert!(t.approvers.is_empty(), "{t:?}");
        assert_eq!(t.ignored.len(), 1, "{t:?}");
        assert!(t.ignored[0].contains("was made by"), "{t:?}");
        record_decision(d, &r.id, Kind::Approve, "another-binding").unwrap();
        let t = tally(d, &r.id, &r.binding, me, true).unwrap();
        assert!(t.approvers.is_empty(), "{t:?}");
        assert!(
            t.ignored.iter().any(|w| w.contains("another version")),
            "{t:?}"
        );
        // The right binding counts, once per uid; a second file for the same uid
        // cannot even be made.
        std::fs::remove_file(decision_path(d, &r.id, Kind::Approve, me)).unwrap();
        record_decision(d, &r.id, Kind::Approve, &r.binding).unwrap();
        assert!(matches!(
            record_decision(d, &r.id, Kind::Approve, &r.binding),
            Err(ConfirmError::DecisionExists { .. })
        ));
        let t = tally(d, &r.id, &r.binding, me, true).unwrap();
        assert_eq!(t.approvers.len(), 1);
        assert!(t.approved_by(me));
        // With self-approval off, the user who asked does not count.
        let t = tally(d, &r.id, &r.binding, me, false).unwrap();
        assert!(t.approvers.is_empty(), "{t:?}");
        // A denial counts whatever binding it names.
        record_decision(d, &r.id, Kind::Deny, "anything").unwrap();
        let t = tally(d, &r.id, &r.binding, me, true).unwrap();
        assert_eq!(t.denied.map(|x| x.uid), Some(me));
    }

    #[test]
    fn links_symlinks_and_odd_names_do_not_count() {
        let dir = private_dir();
        let d = dir.path();
        let r = request(1);
        let me = euid();
        plant(d, "elsewhere", &r.binding);
        std::fs::hard_link(d.join("elsewhere"), d.join(format!("{}.ok.{me}", r.id))).unwrap();
        std::os::unix::fs::symlink(d.join("elsewhere"), d.join(format!("{}.no.{me}", r.id)))
            .unwrap();
        plant(d, &format!("{}.ok.0{me}", r.id), &r.binding);
        let t = tally(d, &r.id, &r.binding, me, true).unwrap();
        assert!(t.approvers.is_empty(), "{t:?}");
        assert!(t.denied.is_none(), "{t:?}");
        assert_eq!(t.ignored.len(), 2, "{t:?}");
    }

    #[test]
    fn the_waiter_refuses_an_altered_record_and_counts_only_matching_approvals() {
        let dir = private_dir();
        let d = dir.path();
        let r = request(1);
        write_request(d, &r).unwrap();
        let pending = Pending {
            request: r.clone(),
            self_approval: true,
        };
        let mut seen = Vec::new();
        assert_eq!(pending.look(d, &mut seen), None);
        record_decision(d, &r.id, Kind::Approve, &r.binding).unwrap();
        assert!(matches!(
            pending.look(d, &mut seen),
            Some(Waited::Approved(by)) if by.len() == 1
        ));
        // Edited to show something else, with a binding that matches the edit.
        let mut altered = r.clone();
        altered.command = "kubectl get pods".into();
        altered.binding = altered.computed_binding();
        write_request(d, &altered).unwrap();
        assert!(matches!(
            pending.look(d, &mut seen),
            Some(Waited::Refused(why)) if why.contains("altered")
        ));
        remove(d, &r.id);
        assert!(matches!(
            pending.look(d, &mut seen),
            Some(Waited::Refused(why)) if why.contains("removed")
        ));
        assert_eq!(std::fs::read_dir(d).unwrap().count(), 0, "all cleaned up");
    }

    #[test]
    fn two_person_rule_needs_two_uids() {
        let dir = private_dir();
        let d = dir.path();
        let r = request(2);
        write_request(d, &r).unwrap();
        let pending = Pending {
            request: r.clone(),
            self_approval: true,
        };
        record_decision(d, &r.id, Kind::Approve, &r.binding).unwrap();
        assert_eq!(
            pending.look(d, &mut Vec::new()),
            None,
            "one uid is one approver"
        );
    }

    #[test]
    fn decision_names_are_canonical() {
        assert_eq!(
            parse_decision_name("abcd2345.ok.1000"),
            Some(("abcd2345", Kind::Approve, 1000))
        );
        assert_eq!(
            parse_decision_name("abcd2345.no.0"),
            Some(("abcd2345", Kind::Deny, 0))
        );
        for bad in [
            "abcd2345.ok.01000",
            "abcd2345.ok.",
            "abcd2345.ok.-1",
            "abcd2345.ok.10.x",
            "abcd2345.yes.1",
            "ABCD2345.ok.1",
            "req-abcd2345.json",
        ] {
            assert_eq!(parse_decision_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn unsafe_directories_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("approvals");
        std::fs::create_dir(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = check_dir(&d).unwrap_err();
        assert!(e.to_string().contains("sticky"), "{e}");
        // Shared, like /tmp: others may add files but not remove or rename ours.
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o1777)).unwrap();
        check_dir(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
        check_dir(&d).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&d, &link).unwrap();
        assert!(check_dir(&link).is_err());
        let e = check_dir(&dir.path().join("missing")).unwrap_err();
        assert!(e.to_string().contains("does not exist"), "{e}");
    }
}
