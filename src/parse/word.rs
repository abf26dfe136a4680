//! One shell word: what it says when it is plain text, and whether it is.

use brush_parser::word::{ParameterExpr, WordPiece, WordPieceWithSource};

/// A word of a command line after quote removal, as far as that can be done without
/// running anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// The text with quotes removed. Expansions stay as written (`$HOME`, `$(...)`), so a
    /// rule can still match `$HOME` literally.
    pub text: String,
    /// No expansion of any kind: the text is exactly what the program receives.
    pub literal: bool,
    /// Unquoted glob or brace characters: the shell may turn this into other words.
    pub pattern: bool,
}

impl Word {
    /// A word that reached us already expanded (argv from a shim, `check --`).
    pub fn literal(text: impl Into<String>) -> Self {
        Word {
            text: text.into(),
            literal: true,
            pattern: false,
        }
    }

    /// A word whose value is unknown until run time (what `xargs` appends, say).
    pub fn unknown(text: impl Into<String>) -> Self {
        Word {
            text: text.into(),
            literal: false,
            pattern: false,
        }
    }

    /// True when the value cannot be known without running the shell.
    pub fn is_dynamic(&self) -> bool {
        !self.literal || self.pattern
    }
}

/// What a word analysis yields: the word, plus the scripts it would run when expanded.
pub(crate) struct Analyzed {
    pub word: Word,
    pub scripts: Vec<String>,
    /// Arithmetic bodies: brush may have read `$( (cmd) )` as `$((...))`, so each is
    /// also judged as a script when it parses as one.
    pub maybe_scripts: Vec<String>,
}

pub(crate) fn analyze(
    raw: &str,
    options: &brush_parser::ParserOptions,
) -> Result<Analyzed, String> {
    let pieces = brush_parser::word::parse(raw, options)
        .map_err(|e| format!("cannot read word {raw:?}: {e}"))?;
    let mut out = Analyzed {
        word: Word {
            text: String::with_capacity(raw.len()),
            literal: true,
            pattern: false,
        },
        scripts: Vec::new(),
        maybe_scripts: Vec::new(),
    };
    add_pieces(&pieces, false, &mut out, options);
    Ok(out)
}

/// Finds the scripts inside heredoc text that the shell expands (`$(...)` in an
/// unquoted-delimiter heredoc).
pub(crate) fn heredoc_scripts(body: &str, options: &brush_parser::ParserOptions) -> Vec<String> {
    let mut out = Analyzed {
        word: Word::literal(""),
        scripts: Vec::new(),
        maybe_scripts: Vec::new(),
    };
    if let Ok(pieces) = brush_parser::word::parse_heredoc(body, options) {
        add_pieces(&pieces, true, &mut out, options);
    } else if body.contains("$(") || body.contains('`') {
        // Unreadable but possibly executing: surface the whole body so it is judged.
        out.scripts.push(body.to_owned());
    }
    out.scripts
}

