//! Walks brush-parser's AST and flattens it into simple commands.

use brush_parser::ast;

use super::word::{self, Word};
use super::{ParseFailure, Redirect, RedirectKind, SimpleCommand, Stdin};

/// Substitutions inside substitutions inside ... deeper than this are refused.
const MAX_SCRIPT_DEPTH: usize = 12;

pub(super) fn parse_and_walk(src: &str) -> Result<Vec<SimpleCommand>, ParseFailure> {
    let mut w = Walker {
        out: Vec::new(),
        options: super::options(),
        depth: 0,
    };
    w.script(src)?;
    Ok(w.out)
}

/// Whether the parser stopped because the input ends in the middle of a command (an
/// open quote, heredoc or `if`), which more input could complete.
fn incomplete(e: &brush_parser::ParseError) -> bool {
    match e {
        brush_parser::ParseError::ParsingAtEndOfInput => true,
        brush_parser::ParseError::Tokenizing { inner, .. } => inner.is_incomplete(),
        brush_parser::ParseError::ParsingNear(_) => false,
    }
}

struct Walker {
    out: Vec<SimpleCommand>,
    options: brush_parser::ParserOptions,
    depth: usize,
}

type R = Result<(), ParseFailure>;

impl Walker {
    fn script(&mut self, src: &str) -> R {
        if self.depth >= MAX_SCRIPT_DEPTH {
            return Err(ParseFailure::TooDeep);
        }
        self.depth += 1;
        let mut parser =
            brush_parser::Parser::new(std::io::Cursor::new(src.as_bytes()), &self.options);
        let top = self.depth == 1;
        let program = parser.parse_program().map_err(|e| {
            // Only the script itself can be waiting for more lines; a nested one that
            // ends early is broken, and stays a syntax error.
            if top && incomplete(&e) {
                ParseFailure::Incomplete(e.to_string())
            } else {
                ParseFailure::Syntax(e.to_string())
            }
        })?;
        for list in &program.complete_commands {
            self.compound_list(list)?;
        }
        self.depth -= 1;
        Ok(())
    }

    /// Walks `src` if it parses as a script; text that does not is no script at all.
    fn try_script(&mut self, src: &str) {
        let mut scratch = Walker {
            out: Vec::new(),
            options: self.options.clone(),
            depth: self.depth,
        };
        if scratch.script(src).is_ok() {
            self.out.extend(scratch.out);
        }
    }

    fn compound_list(&mut self, list: &ast::CompoundList) -> R {
        for item in &list.0 {
            self.pipeline(&item.0.first)?;
            for next in &item.0.additional {
                match next {
                    ast::AndOr::And(p) | ast::AndOr::Or(p) => self.pipeline(p)?,
                }
            }
        }
        Ok(())
    }

    fn pipeline(&mut self, p: &ast::Pipeline) -> R {
        // Text a stage writes, when the script shows it literally, becomes the next
        // stage's stdin, so `echo 'rm -rf /' | sh` is judged as `rm -rf /`.
        let mut upstream: Option<Stdin> = None;
        for cmd in &p.seq {
            let start = self.out.len();
            self.command(cmd)?;
            let produced = match cmd {
                ast::Command::Simple(_) if self.out.len() > start => {
                    let first = &mut self.out[start];
                    if let Some(up) = upstream.take()
                        && first.stdin == Stdin::Inherited
                    {
                        first.stdin = up;
                    }
                    literal_output(first)
                }
                _ => Stdin::Dynamic,
            };
            upstream = Some(produced);
        }
        Ok(())
    }

    fn command(&mut self, cmd: &ast::Command) -> R {
        match cmd {
            ast::Command::Simple(s) => self.simple(s),
            ast::Command::Compound(c, redirects) => {
                self.compound(c)?;
                self.redirect_only(redirects.as_ref())
            }
            ast::Command::Function(f) => {
                self.compound(&f.body.0)?;
                self.redirect_only(f.body.1.as_ref())
            }
            ast::Command::ExtendedTest(t, redirects) => {
                self.extended_test(&t.expr)?;
                self.redirect_only(redirects.as_ref())
            }
        }
    }

