//! The small pattern language of rules: `a|b` alternatives, `*` and `?` globs, and
//! `\*` for a literal star (`rm -rf \*` as the agent typed it).
//! Exact token matching is far cheaper than regex, and most rules need nothing more.

/// True when `text` matches any `|`-separated alternative of `pattern`.
pub fn matches(pattern: &str, text: &str, ignore_case: bool) -> bool {
    pattern
        .split('|')
        .any(|alt| glob(alt.as_bytes(), text.as_bytes(), ignore_case))
}

fn glob(p: &[u8], t: &[u8], ic: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if ic {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi + 1 < p.len() && p[pi] == b'\\' {
            if eq(p[pi + 1], t[ti]) {
                pi += 2;
                ti += 1;
                continue;
            }
        } else if pi < p.len() && (p[pi] == b'?' || (p[pi] != b'*' && eq(p[pi], t[ti]))) {
            pi += 1;
            ti += 1;
            continue;
        }
        if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs_and_alternatives() {
        assert!(matches(
            "delete-*|terminate-*",
            "terminate-instances",
            false
        ));
        assert!(!matches("delete-*", "describe-instances", false));
        assert!(matches("ns|namespace*", "namespaces", false));
        assert!(matches("+*", "+main", false));
        assert!(matches("FLUSH*", "flushall", true));
        assert!(!matches("FLUSH*", "flushall", false));
        assert!(matches("a?c", "abc", false));
        assert!(matches("*", "", false));
        assert!(!matches("x", "", false));
        assert!(matches(r"\*", "*", false));
        assert!(!matches(r"\*", "target", false));
        assert!(matches(r"/\*", "/*", false));
        assert!(!matches(r"/\*", "/tmp", false));
    }
}
