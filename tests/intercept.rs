//! The shim, shell and run entry points, driven through the real binary against stub
//! tools that record their argv and environment.

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::symlink;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{BIN, Tree, stderr, stdout};

const SIGTERM: i32 = 15;

type Fx = Tree;

/// A stub that records its argv (NUL-separated) and environment, then cats stdin when
/// STUB_CAT is set, kills itself with STUB_SIGNAL, or exits with STUB_EXIT.
const STUB: &str = r#"#!/bin/sh
printf '%s\0' "$@" > "@REC@/argv"
env > "@REC@/env"
if [ -n "${STUB_CAT:-}" ]; then exec cat; fi
if [ -n "${STUB_STDIN:-}" ]; then
  if [ -e /proc/$$/fd/0 ]; then echo STDIN-OPEN; else echo STDIN-CLOSED; fi
fi
if [ -n "${STUB_TTY:-}" ]; then test -t 0 && test -t 1 && echo STUB-SEES-A-TTY; fi
if [ -n "${STUB_SIGNAL:-}" ]; then kill -"$STUB_SIGNAL" $$; fi
exit "${STUB_EXIT:-0}"
"#;

fn fx() -> Fx {
    let f = Tree::new(&["bin"]);
    f.tool("kubectl", STUB);
    f.tool("git", STUB);
    // A wrapper that finds itself on PATH again: a loop the nesting guard must stop.
    f.tool("helm", "#!/bin/sh\nexec helm \"$@\"\n");
    f.link_bin("bin/interlock-bash");
    f
}

impl Fx {
    fn path(&self) -> String {
        Tree::search_path(&[&self.shims, &self.real], common::SYSTEM_PATH)
    }

    /// A command with a clean, known environment, no controlling terminal (a confirm
    /// must not prompt whoever runs the tests) and no waiting in the approvals queue.
    fn cmd(&self, program: impl AsRef<OsStr>) -> Command {
        let mut c = self.clean(program, &self.path(), &self.root);
        c.env("CI", "true");
        common::detach(&mut c);
        c
    }

    fn shim(&self, tool: &str) -> Command {
        self.cmd(self.shims.join(tool))
    }

    fn shell(&self) -> Command {
        self.cmd(BIN)
    }
}

#[test]
fn allowed_argv_arrives_byte_exact() {
    let f = fx();
    let args: Vec<OsString> = vec![
        "get".into(),
        "pods with spaces".into(),
        "new\nline".into(),
        "'single' \"double\" `tick` $HOME \\".into(),
        OsString::from_vec(vec![b'n', 0xff, 0xfe, b'x']),
        "".into(),
    ];
    let o = f.shim("kubectl").args(&args).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let want: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
    assert_eq!(f.argv_bytes().unwrap(), want);
}

#[test]
fn exit_codes_pass_through() {
    let f = fx();
    for code in 0..=255 {
        let s = f
            .shim("kubectl")
            .args(["get", "pods"])
            .env("STUB_EXIT", code.to_string())
            .status()
            .unwrap();
        assert_eq!(s.code(), Some(code));
    }
}

