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
    /// The script stops in the middle of a command (an open quote, heredoc or `if`):
    /// more input could complete it. Only reported for the top-level script; judged
    /// alone, it is refused like any script that does not parse.
    #[error("the shell syntax is incomplete: {0}")]
    Incomplete(String),
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
    if let Some(cmd) = plain_words(src) {
        return Ok(vec![cmd]);
    }
    let (reply_tx, reply_rx) = mpsc::sync_channel(1);
    let job = (src.to_owned(), reply_tx);
    if !WORKER.with(|w| w.send(job)) {
        return Err(ParseFailure::Panic);
    }
    match reply_rx.recv_timeout(PARSE_DEADLINE) {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(ParseFailure::Panic),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            // The worker is stuck in the parser; abandon it (it finishes or dies with
            // the process) and start a fresh one for the next script.
            WORKER.with(Worker::abandon);
            Err(ParseFailure::Timeout)
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            WORKER.with(Worker::abandon);
            Err(ParseFailure::Panic)
        }
    }
}

type Reply = std::thread::Result<Result<Vec<SimpleCommand>, ParseFailure>>;
type Job = (String, mpsc::SyncSender<Reply>);

/// One long-lived parser thread per calling thread: a process judging many scripts pays
/// for the thread once, and a stuck parse on one caller never delays another.
struct Worker(std::cell::RefCell<Option<mpsc::Sender<Job>>>);

thread_local! {
    static WORKER: Worker = const { Worker(std::cell::RefCell::new(None)) };
}

impl Worker {
    fn send(&self, job: Job) -> bool {
        let mut slot = self.0.borrow_mut();
        if slot.is_none() {
            *slot = spawn_worker();
        }
        match slot.as_ref() {
            Some(tx) => match tx.send(job) {
                Ok(()) => true,
                Err(mpsc::SendError(job)) => {
                    // The worker died; one fresh try.
                    *slot = spawn_worker();
                    slot.as_ref().is_some_and(|tx| tx.send(job).is_ok())
                }
            },
            None => false,
        }
    }

    fn abandon(&self) {
        self.0.borrow_mut().take();
    }
}

fn spawn_worker() -> Option<mpsc::Sender<Job>> {
    let (tx, rx) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name(PARSER_THREAD.into())
        .stack_size(32 * 1024 * 1024)
        .spawn(move || {
            for (src, reply) in rx {
                let result = std::panic::catch_unwind(|| walk::parse_and_walk(&src));
                let _ = reply.send(result);
            }
        })
        .ok()?;
    Some(tx)
}

/// Words bash would see when the script holds no shell syntax at all: only letters,
/// digits, `-_./=:,@%+` and blanks, and no reserved word or assignment first. Bash splits
/// such a line on blanks and expands nothing, so the full parser is not needed.
fn plain_words(src: &str) -> Option<SimpleCommand> {
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"-_./=:,@%+ \t".contains(&b);
    if !src.bytes().all(plain) {
        return None;
    }
    let mut words = src.split([' ', '\t']).filter(|w| !w.is_empty()).peekable();
    let first = *words.peek()?;
    const RESERVED: &[&str] = &[
        "if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until", "for",
        "in", "function", "select", "time", "coproc",
    ];
    if RESERVED.contains(&first) || first.contains('=') {
        return None;
    }
    Some(SimpleCommand {
        words: words.map(Word::literal).collect(),
        ..Default::default()
    })
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
    fn dup_output_to_a_file_is_a_write_and_to_a_descriptor_is_not() {
        let writes = |src: &str| -> Vec<(Option<i32>, String)> {
            parse_script(src).unwrap()[0]
                .redirects
                .iter()
                .filter(|r| r.kind.writes())
                .map(|r| (r.fd, r.target.text.clone()))
                .collect()
        };
        assert_eq!(writes("echo x >& out.txt"), [(None, "out.txt".to_owned())]);
        assert_eq!(
            writes("echo x 1>&out.txt"),
            [(Some(1), "out.txt".to_owned())]
        );
        assert_eq!(
            writes("echo x &> a &>> b"),
            [(None, "a".into()), (None, "b".into())]
        );
        assert_eq!(writes("echo x >| a <> b 2> c 1>> d").len(), 4);
        assert!(writes("echo x 2>&1 >&2 3>&- 4>&3-").is_empty());
    }

    #[test]
    fn plain_lines_skip_the_parser_and_read_the_same() {
        for src in [
            "kubectl get pods -n prod",
            "git push --force origin main",
            "aws s3 rb s3://b --force",
        ] {
            let fast = plain_words(src).expect("plain");
            let mut w = walk::parse_and_walk(src).unwrap();
            assert_eq!(vec![fast], std::mem::take(&mut w), "{src}");
        }
        for src in [
            "rm -rf ~",
            "a && b",
            "X=1 kubectl",
            "echo $HOME",
            "ls *",
            "if true",
            "echo 'a'",
        ] {
            assert!(plain_words(src).is_none(), "{src}");
        }
    }

    #[test]
    fn bad_input_fails_closed_quickly() {
        // Incomplete is a failure too: judged alone, it is refused.
        assert!(matches!(
            parse_script("echo 'unterminated"),
            Err(ParseFailure::Incomplete(_))
        ));
        assert_eq!(
            parse_script(&"(".repeat(10_000)),
            Err(ParseFailure::TooDeep)
        );
        let big = "a".repeat(MAX_SCRIPT_BYTES + 1);
        assert!(matches!(parse_script(&big), Err(ParseFailure::TooLarge(_))));
    }

    /// The shell mode waits for more input on these instead of judging half a command.
    #[test]
    fn input_that_ends_mid_command_is_incomplete_not_broken() {
        for src in [
            "if true; then\n",
            "echo 'a\n",
            "echo \"a\n",
            "echo `a\n",
            "echo $(\n",
            "cat <<EOF\nx\n",
            "a &&\n",
            "f() {\n",
            "for x in a; do\n",
            "case x in\n",
        ] {
            assert!(
                matches!(parse_script(src), Err(ParseFailure::Incomplete(_))),
                "{src:?}: {:?}",
                parse_script(src)
            );
        }
        for src in ["echo hi\n", "cat <<EOF\nx\nEOF\n", "a;\n"] {
            assert!(parse_script(src).is_ok(), "{src:?}");
        }
        assert!(matches!(parse_script("fi\n"), Err(ParseFailure::Syntax(_))));
    }
}