    fn redirect_only(&mut self, list: Option<&ast::RedirectList>) -> R {
        let Some(list) = list else { return Ok(()) };
        let mut cmd = SimpleCommand::default();
        for r in &list.0 {
            self.redirect(r, &mut cmd)?;
        }
        if !cmd.redirects.is_empty() {
            self.out.push(cmd);
        }
        Ok(())
    }

    fn compound(&mut self, c: &ast::CompoundCommand) -> R {
        use ast::CompoundCommand as C;
        match c {
            C::Arithmetic(a) => self.arithmetic(&a.expr.value),
            C::ArithmeticForClause(f) => {
                for e in [&f.initializer, &f.condition, &f.updater]
                    .into_iter()
                    .flatten()
                {
                    self.arithmetic(&e.value)?;
                }
                self.compound_list(&f.body.list)
            }
            C::BraceGroup(b) => self.compound_list(&b.list),
            C::Subshell(s) => self.compound_list(&s.list),
            C::ForClause(f) => {
                // The loop variable takes each value in turn: an assignment of every one,
                // so later `$NAME`s can be read.
                let mut assign = SimpleCommand::default();
                match &f.values {
                    Some(values) => {
                        for v in values {
                            let w = self.word(v)?;
                            assign.assignments.push((f.variable_name.clone(), w));
                        }
                    }
                    None => assign
                        .assignments
                        .push((f.variable_name.clone(), Word::unknown("$@"))),
                }
                if !assign.assignments.is_empty() {
                    self.out.push(assign);
                }
                self.compound_list(&f.body.list)
            }
            C::CaseClause(c) => {
                self.word(&c.value)?;
                for item in &c.cases {
                    for p in &item.patterns {
                        self.word(p)?;
                    }
                    if let Some(cmd) = &item.cmd {
                        self.compound_list(cmd)?;
                    }
                }
                Ok(())
            }
            C::IfClause(i) => {
                self.compound_list(&i.condition)?;
                self.compound_list(&i.then)?;
                for e in i.elses.iter().flatten() {
                    if let Some(c) = &e.condition {
                        self.compound_list(c)?;
                    }
                    self.compound_list(&e.body)?;
                }
                Ok(())
            }
            C::WhileClause(w) | C::UntilClause(w) => {
                self.compound_list(&w.0)?;
                self.compound_list(&w.1.list)
            }
            C::Coprocess(c) => self.command(&c.body),
        }
    }

    /// brush reads `( (cmd) )` as arithmetic, so an arithmetic body is also read as a
    /// script; what it would run either way is judged.
    fn arithmetic(&mut self, body: &str) -> R {
        let before = self.out.len();
        self.try_script(body);
        if self.out.len() == before || body.contains('$') || body.contains('`') {
            let scripts = word::analyze(body, &self.options)
                .map(|a| a.scripts)
                .unwrap_or_default();
            for s in scripts {
                self.script(&s)?;
            }
        }
        Ok(())
    }

    fn extended_test(&mut self, e: &ast::ExtendedTestExpr) -> R {
        use ast::ExtendedTestExpr as E;
        match e {
            E::And(a, b) | E::Or(a, b) => {
                self.extended_test(a)?;
                self.extended_test(b)
            }
            E::Not(a) | E::Parenthesized(a) => self.extended_test(a),
            E::UnaryTest(_, w) => self.word(w).map(drop),
            E::BinaryTest(_, a, b) => {
                self.word(a)?;
                self.word(b).map(drop)
            }
        }
    }

    /// Analyzes one word, walking every script its expansion would run.
    fn word(&mut self, w: &ast::Word) -> Result<Word, ParseFailure> {
        let analyzed = word::analyze(&w.value, &self.options).map_err(ParseFailure::Syntax)?;
        for s in &analyzed.scripts {
            self.script(s)?;
        }
        for s in &analyzed.maybe_scripts {
            self.try_script(s);
        }
        Ok(analyzed.word)
    }

