//! The corpus: hundreds of shell commands with the decision a careful platform engineer
//! expects, in `tests/corpus/*.tsv` (`EXPECTED<TAB>COMMAND`; `deny` = anything but allow).
//! Every mismatch is collected and printed before the test fails.

use std::path::Path;

use interlock::policy::{Engine, check_examples};
use interlock::rules::{RuleSet, Sources};

fn engine() -> Engine {
    Engine::new(RuleSet::load(&Sources::embedded_only()))
}

/// Undoes the escapes a TSV line may use for characters it cannot hold: `\n`, `\t`, `\\`.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[test]
fn corpus() {
    let engine = engine();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/corpus exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
        .collect();
    files.sort();
    let (mut passed, mut failed) = (0usize, Vec::new());
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let Some((expected, command)) = line.split_once('\t') else {
                failed.push(format!("{name}:{}: no TAB in line: {line}", n + 1));
                continue;
            };
            let expected = expected.trim();
            assert!(
                matches!(expected, "allow" | "block" | "confirm" | "dry-run" | "deny"),
                "{name}:{}: unknown expectation {expected:?}",
                n + 1
            );
            let command = unescape(command);
            let verdict = engine.judge_script(&command);
            let got = verdict.decision.as_str();
            let ok = if expected == "deny" {
                got != "allow"
            } else {
                got == expected
            };
            if ok {
                passed += 1;
            } else {
                let rule = verdict.rule().map_or("-".to_owned(), |m| m.id.clone());
                failed.push(format!(
                    "{name}:{}: expected {expected}, got {got} (rule {rule}): {command}",
                    n + 1
                ));
            }
        }
    }
    for f in &failed {
        println!("MISMATCH {f}");
    }
    println!("corpus: {passed} passed, {} failed", failed.len());
    assert!(failed.is_empty(), "{} corpus cases failed", failed.len());
    assert!(
        passed >= 500,
        "the corpus should hold at least 500 cases, has {passed}"
    );
}

#[test]
fn rule_examples() {
    let engine = engine();
    let (failures, count) = check_examples(&engine);
    for f in &failures {
        println!("FAIL {f}");
    }
    assert!(count > 0, "no rule examples ran");
    assert!(
        failures.is_empty(),
        "{} rule examples failed",
        failures.len()
    );
}
