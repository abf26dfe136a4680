//! Shell mode: `interlock -c STRING`, `interlock-bash -lc STRING`, a script file or a
//! script on stdin. The whole script is judged before anything runs; then the real
//! shell runs it with exactly the same arguments and the shims first on PATH.

use std::ffi::OsString;
use std::io::{IsTerminal, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;

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
    // interlock-zsh without a zsh must not quietly become bash: zsh scripts differ.
    let mut fallbacks = vec![format!("/bin/{flavor}")];
    if flavor == "bash" || flavor == "sh" {
        fallbacks.push("/bin/bash".to_owned());
    }
    for p in fallbacks {
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
    let mut env = exec::ExecEnvBuilder::from_process();
    match crate::credentials::for_exec(None) {
        Ok(creds) => env.apply(&creds),
        Err(e) => return crate::credentials::refuse(&name, &e),
    };
    // Only an approval made here may hand the shims a grant; never one brought along.
    env.remove(crate::confirm::grant::GRANT_VAR);
    if let Some(shims) = exec::shims_dir() {
        env.set("PATH", exec::path_with_shims(&shims));
        if (parsed.login || login_arg0) && flavor == "bash" {
            login_keeps_shims(&mut env, &shims);
        }
    }
    let argv: Vec<&std::ffi::OsStr> = std::iter::once(shell_arg0.as_os_str())
        .chain(rest.iter().map(OsString::as_os_str))
        .collect();

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
            if std::io::stdin().is_terminal() {
                // A person at a terminal: the shell itself is not judged, every
                // guarded tool it starts goes through its shim. `-i` alone does not
                // make a session interactive: a script piped in with `-i` is a script.
                let err = env.exec(&real, &argv);
                return exec::exec_failed(&real, &err);
            }
            match read_stdin() {
                Ok(Stdin::Whole(buf)) => {
                    let text = String::from_utf8_lossy(&buf).into_owned();
                    stdin_script = Some(buf);
                    text
                }
                Ok(Stdin::Open(buf)) => return stream(&env, &real, &argv, buf),
                Err(e) => {
                    eprintln!("interlock: cannot read the script on stdin ({e}); nothing was run");
                    return exit::INTERNAL;
                }
            }
        }
    };

    let verdict_env = Env::from_process();
    let engine = super::engine(&verdict_env);
    let mut verdict = engine.judge_script(&script);
    if verdict.decision != Action::Allow {
        crate::cli::report_load_errors(&engine);
    }
    let recorder = match record::prepare(Entry::Shell, &mut verdict, &verdict_env) {
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
        env.set(crate::confirm::grant::GRANT_VAR, token);
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
                    let err = env.exec(&real, &argv);
                    exec::exec_failed(&real, &err)
                }
                Some(buf) => feed(&env, &real, &argv, &buf),
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
            let mut cmd = env.command(&real);
            cmd.arg0(&shell_arg0);
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

/// A login bash reads the profile files, and Debian's /etc/profile resets PATH: the
/// shims would be gone for whatever the command line starts. bash reads `BASH_ENV`
/// after the profile files in a non-interactive shell, so it points at interlock's
/// login snippet (`shims/login.sh`), which puts the shims first again and then hands
/// back the caller's own `BASH_ENV`, if any.
fn login_keeps_shims(env: &mut exec::ExecEnvBuilder, shims: &std::path::Path) {
    let Some(snippet) = login_snippet(shims) else {
        eprintln!(
            "interlock: warning: no login snippet to keep the shims on PATH after the profile files; \
             tools a login shell's scripts start may skip interlock (run install.sh, or make the state directory writable)"
        );
        return;
    };
    if let Some(own) = std::env::var_os("BASH_ENV").filter(|v| !v.is_empty()) {
        env.set("INTERLOCK_BASH_ENV", own);
    }
    env.set("INTERLOCK_LOGIN_SHIMS", shims.as_os_str());
    env.set("BASH_ENV", snippet.as_os_str());
}

