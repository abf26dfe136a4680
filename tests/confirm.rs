//! Confirmation through the real binary: the terminal prompt in a pseudo-terminal, the
//! approvals queue with `interlock approve`/`deny`, grants from the shell mode to the
//! shims, and each tool's dry-run rewrite against stub tools that record their argv.

use std::ffi::{CString, OsStr};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::FromRawFd;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

use common::{BIN, Tree, stderr};

type Fx = Tree;

/// Generous bounds for a loaded 2-core machine; tests never assert on durations.
const PATIENCE: Duration = Duration::from_secs(60);
const TOOLS: &[&str] = &[
    "kubectl",
    "terraform",
    "terragrunt",
    "helm",
    "aws",
    "git",
    "pulumi",
    "cdk",
    "cdktf",
    "find",
    "gsutil",
    "gcloud",
    "rsync",
    "eksctl",
    "az",
];

fn fx() -> Fx {
    let f = Tree::new(&[]);
    for t in TOOLS {
        f.tool(t, common::ARGV_STUB);
    }
    f
}

impl Fx {
    /// A command with a clean environment and no controlling terminal.
    fn cmd(&self, program: impl AsRef<OsStr>) -> Command {
        let path = Tree::search_path(&[&self.shims, &self.real], common::SYSTEM_PATH);
        let mut c = self.clean(program, &path, &self.root);
        c.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        common::detach(&mut c);
        c
    }

    fn shim(&self, tool: &str) -> Command {
        self.cmd(self.shims.join(tool))
    }

    fn interlock(&self) -> Command {
        self.cmd(BIN)
    }

    fn config(&self, text: &str) {
        let d = self.root.join(".config/interlock");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("config.toml"), text).unwrap();
    }

    fn rules(&self, name: &str, text: &str) {
        let d = self.root.join(".config/interlock/rules");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(name), text).unwrap();
    }

    fn clear_argv(&self) {
        let _ = std::fs::remove_file(self.rec.join("argv"));
    }

    fn approvals_dir(&self) -> PathBuf {
        self.root.join(".local/state/interlock/approvals")
    }

    fn request_ids(&self) -> Vec<String> {
        let Ok(rd) = std::fs::read_dir(self.approvals_dir()) else {
            return Vec::new();
        };
        let mut ids: Vec<String> = rd
            .flatten()
            .filter_map(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n.strip_prefix("req-")?
                    .strip_suffix(".json")
                    .map(str::to_owned)
            })
            .collect();
        ids.sort();
        ids
    }

    /// Waits for a request that is not in `known` to appear, and returns its id.
    fn new_request(&self, known: &[String]) -> String {
        let start = Instant::now();
        loop {
            if let Some(id) = self.request_ids().into_iter().find(|i| !known.contains(i)) {
                return id;
            }
            assert!(start.elapsed() < PATIENCE, "no request appeared");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn request_path(&self, id: &str) -> PathBuf {
        self.approvals_dir().join(format!("req-{id}.json"))
    }

    fn request(&self, id: &str) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(self.request_path(id)).unwrap()).unwrap()
    }

    fn write_request(&self, id: &str, v: &serde_json::Value) {
        // Whole-file replace, as interlock itself writes.
        let tmp = self.approvals_dir().join(format!("test-{id}.tmp"));
        std::fs::write(&tmp, serde_json::to_vec(v).unwrap()).unwrap();
        std::fs::rename(&tmp, self.request_path(id)).unwrap();
    }
}

