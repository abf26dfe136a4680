//! Text-level work on rules files that needs no TOML parser. Shared with `build.rs`
//! (through `#[path]`), which uses it to prepare the embedded default rules at build
//! time, so it depends on `std` alone.

/// Reads the `programs = [...]` line without parsing the TOML, so files for other
/// programs cost nothing. An empty result means "always load this file".
pub fn scan_programs(src: &str) -> Vec<String> {
    let Some(start) = src
        .lines()
        .position(|l| l.trim_start().starts_with("programs"))
    else {
        return Vec::new();
    };
    let text: String = src
        .lines()
        .skip(start)
        .take_while(|l| !l.trim_start().starts_with('['))
        .collect::<Vec<_>>()
        .join("\n");
    let Some(open) = text.find('[') else {
        return Vec::new();
    };
    let Some(close) = text[open..].find(']') else {
        return Vec::new();
    };
    text[open + 1..open + close]
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The keys holding a rule's examples, which only `interlock rules test` reads.
const EXAMPLE_KEYS: &[&str] = &["match", "not_match"];

/// The rules file without comments and example arrays, for judging: a shim parses its
/// tool's file on every call, and the examples are a quarter of the text. Every
/// newline is kept, so line numbers (and so rule locations) are unchanged; removed
/// text becomes blanks.
///
/// The scanner knows TOML strings (basic, literal and their multi-line forms), so a
/// `#` or a key-like line inside a string is left alone. Anything it does not
/// understand is kept as written: the worst case is a file that was not made smaller.
pub fn strip_examples(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    let mut line_start = true;
    while i < b.len() {
        let c = b[i];
        if line_start && (c == b' ' || c == b'\t') {
            i += 1;
            continue;
        }
        if line_start && let Some(end) = example_entry_end(b, i) {
            blank(&mut out, i, end);
            i = end;
            line_start = false;
            continue;
        }
        line_start = false;
        match c {
            b'\n' => {
                line_start = true;
                i += 1;
            }
            b'#' => {
                let end = line_end(b, i);
                blank(&mut out, i, end);
                i = end;
            }
            b'"' | b'\'' => i = string_end(b, i),
            _ => i += 1,
        }
    }
    // Only blanks replaced other ASCII bytes, so the text is still UTF-8.
    String::from_utf8(out).unwrap_or_else(|_| src.to_owned())
}

fn line_end(b: &[u8], from: usize) -> usize {
    b[from..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| from + p)
}

/// If an example key (`match = [...]`) starts at `i`, the end of its value.
fn example_entry_end(b: &[u8], i: usize) -> Option<usize> {
    let key = EXAMPLE_KEYS
        .iter()
        .find(|k| b[i..].starts_with(k.as_bytes()))?;
    let mut j = i + key.len();
    while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
        j += 1;
    }
    if b.get(j) != Some(&b'=') {
        return None;
    }
    j += 1;
    while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
        j += 1;
    }
    if b.get(j) != Some(&b'[') {
        return None;
    }
    let mut depth = 0usize;
    while j < b.len() {
        match b[j] {
            b'[' => {
                depth += 1;
                j += 1;
            }
            b']' => {
                depth -= 1;
                j += 1;
                if depth == 0 {
                    return Some(j);
                }
            }
            b'#' => j = line_end(b, j),
            b'"' | b'\'' => j = string_end(b, j),
            _ => j += 1,
        }
    }
    // An unclosed array: leave it for the parser to report.
    None
}

/// The index just past the string starting at `i` (a quote character).
fn string_end(b: &[u8], i: usize) -> usize {
    let q = b[i];
    let multi = b[i..].starts_with(&[q, q, q]);
    let mut j = if multi { i + 3 } else { i + 1 };
    while j < b.len() {
        let c = b[j];
        if c == b'\\' && q == b'"' {
            j += 2;
            continue;
        }
        if multi {
            if b[j..].starts_with(&[q, q, q]) {
                // A multi-line string may end with up to two extra quotes.
                let mut k = j + 3;
                while k < b.len() && b[k] == q && k < j + 5 {
                    k += 1;
                }
                return k;
            }
        } else if c == q || c == b'\n' {
            return j + 1;
        }
        j += 1;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_and_comments_become_blanks_on_the_same_lines() {
        let src = "# head\n[[rule]]\nid = \"a\" # why\nmatch = [\n  \"x ] # y\",\n  'z',\n]\nnot_match = [\"w\"]\nreason = \"\"\"\nmatch = [\"kept\"]\n\"\"\"\n";
        let lean = strip_examples(src);
        assert_eq!(lean.lines().count(), src.lines().count());
        assert_eq!(lean.len(), src.len());
        assert!(!lean.contains('#'));
        assert!(!lean.contains("\"x"));
        assert!(!lean.contains("\"w\""));
        assert!(lean.contains("id = \"a\""));
        // Text inside a multi-line string is not a key.
        assert!(lean.contains("match = [\"kept\"]"));
    }

    #[test]
    fn programs_line_is_read_without_a_parser() {
        assert_eq!(
            scan_programs("# x\nprograms = [\"kubectl\", \"mkfs.*\"]\n[tool.kubectl]\n"),
            ["kubectl", "mkfs.*"]
        );
        assert_eq!(
            scan_programs("programs = [\n  \"a\",\n  \"b\",\n]\n"),
            ["a", "b"]
        );
        assert!(scan_programs("[[rule]]\n").is_empty());
    }
}
