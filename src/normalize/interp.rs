//! Interpreters given code on the command line (`python -c`, `perl -e`, `node -e`, ...)
//! or a literal script on stdin. The code is not executed or fully parsed: interlock
//! looks for the calls that run shell commands or delete trees, and judges what they run.
//! A call whose argument is not a string literal is judged as an unknowable script.

use std::sync::OnceLock;

use regex::Regex;

use super::launchers::{Ctx, nested};
use super::{Command, Problem};
use crate::parse::{SimpleCommand, Stdin, Word};

/// How an interpreter's command line gives it code.
struct Spec {
    name: &'static str,
    /// Short options whose value is the code (`-c`, `-e`), in a cluster too (`-Ic`, `-le`).
    code: &'static str,
    /// Long options (or a subcommand) whose value is the code.
    code_long: &'static [&'static str],
    /// Short options that take a value: the rest of the word, or the next word.
    values: &'static str,
    /// Short options whose value is only ever attached (the rest of the word).
    attached: &'static str,
    /// Short options that take the digits after them (perl's `-l`, `-0`).
    digits: &'static str,
    /// Short options that run a named module or file (`python -m`): no inline code.
    runs_file: &'static str,
    /// Long options that take the next word as their value.
    long_values: &'static [&'static str],
    /// The code is never attached to its option: node's `-pe CODE` is `-p -e CODE`.
    separate_code: bool,
}

const fn spec(name: &'static str, code: &'static str, code_long: &'static [&'static str]) -> Spec {
    Spec {
        name,
        code,
        code_long,
        values: "",
        attached: "",
        digits: "",
        runs_file: "",
        long_values: &[],
        separate_code: false,
    }
}

/// Interpreters and the options that introduce inline code. awk's program is its first
/// operand, not an option's value: see `awk_program`.
const INTERPRETERS: &[Spec] = &[
    Spec {
        values: "WXQ",
        runs_file: "m",
        ..spec("python", "c", &[])
    },
    Spec {
        values: "WXQ",
        runs_file: "m",
        ..spec("pypy", "c", &[])
    },
    Spec {
        values: "I",
        attached: "iMmxCdD",
        digits: "l0",
        ..spec("perl", "eE", &[])
    },
    Spec {
        values: "IrCE",
        attached: "FxTWK",
        digits: "0",
        long_values: &["--encoding"],
        ..spec("ruby", "e", &[])
    },
    Spec {
        values: "rC",
        long_values: NODE_VALUES,
        separate_code: true,
        ..spec("node", "ep", &["--eval", "--print"])
    },
    Spec {
        values: "rC",
        long_values: NODE_VALUES,
        separate_code: true,
        ..spec("nodejs", "ep", &["--eval", "--print"])
    },
    spec("deno", "", &["eval"]),
    Spec {
        values: "r",
        long_values: &["--preload", "--require", "--cwd", "--env-file"],
        ..spec("bun", "e", &["--eval", "--print"])
    },
    Spec {
        values: "cdz",
        ..spec("php", "r", &[])
    },
    Spec {
        values: "l",
        ..spec("lua", "e", &[])
    },
    spec("Rscript", "e", &[]),
    spec("tclsh", "", &[]),
    Spec {
        values: "ls",
        ..spec("osascript", "e", &[])
    },
    spec("awk", "", &[]),
    spec("gawk", "", &[]),
    spec("mawk", "", &[]),
    spec("nawk", "", &[]),
];

const NODE_VALUES: &[&str] = &[
    "--require",
    "--import",
    "--input-type",
    "--loader",
    "--experimental-loader",
    "--conditions",
    "--env-file",
    "--title",
];

fn is_awk(name: &str) -> bool {
    matches!(name, "awk" | "gawk" | "mawk" | "nawk")
}

fn lookup(name: &str) -> Option<&'static Spec> {
    // `python3`, `python3.12`, `perl5.36`: versioned names are the same interpreter.
    let base = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    INTERPRETERS
        .iter()
        .find(|s| s.name == base || s.name == name)
}

pub(super) fn is_interpreter(name: &str) -> bool {
    lookup(name).is_some()
}