/// The snippet installed beside the shims, else a copy in the state directory (made
/// once, when missing or different).
fn login_snippet(shims: &std::path::Path) -> Option<PathBuf> {
    const SNIPPET: &str = include_str!("../../shims/login.sh");
    if let Some(installed) = shims.parent().map(|d| d.join("login.sh"))
        && installed.is_file()
    {
        return Some(installed);
    }
    let dir = Env::from_process().user_state_dir()?;
    let path = dir.join("login.sh");
    if std::fs::read_to_string(&path).ok().as_deref() == Some(SNIPPET) {
        return Some(path);
    }
    crate::env::create_private_dir(&dir).ok()?;
    let tmp = dir.join(format!(".login.sh.{}", std::process::id()));
    std::fs::write(&tmp, SNIPPET).ok()?;
    std::fs::rename(&tmp, &path).ok()?;
    Some(path)
}

/// A script on stdin, as far as it was read.
enum Stdin {
    /// All of it: the writer closed its end.
    Whole(Vec<u8>),
    /// The writer paused without closing: a session kept open over a pipe.
    Open(Vec<u8>),
}

/// How long stdin may be quiet, with its writer still there, before it is taken for a
/// session kept open over a pipe rather than a script being piped in (which arrives
/// all at once and ends).
const STDIN_IDLE_MS: i32 = 250;

fn read_stdin() -> std::io::Result<Stdin> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        let mut pfd = libc::pollfd {
            fd: 0,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, STDIN_IDLE_MS) };
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(e);
        }
        if r == 0 {
            return Ok(Stdin::Open(buf));
        }
        match std::io::stdin().lock().read(&mut chunk) {
            Ok(0) => return Ok(Stdin::Whole(buf)),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// A pipe whose write end is ours and whose read end becomes the shell's stdin.
fn pipe() -> std::io::Result<(std::fs::File, std::os::fd::RawFd)> {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the write end was just created and is owned only here.
    Ok((unsafe { std::fs::File::from_raw_fd(fds[1]) }, fds[0]))
}

/// Starts the real shell reading from a pipe of ours; returns the pipe's write end.
fn start_fed(
    env: &exec::ExecEnvBuilder,
    real: &std::path::Path,
    argv: &[&std::ffi::OsStr],
) -> std::io::Result<(std::fs::File, libc::pid_t)> {
    use std::os::fd::AsRawFd;
    let (writer, reader) = pipe()?;
    let pid = env.spawn(real, argv, reader, writer.as_raw_fd());
    // SAFETY: the read end is the child's now; ours is closed whether or not it started.
    unsafe { libc::close(reader) };
    // The shell may exit before reading everything (`exit 3`): a write to the closed
    // pipe must fail with EPIPE, not kill interlock before it reports the shell's end.
    // Set after the child started, so the child inherits the caller's disposition.
    // SAFETY: ignoring SIGPIPE in this process only.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    Ok((writer, pid?))
}

/// Runs the shell with the already-judged script on its stdin, and ends as it ended.
fn feed(
    env: &exec::ExecEnvBuilder,
    real: &std::path::Path,
    argv: &[&std::ffi::OsStr],
    script: &[u8],
) -> u8 {
    let (mut writer, pid) = match start_fed(env, real, argv) {
        Ok(x) => x,
        Err(e) => return exec::exec_failed(real, &e),
    };
    let _ = writer.write_all(script);
    drop(writer);
    finish(pid)
}

fn finish(pid: libc::pid_t) -> u8 {
    exec::pass_signals_to(pid);
    match exec::wait(pid) {
        Ok(status) => exec::end_like(status),
        Err(e) => {
            eprintln!("interlock: lost track of the shell ({e})");
            exit::INTERNAL
        }
    }
}

/// A shell kept open over a pipe (an agent's persistent session): each complete
/// command is judged as it arrives, and only then passed to the real shell. What is
/// refused is not passed on: its message goes to stderr and the session goes on.
/// Unlike a script piped in whole, a later line is not seen before an earlier one runs.
fn stream(
    env: &exec::ExecEnvBuilder,
    real: &std::path::Path,
    argv: &[&std::ffi::OsStr],
    mut pending: Vec<u8>,
) -> u8 {
    let (mut writer, pid) = match start_fed(env, real, argv) {
        Ok(x) => x,
        Err(e) => return exec::exec_failed(real, &e),
    };
    let verdict_env = Env::from_process();
    let engine = super::engine(&verdict_env);
    let mut chunk = [0u8; 65536];
    let mut eof = false;
    loop {
        // Everything up to the last newline that parses as whole commands.
        while let Some(cut) = complete_prefix(&pending, eof) {
            let part: Vec<u8> = pending.drain(..cut).collect();
            let text = String::from_utf8_lossy(&part).into_owned();
            let pass = text.trim().is_empty() || allowed_in_stream(&engine, &verdict_env, &text);
            // A refused part becomes `(exit 100)`, so `$?` after it says it did not run,
            // as it would for a refused `-c` string.
            let sent: &[u8] = if pass { &part } else { b"(exit 100)\n" };
            if writer.write_all(sent).is_err() {
                // The shell has gone: nothing more can run.
                return finish(pid);
            }
        }
        if eof {
            break;
        }
        match std::io::stdin().lock().read(&mut chunk) {
            Ok(0) => eof = true,
            Ok(n) => pending.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                eprintln!("interlock: cannot read the session's input ({e}); nothing more is run");
                break;
            }
        }
    }
    drop(writer);
    finish(pid)
}