/// Waits for a child with a bound, killing it if it hangs.
fn finish(mut child: Child) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > PATIENCE {
            let _ = child.kill();
            let o = child.wait_with_output().unwrap();
            panic!("the command hung; stderr: {}", stderr(&o));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A pseudo-terminal that a child gets as its controlling terminal, with everything the
/// terminal shows collected in the background.
struct Pty {
    master: File,
    _slave: File,
    slave_path: CString,
    seen: Arc<Mutex<Vec<u8>>>,
}

fn pty() -> Pty {
    // SAFETY: the standard posix_openpt sequence; every result is checked.
    unsafe {
        let m = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(m >= 0, "posix_openpt");
        assert_eq!(libc::grantpt(m), 0);
        assert_eq!(libc::unlockpt(m), 0);
        let mut buf = [0 as libc::c_char; 128];
        assert_eq!(libc::ptsname_r(m, buf.as_mut_ptr(), buf.len()), 0);
        let slave_path = std::ffi::CStr::from_ptr(buf.as_ptr()).to_owned();
        // Held open by the test, so the terminal stays up between the child's uses.
        let s = libc::open(
            slave_path.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        );
        assert!(s >= 0, "open slave");
        let master = File::from_raw_fd(m);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().unwrap();
        let sink = seen.clone();
        std::thread::spawn(move || {
            let mut b = [0u8; 1024];
            loop {
                match reader.read(&mut b) {
                    Ok(0) => break,
                    Ok(n) => sink.lock().unwrap().extend_from_slice(&b[..n]),
                    Err(e) if e.raw_os_error() == Some(libc::EIO) => {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    Err(_) => break,
                }
            }
        });
        Pty {
            master,
            _slave: File::from_raw_fd(s),
            slave_path,
            seen,
        }
    }
}

impl Pty {
    /// Makes the pty the child's controlling terminal (stdio stays as set: pipes).
    fn attach(&self, c: &mut Command) {
        let path = self.slave_path.clone();
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            c.pre_exec(move || {
                libc::setsid();
                let fd = libc::open(path.as_ptr(), libc::O_RDWR);
                if fd < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                libc::ioctl(fd, libc::TIOCSCTTY, 0);
                Ok(())
            });
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.seen.lock().unwrap()).into_owned()
    }

    /// Waits until the terminal has shown `needle`; returns everything shown so far.
    fn wait_for(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let t = self.text();
            if t.contains(needle) {
                return t;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "the terminal never showed {needle:?}; it showed: {t}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn type_text(&self, s: &str) {
        (&self.master).write_all(s.as_bytes()).unwrap();
    }

    /// The code the prompt asks for.
    fn code(&self) -> String {
        let t = self.wait_for("and press Enter");
        code_in(&t).unwrap()
    }
}

/// The code the last question in `text` asks for (`... type CODE and press Enter`).
fn code_in(text: &str) -> Option<String> {
    let before = &text[..text.rfind(" and press Enter")?];
    before.rsplit(' ').next().map(str::to_owned)
}

fn spawn_in(pty: &Pty, mut c: Command) -> Child {
    pty.attach(&mut c);
    c.spawn().unwrap()
}

// ---- the terminal prompt ----

#[test]
fn terminal_right_code_runs_the_tool() {
    let f = fx();
    let t = pty();
    let child = spawn_in(&t, {
        let mut c = f.shim("kubectl");
        c.args(["--context", "prod-eu", "drain", "node-1"]);
        c
    });
    let code = t.code();
    let shown = t.text();
    assert!(shown.contains("kubectl-drain"), "{shown}");
    assert!(shown.contains("kube context: prod-eu"), "{shown}");
    t.type_text(&format!("{code}\n"));
    let o = finish(child);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        f.argv().unwrap(),
        ["--context", "prod-eu", "drain", "node-1"]
    );
}

#[test]
fn terminal_wrong_answer_does_not_run() {
    let f = fx();
    let t = pty();
    let child = spawn_in(&t, {
        let mut c = f.shim("kubectl");
        c.args(["drain", "node-1"]);
        c
    });
    let _ = t.code();
    t.type_text("y\n");
    let o = finish(child);
    assert_eq!(o.status.code(), Some(102), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.starts_with("interlock: not approved by kubectl-drain: "),
        "{err}"
    );
    assert!(err.contains("not the code"), "{err}");
    assert!(f.argv().is_none(), "the tool ran");
}

#[test]
fn terminal_ctrl_c_does_not_run() {
    let f = fx();
    let t = pty();
    let child = spawn_in(&t, {
        let mut c = f.shim("kubectl");
        c.args(["drain", "node-1"]);
        c
    });
    let _ = t.code();
    t.type_text("\x03");
    let o = finish(child);
    assert_eq!(o.status.code(), Some(102), "{}", stderr(&o));
    assert!(stderr(&o).contains("Ctrl-C"), "{}", stderr(&o));
    assert!(f.argv().is_none(), "the tool ran");
}

#[test]
fn terminal_timeout_does_not_run() {
    let f = fx();
    f.config("[confirm]\nterminal_timeout = 1\n");
    let t = pty();
    let child = spawn_in(&t, {
        let mut c = f.shim("kubectl");
        c.args(["drain", "node-1"]);
        c
    });
    let o = finish(child);
    assert_eq!(o.status.code(), Some(102), "{}", stderr(&o));
    assert!(stderr(&o).contains("within 1 s"), "{}", stderr(&o));
    assert!(f.argv().is_none(), "the tool ran");
}

#[test]
fn terminal_answer_is_never_read_from_stdin() {
    let f = fx();
    f.config("[confirm]\nterminal_timeout = 3\n");
    let t = pty();
    let mut c = f.shim("kubectl");
    c.args(["drain", "node-1"]).stdin(Stdio::piped());
    let mut child = spawn_in(&t, c);
    let code = t.code();
    // The right answer, on stdin: the agent's channel. It must not count.
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{code}\n{code}\ny\n").as_bytes())
        .unwrap();
    let o = finish(child);
    drop(stdin);
    assert_eq!(o.status.code(), Some(102), "{}", stderr(&o));
    assert!(f.argv().is_none(), "an answer on stdin ran the tool");
}

#[test]
fn typeahead_before_the_prompt_is_discarded() {
    let f = fx();
    f.config("[confirm]\nterminal_timeout = 3\n");
    let t = pty();
    // Typed before the question appears: guessed answers must not count.
    t.type_text("y\nyes\n");
    let child = spawn_in(&t, {
        let mut c = f.shim("kubectl");
        c.args(["drain", "node-1"]);
        c
    });
    let o = finish(child);
    assert_eq!(o.status.code(), Some(102), "{}", stderr(&o));
    assert!(f.argv().is_none(), "typeahead ran the tool");
}

// ---- the approvals queue ----

/// A shim call that waits in the queue (no terminal).
fn queued(f: &Fx, tool: &str, args: &[&str]) -> (Child, String) {
    let known = f.request_ids();
    let child = f.shim(tool).args(args).spawn().unwrap();
    let id = f.new_request(&known);
    (child, id)
}

/// `interlock approve ID` in a terminal of its own: types the code it shows when `yes`,
/// a plain "y" otherwise (which must not count).
fn approve(f: &Fx, id: &str, yes: bool) -> (Output, String) {
    let t = pty();
    let mut c = f.interlock();
    c.args(["approve", id]);
    let mut child = spawn_in(&t, c);
    let start = Instant::now();
    // Answer only if the question comes; a refusal ends without one.
    loop {
        if let Some(code) = code_in(&t.text()) {
            t.type_text(&format!("{}\n", if yes { code.as_str() } else { "y" }));
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(start.elapsed() < PATIENCE, "approve hung: {}", t.text());
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = finish(child);
    (o, t.text())
}

/// The decision files about request `id` in the queue.
fn decisions(f: &Fx, id: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(f.approvals_dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!("{id}.")))
        .collect();
    v.sort();
    v
}

#[test]
fn queue_approve_runs_the_exact_command_once() {
    let f = fx();
    let (child, id) = queued(&f, "kubectl", &["drain", "node-1"]);
    let req = f.request(&id);
    assert_eq!(req["rule"], "kubectl-drain");
    assert_eq!(req["argv"][0], "kubectl");
    let mode = std::fs::metadata(f.approvals_dir()).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o700
    );
    let (o, shown) = approve(&f, &id, true);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(shown.contains("kubectl drain node-1"), "{shown}");
    let out = finish(child);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("interlock approve {id}")),
        "the waiting line says how to approve: {err}"
    );
    assert_eq!(f.argv().unwrap(), ["drain", "node-1"]);
    // The audit log says who approved it.
    let log = std::fs::read_to_string(f.root.join(".local/state/interlock/audit.log")).unwrap();
    let line: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(line["outcome"], "approved", "{line}");
    assert!(
        line["approved_by"].as_array().is_some_and(|a| a.len() == 1),
        "{line}"
    );
    // Used once: the request is gone and cannot be approved again.
    assert!(!f.request_path(&id).exists());
    let (o, _) = approve(&f, &id, true);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no pending request"), "{}", stderr(&o));
}

#[test]
fn queue_answering_no_at_approve_changes_nothing() {
    let f = fx();
    f.config("[confirm]\nqueue_timeout = 2\n");
    let (child, id) = queued(&f, "terraform", &["state", "push", "backup.tfstate"]);
    let (o, _) = approve(&f, &id, false);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("not approved"), "{}", stderr(&o));
    let out = finish(child);
    assert_eq!(out.status.code(), Some(102), "{}", stderr(&out));
    assert!(f.argv().is_none());
}

