//! Shell syntax into simple commands, under guard.
//!
//! `brush-parser` is the most faithful bash grammar available, but it can take
//! exponential time on long runs of `(` and it can panic. Every parse therefore runs on
//! a worker thread with a deadline, behind `catch_unwind`, after a cheap nesting check
//! that keeps deep recursion from overflowing the stack. Any of those failing is a
//! [`ParseFailure`], which the policy turns into "not run".

mod walk;
mod word;

use std::sync::mpsc;
use std::time::Duration;

pub use word::{Word, decode_ansi_c};

/// How long one script may take to parse. Real commands parse in tens of
/// microseconds; this only trips on pathological input.
pub const PARSE_DEADLINE: Duration = Duration::from_millis(80);
/// Scripts longer than this are not parsed at all.
pub const MAX_SCRIPT_BYTES: usize = 256 * 1024;
/// Deeper bracket nesting than this is refused before parsing.
pub const MAX_NESTING: usize = 48;

/// One simple command found anywhere in a script.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimpleCommand {
    /// `NAME=value` words before the program.
    pub assignments: Vec<(String, Word)>,
    /// The program and its arguments. Empty for a bare assignment or redirection.
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
    pub stdin: Stdin,
}

/// What a command reads on standard input, as far as the script shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Stdin {
    /// Nothing the script itself provides.
    #[default]
    Inherited,
    /// Literal text: a heredoc, a here-string, or `echo '...' |`.
    Literal(String),
    /// The output of a command whose output cannot be known (`curl ... | sh`).
    Dynamic,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    pub fd: Option<i32>,
    pub kind: RedirectKind,
    pub target: Word,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirectKind {
    Read,
    Write,
    Append,
    ReadWrite,
}

impl RedirectKind {
    pub fn writes(self) -> bool {
        !matches!(self, RedirectKind::Read)
    }
}

/// Why a script could not be read. Every variant means "do not run it".
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseFailure {
    #[error("the shell syntax could not be parsed: {0}")]
    Syntax(String),
    #[error("parsing took longer than {} ms", PARSE_DEADLINE.as_millis())]
    Timeout,
    #[error("the shell parser failed on this input")]
    Panic,
    #[error("the command is {0} bytes long, over the {MAX_SCRIPT_BYTES}-byte limit")]
    TooLarge(usize),
    #[error("brackets nest more than {MAX_NESTING} deep")]
    TooDeep,
}

pub(crate) fn options() -> brush_parser::ParserOptions {
    brush_parser::ParserOptions {
        // Extended globs change how `!(...)` and `@(...)` tokenize; bash agents rarely
        // rely on them, and leaving them on reads `( (cmd) )` forms more faithfully.
        enable_extended_globbing: true,
        ..Default::default()
    }
}

/// Parses a script into every simple command it would run, including those inside
/// command substitutions, process substitutions, function bodies and arithmetic.
pub fn parse_script(src: &str) -> Result<Vec<SimpleCommand>, ParseFailure> {
    if src.len() > MAX_SCRIPT_BYTES {
        return Err(ParseFailure::TooLarge(src.len()));
    }
    if nesting_depth(src) > MAX_NESTING {
        return Err(ParseFailure::TooDeep);
    }
    if src.trim().is_empty() {
        return Ok(Vec::new());
    }
    let owned = src.to_owned();
    let (tx, rx) = mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name(PARSER_THREAD.into())
        .stack_size(32 * 1024 * 1024)
        .spawn(move || {
            let result = std::panic::catch_unwind(|| walk::parse_and_walk(&owned));
            let _ = tx.send(result);
        });
    if spawned.is_err() {
        return Err(ParseFailure::Panic);
    }
    match rx.recv_timeout(PARSE_DEADLINE) {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(ParseFailure::Panic),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(ParseFailure::Timeout),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(ParseFailure::Panic),
    }
}

/// Name of the parser worker thread; the panic hook stays quiet for it, because a
/// parser panic is an expected, handled outcome.
pub const PARSER_THREAD: &str = "interlock-parse";

/// A conservative upper bound on bracket nesting, ignoring quoting: over-counting only
/// refuses scripts that no agent writes.
fn nesting_depth(src: &str) -> usize {
    let mut depth: usize = 0;
    let mut max = 0;
    for b in src.bytes() {
        match b {
            b'(' | b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' | b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    fn programs(src: &str) -> Vec<String> {
        parse_script(src)
            .unwrap()
            .into_iter()
            .filter_map(|c| c.words.first().map(|w| w.text.clone()))
            .collect()
    }

    #[test]
    fn compound_commands_yield_every_simple_command() {
        assert_eq!(
            programs("a && b || c; d | e & f; if g; then h; else i; fi; while j; do k; done"),
            ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"]
        );
        assert_eq!(
            programs("for x in 1 2; do y; done; case z in a) w;; esac"),
            ["y", "w"]
        );
        assert_eq!(
            programs("f() { inner; }; (sub); { brace; }"),
            ["inner", "sub", "brace"]
        );
    }

    #[test]
    fn substitutions_are_walked() {
        let p = programs("echo $(rm -rf /) `kubectl delete ns x` <(git push -f) ${a:-$(shred x)}");
        for want in ["echo", "rm", "kubectl", "git", "shred"] {
            assert!(p.contains(&want.to_string()), "{want} missing from {p:?}");
        }
    }

    #[test]
    fn arithmetic_bodies_are_reparsed_as_scripts() {
        let p = programs("( (rm -rf /) )");
        assert!(p.contains(&"rm".to_string()), "{p:?}");
        let p = programs("(( $(shred -u x) + 1 ))");
        assert!(p.contains(&"shred".to_string()), "{p:?}");
    }

    #[test]
    fn heredoc_and_herestring_become_stdin() {
        let c = parse_script("psql <<EOF\nDROP TABLE x;\nEOF\n").unwrap();
        assert_eq!(c[0].stdin, Stdin::Literal("DROP TABLE x;\n".into()));
        let c = parse_script("sh <<< 'rm -rf /'").unwrap();
        assert_eq!(c[0].stdin, Stdin::Literal("rm -rf /\n".into()));
    }

    #[test]
    fn literal_text_piped_into_a_program_is_its_stdin() {
        let c = parse_script("echo 'rm -rf /' | sh").unwrap();
        assert_eq!(c[1].stdin, Stdin::Literal("rm -rf /\n".into()));
        let c = parse_script("curl -s https://x | bash").unwrap();
        assert_eq!(c[1].stdin, Stdin::Dynamic);
    }

    #[test]
    fn redirect_targets_are_kept() {
        let c = parse_script("echo x > ~/.config/interlock/a.toml 2>>log").unwrap();
        assert_eq!(c[0].redirects.len(), 2);
        assert_eq!(c[0].redirects[0].target.text, "~/.config/interlock/a.toml");
        assert_eq!(c[0].redirects[1].kind, RedirectKind::Append);
    }

    #[test]
    fn bad_input_fails_closed_quickly() {
        assert!(matches!(
            parse_script("echo 'unterminated"),
            Err(ParseFailure::Syntax(_))
        ));
        assert_eq!(
            parse_script(&"(".repeat(10_000)),
            Err(ParseFailure::TooDeep)
        );
        let big = "a".repeat(MAX_SCRIPT_BYTES + 1);
        assert!(matches!(parse_script(&big), Err(ParseFailure::TooLarge(_))));
    }
}