    fn simple(&mut self, s: &ast::SimpleCommand) -> R {
        // Reserve our slot first so nested commands found in words come after it and the
        // command keeps its place in the pipeline.
        let slot = self.out.len();
        self.out.push(SimpleCommand::default());
        let mut cmd = SimpleCommand::default();
        for item in s.prefix.iter().flat_map(|p| p.0.iter()) {
            self.item(item, true, &mut cmd)?;
        }
        if let Some(name) = &s.word_or_name {
            let word = self.word(name)?;
            cmd.words.push(word);
        }
        for item in s.suffix.iter().flat_map(|p| p.0.iter()) {
            self.item(item, false, &mut cmd)?;
        }
        self.out[slot] = cmd;
        Ok(())
    }

    fn item(
        &mut self,
        item: &ast::CommandPrefixOrSuffixItem,
        in_prefix: bool,
        cmd: &mut SimpleCommand,
    ) -> R {
        use ast::CommandPrefixOrSuffixItem as I;
        match item {
            I::IoRedirect(r) => self.redirect(r, cmd)?,
            I::Word(w) => {
                let word = self.word(w)?;
                cmd.words.push(word);
            }
            I::AssignmentWord(a, raw) => {
                let value = self.word(raw)?;
                if in_prefix {
                    let name = match &a.name {
                        ast::AssignmentName::VariableName(n)
                        | ast::AssignmentName::ArrayElementName(n, _) => n.clone(),
                    };
                    let text = value
                        .text
                        .split_once('=')
                        .map(|(_, v)| v.to_owned())
                        .unwrap_or_default();
                    // `NAME+=value` extends the old value; say so in the value.
                    let (text, literal) = if a.append {
                        (format!("${name}{text}"), false)
                    } else {
                        (text, value.literal)
                    };
                    cmd.assignments.push((
                        name,
                        Word {
                            text,
                            literal,
                            ..value
                        },
                    ));
                } else {
                    // `export X=...`, `declare ...`: an ordinary argument.
                    cmd.words.push(value);
                }
            }
            I::ProcessSubstitution(_, sub) => {
                self.compound_list(&sub.list)?;
                cmd.words.push(Word::unknown("<(...)"));
            }
        }
        Ok(())
    }

    fn redirect(&mut self, r: &ast::IoRedirect, cmd: &mut SimpleCommand) -> R {
        match r {
            ast::IoRedirect::File(fd, kind, target) => {
                let kind = match kind {
                    ast::IoFileRedirectKind::Read => RedirectKind::Read,
                    ast::IoFileRedirectKind::Write | ast::IoFileRedirectKind::Clobber => {
                        RedirectKind::Write
                    }
                    ast::IoFileRedirectKind::Append => RedirectKind::Append,
                    ast::IoFileRedirectKind::ReadAndWrite => RedirectKind::ReadWrite,
                    ast::IoFileRedirectKind::DuplicateInput => {
                        if let ast::IoFileRedirectTarget::Duplicate(w) = target {
                            self.word(w)?;
                        }
                        return Ok(());
                    }
                    ast::IoFileRedirectKind::DuplicateOutput => {
                        // `>&WORD` copies a descriptor only when WORD is a number (or
                        // `-`); anything else is a file bash opens for writing, as with
                        // `&>` (and `1>&FILE` too).
                        if let ast::IoFileRedirectTarget::Duplicate(w) = target {
                            let target = self.word(w)?;
                            if !duplicates_fd(&target) {
                                cmd.redirects.push(Redirect {
                                    fd: *fd,
                                    kind: RedirectKind::Write,
                                    target,
                                });
                            }
                        }
                        return Ok(());
                    }
                };
                match target {
                    ast::IoFileRedirectTarget::Filename(w) => {
                        let target = self.word(w)?;
                        cmd.redirects.push(Redirect {
                            fd: *fd,
                            kind,
                            target,
                        });
                    }
                    ast::IoFileRedirectTarget::ProcessSubstitution(_, sub) => {
                        self.compound_list(&sub.list)?;
                        if kind == RedirectKind::Read && fd.is_none_or(|f| f == 0) {
                            cmd.stdin = Stdin::Dynamic;
                        }
                    }
                    ast::IoFileRedirectTarget::Fd(_) | ast::IoFileRedirectTarget::Duplicate(_) => {}
                }
                if kind == RedirectKind::Read
                    && fd.is_none_or(|f| f == 0)
                    && cmd.stdin == Stdin::Inherited
                {
                    // A file's content is unknown, but it is no script we were shown.
                    cmd.stdin = Stdin::Dynamic;
                }
            }
            ast::IoRedirect::HereDocument(fd, doc) => {
                if doc.requires_expansion {
                    for s in word::heredoc_scripts(&doc.doc.value, &self.options) {
                        self.script(&s)?;
                    }
                }
                if fd.is_none_or(|f| f == 0) {
                    cmd.stdin = Stdin::Literal(doc.doc.value.clone());
                }
            }
            ast::IoRedirect::HereString(fd, w) => {
                let word = self.word(w)?;
                if fd.is_none_or(|f| f == 0) {
                    cmd.stdin = if word.literal {
                        Stdin::Literal(format!("{}\n", word.text))
                    } else {
                        Stdin::Dynamic
                    };
                }
            }
            ast::IoRedirect::OutputAndError(w, append) => {
                let target = self.word(w)?;
                let kind = if *append {
                    RedirectKind::Append
                } else {
                    RedirectKind::Write
                };
                cmd.redirects.push(Redirect {
                    fd: None,
                    kind,
                    target,
                });
            }
        }
        Ok(())
    }
}