#[test]
fn queue_deny_refuses() {
    let f = fx();
    let (child, id) = queued(&f, "kubectl", &["drain", "node-1"]);
    let o = f.interlock().args(["deny", &id]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = finish(child);
    assert_eq!(out.status.code(), Some(102), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("interlock: not approved by kubectl-drain: "),
        "{err}"
    );
    assert!(err.contains("denied it"), "{err}");
    assert!(f.argv().is_none(), "a denied command ran");
}

#[test]
fn queue_expiry_applies_the_fallback() {
    let f = fx();
    f.config("[confirm]\nqueue_timeout = 2\n");
    // Fallback block: exit 102, not run.
    let (child, id) = queued(&f, "terraform", &["state", "push", "backup.tfstate"]);
    let out = finish(child);
    assert_eq!(out.status.code(), Some(102), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nobody approved it within 2 s"),
        "{}",
        stderr(&out)
    );
    assert!(f.argv().is_none());
    // The request is gone; approving it now is refused.
    let (o, _) = approve(&f, &id, true);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // Fallback dry run: the preview runs, exit 101.
    let (child, _) = queued(&f, "kubectl", &["drain", "node-1"]);
    let out = finish(child);
    assert_eq!(out.status.code(), Some(101), "{}", stderr(&out));
    assert_eq!(f.argv().unwrap(), ["drain", "node-1", "--dry-run=server"]);
}

#[test]
fn ci_skips_the_wait_and_applies_the_fallback() {
    let f = fx();
    for (var, value) in [("CI", "true"), ("INTERLOCK_NO_WAIT", "1")] {
        let o = f
            .shim("terraform")
            .args(["state", "push", "x.tfstate"])
            .env(var, value)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(102), "{}", stderr(&o));
        assert!(stderr(&o).contains(var), "{}", stderr(&o));
        assert!(f.request_ids().is_empty());
    }
    f.config("[confirm]\nwait = false\n");
    let o = f
        .shim("terraform")
        .args(["state", "push", "x.tfstate"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(102), "{}", stderr(&o));
    assert!(stderr(&o).contains("wait = false"), "{}", stderr(&o));
}

#[test]
fn two_pending_requests_are_approved_independently() {
    let f = fx();
    let (first, a) = queued(&f, "kubectl", &["drain", "node-a"]);
    let (second, b) = queued(&f, "kubectl", &["drain", "node-b"]);
    assert_ne!(a, b);
    let (o, _) = approve(&f, &b, true);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = finish(second);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(f.argv().unwrap(), ["drain", "node-b"]);
    // The first is still waiting, unapproved.
    assert!(f.request_path(&a).exists());
    f.clear_argv();
    let (o, _) = approve(&f, &a, true);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = finish(first);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(f.argv().unwrap(), ["drain", "node-a"]);
}

#[test]
fn a_replayed_approval_is_refused() {
    let f = fx();
    f.config("[confirm]\nqueue_timeout = 3\n");
    // Request A, approved and used; what its approval named is known to the "attacker".
    let (first, a) = queued(&f, "kubectl", &["drain", "node-1"]);
    let before = f.request(&a);
    let (o, _) = approve(&f, &a, true);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(finish(first).status.code(), Some(0));
    assert!(
        decisions(&f, &a).is_empty(),
        "the used approval stayed behind"
    );
    // The same command asks again: A's approval, copied under B's name, approves nothing.
    f.clear_argv();
    let (second, b) = queued(&f, "kubectl", &["drain", "node-1"]);
    let replay = format!(
        "{{\"binding\":{},\"time\":{}}}",
        before["binding"], before["created"]
    );
    std::fs::write(f.approvals_dir().join(format!("{b}.ok.0")), replay).unwrap();
    let out = finish(second);
    assert_eq!(out.status.code(), Some(101), "{}", stderr(&out));
    assert!(stderr(&out).contains("another version"), "{}", stderr(&out));
    assert_eq!(f.argv().unwrap(), ["drain", "node-1", "--dry-run=server"]);
    // A's whole record copied over B's: refused as altered.
    f.clear_argv();
    let (third, c) = queued(&f, "kubectl", &["drain", "node-1"]);
    f.write_request(&c, &before);
    let out = finish(third);
    assert_eq!(out.status.code(), Some(102), "{}", stderr(&out));
    assert!(stderr(&out).contains("altered"), "{}", stderr(&out));
    assert!(f.argv().is_none(), "a replayed approval ran the command");
}

#[test]
fn an_altered_request_is_refused() {
    let f = fx();
    let (child, id) = queued(&f, "kubectl", &["drain", "node-1"]);
    // Rewritten to look harmless and to bind to something else.
    let mut req = f.request(&id);
    req["command"] = "kubectl get pods".into();
    req["binding"] = "0".repeat(64).into();
    f.write_request(&id, &req);
    let out = finish(child);
    assert_eq!(out.status.code(), Some(102), "{}", stderr(&out));
    assert!(stderr(&out).contains("altered"), "{}", stderr(&out));
    assert!(f.argv().is_none());
}

#[test]
fn the_approver_refuses_a_request_edited_after_it_was_made() {
    use interlock::confirm::queue::Request;
    let f = fx();
    std::fs::create_dir_all(f.approvals_dir()).unwrap();
    // A live process stands in for the waiting command, which would itself refuse
    // (and remove) an edited record the moment it saw it.
    let mut asker = Command::new("sleep").arg("60").spawn().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut r = Request {
        version: 2,
        id: "abcd2345".into(),
        command: "kubectl drain node-1".into(),
        argv: vec!["kubectl".into(), "drain".into(), "node-1".into()],
        cwd: f.root.display().to_string(),
        rule: "kubectl-drain".into(),
        reason: "draining".into(),
        location: "rules/kubernetes.toml:91".into(),
        context: Vec::new(),
        session: None,
        pid: asker.id(),
        requester: "root".into(),
        // SAFETY: geteuid cannot fail.
        requester_uid: unsafe { libc::geteuid() },
        created: now,
        expires: now + 60,
        approvals_needed: 1,
        exact: "0".repeat(64),
        binding: String::new(),
    };
    r.binding = r.computed_binding();
    let mut edited = r.clone();
    edited.command = "kubectl get pods".into();
    f.write_request(&r.id, &serde_json::to_value(&edited).unwrap());
    let (o, shown) = approve(&f, &r.id, true);
    let _ = asker.kill();
    let _ = asker.wait();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("was altered"), "{}", stderr(&o));
    assert!(!shown.contains("kubectl get pods"), "it was shown: {shown}");
    assert!(decisions(&f, &r.id).is_empty(), "an approval was recorded");
}

#[test]
fn approval_from_inside_a_session_or_without_a_terminal_is_refused() {
    let f = fx();
    f.config("[confirm]\nqueue_timeout = 30\n");
    let (child, id) = queued(&f, "kubectl", &["drain", "node-1"]);
    // Inside a session.
    let t = pty();
    let mut c = f.interlock();
    c.args(["approve", &id]).env("INTERLOCK_SESSION", "abc");
    let o = finish(spawn_in(&t, c));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("inside an interlock session"),
        "{}",
        stderr(&o)
    );
    // The variable removed, but a parent still carries it.
    let t = pty();
    let mut c = f.cmd("/bin/sh");
    c.args([
        "-c",
        &format!("env -u INTERLOCK_SESSION {BIN} approve {id}; exit $?"),
    ])
    .env("INTERLOCK_SESSION", "abc");
    let o = finish(spawn_in(&t, c));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("ancestor process"), "{}", stderr(&o));
    // No terminal.
    let o = f.interlock().args(["approve", &id]).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("no terminal"), "{}", stderr(&o));
    // Still pending and unapproved; deny it to end the test.
    assert!(decisions(&f, &id).is_empty());
    f.interlock().args(["deny", &id]).output().unwrap();
    assert_eq!(finish(child).status.code(), Some(102));
    assert!(f.argv().is_none());
}

const TWO_PERSON: &str = r#"programs = ["kubectl"]

[[rule]]
id = "prod-drain-two-person"
program = "kubectl"
command = ["drain"]
action = "confirm"
approvals = 2
reason = "draining a production node needs two people"
"#;

#[test]
fn two_person_rule_counts_one_user_once() {
    let f = fx();
    f.rules("two.toml", TWO_PERSON);
    // Two people cannot be one terminal prompt: it goes to the queue.
    let (child, id) = queued(&f, "kubectl", &["drain", "node-1"]);
    assert_eq!(f.request(&id)["approvals_needed"], 2);
    let (o, _) = approve(&f, &id, true);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("1 of 2"), "{}", stderr(&o));
    // The same person again is refused.
    let (o, _) = approve(&f, &id, true);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("already approved"), "{}", stderr(&o));
    assert!(f.argv().is_none(), "ran on one approval");
    // The list shows how far it got; then deny it to end the test.
    let o = f
        .interlock()
        .args(["approvals", "--list"])
        .output()
        .unwrap();
    assert!(
        common::stdout(&o).contains("[1/2 approvals]"),
        "{}",
        common::stdout(&o)
    );
    f.interlock().args(["deny", &id]).output().unwrap();
    assert_eq!(finish(child).status.code(), Some(102));
    assert!(f.argv().is_none());
}

