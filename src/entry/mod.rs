//! The process entry points, chosen by argv[0] and the first argument: the PATH shims,
//! the shell mode, `interlock run`, and `interlock doctor`. Everything here works at
//! the edge (exec, PATH, stdin); judging is left to [`crate::policy`].

pub mod act;
pub mod doctor;
pub mod exec;
pub mod record;
pub mod run;
pub mod shell;
pub mod shim;

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use crate::exit;

/// The engine every entry point that decides judges with, so that a shim, the shell
/// mode and an agent hook reach the same verdict: the standard rule layers for `env`,
/// and context detection that reads config and files only once a rule matches.
pub fn engine(env: &crate::env::Env) -> crate::policy::Engine {
    use crate::rules::{RuleSet, Sources};
    crate::policy::Engine::new(RuleSet::load(&Sources::standard(env)))
        .with_context(crate::governance::detector(env))
}

/// How the binary was invoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Invoked as a tool name through a shim symlink (`kubectl`, `aws`, ...).
    Shim,
    /// Invoked as a shell: `interlock-bash`, `interlock-sh`, `interlock-zsh`, or
    /// `interlock -c ...` (and the other bash-style flags agents pass).
    Shell,
    /// The clap subcommands: tools for people.
    Cli,
}

/// Shell names the binary answers to.
pub const SHELL_NAMES: &[&str] = &["interlock-bash", "interlock-sh", "interlock-zsh"];

/// Picks the mode from argv[0] (basename, login `-` stripped) and the first argument.
///
/// Any name that does not start with `interlock` is a shim: a shim someone added for a
/// tool without rules still works (it judges, finds nothing, and execs the real tool)
/// instead of failing with a confusing usage error.
pub fn mode(args: &[OsString]) -> Mode {
    let name = args.first().map(|a| exec::basename(a)).unwrap_or_default();
    if SHELL_NAMES.contains(&name.as_str()) {
        return Mode::Shell;
    }
    // `-interlock`: started as someone's login shell.
    let login = args.first().is_some_and(|a| {
        let b = a.as_bytes();
        b.rsplit(|c| *c == b'/')
            .next()
            .is_some_and(|n| n.starts_with(b"-"))
    });
    if login && name.starts_with("interlock") {
        return Mode::Shell;
    }
    if !name.starts_with("interlock") {
        return Mode::Shim;
    }
    match args.get(1) {
        Some(a) if is_shell_flag(a.as_bytes()) => Mode::Shell,
        _ => Mode::Cli,
    }
}

/// A bash-style first argument: `-c`, `-lc`, `-l`, `--login`, `-e`, `-o`, `-O`, `+o`,
/// `-i`, `-s`, `-x`, ..., or a cluster of such letters (`-ec`). `-h` and `-V` stay
/// clap's (`--help`, `--version` too).
fn is_shell_flag(a: &[u8]) -> bool {
    if matches!(
        a,
        b"--login"
            | b"--noprofile"
            | b"--norc"
            | b"--posix"
            | b"--restricted"
            | b"--verbose"
            | b"--noediting"
            | b"--rcfile"
            | b"--init-file"
    ) {
        return true;
    }
    let rest = a.strip_prefix(b"-").or_else(|| a.strip_prefix(b"+"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with(b"-") => rest
            .iter()
            .all(|c| b"abcefiklmnoprstuvxBCEHOPT".contains(c)),
        _ => false,
    }
}

/// Runs the chosen mode. A panic anywhere ends in "not run" with interlock's own exit
/// code — never Rust's default 101, which would read as "dry run".
pub fn dispatch(args: Vec<OsString>) -> u8 {
    let m = mode(&args);
    let result = std::panic::catch_unwind(move || match m {
        Mode::Shim => shim::main(args),
        Mode::Shell => shell::main(args),
        Mode::Cli => crate::cli::main(args),
    });
    match result {
        Ok(code) => code,
        Err(_) => {
            eprintln!(
                "interlock: internal error (a bug): nothing was run. Please report it with the command that caused it"
            );
            exit::INTERNAL
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(args: &[&str]) -> Mode {
        mode(&args.iter().map(OsString::from).collect::<Vec<_>>())
    }

    #[test]
    fn dispatches_on_argv0_and_first_flag() {
        assert_eq!(m(&["/usr/lib/interlock/shims/kubectl", "get"]), Mode::Shim);
        assert_eq!(m(&["-interlock-bash"]), Mode::Shell);
        assert_eq!(m(&["interlock-zsh", "-c", "x"]), Mode::Shell);
        assert_eq!(m(&["/x/interlock", "-c", "true"]), Mode::Shell);
        assert_eq!(m(&["interlock", "-lc", "true"]), Mode::Shell);
        assert_eq!(m(&["interlock", "-ec", "true"]), Mode::Shell);
        assert_eq!(m(&["interlock", "--login"]), Mode::Shell);
        assert_eq!(m(&["interlock", "-o", "pipefail"]), Mode::Shell);
        assert_eq!(m(&["interlock", "check", "--", "ls"]), Mode::Cli);
        assert_eq!(m(&["interlock", "-h"]), Mode::Cli);
        assert_eq!(m(&["interlock", "-V"]), Mode::Cli);
        assert_eq!(m(&["interlock", "--help"]), Mode::Cli);
        assert_eq!(m(&["interlock"]), Mode::Cli);
        // A login shell named `-interlock`, and the rest of bash's options.
        assert_eq!(m(&["-interlock"]), Mode::Shell);
        assert_eq!(m(&["/usr/local/bin/-interlock"]), Mode::Shell);
        assert_eq!(m(&["interlock", "-O", "extglob", "-c", "x"]), Mode::Shell);
        assert_eq!(m(&["interlock", "+o", "history"]), Mode::Shell);
        assert_eq!(m(&["interlock", "-x"]), Mode::Shell);
        assert_eq!(m(&["interlock", "--noprofile", "--norc"]), Mode::Shell);
        assert_eq!(m(&["interlock", "--version"]), Mode::Cli);
    }
}