/// True when a `>&` target names a file descriptor (`2`, `3-`, `-`), not a file.
fn duplicates_fd(w: &Word) -> bool {
    let t = w.text.strip_suffix('-').unwrap_or(&w.text);
    w.literal && !w.pattern && t.bytes().all(|b| b.is_ascii_digit())
}

/// What a command writes to stdout, when the script shows it: `echo`/`printf` of literal
/// words, or `cat` passing on a literal heredoc.
fn literal_output(cmd: &SimpleCommand) -> Stdin {
    let Some(program) = cmd.words.first() else {
        return Stdin::Dynamic;
    };
    let args = &cmd.words[1..];
    if args.iter().any(Word::is_dynamic) || !program.literal {
        return Stdin::Dynamic;
    }
    let name = program.text.rsplit('/').next().unwrap_or("");
    match name {
        "echo" => {
            let mut escapes = false;
            let mut rest = args;
            while let Some(first) = rest.first() {
                match first.text.as_str() {
                    "-n" | "-E" => {}
                    "-e" => escapes = true,
                    _ => break,
                }
                rest = &rest[1..];
            }
            let text = rest
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let text = if escapes {
                word::decode_ansi_c(&text)
            } else {
                text
            };
            Stdin::Literal(format!("{text}\n"))
        }
        "printf" => match args.split_first() {
            Some((format, rest)) => Stdin::Literal(printf(&format.text, rest)),
            None => Stdin::Dynamic,
        },
        "cat" if args.is_empty() => cmd.stdin.clone(),
        _ => Stdin::Dynamic,
    }
}

/// What `printf FORMAT ARGS...` prints, for the directives scripts use to emit
/// commands: the format is reused while arguments remain, as printf does.
fn printf(format: &str, args: &[Word]) -> String {
    let format = word::decode_ansi_c(format);
    let mut out = String::new();
    let mut next = args.iter();
    loop {
        let mut used = false;
        let mut chars = format.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            // Skip flags and width, then take the conversion letter.
            while chars.peek().is_some_and(|c| "-+ #0123456789.".contains(*c)) {
                chars.next();
            }
            match chars.next() {
                Some('%') => out.push('%'),
                Some(_) => {
                    used = true;
                    out.push_str(next.next().map_or("", |w| w.text.as_str()));
                }
                None => {}
            }
        }
        if !used || next.len() == 0 {
            return out;
        }
    }
}