/// Where an interpreter's code comes from.
enum Source {
    Inline(Word),
    /// A script file or module it is given by name: not visible here.
    File,
    /// Standard input (no code and no file, or `-`).
    Stdin,
}

/// Reads the interpreter's options the way it does, clusters included, to find its code.
fn source(spec: &Spec, args: &[Word]) -> Source {
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let t = w.text.as_str();
        if t == "-" {
            return Source::Stdin;
        }
        if t == "--" {
            return if args.len() > i + 1 {
                Source::File
            } else {
                Source::Stdin
            };
        }
        if spec.code_long.contains(&t) {
            return args
                .get(i + 1)
                .cloned()
                .map_or(Source::Stdin, Source::Inline);
        }
        if let Some(v) = spec
            .code_long
            .iter()
            .find_map(|o| t.strip_prefix(o).and_then(|r| r.strip_prefix('=')))
        {
            return Source::Inline(Word {
                text: v.to_owned(),
                ..w.clone()
            });
        }
        if t.starts_with("--") {
            i += if spec.long_values.contains(&t) { 2 } else { 1 };
            continue;
        }
        if !t.starts_with('-') {
            return Source::File;
        }
        let body = &t[1..];
        let mut skip_next = false;
        let mut chars = body.char_indices().peekable();
        while let Some((j, c)) = chars.next() {
            let rest = &body[j + c.len_utf8()..];
            if spec.code.contains(c) {
                if rest.is_empty() || spec.separate_code {
                    return args
                        .get(i + 1)
                        .cloned()
                        .map_or(Source::Stdin, Source::Inline);
                }
                return Source::Inline(Word {
                    text: rest.to_owned(),
                    ..w.clone()
                });
            }
            if spec.runs_file.contains(c) {
                return Source::File;
            }
            if spec.values.contains(c) {
                skip_next = rest.is_empty();
                break;
            }
            if spec.attached.contains(c) {
                break;
            }
            if spec.digits.contains(c) {
                while chars.peek().is_some_and(|(_, d)| d.is_ascii_digit()) {
                    chars.next();
                }
            }
        }
        i += if skip_next { 2 } else { 1 };
    }
    Source::Stdin
}

pub(super) fn interpreter(name: &str, args: &[Word], ctx: &Ctx<'_>, out: &mut Vec<Command>) {
    if is_awk(name) {
        if let Some(code) = awk_program(args) {
            scan(name, code, ctx, out);
        }
        return;
    }
    let Some(spec) = lookup(name) else { return };
    match source(spec, args) {
        Source::Inline(code) => scan(name, &code, ctx, out),
        Source::File => {}
        Source::Stdin => match ctx.stdin {
            Stdin::Literal(text) => scan(name, &Word::literal(text.clone()), ctx, out),
            Stdin::Dynamic => out.push(Command::problem(
                Problem::DynamicScript(format!(
                    "{name} runs code from a command whose output is unknown"
                )),
                ctx.via,
                &[Word::literal(name)],
            )),
            Stdin::Inherited => {}
        },
    }
}

/// The inline code an interpreter command runs, when it is written out literally:
/// `python3 -c CODE`, `perl -e CODE`, an awk program, or a literal script on stdin.
pub fn inline_code(program: &str, args: &[Word], stdin: &Stdin) -> Option<String> {
    if is_awk(program) {
        return awk_program(args)
            .filter(|w| w.literal)
            .map(|w| w.text.clone());
    }
    match source(lookup(program)?, args) {
        Source::Inline(w) => w.literal.then_some(w.text),
        Source::File => None,
        Source::Stdin => match stdin {
            Stdin::Literal(text) => Some(text.clone()),
            _ => None,
        },
    }
}

/// The program text of an awk command line: the first operand after the options,
/// unless `-f FILE` names a program file (not visible here; the shims still guard
/// what it runs).
fn awk_program(args: &[Word]) -> Option<&Word> {
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text.as_str();
        match t {
            "--" => return args.get(i + 1),
            "-f" | "--file" | "-i" | "--include" => return None,
            "-F" | "-v" | "--field-separator" | "--assign" | "-W" => i += 2,
            _ if t.starts_with("-f") || t.starts_with("--file=") => return None,
            _ if t.starts_with('-') && t.len() > 1 => i += 1,
            _ => return Some(&args[i]),
        }
    }
    None
}