/// How much of `pending` is the next whole command: up to the first newline where
/// what came before parses (or fails to parse for a reason more input cannot fix), so
/// each line is judged on its own and a refused one does not take the next with it; at
/// the end of input, all of it.
fn complete_prefix(pending: &[u8], eof: bool) -> Option<usize> {
    if pending.is_empty() {
        return None;
    }
    for (i, b) in pending.iter().enumerate() {
        if *b != b'\n' {
            continue;
        }
        // `rm \<newline> -rf /`: a backslash before the newline joins the lines, and
        // the first alone would be judged as a harmless `rm`.
        let backslashes = pending[..i]
            .iter()
            .rev()
            .take_while(|c| **c == b'\\')
            .count();
        if backslashes % 2 == 1 {
            continue;
        }
        let text = String::from_utf8_lossy(&pending[..=i]);
        match crate::parse::parse_script(&text) {
            Ok(_) => return Some(i + 1),
            Err(crate::parse::ParseFailure::Incomplete(_)) => {}
            // Broken for good (or too big, or too slow to parse): judged as it is,
            // which refuses it, rather than waiting for input that cannot mend it.
            Err(_) => return Some(i + 1),
        }
    }
    eof.then_some(pending.len())
}

/// Judges one part of a streamed session like a whole `-c` string; true when it may
/// be passed to the shell.
fn allowed_in_stream(engine: &crate::policy::Engine, env: &Env, text: &str) -> bool {
    let mut verdict = engine.judge_script(text);
    let recorder = match record::prepare(Entry::Shell, &mut verdict, env) {
        Ok(r) => r,
        Err(refusal) => {
            eprint!("{}", refusal.message);
            return false;
        }
    };
    let resolved = crate::confirm::settle(act::decide(&verdict), || {
        crate::confirm::Subject::shell(&[], text)
    });
    let record = |outcome: &Outcome| {
        recorder.record_decided(
            Judged::Script(text),
            &verdict,
            outcome,
            resolved.decided.clone(),
            None,
        )
    };
    match &resolved.outcome {
        Outcome::Run => match record(&resolved.outcome) {
            Ok(()) => true,
            Err(m) => {
                eprint!("{m}");
                false
            }
        },
        // A preview cannot stand in for a line of a session (its output would be read
        // as the command's): the line is refused, and the message names the preview.
        Outcome::Preview { argv, .. } => {
            let refused = Outcome::Refuse {
                code: exit::BLOCKED,
                message: format!(
                    "interlock: not run: a rule sends this command to its preview, which cannot stand in for it in a shell session\n  \
                     to do: run the preview yourself to see what it would do: {}\n",
                    act::shown(argv)
                ),
            };
            act::nothing_run(&refused, |o| record(o));
            false
        }
        other => {
            act::nothing_run(other, |o| record(o));
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_cut_into_whole_commands() {
        let cut = |s: &str| complete_prefix(s.as_bytes(), false);
        assert_eq!(cut("echo a\necho b\n"), Some(7));
        assert_eq!(cut("for i in 1; do\n"), None);
        assert_eq!(cut("for i in 1; do\necho $i\ndone\nls\n"), Some(28));
        assert_eq!(cut("cat <<EOF\nx\n"), None);
        assert_eq!(cut("rm \\\n"), None);
        assert_eq!(cut("rm \\\n -rf /\n"), Some(12));
        assert_eq!(cut("echo 'open\n"), None);
        assert_eq!(cut("partial"), None);
        assert_eq!(complete_prefix(b"partial", true), Some(7));
    }

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