fn add_pieces(
    pieces: &[WordPieceWithSource],
    quoted: bool,
    out: &mut Analyzed,
    options: &brush_parser::ParserOptions,
) {
    for p in pieces {
        match &p.piece {
            WordPiece::Text(s) => {
                if !quoted && s.contains(['*', '?', '[', '{']) {
                    out.word.pattern = true;
                }
                out.word.text.push_str(s);
            }
            WordPiece::SingleQuotedText(s) => out.word.text.push_str(s),
            WordPiece::AnsiCQuotedText(s) => out.word.text.push_str(&decode_ansi_c(s)),
            WordPiece::DoubleQuotedSequence(inner)
            | WordPiece::GettextDoubleQuotedSequence(inner) => {
                add_pieces(inner, true, out, options)
            }
            WordPiece::TildeExpansion(t) => {
                use brush_parser::word::TildeExpr;
                match t {
                    TildeExpr::Home => out.word.text.push('~'),
                    TildeExpr::UserHome(u) => {
                        out.word.text.push('~');
                        out.word.text.push_str(u);
                    }
                    _ => {
                        out.word.literal = false;
                        out.word.text.push('~');
                    }
                }
            }
            WordPiece::ParameterExpansion(expr) => {
                out.word.literal = false;
                out.word.text.push_str(&parameter_text(expr));
                for operand in parameter_operands(expr) {
                    if let Ok(inner) = analyze(operand, options) {
                        out.scripts.extend(inner.scripts);
                    } else {
                        out.scripts.push(operand.to_owned());
                    }
                }
            }
            WordPiece::CommandSubstitution(s) => {
                out.word.literal = false;
                out.word.text.push_str("$(");
                out.word.text.push_str(s);
                out.word.text.push(')');
                out.scripts.push(s.clone());
            }
            WordPiece::BackquotedCommandSubstitution(s) => {
                // Inside backticks a backslash quotes only `$`, `` ` `` and `\`; bash
                // removes it before running the text.
                let inner = unescape_backquoted(s);
                out.word.literal = false;
                out.word.text.push_str("$(");
                out.word.text.push_str(&inner);
                out.word.text.push(')');
                out.scripts.push(inner);
            }
            WordPiece::EscapeSequence(s) => {
                // `\r\m` is `rm`: a backslash only protects the next character.
                out.word.text.push_str(s.strip_prefix('\\').unwrap_or(s));
            }
            WordPiece::ArithmeticExpression(expr) => {
                out.word.literal = false;
                out.word.text.push_str("$((");
                out.word.text.push_str(&expr.value);
                out.word.text.push_str("))");
                out.maybe_scripts.push(expr.value.clone());
                if expr.value.contains('$') || expr.value.contains('`') {
                    if let Ok(inner) = analyze(&expr.value, options) {
                        out.scripts.extend(inner.scripts);
                    } else {
                        out.scripts.push(expr.value.clone());
                    }
                }
            }
        }
    }
}

fn parameter_text(expr: &ParameterExpr) -> String {
    use brush_parser::word::{Parameter, ParameterTestType};
    let (p, indirect) = match expr {
        ParameterExpr::Parameter {
            parameter,
            indirect,
        }
        | ParameterExpr::UseDefaultValues {
            parameter,
            indirect,
            ..
        }
        | ParameterExpr::AssignDefaultValues {
            parameter,
            indirect,
            ..
        }
        | ParameterExpr::IndicateErrorIfNullOrUnset {
            parameter,
            indirect,
            ..
        }
        | ParameterExpr::UseAlternativeValue {
            parameter,
            indirect,
            ..
        }
        | ParameterExpr::ParameterLength {
            parameter,
            indirect,
        }
        | ParameterExpr::RemoveSmallestSuffixPattern {
            parameter,
            indirect,
            ..
        }
        | ParameterExpr::RemoveLargestSuffixPattern {
            parameter,
            indirect,
            ..
        }
        | ParameterExpr::RemoveSmallestPrefixPattern {
            parameter,
            indirect,
            ..
        }
        | ParameterExpr::RemoveLargestPrefixPattern {
            parameter,
            indirect,
            ..
        }
        | ParameterExpr::Substring {
            parameter,
            indirect,
            ..
        }
        | ParameterExpr::Transform {
            parameter,
            indirect,
            ..
        }
        | ParameterExpr::UppercaseFirstChar {
            parameter,
            indirect,
            ..
        }
        | ParameterExpr::UppercasePattern {
            parameter,
            indirect,
            ..
        }
        | ParameterExpr::LowercaseFirstChar {
            parameter,
            indirect,
            ..
        }
        | ParameterExpr::LowercasePattern {
            parameter,
            indirect,
            ..
        }
        | ParameterExpr::ReplaceSubstring {
            parameter,
            indirect,
            ..
        } => (parameter, *indirect),
        ParameterExpr::VariableNames { prefix, .. } => return format!("${{!{prefix}*}}"),
        ParameterExpr::MemberKeys { variable_name, .. } => {
            return format!("${{!{variable_name}[@]}}");
        }
    };
    // `$HOME` and `${HOME}` are the same word to a rule.
    if let (ParameterExpr::Parameter { .. }, false) = (expr, indirect) {
        return match p {
            Parameter::Named(n) => format!("${n}"),
            Parameter::Positional(n) => format!("${n}"),
            p => p.to_string(),
        };
    }
    // Any operator keeps its spelling, so nothing reads `${PATH#*:}` as `$PATH`; the
    // self-protection checks read the default-value forms.
    let shown = p.to_string();
    let name = shown
        .strip_prefix("${")
        .and_then(|n| n.strip_suffix('}'))
        .or_else(|| shown.strip_prefix('$'))
        .unwrap_or(&shown);
    let bang = if indirect { "!" } else { "" };
    let colon = |t: &ParameterTestType| match t {
        ParameterTestType::UnsetOrNull => ":",
        ParameterTestType::Unset => "",
    };
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    let op = match expr {
        ParameterExpr::UseDefaultValues {
            test_type,
            default_value,
            ..
        } => format!("{}-{}", colon(test_type), opt(default_value)),
        ParameterExpr::AssignDefaultValues {
            test_type,
            default_value,
            ..
        } => format!("{}={}", colon(test_type), opt(default_value)),
        ParameterExpr::IndicateErrorIfNullOrUnset {
            test_type,
            error_message,
            ..
        } => format!("{}?{}", colon(test_type), opt(error_message)),
        ParameterExpr::UseAlternativeValue {
            test_type,
            alternative_value,
            ..
        } => format!("{}+{}", colon(test_type), opt(alternative_value)),
        ParameterExpr::ParameterLength { .. } => return format!("${{#{bang}{name}}}"),
        ParameterExpr::RemoveSmallestSuffixPattern { pattern, .. } => format!("%{}", opt(pattern)),
        ParameterExpr::RemoveLargestSuffixPattern { pattern, .. } => format!("%%{}", opt(pattern)),
        ParameterExpr::RemoveSmallestPrefixPattern { pattern, .. } => format!("#{}", opt(pattern)),
        ParameterExpr::RemoveLargestPrefixPattern { pattern, .. } => format!("##{}", opt(pattern)),
        ParameterExpr::Substring { offset, length, .. } => match length {
            Some(l) => format!(":{}:{}", offset.value, l.value),
            None => format!(":{}", offset.value),
        },
        ParameterExpr::UppercaseFirstChar { pattern, .. } => format!("^{}", opt(pattern)),
        ParameterExpr::UppercasePattern { pattern, .. } => format!("^^{}", opt(pattern)),
        ParameterExpr::LowercaseFirstChar { pattern, .. } => format!(",{}", opt(pattern)),
        ParameterExpr::LowercasePattern { pattern, .. } => format!(",,{}", opt(pattern)),
        ParameterExpr::ReplaceSubstring {
            pattern,
            replacement,
            ..
        } => format!("/{pattern}/{}", opt(replacement)),
        _ => "@".to_owned(),
    };
    format!("${{{bang}{name}{op}}}")
}