#[test]
fn approvals_list_shows_pending_requests() {
    let f = fx();
    let (child, id) = queued(&f, "kubectl", &["drain", "node-1"]);
    let o = f
        .interlock()
        .args(["approvals", "--list"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains(&id) && out.contains("kubectl-drain"), "{out}");
    f.interlock().args(["deny", &id]).output().unwrap();
    assert_eq!(finish(child).status.code(), Some(102));
}

#[test]
fn approvals_queue_in_a_terminal_approves() {
    let f = fx();
    let (child, id) = queued(&f, "kubectl", &["drain", "node-1"]);
    let t = pty();
    let mut c = f.interlock();
    c.arg("approvals");
    let ui = spawn_in(&t, c);
    t.wait_for("number or id to open");
    t.type_text("1\n");
    t.wait_for("a = approve");
    t.type_text("a\n");
    let code = t.code();
    t.type_text(&format!("{code}\n"));
    t.wait_for(&format!("approved request {id}"));
    let out = finish(child);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    t.type_text("q\n");
    assert_eq!(finish(ui).status.code(), Some(0));
    assert_eq!(f.argv().unwrap(), ["drain", "node-1"]);
}

// ---- grants: one decision per command string ----

#[test]
fn a_script_approved_in_the_shell_is_not_asked_again_by_its_shims() {
    let f = fx();
    let t = pty();
    let mut c = f.interlock();
    c.args(["-c", "kubectl drain node-1 && echo \"$INTERLOCK_GRANT\""]);
    let child = spawn_in(&t, c);
    let code = t.code();
    t.type_text(&format!("{code}\n"));
    let o = finish(child);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let token = String::from_utf8_lossy(&o.stdout).trim().to_owned();
    assert_eq!(token.len(), 64, "the approved shell carries a grant token");
    assert_eq!(f.argv().unwrap(), ["drain", "node-1"]);
    assert_eq!(
        t.text().matches("needs your approval").count(),
        1,
        "asked twice: {}",
        t.text()
    );
    // The grant was used up: nothing is left behind to replay.
    let grants = std::fs::read_dir(f.root.join(".local/state/interlock/grants"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("grant-"))
        .count();
    assert_eq!(grants, 0);
    // Replaying the token for the same command asks again (here: no human, so the preview).
    f.clear_argv();
    let o = f
        .shim("kubectl")
        .args(["drain", "node-1"])
        .env("INTERLOCK_GRANT", &token)
        .env("CI", "true")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(101), "{}", stderr(&o));
    assert_eq!(f.argv().unwrap(), ["drain", "node-1", "--dry-run=server"]);
}

#[test]
fn the_shell_never_passes_on_a_grant_it_did_not_make() {
    let f = fx();
    let o = f
        .interlock()
        .args(["-c", "echo \"[$INTERLOCK_GRANT]\""])
        .env("INTERLOCK_GRANT", "brought-along")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "[]\n");
}

#[test]
fn a_grant_token_brought_by_the_caller_is_worthless() {
    let f = fx();
    let o = f
        .shim("kubectl")
        .args(["drain", "node-1"])
        .env("INTERLOCK_GRANT", "0123456789abcdef")
        .env("CI", "true")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(101), "{}", stderr(&o));
    assert_eq!(f.argv().unwrap(), ["drain", "node-1", "--dry-run=server"]);
}

// ---- dry-run rewrites, tool by tool ----

#[test]
fn dry_run_rewrites_reach_the_tool() {
    let f = fx();
    // More risky commands than the speed brake lets through in a few minutes.
    f.config("[brake]\nenabled = false\n");
    // (argv, the preview argv the stub must receive). With no human (CI), confirm
    // rules with a preview fall back to it; dry-run rules always run it.
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["kubectl", "delete", "pod", "web-1"],
            &["delete", "pod", "web-1", "--dry-run=server"],
        ),
        (&["terraform", "apply", "-auto-approve"], &["plan"]),
        (
            &["terraform", "-chdir=infra", "apply"],
            &["-chdir=infra", "plan"],
        ),
        (
            &["helm", "uninstall", "web", "-n", "web"],
            &["uninstall", "web", "-n", "web", "--dry-run"],
        ),
        (
            &["aws", "ec2", "terminate-instances", "--instance-ids", "i-1"],
            &[
                "ec2",
                "terminate-instances",
                "--instance-ids",
                "i-1",
                "--dry-run",
            ],
        ),
        (
            &["aws", "s3", "rm", "s3://b/x", "--recursive"],
            &["s3", "rm", "s3://b/x", "--recursive", "--dryrun"],
        ),
        (
            &["aws", "s3", "sync", ".", "s3://b", "--delete"],
            &["s3", "sync", ".", "s3://b", "--delete", "--dryrun"],
        ),
        (&["git", "clean", "-fdx"], &["clean", "-dx", "-n"]),
        (
            &["git", "push", "--force", "origin", "main"],
            &["push", "--force", "origin", "main", "--dry-run"],
        ),
        (
            &["pulumi", "up", "--yes", "-s", "prod"],
            &["preview", "-s", "prod"],
        ),
        (
            &["cdk", "deploy", "Api", "--require-approval", "never"],
            &["diff", "Api"],
        ),
        (
            &["find", "src", "-name", "*.orig", "-delete"],
            &["src", "-name", "*.orig", "-print"],
        ),
        // A value that is not a preview is no exemption; the appended preview wins.
        (
            &["kubectl", "delete", "pod", "web-1", "--dry-run=none"],
            &[
                "delete",
                "pod",
                "web-1",
                "--dry-run=none",
                "--dry-run=server",
            ],
        ),
        (
            &[
                "kubectl",
                "scale",
                "deploy/web",
                "--replicas=0",
                "-n",
                "prod",
            ],
            &[
                "scale",
                "deploy/web",
                "--replicas=0",
                "-n",
                "prod",
                "--dry-run=server",
            ],
        ),
        (
            &["helm", "rollback", "web", "3", "-n", "prod"],
            &["rollback", "web", "3", "-n", "prod", "--dry-run"],
        ),
        (
            &["helm", "upgrade", "web", "./chart", "--force"],
            &["upgrade", "web", "./chart", "--force", "--dry-run"],
        ),
        (
            &["aws", "s3", "mv", "s3://old", "s3://new", "--recursive"],
            &[
                "s3",
                "mv",
                "s3://old",
                "s3://new",
                "--recursive",
                "--dryrun",
            ],
        ),
        (
            &["gsutil", "-m", "rsync", "-d", "-r", "./site", "gs://www"],
            &["-m", "rsync", "-n", "-d", "-r", "./site", "gs://www"],
        ),
        (
            &[
                "gcloud",
                "storage",
                "rsync",
                "-r",
                "./site",
                "gs://www",
                "--delete-unmatched-destination-objects",
            ],
            &[
                "storage",
                "rsync",
                "-r",
                "./site",
                "gs://www",
                "--delete-unmatched-destination-objects",
                "--dry-run",
            ],
        ),
        (
            &["rsync", "-a", "--delete", "src/", "host:/srv/"],
            &["-a", "--delete", "src/", "host:/srv/", "--dry-run"],
        ),
        (
            &[
                "eksctl",
                "delete",
                "nodegroup",
                "--cluster",
                "prod",
                "--name",
                "ng-1",
                "--approve",
            ],
            &["delete", "nodegroup", "--cluster", "prod", "--name", "ng-1"],
        ),
        (
            &["cdktf", "deploy", "app", "--auto-approve"],
            &["diff", "app"],
        ),
        (
            &["terragrunt", "run-all", "apply", "-auto-approve"],
            &["run-all", "plan"],
        ),
        (&["terragrunt", "apply-all"], &["run-all", "plan"]),
        (
            &["terragrunt", "run", "--all", "--", "apply", "-auto-approve"],
            &["run", "--all", "--", "plan"],
        ),
        (
            &[
                "terraform",
                "apply",
                "-auto-approve",
                "-lock-timeout=30s",
                "tfplan",
            ],
            &["show", "tfplan"],
        ),
        (
            &[
                "terraform",
                "apply",
                "-auto-approve",
                "-backup=b.tfstate",
                "-state-out",
                "s",
            ],
            &["plan"],
        ),
        (
            &["terraform", "state", "rm", "aws_instance.web"],
            &["state", "rm", "-dry-run", "aws_instance.web"],
        ),
        (
            &["terraform", "state", "mv", "a", "b"],
            &["state", "mv", "-dry-run", "a", "b"],
        ),
        (
            &[
                "az",
                "deployment",
                "group",
                "create",
                "-g",
                "rg",
                "-f",
                "main.bicep",
                "--mode",
                "Complete",
                "--no-wait",
            ],
            &[
                "deployment",
                "group",
                "what-if",
                "-g",
                "rg",
                "-f",
                "main.bicep",
                "--mode",
                "Complete",
            ],
        ),
        (
            &["git", "prune", "--expire=now"],
            &["prune", "--expire=now", "-n"],
        ),
        (
            &["git", "filter-repo", "--path", "secrets", "--invert-paths"],
            &[
                "filter-repo",
                "--path",
                "secrets",
                "--invert-paths",
                "--dry-run",
            ],
        ),
        (
            &["git", "reflog", "expire", "--expire=now", "--all"],
            &["reflog", "expire", "--expire=now", "--all", "--dry-run"],
        ),
        (
            &["git", "push", "origin", "--delete", "feature"],
            &["push", "origin", "--delete", "feature", "--dry-run"],
        ),
        (
            &["git", "push", "--force", "--dry-run", "--no-dry-run"],
            &["push", "--force", "--dry-run", "--no-dry-run", "--dry-run"],
        ),
    ];
    for (argv, want) in cases {
        f.clear_argv();
        let o = f
            .shim(argv[0])
            .args(&argv[1..])
            .env("CI", "true")
            .output()
            .unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(101), "{argv:?}: {err}");
        assert!(err.starts_with("interlock: dry run by "), "{argv:?}: {err}");
        assert!(err.contains("nothing was changed"), "{argv:?}: {err}");
        assert_eq!(f.argv().unwrap(), *want, "{argv:?}");
    }
}