#[test]
fn closed_and_piped_stdin_reach_the_tool_as_they_are() {
    use std::os::unix::process::CommandExt;
    let f = fx();
    let run = |via_shim: bool, close: bool| {
        let mut c = if via_shim {
            f.shim("kubectl")
        } else {
            f.cmd(f.real.join("kubectl"))
        };
        c.arg("version")
            .env("STUB_STDIN", "1")
            .stdin(Stdio::piped());
        if close {
            // SAFETY: close is async-signal-safe.
            unsafe {
                c.pre_exec(|| {
                    libc::close(0);
                    Ok(())
                });
            }
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    assert_eq!(run(false, true), "STDIN-CLOSED\n");
    assert_eq!(run(true, true), "STDIN-CLOSED\n");
    assert_eq!(run(false, false), "STDIN-OPEN\n");
    assert_eq!(run(true, false), "STDIN-OPEN\n");
}

#[test]
fn a_signal_passes_through_because_the_shim_execs() {
    let f = fx();
    let s = f
        .shim("kubectl")
        .arg("version")
        .env("STUB_SIGNAL", "TERM")
        .status()
        .unwrap();
    assert_eq!(s.signal(), Some(SIGTERM));
}

#[test]
fn environment_arrives_unchanged() {
    let f = fx();
    let read_env = |f: &Fx| {
        let text = std::fs::read_to_string(f.rec.join("env")).unwrap();
        let mut v: Vec<String> = text
            .lines()
            .filter(|l| !l.starts_with("INTERLOCK_SHIM_DEPTH=") && !l.starts_with("_="))
            .map(str::to_owned)
            .collect();
        v.sort();
        v
    };
    let set = |c: &mut Command| {
        c.env("SOME_VAR", "a value with spaces")
            .env("KUBECONFIG", "/x/y")
            .arg("get");
    };
    let mut direct = f.cmd(f.real.join("kubectl"));
    set(&mut direct);
    assert!(direct.status().unwrap().success());
    let want = read_env(&f);
    let mut via = f.shim("kubectl");
    set(&mut via);
    assert!(via.status().unwrap().success());
    assert_eq!(read_env(&f), want);
    assert!(want.iter().any(|l| l == "SOME_VAR=a value with spaces"));
}

#[test]
fn large_binary_stdin_and_stdout_pass_byte_exact() {
    let f = fx();
    let data: Vec<u8> = (0..50 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let mut child = f
        .shim("kubectl")
        .args(["apply", "-f", "-"])
        .env("STUB_CAT", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = data.clone();
    let writer = std::thread::spawn(move || stdin.write_all(&input).unwrap());
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    writer.join().unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(out.len(), data.len());
    assert!(out == data, "output differs from input");
}

#[test]
fn blocked_command_exits_100_with_stable_first_line_and_never_runs() {
    let f = fx();
    let o = f
        .shim("kubectl")
        .args(["delete", "ns", "prod"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(100));
    let err = stderr(&o);
    assert!(
        err.lines()
            .next()
            .unwrap()
            .starts_with("interlock: blocked by kubectl-delete-namespace: "),
        "{err}"
    );
    assert!(err.contains("kubectl delete ns prod"), "{err}");
    assert!(err.contains("--dry-run=server"), "{err}");
    assert!(f.argv_bytes().is_none(), "the stub ran");
}

#[test]
fn dry_run_runs_the_preview_and_exits_101() {
    let f = fx();
    // kubectl-delete is confirm with a dry-run fallback: no human channel, so preview.
    let o = f
        .shim("kubectl")
        .args(["delete", "pod", "web-1"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(101), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.starts_with("interlock: dry run by kubectl-delete: "),
        "{err}"
    );
    assert!(
        err.contains("  command: kubectl delete pod web-1\n"),
        "{err}"
    );
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(
        f.argv().unwrap(),
        ["delete", "pod", "web-1", "--dry-run=server"]
    );
    // git-clean is a plain dry-run rule.
    let o = f.shim("git").args(["clean", "-fd"]).output().unwrap();
    assert_eq!(o.status.code(), Some(101), "{}", stderr(&o));
    assert_eq!(f.argv().unwrap(), ["clean", "-d", "-n"]);
}

#[test]
fn a_failing_preview_reports_its_own_failure() {
    let f = fx();
    let s = f
        .shim("kubectl")
        .args(["delete", "pod", "web-1"])
        .env("STUB_EXIT", "3")
        .status()
        .unwrap();
    assert_eq!(s.code(), Some(3));
}

#[test]
fn confirm_without_a_preview_exits_102_and_never_runs() {
    let f = fx();
    // `terraform state push` needs a human and has no preview to fall back to; with no
    // terminal and CI=true nobody can be asked, so it is refused, exactly.
    f.tool("terraform", STUB);
    let o = f
        .shim("terraform")
        .args(["state", "push", "backup.tfstate"])
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(102), "{err}");
    assert!(
        err.starts_with("interlock: not approved by terraform-state-surgery: "),
        "{err}"
    );
    assert!(
        err.contains("not run: there is no terminal to ask at, and CI=true is set"),
        "{err}"
    );
    assert!(f.argv_bytes().is_none(), "the tool ran");
}

#[test]
fn not_installed_exits_127_with_where_it_looked() {
    let f = fx();
    let empty = f.root.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = f
        .shim("kubectl")
        .arg("get")
        .env("PATH", format!("{}:{}", f.shims.display(), empty.display()))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(127));
    assert_eq!(
        stderr(&o).lines().next().unwrap(),
        format!(
            "interlock: kubectl: not installed (looked in: {})",
            empty.display()
        )
    );
}

fn wait_bounded(mut c: Command, secs: u64) -> std::process::ExitStatus {
    let mut child = c
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if start.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            panic!("did not finish within {secs}s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn shims_dir_as_the_only_path_entry_is_127_not_a_hang() {
    let f = fx();
    let mut c = f.shim("kubectl");
    c.arg("get")
        .env("PATH", &f.shims)
        .env_remove("INTERLOCK_SHIMS_DIR");
    assert_eq!(wait_bounded(c, 10).code(), Some(127));
}

#[test]
fn nesting_guard_trips_on_a_wrapper_loop() {
    let f = fx();
    let mut c = f.shim("helm");
    c.arg("list");
    assert_eq!(wait_bounded(c, 10).code(), Some(103));
    let o = f
        .shim("kubectl")
        .arg("get")
        .env("INTERLOCK_SHIM_DEPTH", "4")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(103));
    assert!(stderr(&o).contains("nested"), "{}", stderr(&o));
    assert!(f.argv_bytes().is_none());
}

#[test]
fn shell_blocks_the_whole_script_before_anything_runs() {
    let f = fx();
    let o = f
        .shell()
        .args(["-c", "touch marker && kubectl delete ns prod && echo hi"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(100));
    assert!(stderr(&o).starts_with("interlock: blocked by kubectl-delete-namespace: "));
    assert!(!f.root.join("marker").exists(), "part of the script ran");
    assert_eq!(stdout(&o), "");
}

#[test]
fn shell_allows_with_output_and_exit_code() {
    let f = fx();
    let o = f.shell().args(["-c", "echo hi; exit 7"]).output().unwrap();
    assert_eq!(o.status.code(), Some(7));
    assert_eq!(stdout(&o), "hi\n");
    for args in [
        &["-lc", "echo lc"][..],
        &["-c", "-l", "echo lc"],
        &["-l", "-c", "echo lc"],
        &["-e", "-o", "pipefail", "-c", "echo lc"],
    ] {
        let o = f.shell().args(args).output().unwrap();
        assert_eq!(stdout(&o), "lc\n", "{args:?}: {}", stderr(&o));
    }
    let o = f
        .shell()
        .args(["-c", "echo \"$0|$1|$2\"", "NAME", "a b", "c"])
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "NAME|a b|c\n");
}

#[test]
fn shell_puts_shims_first_so_tools_are_judged_again() {
    let f = fx();
    let o = f
        .shell()
        .args(["-c", "kubectl get pods"])
        .env("PATH", format!("{}:/usr/bin:/bin", f.real.display()))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let env = std::fs::read_to_string(f.rec.join("env")).unwrap();
    assert!(
        env.contains("INTERLOCK_SHIM_DEPTH=1"),
        "went around the shim"
    );
}

#[test]
fn shell_script_on_stdin() {
    let f = fx();
    let run = |script: &str| {
        common::output_with_stdin(
            &mut f.cmd(f.root.join("bin/interlock-bash")),
            script.as_bytes(),
        )
    };
    let o = run("echo from-stdin\nexit 4\n");
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert_eq!(stdout(&o), "from-stdin\n");
    let o = run("touch marker\nkubectl delete ns prod\n");
    assert_eq!(o.status.code(), Some(100));
    assert!(!f.root.join("marker").exists());
}

#[test]
fn claude_code_harness_form_is_judged_by_its_inner_command() {
    let f = fx();
    let out = f.root.join("pwd-out");
    let form = |cmd: &str| {
        format!(
            "source /dev/null && eval '{cmd}' < /dev/null && pwd -P >| {}",
            out.display()
        )
    };
    let o = f
        .shell()
        .args(["-c", "-l", &form("kubectl delete ns prod")])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(100), "{}", stderr(&o));
    assert!(f.argv_bytes().is_none());
    assert!(!out.exists());
    // A login shell re-reads /etc/profile, which on Debian resets PATH (the shims
    // return only with /etc/profile.d/interlock.sh), so the safe form runs a builtin.
    let o = f
        .shell()
        .args(["-c", "-l", &form("echo safe")])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "safe\n");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap().trim(),
        f.root.to_str().unwrap()
    );
}

#[test]
fn shell_dry_run_of_one_command_runs_the_preview() {
    let f = fx();
    let o = f.shell().args(["-c", "git clean -fd"]).output().unwrap();
    assert_eq!(o.status.code(), Some(101), "{}", stderr(&o));
    assert_eq!(f.argv().unwrap(), ["clean", "-d", "-n"]);
    let o = f
        .shell()
        .args(["-c", "git clean -fd && echo done"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(100), "{}", stderr(&o));
    assert!(stderr(&o).contains("git clean -d -n"), "{}", stderr(&o));
}

#[test]
fn run_sets_no_new_privs_and_a_session() {
    let f = fx();
    let o = f
        .cmd(BIN)
        .args([
            "run",
            "--",
            "sh",
            "-c",
            "grep NoNewPrivs /proc/self/status; echo \"session=$INTERLOCK_SESSION\"; echo \"path=$PATH\"",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("NoNewPrivs:\t1\n"), "{out}");
    let session = out
        .lines()
        .find_map(|l| l.strip_prefix("session="))
        .unwrap();
    assert_eq!(session.len(), 32);
    assert!(
        out.contains(&format!("path={}:", f.shims.display())),
        "{out}"
    );
}

#[test]
fn install_then_uninstall_leaves_nothing_behind() {
    let f = fx();
    let prefix = f.root.join("prefix");
    std::fs::create_dir(&prefix).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/install.sh");
    let install = || {
        let o = Command::new("sh")
            .arg(script)
            .arg("--prefix")
            .arg(&prefix)
            .args(["--no-profile", "--no-build", BIN])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    };
    install();
    install(); // idempotent
    let kubectl = prefix.join("lib/interlock/shims/kubectl");
    assert_eq!(
        kubectl.canonicalize().unwrap(),
        prefix.join("bin/interlock").canonicalize().unwrap()
    );
    assert!(prefix.join("bin/interlock-bash").exists());
    let o = Command::new("sh")
        .arg(script)
        .arg("--prefix")
        .arg(&prefix)
        .args(["--no-profile", "--uninstall"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let left: Vec<_> = std::fs::read_dir(&prefix).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn install_sh_works_with_its_own_shims_first_on_path_but_not_inside_a_session() {
    let f = fx();
    let prefix = f.root.join("prefix");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/install.sh");
    let shims = prefix.join("lib/interlock/shims");
    let path = format!("{}:/usr/bin:/bin", shims.display());
    let run = |args: &[&str], session: bool| {
        let mut c = Command::new("sh");
        c.arg(script)
            .arg("--prefix")
            .arg(&prefix)
            .args(["--no-profile"])
            .args(args)
            .env("PATH", &path)
            .env_remove("INTERLOCK_SESSION");
        if session {
            c.env("INTERLOCK_SESSION", "0123456789abcdef0123456789abcdef");
        }
        c.output().unwrap()
    };
    // Installed, then re-run with its shims first on PATH: the shims' own rm and mv
    // must not refuse the person upgrading.
    for _ in 0..2 {
        let o = run(&["--no-build", BIN], false);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert!(!prefix.join("bin/.interlock.new").exists());
    assert!(prefix.join("lib/interlock/login.sh").exists());
    // An agent in a session may not remove or replace its guard.
    let o = run(&["--uninstall"], true);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("inside an interlock session"),
        "{}",
        stderr(&o)
    );
    assert!(prefix.join("bin/interlock").exists());
    let o = run(&["--uninstall"], false);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!prefix.join("bin/interlock").exists());
}

#[test]
fn an_allowed_program_sees_the_terminal_through_the_shim() {
    let f = fx();
    let has_script = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!("NOTE: skipping the terminal test: the `script` utility is not installed");
        return;
    }
    let cmd = format!("{} version", f.shims.join("kubectl").display());
    let o = f
        .cmd("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("STUB_TTY", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        stdout(&o).contains("STUB-SEES-A-TTY"),
        "stdout: {} stderr: {}",
        stdout(&o),
        stderr(&o)
    );
}

fn has_script() -> bool {
    Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn doctor_passes_on_a_complete_install_at_a_terminal() {
    if !has_script() {
        eprintln!("NOTE: skipping the doctor terminal test: the `script` utility is not installed");
        return;
    }
    let f = fx();
    let tools = Command::new(BIN).arg("shims-list").output().unwrap();
    for t in stdout(&tools).lines() {
        let p = f.shims.join(t);
        if !p.exists() {
            symlink(BIN, p).unwrap();
        }
    }
    // Debian's /etc/profile resets PATH; the user's profile puts the shims back.
    std::fs::write(
        f.root.join(".profile"),
        format!("export PATH=\"{}:$PATH\"\n", f.shims.display()),
    )
    .unwrap();
    let cmd = format!("{BIN} doctor");
    let o = f
        .cmd("script")
        .args(["-qec", &cmd, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(o.status.success(), "{out}{}", stderr(&o));
    assert!(out.contains("all is well"), "{out}");
    assert!(!out.contains("PROBLEM"), "{out}");
    assert!(out.contains("login shells put the shims first"), "{out}");
}

#[test]
fn a_second_install_on_path_is_passed_over_not_looped_through() {
    let f = fx();
    // Another prefix's shims, after ours on PATH, pointing at its own interlock.
    let other = f.root.join("other");
    std::fs::create_dir_all(other.join("bin")).unwrap();
    std::fs::create_dir_all(other.join("lib/interlock/shims")).unwrap();
    std::fs::copy(BIN, other.join("bin/interlock")).unwrap();
    symlink(
        other.join("bin/interlock"),
        other.join("lib/interlock/shims/kubectl"),
    )
    .unwrap();
    let path = format!(
        "{}:{}:{}:/usr/bin:/bin",
        f.shims.display(),
        other.join("lib/interlock/shims").display(),
        f.real.display()
    );
    let o = f
        .cmd(f.shims.join("kubectl"))
        .args(["get", "pods"])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        f.argv().unwrap(),
        ["get", "pods"],
        "the real kubectl ran once"
    );
    // doctor names the second install.
    let o = f
        .cmd(BIN)
        .arg("doctor")
        .env("PATH", &path)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let out = stdout(&o);
    let line = out
        .lines()
        .find(|l| l.contains("another interlock's shims"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.starts_with("PROBLEM") && line.contains("other/lib/interlock/shims"),
        "{line}"
    );
}

#[test]
fn doctor_names_each_problem_and_its_fix() {
    use std::os::unix::process::CommandExt;
    let f = fx();
    let rules = f.root.join(".config/interlock/rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("bad.toml"), "[[rule]]\nid = \"x\"\nbogus = 1\n").unwrap();
    // A file where the state directory should be: it can be neither created nor written.
    std::fs::write(f.root.join("state"), "").unwrap();
    let mut c = f.cmd(BIN);
    c.arg("doctor")
        .env("PATH", format!("/usr/bin:/bin:{}", f.shims.display()))
        .env("XDG_STATE_HOME", f.root.join("state"))
        .stdin(Stdio::null());
    // No controlling terminal, as for an agent.
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
    unsafe {
        c.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let o = c.output().unwrap();
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    for (problem, fix) in [
        ("is not first on PATH", "export PATH="),
        ("no shim", "re-run install.sh"),
        ("bad.toml:3:1", "guarded tools are blocked"),
        ("state directory", "mkdir -p -m 700"),
        ("/dev/tty cannot be opened", "fall back"),
    ] {
        let line = out
            .lines()
            .find(|l| l.starts_with("PROBLEM") && l.contains(problem))
            .unwrap_or_else(|| panic!("no PROBLEM line about {problem:?} in:\n{out}"));
        assert!(line.contains(fix), "{line}");
    }
    assert!(!out.contains("all is well"), "{out}");
}

#[test]
fn interactive_shell_at_a_terminal_guards_tools_through_the_shims() {
    if !has_script() {
        eprintln!(
            "NOTE: skipping the interactive shell test: the `script` utility is not installed"
        );
        return;
    }
    let f = fx();
    let shell = f.root.join("bin/interlock-bash");
    let typed = "kubectl get pods\nkubectl delete namespace prod\necho \"RC=$?\"\nexit 7\n";
    let o = common::output_with_stdin(
        f.cmd("script")
            .args(["-qec", shell.to_str().unwrap(), "/dev/null"])
            // The session starts without the shims: the shell mode puts them first.
            .env("PATH", format!("{}:/usr/bin:/bin", f.real.display())),
        typed.as_bytes(),
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(7), "{out}");
    assert!(
        out.contains("interlock: blocked by kubectl-delete-namespace"),
        "{out}"
    );
    assert!(out.contains("RC=100"), "{out}");
    // Only the allowed command reached the real tool.
    assert_eq!(f.argv().unwrap(), ["get", "pods"]);
}

#[test]
fn a_script_file_is_judged_whole_before_the_shell_runs_it() {
    let f = fx();
    let shell = f.root.join("bin/interlock-bash");
    let script = f.root.join("deploy.sh");
    std::fs::write(&script, "kubectl get pods\nkubectl delete namespace prod\n").unwrap();
    let o = f.cmd(&shell).arg(&script).output().unwrap();
    assert_eq!(o.status.code(), Some(100), "{}", stderr(&o));
    assert!(
        f.argv_bytes().is_none(),
        "the first, allowed line ran anyway"
    );
    std::fs::write(&script, "kubectl get pods \"$1\"\n").unwrap();
    let o = f.cmd(&shell).arg(&script).arg("web").output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(f.argv().unwrap(), ["get", "pods", "web"]);
    let o = f
        .cmd(&shell)
        .arg(f.root.join("missing.sh"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(127), "{}", stderr(&o));
    assert!(stderr(&o).contains("nothing was run"), "{}", stderr(&o));
}

#[test]
fn bad_path_candidates_are_skipped_and_never_loop() {
    use std::os::unix::fs::PermissionsExt;
    let f = fx();
    let (selfdir, looping, noexec) = (
        f.root.join("self"),
        f.root.join("loop"),
        f.root.join("noexec"),
    );
    for d in [&selfdir, &looping, &noexec] {
        std::fs::create_dir(d).unwrap();
    }
    // interlock itself under the tool's name outside the shims directory, a symlink
    // loop, and a file that is not executable: a shell skips the last two, and
    // interlock must skip all three rather than exec itself or fail.
    symlink(BIN, selfdir.join("kubectl")).unwrap();
    symlink(looping.join("b"), looping.join("kubectl")).unwrap();
    symlink(looping.join("kubectl"), looping.join("b")).unwrap();
    std::fs::write(noexec.join("kubectl"), "#!/bin/sh\necho WRONG\n").unwrap();
    std::fs::set_permissions(
        noexec.join("kubectl"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let bad = format!(
        "{}:{}:{}:{}",
        f.shims.display(),
        selfdir.display(),
        looping.display(),
        noexec.display()
    );
    let o = f
        .shim("kubectl")
        .args(["get", "pods"])
        .env("PATH", format!("{bad}:{}", f.real.display()))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(f.argv().unwrap(), ["get", "pods"]);

    let o = f
        .shim("kubectl")
        .args(["get", "pods"])
        .env("PATH", &bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(127), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("interlock: kubectl: not installed (looked in:"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_unreadable_rules_file_blocks_guarded_tools_with_the_reason() {
    let f = fx();
    let rules = f.root.join(".config/interlock/rules");
    // A directory where a rules file should be cannot be read, even by root.
    std::fs::create_dir_all(rules.join("team.toml")).unwrap();
    let o = f.shim("kubectl").args(["get", "pods"]).output().unwrap();
    assert_eq!(o.status.code(), Some(100), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("team.toml") && err.contains("cannot read"),
        "{err}"
    );
    assert!(err.contains("blocked by rules-unavailable"), "{err}");
    assert!(f.argv_bytes().is_none());
}

/// The signal dispositions, blocked set and ignored set a program starts with.
fn sig_lines(status: &str) -> Vec<String> {
    status
        .lines()
        .filter(|l| l.starts_with("SigBlk:") || l.starts_with("SigIgn:"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn argv0_and_inherited_signal_dispositions_reach_the_tool_as_given() {
    use std::os::unix::process::CommandExt;
    let f = fx();
    // The real `git` is bash itself: a script would lose argv[0] to the kernel, while
    // `bash -c STRING` with nothing after the string sets $0 to its own argv[0].
    std::fs::remove_file(f.real.join("git")).unwrap();
    symlink("/bin/bash", f.real.join("git")).unwrap();
    let body = format!(
        "cat /proc/$$/status > {0}/status; printf %s \"$0\" > {0}/arg0",
        f.rec.display()
    );
    let run = |via_shim: bool| {
        let mut c = if via_shim {
            f.shim("git")
        } else {
            f.cmd(f.real.join("git"))
        };
        c.args(["-c", &body]);
        // A caller that ignores SIGPIPE (as pipelines often do) and blocks SIGUSR1.
        // SAFETY: signal and sigprocmask are async-signal-safe.
        unsafe {
            c.pre_exec(|| {
                libc::signal(libc::SIGPIPE, libc::SIG_IGN);
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut set);
                libc::sigaddset(&mut set, libc::SIGUSR1);
                libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
                Ok(())
            });
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        (
            sig_lines(&std::fs::read_to_string(f.rec.join("status")).unwrap()),
            std::fs::read_to_string(f.rec.join("arg0")).unwrap(),
        )
    };
    let (direct, _) = run(false);
    let (shimmed, arg0) = run(true);
    assert_eq!(shimmed, direct, "the shim changed the signal state");
    assert!(
        direct
            .iter()
            .any(|l| l.starts_with("SigIgn:") && !l.ends_with("0000000000000000")),
        "{direct:?}"
    );
    // argv[0] is the name the caller used, not the real tool's path.
    assert_eq!(arg0, f.shims.join("git").to_str().unwrap());
}

#[test]
fn a_piped_script_with_dash_i_is_still_judged() {
    let f = fx();
    let o = common::output_with_stdin(
        f.cmd(f.root.join("bin/interlock-bash")).arg("-i"),
        format!("{} delete ns prod\n", f.real.join("kubectl").display()).as_bytes(),
    );
    assert_eq!(o.status.code(), Some(100), "{}", stderr(&o));
    assert!(f.argv().is_none(), "the real kubectl ran");
}

#[test]
fn a_shell_that_stops_reading_its_script_early_reports_its_own_exit() {
    let f = fx();
    // More script than a pipe holds, after an `exit`: writing the rest must not kill
    // interlock with SIGPIPE.
    let mut script = b"exit 3\n".to_vec();
    script.extend(std::iter::repeat_n(b'#', 200_000));
    script.push(b'\n');
    let o = common::output_with_stdin(&mut f.cmd(f.root.join("bin/interlock-bash")), &script);
    assert_eq!(o.status.code(), Some(3), "{:?} {}", o.status, stderr(&o));
}

#[test]
fn a_shell_killed_by_a_signal_is_reported_as_that_signal() {
    let f = fx();
    let o = common::output_with_stdin(
        &mut f.cmd(f.root.join("bin/interlock-bash")),
        b"kill -TERM $$\n",
    );
    assert_eq!(o.status.signal(), Some(SIGTERM), "{:?}", o.status);
}

#[test]
fn a_session_kept_open_over_a_pipe_answers_each_command_as_it_comes() {
    use std::io::BufRead;
    let f = fx();
    let mut child = f
        .cmd(f.root.join("bin/interlock-bash"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    // An agent's persistent shell: write a command, wait for its answer.
    input.write_all(b"echo ready\n").unwrap();
    input.flush().unwrap();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    // A refused command is not passed on; the session goes on.
    input
        .write_all(b"kubectl delete ns prod; echo after-the-block\n")
        .unwrap();
    input.write_all(b"echo status=$?\n").unwrap();
    input.write_all(b"kubectl get pods; echo done\n").unwrap();
    input.flush().unwrap();
    line.clear();
    out.read_line(&mut line).unwrap();
    assert_eq!(
        line, "status=100\n",
        "the refused line's own echo must not run"
    );
    line.clear();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "done\n");
    assert_eq!(f.argv().unwrap(), ["get", "pods"]);
    // A command spread over writes runs once it is whole.
    input.write_all(b"for i in 1 2; do\n").unwrap();
    input.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    input.write_all(b"echo loop$i\ndone\n").unwrap();
    input.flush().unwrap();
    line.clear();
    out.read_line(&mut line).unwrap();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "loop1\nloop2\n");
    drop(input);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert!(
        err.contains("interlock: blocked by kubectl-delete-namespace"),
        "{err}"
    );
}

#[test]
fn a_login_shell_keeps_the_shims_after_a_profile_resets_path() {
    let f = fx();
    // Debian's /etc/profile resets PATH; so does this user's profile, for any bash.
    std::fs::write(
        f.root.join(".profile"),
        format!("PATH={}:/usr/bin:/bin\n", f.real.display()),
    )
    .unwrap();
    let script = f.root.join("deploy.sh");
    std::fs::write(&script, "kubectl delete ns prod\n").unwrap();
    for args in [
        vec!["-lc".to_owned(), format!("sh {}", script.display())],
        vec!["-c".into(), "-l".into(), format!("sh {}", script.display())],
        vec![
            "--login".into(),
            "-c".into(),
            format!("sh {}", script.display()),
        ],
    ] {
        let o = f
            .cmd(f.root.join("bin/interlock-bash"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(100), "{args:?}: {}", stderr(&o));
        assert!(f.argv().is_none(), "{args:?}: the real kubectl ran");
    }
    // The caller's own BASH_ENV is kept (outside a session nothing removes it).
    std::fs::write(f.root.join("mine.sh"), "MINE=read\n").unwrap();
    let o = f
        .cmd(f.root.join("bin/interlock-bash"))
        .args(["-lc", "echo \"$MINE $BASH_ENV\""])
        .env("BASH_ENV", f.root.join("mine.sh"))
        .output()
        .unwrap();
    assert_eq!(
        stdout(&o),
        format!("read {}\n", f.root.join("mine.sh").display()),
        "{}",
        stderr(&o)
    );
}

#[test]
fn run_sets_shell_returns_the_agents_status_and_refuses_without_shims() {
    let f = fx();
    let o = f
        .cmd(BIN)
        .args(["run", "--", "sh", "-c", "echo \"$SHELL\"; exit 42"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(42), "{}", stderr(&o));
    assert!(
        stdout(&o).trim_end().ends_with("/interlock-bash")
            || stdout(&o).trim_end().ends_with("/interlock"),
        "{}",
        stdout(&o)
    );
    let o = f
        .cmd(BIN)
        .args(["run", "--", "sh", "-c", "kill -TERM $$"])
        .output()
        .unwrap();
    assert_eq!(o.status.signal(), Some(SIGTERM), "{:?}", o.status);
    // No shims: refused, unless asked for knowingly.
    let o = f
        .cmd(BIN)
        .env_remove("INTERLOCK_SHIMS_DIR")
        .args(["run", "--", "sh", "-c", "echo started"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    assert!(stderr(&o).contains("no shims directory"), "{}", stderr(&o));
    let o = f
        .cmd(BIN)
        .env_remove("INTERLOCK_SHIMS_DIR")
        .args(["run", "--no-shims", "--", "sh", "-c", "echo started"])
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "started\n", "{}", stderr(&o));
}

#[test]
fn interlock_zsh_without_a_zsh_is_not_bash() {
    let f = fx();
    if std::path::Path::new("/bin/zsh").exists() || std::path::Path::new("/usr/bin/zsh").exists() {
        eprintln!("NOTE: skipping: zsh is installed here");
        return;
    }
    f.link_bin("bin/interlock-zsh");
    let o = f
        .cmd(f.root.join("bin/interlock-zsh"))
        .args(["-c", "echo ran"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(127), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    assert!(stderr(&o).contains("no real zsh"), "{}", stderr(&o));
}

#[test]
fn a_signal_to_interlock_reaches_the_shell_it_feeds() {
    let f = fx();
    let marker = f.root.join("got-term");
    let mut child = f
        .cmd(f.root.join("bin/interlock-bash"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // The shell says what it got; `wait` lets the trap run while `sleep` goes on.
    let script = format!(
        "trap 'echo term > {}; exit 7' TERM; echo started; sleep 30 & wait\n",
        marker.display()
    );
    input.write_all(script.as_bytes()).unwrap();
    drop(input);
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    assert_eq!(line, "started\n");
    // SAFETY: signalling a child this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    // The shell got the signal, and interlock ended as the shell did.
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "term\n");
    assert_eq!(status.code(), Some(7), "{status:?}");
}