fn parameter_operands(expr: &ParameterExpr) -> Vec<&str> {
    let mut v = Vec::new();
    match expr {
        ParameterExpr::UseDefaultValues {
            default_value: s, ..
        }
        | ParameterExpr::AssignDefaultValues {
            default_value: s, ..
        }
        | ParameterExpr::IndicateErrorIfNullOrUnset {
            error_message: s, ..
        }
        | ParameterExpr::UseAlternativeValue {
            alternative_value: s,
            ..
        }
        | ParameterExpr::RemoveSmallestSuffixPattern { pattern: s, .. }
        | ParameterExpr::RemoveLargestSuffixPattern { pattern: s, .. }
        | ParameterExpr::RemoveSmallestPrefixPattern { pattern: s, .. }
        | ParameterExpr::RemoveLargestPrefixPattern { pattern: s, .. }
        | ParameterExpr::UppercaseFirstChar { pattern: s, .. }
        | ParameterExpr::UppercasePattern { pattern: s, .. }
        | ParameterExpr::LowercaseFirstChar { pattern: s, .. }
        | ParameterExpr::LowercasePattern { pattern: s, .. } => v.extend(s.as_deref()),
        ParameterExpr::ReplaceSubstring {
            pattern,
            replacement,
            ..
        } => {
            v.push(pattern.as_str());
            v.extend(replacement.as_deref());
        }
        ParameterExpr::Substring { offset, length, .. } => {
            v.push(offset.value.as_str());
            v.extend(length.as_ref().map(|l| l.value.as_str()));
        }
        _ => {}
    }
    v
}