#[test]
fn blocked_commands_suggest_a_preview_that_runs() {
    let f = fx();
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["kubectl", "delete", "ns", "prod"],
            &["delete", "ns", "prod", "--dry-run=server"],
        ),
        (
            &["terraform", "destroy", "-auto-approve"],
            &["plan", "-destroy"],
        ),
        (
            &["pulumi", "destroy", "--yes", "--remove"],
            &["destroy", "--preview-only"],
        ),
        (
            &[
                "terragrunt",
                "run-all",
                "destroy",
                "--terragrunt-non-interactive",
            ],
            &[
                "run-all",
                "plan",
                "-destroy",
                "--terragrunt-non-interactive",
            ],
        ),
        (
            &["terragrunt", "destroy-all"],
            &["run-all", "plan", "-destroy"],
        ),
        (
            &[
                "terragrunt",
                "run",
                "--all",
                "--",
                "destroy",
                "-auto-approve",
            ],
            &["run", "--all", "--", "plan", "-destroy"],
        ),
    ];
    for (argv, want) in cases {
        f.clear_argv();
        let o = f.shim(argv[0]).args(&argv[1..]).output().unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(100), "{argv:?}: {err}");
        assert!(err.starts_with("interlock: blocked by "), "{err}");
        assert!(f.argv().is_none(), "{argv:?} ran");
        let suggested = err
            .split('`')
            .nth(1)
            .unwrap_or_else(|| panic!("no preview suggested: {err}"));
        // The suggestion is itself allowed, and reaches the tool as shown.
        let o = f.interlock().args(["-c", suggested]).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{suggested}: {}", stderr(&o));
        assert_eq!(f.argv().unwrap(), *want, "{suggested}");
    }
}

#[test]
fn commands_without_a_safe_preview_are_not_previewed() {
    let f = fx();
    // kubectl refuses --dry-run with --force; find's other actions would still run
    // commands or write files; cdk and cdktf have no destroy plan.
    let cases: &[(&[&str], i32)] = &[
        (&["kubectl", "replace", "--force", "-f", "pod.yaml"], 102),
        (
            &["kubectl", "apply", "--prune", "--force", "-f", "k8s/"],
            102,
        ),
        (
            &[
                "find", "src", "-name", "x", "-exec", "touch", "{}", ";", "-delete",
            ],
            102,
        ),
        (&["find", "src", "-fprint", "out.txt", "-delete"], 102),
        (&["cdk", "destroy", "--force"], 100),
        (&["cdktf", "destroy", "--auto-approve"], 100),
    ];
    for (argv, code) in cases {
        f.clear_argv();
        let o = f
            .shim(argv[0])
            .args(&argv[1..])
            .env("CI", "true")
            .output()
            .unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(*code), "{argv:?}: {err}");
        assert!(f.argv().is_none(), "{argv:?} ran something: {err}");
        assert!(!err.contains("dry run"), "{argv:?}: {err}");
        assert!(!err.contains("see what it would do"), "{argv:?}: {err}");
    }
}

#[test]
fn an_aws_dry_run_that_would_succeed_exits_101_not_254() {
    let f = fx();
    // EC2 reports a dry run that would have succeeded as an error, exit 254.
    f.stub(
        "aws",
        "#!/bin/sh\nprintf '%s\\0' \"$@\" > \"@REC@/argv\"\necho 'An error occurred (DryRunOperation) when calling the TerminateInstances operation: Request would have succeeded, but DryRun flag is set.' >&2\nexit 254\n",
    );
    let o = f
        .shim("aws")
        .args(["ec2", "terminate-instances", "--instance-ids", "i-1"])
        .env("CI", "true")
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(101), "{err}");
    assert!(err.contains("DryRunOperation"), "{err}");
    assert!(err.contains("the preview exited 254"), "{err}");
    assert!(err.contains("nothing was changed either way"), "{err}");
    assert_eq!(
        f.argv().unwrap(),
        [
            "ec2",
            "terminate-instances",
            "--instance-ids",
            "i-1",
            "--dry-run"
        ]
    );
    // Any other failure is still reported as one, with its own status.
    f.stub("aws", "#!/bin/sh\nexit 255\n");
    let o = f
        .shim("aws")
        .args(["ec2", "terminate-instances", "--instance-ids", "i-1"])
        .env("CI", "true")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(255), "{}", stderr(&o));
    assert!(stderr(&o).contains("the dry run failed with exit 255"));
}

#[test]
fn messages_redact_secrets() {
    let f = fx();
    let o = f
        .shim("kubectl")
        .args(["--token", "s3cr3t-value", "delete", "ns", "prod"])
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(100), "{err}");
    assert!(!err.contains("s3cr3t-value"), "{err}");
    assert!(err.contains("[REDACTED]"), "{err}");
}

