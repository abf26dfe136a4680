//! `interlock log --verify`: walks the chain and names the first line that breaks it.

use std::io::BufRead;

use super::chain::{self, GENESIS, Record};

/// The first place the chain is broken. Lines are numbered from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub line: usize,
    pub why: String,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.why)
    }
}

/// Checks every link; returns the number of lines when the chain is whole.
pub fn verify(reader: impl BufRead) -> Result<usize, Broken> {
    walk(reader).map(|(n, _)| n)
}

/// [`verify`] for the log at `path`, and against the head record beside it, which
/// remembers the last line written: a log that ends before it was cut short.
pub fn verify_log(path: &std::path::Path) -> std::io::Result<Result<usize, Broken>> {
    let file = std::fs::File::open(path)?;
    let (n, last) = match walk(std::io::BufReader::new(file)) {
        Ok(r) => r,
        Err(b) => return Ok(Err(b)),
    };
    let Some((head_seq, head_hash)) = super::file::read_head(&super::file::head_path(path)) else {
        return Ok(Ok(n));
    };
    let cut = |why: String| Broken { line: n + 1, why };
    Ok(match last {
        None if head_seq > 0 => Err(cut(format!(
            "the log is empty, but line {head_seq} was written: it was emptied or replaced"
        ))),
        Some((seq, _)) if head_seq > seq => Err(cut(format!(
            "the log ends at sequence number {seq}, but {head_seq} was written: lines were removed from its end"
        ))),
        Some((seq, hash)) if head_seq == seq && head_hash != hash => Err(Broken {
            line: n,
            why: "the last line is not the one written: it was changed".into(),
        }),
        _ => Ok(n),
    })
}

/// The number of lines and the last line's sequence number and hash.
fn walk(reader: impl BufRead) -> Result<(usize, Option<(u64, String)>), Broken> {
    let mut prev_hash = GENESIS.to_owned();
    let mut prev_seq: Option<u64> = None;
    let mut count = 0;
    for (i, line) in reader.split(b'\n').enumerate() {
        let n = i + 1;
        let line = line.map_err(|e| Broken {
            line: n,
            why: format!("cannot be read: {e}"),
        })?;
        let record: Record = serde_json::from_slice(&line).map_err(|e| Broken {
            line: n,
            why: format!("not a log record ({e}): it was edited, or a write was torn"),
        })?;
        if record.prev != prev_hash {
            let why = if n == 1 {
                "the first line does not start the chain: lines before it were removed".to_owned()
            } else {
                format!(
                    "does not follow line {}: line {} was changed, or lines between them were removed, inserted or reordered",
                    n - 1,
                    n - 1
                )
            };
            return Err(Broken { line: n, why });
        }
        if let Some(p) = prev_seq
            && record.seq != p + 1
        {
            let why = if record.seq > p + 1 {
                format!(
                    "sequence number {} follows {p}: lines {}..{} were removed from the end of the log before this one was written",
                    record.seq,
                    p + 1,
                    record.seq - 1
                )
            } else {
                format!("sequence number {} follows {p}", record.seq)
            };
            return Err(Broken { line: n, why });
        }
        prev_seq = Some(record.seq);
        prev_hash = chain::link(&line);
        count = n;
    }
    Ok((count, prev_seq.map(|s| (s, prev_hash))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Entry, Event, Outcome};

    fn event() -> Event {
        Event {
            entry: Entry::Shim,
            argv: Some(vec![
                "kubectl".into(),
                "delete".into(),
                "ns".into(),
                "x".into(),
            ]),
            script: None,
            tool: Some("kubectl".into()),
            rule: Some("kubectl-delete-namespace".into()),
            decision: "block".into(),
            outcome: Outcome::Blocked,
            exit: None,
            context: None,
            escalation: None,
        }
    }

    fn chain_of(n: usize) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        for i in 0..n {
            let prev = lines
                .last()
                .map_or(GENESIS.to_owned(), |l| chain::link(l.as_bytes()));
            lines.push(Record::new(&event(), i as u64 + 1, prev).to_line());
        }
        lines
    }

    fn check(lines: &[String]) -> Result<usize, Broken> {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        verify(text.as_bytes())
    }

    #[test]
    fn a_whole_chain_verifies() {
        assert_eq!(check(&chain_of(5)), Ok(5));
        assert_eq!(check(&[]), Ok(0));
    }

    #[test]
    fn an_edited_line_breaks_the_next_link() {
        let mut l = chain_of(5);
        l[2] = l[2].replace("\"block\"", "\"allow\"");
        assert_eq!(check(&l).unwrap_err().line, 4);
    }

    #[test]
    fn removed_and_reordered_lines_are_found() {
        let mut l = chain_of(5);
        l.remove(1);
        assert_eq!(check(&l).unwrap_err().line, 2);
        let mut l = chain_of(5);
        l.swap(2, 3);
        assert_eq!(check(&l).unwrap_err().line, 3);
        let mut l = chain_of(5);
        l.remove(0);
        assert_eq!(check(&l).unwrap_err().line, 1);
    }

    #[test]
    fn garbage_is_named() {
        let mut l = chain_of(3);
        l[1] = "not json".into();
        let e = check(&l).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.why.contains("not a log record"), "{e}");
    }

    proptest::proptest! {
        /// Any change to any line but the newest is found, at that line or the next.
        #[test]
        fn any_edit_before_the_newest_line_is_found(
            n in 2usize..12,
            pick in 0usize..1000,
            offset in 0usize..1000,
            byte in 0u8..128,
        ) {
            let mut l = chain_of(n);
            let i = pick % (n - 1);
            let mut bytes = l[i].clone().into_bytes();
            let at = offset % bytes.len();
            proptest::prop_assume!(bytes[at] != byte && byte != b'\n');
            bytes[at] = byte;
            l[i] = String::from_utf8_lossy(&bytes).into_owned();
            let e = check(&l).unwrap_err();
            proptest::prop_assert!(e.line == i + 1 || e.line == i + 2, "{e}");
        }
    }
}