fn unescape_backquoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && matches!(chars.peek(), Some('$' | '`' | '\\')) {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

/// Decodes the body of a `$'...'` string the way bash does.
pub fn decode_ansi_c(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut bytes: Vec<u8> = Vec::new();
    let mut chars = s.chars().peekable();
    let flush = |bytes: &mut Vec<u8>, out: &mut String| {
        if !bytes.is_empty() {
            out.push_str(&String::from_utf8_lossy(bytes));
            bytes.clear();
        }
    };
    while let Some(c) = chars.next() {
        if c != '\\' {
            flush(&mut bytes, &mut out);
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            out.push('\\');
            break;
        };
        let simple = match e {
            'a' => Some('\x07'),
            'b' => Some('\x08'),
            'e' | 'E' => Some('\x1b'),
            'f' => Some('\x0c'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\x0b'),
            '\\' => Some('\\'),
            '\'' => Some('\''),
            '"' => Some('"'),
            '?' => Some('?'),
            _ => None,
        };
        if let Some(c) = simple {
            flush(&mut bytes, &mut out);
            out.push(c);
            continue;
        }
        match e {
            'x' => {
                let v = take_digits(&mut chars, 16, 2);
                match v {
                    Some(v) => bytes.push(v as u8),
                    None => {
                        flush(&mut bytes, &mut out);
                        out.push_str("\\x");
                    }
                }
            }
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match chars.peek().and_then(|c| c.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                bytes.push((v & 0xff) as u8);
            }
            'u' | 'U' => {
                let max = if e == 'u' { 4 } else { 8 };
                flush(&mut bytes, &mut out);
                match take_digits(&mut chars, 16, max).and_then(char::from_u32) {
                    Some(c) => out.push(c),
                    None => {
                        out.push('\\');
                        out.push(e);
                    }
                }
            }
            'c' => {
                flush(&mut bytes, &mut out);
                if let Some(c) = chars.next() {
                    out.push(char::from((c as u32 & 0x1f) as u8));
                }
            }
            other => {
                flush(&mut bytes, &mut out);
                out.push('\\');
                out.push(other);
            }
        }
    }
    flush(&mut bytes, &mut out);
    out
}

fn take_digits(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    radix: u32,
    max: usize,
) -> Option<u32> {
    let mut v: Option<u32> = None;
    for _ in 0..max {
        match chars.peek().and_then(|c| c.to_digit(radix)) {
            Some(d) => {
                v = Some(v.unwrap_or(0) * radix + d);
                chars.next();
            }
            None => break,
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(raw: &str) -> Analyzed {
        analyze(raw, &brush_parser::ParserOptions::default()).unwrap()
    }

    #[test]
    fn ansi_c_hex_octal_and_unicode_decode() {
        assert_eq!(decode_ansi_c(r"\x72\x6d"), "rm");
        assert_eq!(decode_ansi_c(r"\162\155"), "rm");
        assert_eq!(decode_ansi_c(r"\u0072m"), "rm");
        assert_eq!(decode_ansi_c(r"a\tb\'"), "a\tb'");
    }

    #[test]
    fn quotes_and_escapes_are_removed() {
        let a = w(r#"'r'"m"\f"#);
        assert_eq!(a.word.text, "rmf");
        assert!(a.word.literal && !a.word.pattern);
    }

    #[test]
    fn expansions_make_a_word_dynamic_and_yield_scripts() {
        let a = w("${X:-$(rm -rf /)}");
        assert!(!a.word.literal);
        assert_eq!(a.scripts, vec!["rm -rf /".to_string()]);
        let b = w("`which rm`");
        assert!(b.word.is_dynamic());
        assert_eq!(b.scripts, vec!["which rm".to_string()]);
        assert_eq!(w("${HOME}").word.text, "$HOME");
        assert_eq!(w("${PATH#*:}").word.text, "${PATH#*:}");
        assert_eq!(w("${PATH:40}").word.text, "${PATH:40}");
        assert_eq!(w("${PATH//interlock/x}").word.text, "${PATH/interlock/x}");
        assert_eq!(
            w("${XDG_CONFIG_HOME:-$HOME/.config}").word.text,
            "${XDG_CONFIG_HOME:-$HOME/.config}"
        );
        assert_eq!(w("${D-/tmp}").word.text, "${D-/tmp}");
        let nested = w(r"`echo \`rm -rf /\``");
        assert_eq!(nested.scripts, vec!["echo `rm -rf /`".to_string()]);
    }

    #[test]
    fn unquoted_globs_are_patterns_quoted_are_not() {
        assert!(w("/bin/r?").word.pattern);
        assert!(w("{rm,-rf}").word.pattern);
        assert!(!w("'*'").word.pattern);
    }
}