#[test]
fn a_request_left_by_a_killed_command_cannot_be_approved() {
    let f = fx();
    let (mut child, id) = queued(&f, "kubectl", &["drain", "node-1"]);
    child.kill().unwrap();
    child.wait().unwrap();
    let (o, _) = approve(&f, &id, true);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("no longer waiting"), "{}", stderr(&o));
    assert!(!f.request_path(&id).exists(), "the stale record stayed");
    assert!(f.argv().is_none());
}

// ---- approvers who are other users ----

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A user with no passwd entry on most systems, and one that has one everywhere.
const REQUESTER: u32 = 65534;
const APPROVER_A: u32 = 65533;
const APPROVER_B: u32 = 65532;
const NOBODY_ELSE: u32 = 65531;

/// A tree other users can use: readable by all, a copy of the binary they can run, the
/// requester's state directory, and a shared sticky queue owned by root in it (as
/// `[confirm] queue_dir` names one for the hardened recipe; here it is the default
/// location, which the system config a test cannot write would otherwise move).
struct Shared {
    f: Tree,
    bin: PathBuf,
}

fn shared() -> Shared {
    use std::os::unix::fs::PermissionsExt;
    let f = Tree::new(&["bin"]);
    let perms = |p: &std::path::Path, mode: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    perms(&f.root, 0o755);
    perms(&f.rec, 0o777);
    let bin = f.root.join("bin/interlock");
    std::fs::copy(BIN, &bin).unwrap();
    perms(&bin, 0o755);
    std::os::unix::fs::symlink(&bin, f.shims.join("kubectl")).unwrap();
    f.stub("kubectl", common::ARGV_STUB);
    let state = f.root.join(".local/state/interlock");
    std::fs::create_dir_all(state.join("approvals")).unwrap();
    perms(&state.join("approvals"), 0o1777);
    std::os::unix::fs::chown(&state, Some(REQUESTER), Some(REQUESTER)).unwrap();
    Shared { f, bin }
}

impl Shared {
    fn queue(&self) -> PathBuf {
        self.f.root.join(".local/state/interlock/approvals")
    }

    fn env(&self, c: &mut Command) {
        let path = Tree::search_path(&[&self.f.shims, &self.f.real], common::SYSTEM_PATH);
        c.env_clear()
            .env("PATH", path)
            .env("HOME", &self.f.root)
            .env("SHELL", "/bin/sh")
            .env("INTERLOCK_SHIMS_DIR", &self.f.shims)
            .current_dir(&self.f.root);
    }

    /// `kubectl drain node-1` as the requester, waiting in the queue.
    fn wait(&self) -> (Child, String) {
        let mut c = Command::new(self.f.shims.join("kubectl"));
        self.env(&mut c);
        c.args(["drain", "node-1"])
            .uid(REQUESTER)
            .gid(REQUESTER)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        common::detach(&mut c);
        let mut child = c.spawn().unwrap();
        let start = Instant::now();
        let id = loop {
            let found = std::fs::read_dir(self.queue())
                .unwrap()
                .flatten()
                .find_map(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    n.strip_prefix("req-")?
                        .strip_suffix(".json")
                        .map(str::to_owned)
                });
            if let Some(id) = found {
                break id;
            }
            if start.elapsed() > PATIENCE {
                let _ = child.kill();
                let o = child.wait_with_output().unwrap();
                panic!("no request appeared; stderr: {}", stderr(&o));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        (child, id)
    }

    /// `interlock approve ID` as `uid`, in a pseudo-terminal of its own (`script`),
    /// typing the code it shows. Returns its exit status and what its terminal showed.
    fn approve_as(&self, uid: u32, id: &str) -> (Option<i32>, String) {
        let mut c = Command::new("script");
        self.env(&mut c);
        c.args([
            "-qfec",
            &format!("{} approve {id}", self.bin.display()),
            "/dev/null",
        ])
        .uid(uid)
        .gid(uid)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let reader = std::thread::spawn(move || {
            let mut b = [0u8; 1024];
            while let Ok(n) = stdout.read(&mut b) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&b[..n]);
            }
        });
        let text = || String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
        let start = Instant::now();
        loop {
            if let Some(code) = code_in(&text()) {
                stdin.write_all(format!("{code}\n").as_bytes()).unwrap();
                break;
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
            assert!(start.elapsed() < PATIENCE, "approve hung: {}", text());
            std::thread::sleep(Duration::from_millis(20));
        }
        let o = finish(child);
        drop(stdin);
        reader.join().unwrap();
        (o.status.code(), text())
    }

    /// A file of `uid`'s own in the queue, as anyone can make with plain shell tools.
    fn plant_as(&self, uid: u32, name: &str, content: &str) {
        let s = Command::new("sh")
            .args(["-c", "printf '%s' \"$1\" > \"$2\"", "sh", content])
            .arg(self.queue().join(name))
            .uid(uid)
            .gid(uid)
            .status()
            .unwrap();
        assert!(s.success());
    }

    fn binding(&self, id: &str) -> String {
        let r: serde_json::Value = serde_json::from_slice(
            &std::fs::read(self.queue().join(format!("req-{id}.json"))).unwrap(),
        )
        .unwrap();
        r["binding"].as_str().unwrap().to_owned()
    }

    fn approved_by(&self) -> serde_json::Value {
        let log =
            std::fs::read_to_string(self.f.root.join(".local/state/interlock/audit.log")).unwrap();
        let line: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
        assert_eq!(line["outcome"], "approved", "{line}");
        line["approved_by"].clone()
    }
}

fn name(uid: u32) -> String {
    interlock::confirm::queue::user_name(uid)
}

#[test]
fn another_user_approves_a_request_in_a_shared_queue() {
    if !is_root() {
        eprintln!("skipped: needs root to run the requester and the approver as other uids");
        return;
    }
    let s = shared();
    let (child, id) = s.wait();
    // The request is readable by the approver, who is not its owner.
    let (code, shown) = s.approve_as(APPROVER_A, &id);
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("kubectl drain node-1"), "{shown}");
    assert!(
        shown.contains(&format!("asked by: {} (uid {REQUESTER}", name(REQUESTER))),
        "{shown}"
    );
    let out = finish(child);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(s.f.argv().unwrap(), ["drain", "node-1"]);
    assert_eq!(s.approved_by(), serde_json::json!([name(APPROVER_A)]));
}

