//! Shell mode: `interlock -c STRING`, `interlock-bash -lc STRING`, a script file or a
//! script on stdin. The whole script is judged before anything runs; then the real
//! shell runs it with exactly the same arguments and the shims first on PATH.

use std::ffi::OsString;
use std::io::{IsTerminal, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::act::{self, Outcome};
use super::exec;
use super::record;
use crate::audit::{Entry, Judged};
use crate::env::Env;
use crate::exit;
use crate::rules::Action;

/// Where the script comes from, read from bash-style arguments.
#[derive(Debug, PartialEq, Eq)]
pub enum Source {
    /// `-c STRING`: the index of STRING in the arguments.
    Command(usize),
    /// `bash FILE ARGS...`: the index of FILE.
    File(usize),
    /// No `-c` and no file: stdin (or an interactive shell).
    Stdin,
}

#[derive(Debug, PartialEq, Eq)]
pub struct ShellArgs {
    pub source: Source,
    pub login: bool,
    pub interactive: bool,
}

/// Reads bash's options as bash does: all options first (`-c` is a flag; the command
/// string is the first non-option argument), `-o`/`-O`/`--rcfile` take a value, `--`
/// or `-` end the options.
pub fn parse(args: &[OsString]) -> Result<ShellArgs, String> {
    let (mut c, mut s, mut login, mut interactive) = (false, false, false, false);
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_bytes();
        if a == b"--" || a == b"-" {
            i += 1;
            break;
        }
        if let Some(long) = a.strip_prefix(b"--") {
            match long {
                b"login" => login = true,
                b"rcfile" | b"init-file" => i += 1,
                _ => {}
            }
            i += 1;
            continue;
        }
        if a.len() > 1 && (a[0] == b'-' || a[0] == b'+') {
            let mut values = 0;
            for ch in &a[1..] {
                match ch {
                    b'c' => c = true,
                    b's' => s = true,
                    b'l' => login = true,
                    b'i' => interactive = true,
                    b'o' | b'O' => values += 1,
                    _ => {}
                }
            }
            i += 1 + values;
            continue;
        }
        break;
    }
    let source = if c {
        if i >= args.len() {
            return Err("-c: option requires an argument".into());
        }
        Source::Command(i)
    } else if !s && i < args.len() {
        Source::File(i)
    } else {
        Source::Stdin
    };
    Ok(ShellArgs {
        source,
        login,
        interactive,
    })
}

/// The real shell: `$INTERLOCK_REAL_SHELL`, else `flavor` on PATH minus the shims,
/// else `/bin/FLAVOR`, else `/bin/bash`.
pub fn real_shell(flavor: &str) -> Result<PathBuf, String> {
    if let Some(s) = std::env::var_os("INTERLOCK_REAL_SHELL").filter(|s| !s.is_empty()) {
        let p = PathBuf::from(s);
        if exec::is_interlock(&p) {
            return Err(format!(
                "INTERLOCK_REAL_SHELL ({}) is interlock itself, which would loop; point it at a real shell such as /bin/bash",
                p.display()
            ));
        }
        return Ok(p);
    }
    if let Ok(p) = exec::find_real(flavor) {
        return Ok(p);
    }
    for p in [format!("/bin/{flavor}"), "/bin/bash".to_owned()] {
        let p = PathBuf::from(p);
        if p.exists() && !exec::is_interlock(&p) {
            return Ok(p);
        }
    }
    Err(format!(
        "no real {flavor} found on PATH or in /bin; set INTERLOCK_REAL_SHELL to one"
    ))
}

pub fn main(args: Vec<OsString>) -> u8 {
    shell(args)
}