struct Patterns {
    /// A call that runs its argument through a shell, or as an argv.
    shell_call: Regex,
    /// A call that deletes a tree or a file.
    delete_call: Regex,
    /// Backticks and `qx{}`/`%x{}` in perl and ruby.
    backticks: Regex,
    string: Regex,
    /// Anything in the code that can start a program; when present, every string
    /// literal in the code is also read as a command line (see `sweep_literals`).
    can_run: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        shell_call: Regex::new(
            r"(?x)
            \b(?: os\.(?:system|popen|exec[lv]p?e?|spawn[lv]p?e?)
                | subprocess\.(?:run|call|check_call|check_output|Popen|getoutput|getstatusoutput)
                | commands\.getoutput
                | (?:child_process\.|cp\.|\b)(?:execSync|execFileSync|spawnSync|execFile|spawn)
                | (?:child_process|cp)\.exec
                | Open3\.\w+ | IO\.popen | Kernel\.(?:system|exec|spawn)
                | shell_exec | passthru | proc_open
                | \bsystem | \bexec | \bpopen | Deno\.Command | Bun\.spawn(?:Sync)? | \$
                | os\.execute | io\.popen
              )\s*\(\s*",
        )
        .expect("shell-call pattern"),
        delete_call: Regex::new(
            r"(?x)
            \b(?: shutil\.rmtree | FileUtils\.(?:rm_rf|rm_r|remove_dir|remove_entry(?:_secure)?|rmtree)
                | fs(?:\.promises)?\.(?:rmSync|rm|rmdirSync|rmdir) | rimraf(?:\.sync)?
                | remove_tree | rmtree | Deno\.remove | unlink_r
              )\s*\(\s*",
        )
        .expect("delete-call pattern"),
        backticks: Regex::new(r"`([^`]*)`|(?:\bqx|%x)\s*[\{\(\[]([^\}\)\]]*)[\}\)\]]").expect("backtick pattern"),
        string: Regex::new(r#"^(?:[rbuRBUf]{0,2})(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')"#).expect("string pattern"),
        can_run: Regex::new(
            r"(?x)
            \b(?: system | exec\w* | popen\w* | spawn\w* | subprocess | pty | commands
                | child_process | Open3 | shell\w* | passthru | proc_open | execute
                | Command | run | call | check_\w+ | getoutput | qx | getline
              )\b | `  | %x | \|",
        )
        .expect("can-run pattern"),
    })
}

/// Reads the string literal (or list of string literals) at the start of `s`.
enum Arg {
    Str(String),
    List(Vec<String>),
    Unknown,
}

fn read_arg(s: &str) -> Arg {
    let p = patterns();
    let s = s.trim_start();
    if let Some(m) = p.string.captures(s) {
        let body = m.get(1).or(m.get(2)).map_or("", |g| g.as_str());
        let after = s[m.get(0).map_or(0, |g| g.end())..].trim_start();
        // Only a literal that ends its argument is known: `'rm -rf ' + path`,
        // `'a' 'b'` and `'cmd'.format(x)` are strings built at run time.
        if !(after.is_empty() || after.starts_with([',', ')', ']', ';'])) {
            return Arg::Unknown;
        }
        return Arg::Str(unescape(body));
    }
    if let Some(rest) = s.strip_prefix('[') {
        let mut items = Vec::new();
        let mut rest = rest.trim_start();
        loop {
            if rest.starts_with(']') {
                return Arg::List(items);
            }
            match p.string.captures(rest) {
                Some(m) => {
                    items.push(unescape(m.get(1).or(m.get(2)).map_or("", |g| g.as_str())));
                    rest = rest[m.get(0).map_or(0, |g| g.end())..].trim_start();
                    rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
                }
                None => {
                    return if items.is_empty() {
                        Arg::Unknown
                    } else {
                        Arg::List(with_unknown(items))
                    };
                }
            }
        }
    }
    Arg::Unknown
}

/// Reads comma-separated call arguments while they are literals; stops at the first
/// argument that is not (keyword arguments, option objects, variables).
fn read_args(s: &str) -> Vec<Arg> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        let (arg, used) = read_arg_len(rest);
        let Some(used) = used else {
            if out.is_empty() {
                out.push(arg);
            }
            return out;
        };
        out.push(arg);
        rest = rest[used..].trim_start();
        match rest.strip_prefix(',') {
            Some(r) => rest = r,
            None => return out,
        }
    }
}

/// One argument and how many bytes of `s` it used (None when it is not a literal).
fn read_arg_len(s: &str) -> (Arg, Option<usize>) {
    let trimmed = s.trim_start();
    let lead = s.len() - trimmed.len();
    match read_arg(trimmed) {
        Arg::Unknown => (Arg::Unknown, None),
        a => {
            let len = literal_len(trimmed);
            (a, len.map(|l| l + lead))
        }
    }
}

/// Length of the string literal or list literal at the start of `s`.
fn literal_len(s: &str) -> Option<usize> {
    let p = patterns();
    if let Some(m) = p.string.find(s) {
        return Some(m.end());
    }
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '[' => depth += 1,
            ']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

fn with_unknown(mut items: Vec<String>) -> Vec<String> {
    items.push("\u{0}unknown".into());
    items
}

fn unescape(s: &str) -> String {
    s.replace("\\'", "'")
        .replace("\\\"", "\"")
        .replace("\\\\", "\\")
}

fn scan(name: &str, code: &Word, ctx: &Ctx<'_>, out: &mut Vec<Command>) {
    let label = format!("{name} code");
    if !code.literal {
        out.push(Command::problem(
            Problem::DynamicScript(format!("{name} runs code known only at run time")),
            ctx.via,
            &[Word::literal(name), code.clone()],
        ));
        return;
    }
    let text = code.text.as_str();
    let p = patterns();
    let mut via = ctx.via.to_vec();
    via.push(label.clone());
    for m in p.shell_call.find_iter(text) {
        let call = m.as_str().trim_end_matches(['(', ' ', '\t', '\n']);
        let args = read_args(&text[m.end()..]);
        match args.as_slice() {
            [Arg::List(l), ..] => push_argv(l, &via, ctx, out),
            // spawn('rm', ['-rf', '/']): a program, then its arguments.
            [Arg::Str(prog), Arg::List(l), ..] => {
                let argv: Vec<String> = std::iter::once(prog.clone())
                    .chain(l.iter().cloned())
                    .collect();
                push_argv(&argv, &via, ctx, out);
            }
            // system('rm', '-rf', '/'): every argument a string.
            [Arg::Str(_), Arg::Str(_), ..] => {
                let argv: Vec<String> = args
                    .iter()
                    .map_while(|a| match a {
                        Arg::Str(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect();
                push_argv(&argv, &via, ctx, out);
            }
            [Arg::Str(s), ..] => nested(s, &label, ctx, out),
            _ => out.push(Command::problem(
                Problem::DynamicScript(format!(
                    "{name} code calls {call} with a value known only at run time"
                )),
                ctx.via,
                &[Word::literal(name), code.clone()],
            )),
        }
    }
    for m in p.delete_call.find_iter(text) {
        let target = match read_arg(&text[m.end()..]) {
            Arg::Str(s) => Word::literal(s),
            _ => Word::unknown("{path known at run time}"),
        };
        let sc = SimpleCommand {
            words: vec![Word::literal("rm"), Word::literal("-rf"), target],
            ..Default::default()
        };
        super::simple(sc, ctx.depth + 1, &via, out);
    }
    if !matches!(
        name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.'),
        "python" | "pypy" | "node" | "nodejs"
    ) {
        for c in p.backticks.captures_iter(text) {
            if let Some(inner) = c.get(1).or(c.get(2)) {
                nested(inner.as_str(), &label, ctx, out);
            }
        }
    }
    if p.can_run.is_match(text) {
        sweep_literals(text, &via, ctx, out);
    }
}

/// The calls found above are the ones written plainly. Code that can start programs
/// reaches them in many other ways (`import subprocess as s; s.run("...")`,
/// `system "..."` without parentheses, `print | "sh"` in awk), so each string literal
/// in it is also read as a command line, and what parses is judged. Literals that do
/// not parse as shell, or whose program is not a literal word, say nothing here:
/// they are most often plain text, and the explicit calls above already flag code
/// known only at run time.
fn sweep_literals(text: &str, via: &[String], ctx: &Ctx<'_>, out: &mut Vec<Command>) {
    let mut via = via.to_vec();
    via.push("a string in the code".into());
    for lit in string_literals(text) {
        if lit.trim().is_empty() || ctx.depth + 1 > super::MAX_DEPTH {
            continue;
        }
        let mut found = Vec::new();
        super::script(&lit, ctx.depth + 1, &via, &mut found);
        for c in found {
            if c.problem.is_none()
                && !c.program.is_empty()
                && !out.iter().any(|o| o.argv() == c.argv())
            {
                out.push(c);
            }
        }
    }
}

/// The string literals of code in the common scripting languages: `"..."`, `'...'`
/// (with backslash escapes), and perl's and ruby's `q(...)`, `qq{...}`, `%q[...]`,
/// `%Q<...>`.
fn string_literals(text: &str) -> Vec<String> {
    literal_spans(text).into_iter().map(|(_, _, l)| l).collect()
}

/// The string literals of inline code, and the code with each literal's content blanked
/// (its quotes kept), so calls can be looked for without matching text inside strings.
pub fn literals_and_code(text: &str) -> (Vec<String>, String) {
    let spans = literal_spans(text);
    let mut code = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end, _) in &spans {
        code.push_str(&text[at..*start]);
        code.extend(std::iter::repeat_n(' ', text[*start..*end].chars().count()));
        at = *end;
    }
    code.push_str(&text[at..]);
    (spans.into_iter().map(|(_, _, l)| l).collect(), code)
}

/// Each literal as (start of its content, end of its content, its text).
fn literal_spans(text: &str) -> Vec<(usize, usize, String)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let word_before = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if c == b'"' || c == b'\'' {
            let (lit, end) = quoted(text, i + 1, c, None);
            out.push((i + 1, (i + 1 + lit.len()).min(b.len()), unescape(&lit)));
            i = end;
            continue;
        }
        // q( qq{ %q[ %Q< and the like.
        let (is_q, open_at) = if !word_before && c == b'q' {
            let j = if b.get(i + 1) == Some(&b'q') {
                i + 2
            } else {
                i + 1
            };
            (true, j)
        } else if c == b'%' && matches!(b.get(i + 1), Some(b'q' | b'Q')) {
            (true, i + 2)
        } else {
            (false, i)
        };
        if let Some(&open) = b.get(open_at).filter(|_| is_q) {
            let close = match open {
                b'(' => Some(b')'),
                b'{' => Some(b'}'),
                b'[' => Some(b']'),
                b'<' => Some(b'>'),
                b'/' | b'|' | b'!' | b'#' => Some(open),
                _ => None,
            };
            if let Some(close) = close {
                let nest = (close != open).then_some(open);
                let (lit, end) = quoted(text, open_at + 1, close, nest);
                out.push((open_at + 1, (open_at + 1 + lit.len()).min(b.len()), lit));
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// The text from `start` to the unescaped `close` (nesting on `open` when given),
/// and the index just past the close.
fn quoted(text: &str, start: usize, close: u8, open: Option<u8>) -> (String, usize) {
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut i = start;
    while i < b.len() {
        let c = b[i];
        if c == b'\\' {
            i += 2;
            continue;
        }
        if Some(c) == open {
            depth += 1;
        } else if c == close {
            if depth == 0 {
                return (text[start..i].to_owned(), i + 1);
            }
            depth -= 1;
        }
        i += 1;
    }
    (text[start.min(b.len())..].to_owned(), b.len())
}

fn push_argv(argv: &[String], via: &[String], ctx: &Ctx<'_>, out: &mut Vec<Command>) {
    let words = argv
        .iter()
        .map(|a| {
            if a.starts_with('\u{0}') {
                Word::unknown("{value known at run time}")
            } else {
                Word::literal(a.clone())
            }
        })
        .collect();
    let sc = SimpleCommand {
        words,
        ..Default::default()
    };
    super::simple(sc, ctx.depth + 1, via, out);
}