#[test]
fn two_person_rule_needs_two_real_users_and_forged_files_count_for_nothing() {
    if !is_root() {
        eprintln!("skipped: needs root to run the requester and the approvers as other uids");
        return;
    }
    let s = shared();
    let rules = s.f.root.join(".config/interlock/rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("two.toml"), TWO_PERSON).unwrap();
    let (child, id) = s.wait();
    let binding = s.binding(&id);
    // The requester's own uid approves: that is one approver, once.
    let (code, shown) = s.approve_as(REQUESTER, &id);
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("1 of 2"), "{shown}");
    let (code, shown) = s.approve_as(REQUESTER, &id);
    assert_eq!(code, Some(1), "{shown}");
    assert!(shown.contains("already approved"), "{shown}");
    // A file named for another uid, made by the requester, with the right binding.
    s.plant_as(
        REQUESTER,
        &format!("{id}.ok.{NOBODY_ELSE}"),
        &format!("{{\"binding\":\"{binding}\",\"time\":1}}"),
    );
    // A real approver's own file, naming the wrong binding.
    s.plant_as(
        APPROVER_A,
        &format!("{id}.ok.{APPROVER_A}"),
        &format!("{{\"binding\":\"{}\",\"time\":1}}", "0".repeat(64)),
    );
    // The queue, read by the same rules the waiting command counts with: one approval.
    let mut c = Command::new(&s.bin);
    s.env(&mut c);
    let o = c
        .args(["approvals", "--list"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        common::stdout(&o).contains("[1/2 approvals]"),
        "{}",
        common::stdout(&o)
    );
    assert!(s.f.argv().is_none(), "ran before a second person approved");
    // A second person: shown who approved first, and then it runs.
    let (code, shown) = s.approve_as(APPROVER_B, &id);
    assert_eq!(code, Some(0), "{shown}");
    assert!(
        shown.contains(&format!("{} approved it first", name(REQUESTER))),
        "{shown}"
    );
    let out = finish(child);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(s.f.argv().unwrap(), ["drain", "node-1"]);
    // Exactly the two real approvers: the forged files never counted.
    assert_eq!(
        s.approved_by(),
        serde_json::json!([name(REQUESTER), name(APPROVER_B)])
    );
    let err = stderr(&out);
    assert!(err.contains("was made by"), "{err}");
    assert!(err.contains("another version"), "{err}");
}

// ---- the session's own terminal, and processes that leave the session ----

#[test]
fn a_process_detached_from_the_session_still_counts_as_inside() {
    let f = fx();
    let out = f.root.join("approve.out");
    // The agent (sh) starts `setsid -f`; the detached process waits until its parent,
    // setsid, has exited and it has been re-parented, wipes its environment and tries to
    // approve. As a child subreaper the agent is its new parent, so it is still inside.
    let agent = format!(
        "echo $$; setsid -f sh -c 'parent() {{ grep ^PPid: /proc/$$/status | cut -f2; }}; \
         while [ \"$(cat /proc/$(parent)/comm 2>/dev/null)\" = setsid ]; do sleep 0.05; done; \
         exec env -i \"$0\" approve abcd2345 > \"$1\" 2>&1' {BIN} {out}; \
         while [ ! -s {out} ]; do sleep 0.05; done",
        out = out.display()
    );
    let o = finish(
        f.interlock()
            .args(["run", "--", "sh", "-c", &agent])
            .spawn()
            .unwrap(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let agent_pid = common::stdout(&o).trim().to_owned();
    let said = std::fs::read_to_string(&out).unwrap();
    assert!(said.contains("inside an interlock session"), "{said}");
    assert!(
        said.contains(&format!("ancestor process {agent_pid} was started with")),
        "{said}"
    );
}

#[test]
fn the_prompt_appears_on_the_terminal_the_session_started_on() {
    let f = fx();
    let t = pty();
    let mut c = f.interlock();
    c.args(["run", "--", "kubectl", "drain", "node-1"]);
    let child = spawn_in(&t, c);
    let code = t.code();
    t.type_text(&format!("{code}\n"));
    let o = finish(child);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(f.argv().unwrap(), ["drain", "node-1"]);
}

#[test]
fn a_terminal_the_agent_opened_is_not_asked_at() {
    let f = fx();
    let t = pty();
    // Inside the session, the command runs in a new pseudo-terminal (as an agent driving
    // a pty of its own would): the agent could read a code shown there.
    let mut c = f.interlock();
    c.args([
        "run",
        "--",
        "script",
        "-qfec",
        "kubectl drain node-1",
        "/dev/null",
    ]);
    let known = f.request_ids();
    let child = spawn_in(&t, c);
    let id = f.new_request(&known);
    f.interlock().args(["deny", &id]).output().unwrap();
    let o = finish(child);
    assert_eq!(o.status.code(), Some(102), "{}", common::stdout(&o));
    let inner = common::stdout(&o);
    assert!(inner.contains("not asking at this terminal"), "{inner}");
    assert!(!inner.contains("needs your approval"), "{inner}");
    assert!(!t.text().contains("needs your approval"), "{}", t.text());
    assert!(f.argv().is_none());
}

// ---- agents' hooks: one decision per command ----

/// `interlock hook AGENT` with `payload` on stdin, as the host runs it.
fn hook(f: &Fx, agent: &str, payload: &serde_json::Value) -> Output {
    common::output_with_stdin(
        f.interlock().args(["hook", agent]),
        payload.to_string().as_bytes(),
    )
}

fn claude_bash(f: &Fx, command: &str) -> serde_json::Value {
    serde_json::json!({
        "session_id": "0b5c3e4a-1111-4222-8333-944445555666",
        "transcript_path": "/home/u/.claude/projects/p/0b5c3e4a.jsonl",
        "cwd": f.root,
        "permission_mode": "default",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command, "description": "Run it"},
        "tool_use_id": "toolu_01ABC"
    })
}

fn codex_bash(f: &Fx, command: &str) -> serde_json::Value {
    serde_json::json!({
        "session_id": "019a2b3c-4d5e-7f60-8a9b-0c1d2e3f4a5b",
        "turn_id": "1",
        "transcript_path": null,
        "cwd": f.root,
        "hook_event_name": "PreToolUse",
        "model": "gpt-5-codex",
        "permission_mode": "default",
        "tool_name": "Bash",
        "tool_input": {"command": command},
        "tool_use_id": "call_1"
    })
}

fn gemini_shell(f: &Fx, command: &str) -> serde_json::Value {
    serde_json::json!({
        "session_id": "a1b2c3",
        "transcript_path": "/home/u/.gemini/tmp/a1b2c3/chats/session.json",
        "cwd": f.root,
        "hook_event_name": "BeforeTool",
        "timestamp": "2026-11-21T12:00:00.000Z",
        "tool_name": "run_shell_command",
        "tool_input": {"command": command, "description": "x"}
    })
}

fn json_out(o: &Output) -> serde_json::Value {
    assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The request id a hook's deny names (`... as request ID ...`).
fn request_in(reason: &str) -> String {
    let at = reason
        .find("as request ")
        .unwrap_or_else(|| panic!("no request named: {reason}"));
    reason[at + 11..at + 19].to_owned()
}

/// The last audit line written by `entry` (shell, shim, hook).
fn last_audit(f: &Fx, entry: &str) -> serde_json::Value {
    let log = std::fs::read_to_string(f.root.join(".local/state/interlock/audit.log")).unwrap();
    log.lines()
        .rev()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|l| l["entry"] == entry)
        .unwrap_or_else(|| panic!("no {entry} line in {log}"))
}

/// Claude Code's command line for its Bash tool: the user's snapshot (here: PATH with
/// the shims first), then the command through `eval`, stdin from /dev/null.
fn claude_line(f: &Fx, command: &str) -> String {
    let snapshot = f.root.join("snapshot-bash-1732190000000-abc123.sh");
    std::fs::write(
        &snapshot,
        format!(
            "export PATH={}:{}:/usr/bin:/bin\n",
            f.shims.display(),
            f.real.display()
        ),
    )
    .unwrap();
    format!(
        "source {} && eval '{command}' < /dev/null",
        snapshot.display()
    )
}

#[test]
fn claude_asks_once_and_its_shell_does_not_ask_again() {
    let f = fx();
    let v = json_out(&hook(
        &f,
        "claude",
        &claude_bash(&f, "kubectl drain node-1"),
    ));
    assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "ask", "{v}");
    // The user said yes in Claude's prompt; Claude runs it through its shell, a child of
    // the process that ran the hook. CI=true: any second question would end in the
    // preview instead of the command.
    let o = f
        .interlock()
        .args(["-c", "-l", &claude_line(&f, "kubectl drain node-1")])
        .env("CI", "true")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(f.argv().unwrap(), ["drain", "node-1"], "asked twice");
    let line = last_audit(&f, "shell");
    assert_eq!(line["outcome"], "approved", "{line}");
    assert_eq!(
        line["approved_by"],
        serde_json::json!(["the user, in claude's own prompt"])
    );
    // Used once: the same command again asks again (and, with nobody to ask, does not
    // run: in a longer script there is no preview to run in its place).
    f.clear_argv();
    let o = f
        .interlock()
        .args(["-c", "-l", &claude_line(&f, "kubectl drain node-1")])
        .env("CI", "true")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(102), "{}", stderr(&o));
    assert!(f.argv().is_none());
}

