//! Text-level work on rules files that needs no TOML parser. Shared with `build.rs`
//! (through `#[path]`), which uses it to prepare the embedded default rules at build
//! time, so it depends on `std` alone.

/// Reads the `programs = [...]` line without parsing the TOML, so files for other
/// programs cost nothing. An empty result means "always load this file". The crate
/// itself reads the result build.rs stored; only its tests call this.
#[cfg_attr(not(test), allow(dead_code))]
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

/// Where each `[[rule]]` header starts: its byte offset and its line (1-based). The
/// scanner knows TOML comments and strings (basic, literal and their multi-line
/// forms), so a header-like line inside a string is not counted.
pub fn rule_locations(src: &str) -> Vec<(usize, usize)> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut line, mut line_start) = (0, 1, true);
    while i < b.len() {
        let c = b[i];
        if line_start && (c == b' ' || c == b'\t') {
            i += 1;
            continue;
        }
        if line_start && is_rule_header(&b[i..]) {
            out.push((i, line));
        }
        line_start = false;
        let next = match c {
            b'\n' => {
                line_start = true;
                i + 1
            }
            b'#' => line_end(b, i),
            b'"' | b'\'' => string_end(b, i),
            _ => i + 1,
        };
        line += b[i + 1..next.min(b.len())]
            .iter()
            .filter(|&&c| c == b'\n')
            .count()
            + usize::from(c == b'\n');
        i = next;
    }
    out
}

/// `[[rule]]`, with the blanks TOML allows inside the brackets.
fn is_rule_header(rest: &[u8]) -> bool {
    let Some(mut r) = rest.strip_prefix(b"[[") else {
        return false;
    };
    r = trim_blanks(r);
    let Some(r) = r.strip_prefix(b"rule") else {
        return false;
    };
    trim_blanks(r).starts_with(b"]]")
}

fn trim_blanks(mut r: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', tail @ ..] = r {
        r = tail;
    }
    r
}

fn line_end(b: &[u8], from: usize) -> usize {
    b[from..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| from + p)
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
    fn rule_headers_are_found_outside_strings_and_comments() {
        let src = "# [[rule]]\n[[rule]]\nid = \"a\" # [[rule]]\nreason = \"\"\"\n[[rule]]\n\"\"\"\n  [[ rule ]]\nx = '[[rule]]'\n[[rules]]\n[[rule]]";
        let found = rule_locations(src);
        let lines: Vec<usize> = found.iter().map(|l| l.1).collect();
        assert_eq!(lines, [2, 7, 10]);
        for (offset, line) in found {
            assert_eq!(src[..offset].matches('\n').count() + 1, line);
            assert!(src[offset..].starts_with("[["));
        }
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