fn shell(args: Vec<OsString>) -> u8 {
    let arg0 = args.first().cloned().unwrap_or_default();
    let name = exec::basename(&arg0);
    let flavor = match name.as_str() {
        "interlock-sh" => "sh",
        "interlock-zsh" => "zsh",
        _ => "bash",
    };
    let rest = args.get(1..).unwrap_or_default();
    let parsed = match parse(rest) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("interlock: {e}; nothing was run");
            return exit::USAGE;
        }
    };
    let real = match real_shell(flavor) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("interlock: {e}; nothing was run");
            return exit::NOT_FOUND;
        }
    };
    // A login shell is marked by a `-` in argv[0]; keep that, name the real shell.
    let login_arg0 = arg0
        .as_bytes()
        .rsplit(|c| *c == b'/')
        .next()
        .is_some_and(|b| b.starts_with(b"-"));
    let shell_arg0: OsString = if login_arg0 {
        format!("-{flavor}").into()
    } else {
        flavor.into()
    };
    let mut cmd = Command::new(&real);
    match crate::credentials::for_exec(None) {
        Ok(creds) => creds.apply(&mut cmd),
        Err(e) => return crate::credentials::refuse(&name, &e),
    }
    cmd.arg0(&shell_arg0);
    // Only an approval made here may hand the shims a grant; never one brought along.
    cmd.env_remove(crate::confirm::grant::GRANT_VAR);
    if let Some(shims) = exec::shims_dir() {
        cmd.env("PATH", exec::path_with_shims(&shims));
    }

    let mut stdin_script: Option<Vec<u8>> = None;
    let script: String = match parsed.source {
        Source::Command(i) => rest[i].to_string_lossy().into_owned(),
        Source::File(i) => match std::fs::read(&rest[i]) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                eprintln!(
                    "interlock: {}: cannot read the script ({e}); nothing was run",
                    rest[i].to_string_lossy()
                );
                return exit::NOT_FOUND;
            }
        },
        Source::Stdin => {
            if parsed.interactive || std::io::stdin().is_terminal() {
                // A person at a terminal: the shell itself is not judged, every
                // guarded tool it starts goes through its shim.
                let err = cmd.args(rest).exec();
                return exec::exec_failed(&real, &err);
            }
            let mut buf = Vec::new();
            if let Err(e) = std::io::stdin().read_to_end(&mut buf) {
                eprintln!("interlock: cannot read the script on stdin ({e}); nothing was run");
                return exit::INTERNAL;
            }
            let text = String::from_utf8_lossy(&buf).into_owned();
            stdin_script = Some(buf);
            text
        }
    };

    let env = Env::from_process();
    let engine = super::engine(&env);
    let mut verdict = engine.judge_script(&script);
    if verdict.decision != Action::Allow {
        crate::cli::report_load_errors(&engine);
    }
    let recorder = match record::prepare(Entry::Shell, &mut verdict, &env) {
        Ok(r) => r,
        Err(refusal) => {
            eprint!("{}", refusal.message);
            return refusal.code;
        }
    };
    let judged = || Judged::Script(&script);
    let resolved = crate::confirm::settle(act::decide(&verdict), || {
        crate::confirm::Subject::shell(rest, &script)
    });
    if let Some(token) = &resolved.grant {
        cmd.env(crate::confirm::grant::GRANT_VAR, token);
    }
    let decided = resolved.decided;
    let outcome = resolved.outcome;
    let record = |outcome: &Outcome, status| {
        recorder.record_decided(judged(), &verdict, outcome, decided.clone(), status)
    };
    match outcome {
        Outcome::Run => {
            if let Err(message) = record(&outcome, None) {
                eprint!("{message}");
                return exit::INTERNAL;
            }
            match stdin_script {
                None => {
                    let err = cmd.args(rest).exec();
                    exec::exec_failed(&real, &err)
                }
                Some(buf) => feed(cmd.args(rest), &buf, &real),
            }
        }
        Outcome::Refuse { .. } | Outcome::Confirm(_) => {
            act::nothing_run(&outcome, |o| record(o, None))
        }
        Outcome::Preview {
            argv: ref preview,
            ref message,
            ref ok_exit,
        } => {
            eprint!("{message}");
            if parsed.login {
                cmd.arg("-l");
            }
            let (code, status) = match cmd.arg("-c").arg(shell_words::join(preview)).status() {
                Ok(s) => act::preview_exit(s, ok_exit),
                Err(e) => return exec::exec_failed(&real, &e),
            };
            act::preview_finished(code, status, |s| record(&outcome, s))
        }
    }
}

/// Runs the shell with the already-judged script on its stdin, and reports its status.
fn feed(cmd: &mut Command, script: &[u8], real: &std::path::Path) -> u8 {
    let mut child = match cmd.stdin(Stdio::piped()).spawn() {
        Ok(c) => c,
        Err(e) => return exec::exec_failed(real, &e),
    };
    if let Some(mut stdin) = child.stdin.take() {
        // The shell may exit before reading everything (`exit 3`); that is its call.
        let _ = stdin.write_all(script);
    }
    match child.wait() {
        Ok(s) => exec::status_code(s),
        Err(e) => {
            eprintln!("interlock: lost track of the shell ({e})");
            exit::INTERNAL
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> ShellArgs {
        parse(&args.iter().map(OsString::from).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn reads_bash_style_arguments() {
        assert_eq!(p(&["-c", "x"]).source, Source::Command(1));
        assert_eq!(p(&["-lc", "x"]).source, Source::Command(1));
        let a = p(&["-c", "-l", "x", "name", "a1"]);
        assert_eq!(a.source, Source::Command(2));
        assert!(a.login);
        assert_eq!(p(&["-l", "-c", "x"]).source, Source::Command(2));
        assert_eq!(
            p(&["-e", "-o", "pipefail", "-c", "x"]).source,
            Source::Command(4)
        );
        assert_eq!(p(&["--login", "-c", "x"]).source, Source::Command(2));
        assert_eq!(p(&["script.sh", "a"]).source, Source::File(0));
        assert_eq!(p(&["-s", "a"]).source, Source::Stdin);
        assert_eq!(p(&[]).source, Source::Stdin);
        assert!(p(&["-i"]).interactive);
        assert!(parse(&[OsString::from("-c")]).is_err());
    }
}