#[test]
fn a_hosts_question_serves_only_the_shell_the_host_starts() {
    let f = fx();
    let v = json_out(&hook(
        &f,
        "claude",
        &claude_bash(&f, "kubectl drain node-1"),
    ));
    assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "ask", "{v}");
    // Say the user declined, and a script the agent ran later starts interlock's shell
    // with the same command: its parent is not the host, so it is asked again.
    let o = f
        .cmd("/bin/sh")
        .args(["-c", &format!("{BIN} -c 'kubectl drain node-1'; exit $?")])
        .env("CI", "true")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(101), "{}", stderr(&o));
    assert_eq!(f.argv().unwrap(), ["drain", "node-1", "--dry-run=server"]);
    // Nor is another command in the same directory covered by it.
    f.clear_argv();
    let o = f
        .interlock()
        .args(["-c", "kubectl drain node-2"])
        .env("CI", "true")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(101), "{}", stderr(&o));
}

#[test]
fn codex_retry_runs_once_a_human_approved_the_request_the_hook_made() {
    let f = fx();
    let command = "kubectl drain node-1";
    let deny = |v: &serde_json::Value| {
        assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "deny", "{v}");
        v["hookSpecificOutput"]["permissionDecisionReason"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let reason = deny(&json_out(&hook(&f, "codex", &codex_bash(&f, command))));
    assert!(
        reason.starts_with("interlock: not approved by kubectl-drain"),
        "{reason}"
    );
    assert!(reason.contains("run the same command again"), "{reason}");
    assert!(reason.contains("ask a human"), "{reason}");
    let id = request_in(&reason);
    assert_eq!(f.request_ids(), std::slice::from_ref(&id));
    assert_eq!(f.request(&id)["pid"], 0, "nobody waits on it");
    // Retried before anyone approved: the same request, still waiting.
    let reason = deny(&json_out(&hook(&f, "codex", &codex_bash(&f, command))));
    assert!(reason.contains("still waiting"), "{reason}");
    assert_eq!(request_in(&reason), id);
    assert_eq!(f.request_ids(), std::slice::from_ref(&id));
    // A human approves; the agent's retry is let through.
    let (o, shown) = approve(&f, &id, true);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(shown.contains("the agent runs it again"), "{shown}");
    let o = hook(&f, "codex", &codex_bash(&f, command));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "{}", common::stdout(&o));
    let line = last_audit(&f, "hook");
    assert_eq!(line["outcome"], "approved", "{line}");
    // Codex runs it as `$SHELL -lc CMD` (interlock-bash in a session; here without the
    // login profile, which would reset PATH): not asked again.
    let o = f
        .interlock()
        .args(["-c", command])
        .env("CI", "true")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(f.argv().unwrap(), ["drain", "node-1"]);
    // The approval was used: the next time is a new request.
    let reason = deny(&json_out(&hook(&f, "codex", &codex_bash(&f, command))));
    assert_ne!(request_in(&reason), id);
}

#[test]
fn gemini_retry_reaches_the_shims_once_and_a_denial_holds() {
    let f = fx();
    let command = "kubectl drain node-1";
    let deny = |v: &serde_json::Value| {
        assert_eq!(v["decision"], "deny", "{v}");
        v["reason"].as_str().unwrap().to_owned()
    };
    let id = request_in(&deny(&json_out(&hook(
        &f,
        "gemini",
        &gemini_shell(&f, command),
    ))));
    // The approval names this command in this directory: another directory or another
    // command is a request of its own.
    let mut elsewhere = gemini_shell(&f, command);
    elsewhere["cwd"] = serde_json::json!(f.rec);
    let other = request_in(&deny(&json_out(&hook(&f, "gemini", &elsewhere))));
    assert_ne!(other, id);
    let (o, _) = approve(&f, &id, true);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        json_out(&hook(&f, "gemini", &gemini_shell(&f, command))),
        serde_json::json!({})
    );
    // Gemini CLI runs `bash -c CMD` with the real bash; the shim is not asked again.
    let o = f
        .shim("kubectl")
        .args(["drain", "node-1"])
        .env("CI", "true")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(f.argv().unwrap(), ["drain", "node-1"]);
    // Once only.
    f.clear_argv();
    let o = f
        .shim("kubectl")
        .args(["drain", "node-1"])
        .env("CI", "true")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(101), "{}", stderr(&o));
    // A denied request stays denied: the retry is refused and says so.
    let id = request_in(&deny(&json_out(&hook(
        &f,
        "gemini",
        &gemini_shell(&f, command),
    ))));
    let o = f.interlock().args(["deny", &id]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let reason = deny(&json_out(&hook(&f, "gemini", &gemini_shell(&f, command))));
    assert!(reason.contains(&format!("denied request {id}")), "{reason}");
    assert!(
        reason.contains("do not retry it in another form"),
        "{reason}"
    );
}

#[test]
fn a_hook_request_edited_in_the_queue_approves_nothing() {
    let f = fx();
    let command = "kubectl drain node-1";
    let v = json_out(&hook(&f, "codex", &codex_bash(&f, command)));
    let id = request_in(
        v["hookSpecificOutput"]["permissionDecisionReason"]
            .as_str()
            .unwrap(),
    );
    // Edited to show something harmless, consistently; the human approves what is shown.
    let mut r: interlock::confirm::queue::Request = serde_json::from_value(f.request(&id)).unwrap();
    r.command = "kubectl get pods".into();
    r.argv = vec!["kubectl get pods".into()];
    r.binding = r.computed_binding();
    f.write_request(&id, &serde_json::to_value(&r).unwrap());
    let (o, shown) = approve(&f, &id, true);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(shown.contains("kubectl get pods"), "{shown}");
    // The retry rebuilds the request from the command itself: not what was approved.
    let v = json_out(&hook(&f, "codex", &codex_bash(&f, command)));
    let reason = v["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap();
    assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "deny", "{v}");
    assert!(reason.contains("altered"), "{reason}");
}

#[test]
fn a_two_person_rule_is_never_one_hosts_prompt() {
    let f = fx();
    f.rules("two.toml", TWO_PERSON);
    // Claude Code could ask one person; the rule needs two, so it goes to the queue.
    let v = json_out(&hook(
        &f,
        "claude",
        &claude_bash(&f, "kubectl drain node-1"),
    ));
    let out = &v["hookSpecificOutput"];
    assert_eq!(out["permissionDecision"], "deny", "{v}");
    let reason = out["permissionDecisionReason"].as_str().unwrap();
    assert!(
        reason.contains("approval by 2 different people"),
        "{reason}"
    );
    let id = request_in(reason);
    assert_eq!(f.request(&id)["approvals_needed"], 2);
}
