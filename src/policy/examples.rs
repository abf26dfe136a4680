//! Rules test themselves: every `match` example must be matched by its rule, and no
//! `not_match` example may be; and a rule's preview of each of its `match` examples
//! must itself be allowed, so a preview can never be the destructive command.

use std::collections::HashMap;

use std::sync::Arc;

use super::{Engine, args, dry_run_argv, rule_matches};
use crate::context::Detector;
use crate::normalize;
use crate::rules::{Action, Rule};

/// One example that did not behave as its rule says.
#[derive(Debug, Clone)]
pub struct ExampleFailure {
    pub rule: String,
    pub location: String,
    pub example: String,
    pub expected_match: bool,
    /// For `expect` examples: the decision wanted and the one given.
    pub decision: Option<(Action, Action)>,
    /// For previews: the preview and why it is not allowed.
    pub preview: Option<String>,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(p) = &self.preview {
            return write!(
                f,
                "{} ({}): the preview of `{}` is not allowed: {p}",
                self.rule, self.location, self.example
            );
        }
        if let Some((want, got)) = self.decision {
            return write!(
                f,
                "{} ({}): should be {} but is {}: {}",
                self.rule,
                self.location,
                want.as_str(),
                got.as_str(),
                self.example
            );
        }
        let what = if self.expected_match {
            "should match but does not"
        } else {
            "should not match but does"
        };
        write!(
            f,
            "{} ({}): {what}: {}",
            self.rule, self.location, self.example
        )
    }
}

/// Runs the examples of every rule in effect; returns the failures and how many ran.
pub fn check_examples(engine: &Engine) -> (Vec<ExampleFailure>, usize) {
    engine.rules.load_all();
    let mut failures = Vec::new();
    let mut count = 0;
    let hermetic = Detector::fixed(HashMap::new(), None, None, None);
    for rule in engine.rules.all_rules() {
        let cases = rule
            .spec
            .must_match
            .iter()
            .map(|e| (e, true))
            .chain(rule.spec.not_match.iter().map(|e| (e, false)));
        for (example, expected) in cases {
            count += 1;
            let v = engine.judge_script(example);
            let hit = v
                .commands
                .iter()
                .any(|c| c.matches.iter().any(|m| m.id == rule.spec.id));
            if hit != expected {
                failures.push(ExampleFailure {
                    rule: rule.spec.id.clone(),
                    location: rule.location(),
                    example: example.clone(),
                    expected_match: expected,
                    decision: None,
                    preview: None,
                });
            }
        }
        for e in &rule.spec.expect {
            count += 1;
            let got = engine.judge_script_in(&e.command, &hermetic).decision;
            if got != e.decision {
                failures.push(ExampleFailure {
                    rule: rule.spec.id.clone(),
                    location: rule.location(),
                    example: e.command.clone(),
                    expected_match: true,
                    decision: Some((e.decision, got)),
                    preview: None,
                });
            }
        }
        if rule.spec.dry_run.is_some() {
            for example in &rule.spec.must_match {
                for problem in preview_problems(engine, &rule, example) {
                    failures.push(ExampleFailure {
                        rule: rule.spec.id.clone(),
                        location: rule.location(),
                        example: example.clone(),
                        expected_match: true,
                        decision: None,
                        preview: Some(problem),
                    });
                }
            }
        }
    }
    (failures, count)
}

/// Why the rule's preview of each command of `example` it matches is not allowed.
fn preview_problems(engine: &Engine, rule: &Arc<Rule>, example: &str) -> Vec<String> {
    let Some(d) = &rule.spec.dry_run else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for cmd in normalize::analyze_script(example) {
        let pr = engine.rules.for_program(&cmd.program);
        if !pr.rules.iter().any(|r| Arc::ptr_eq(r, rule)) {
            continue;
        }
        let view = args::parse(&cmd.args, &pr.spec);
        let Some(path_len) = rule_matches(rule, &view, &cmd, &pr) else {
            continue;
        };
        let preview = dry_run_argv(&cmd, &view, d, &rule.spec.command, path_len);
        let v = engine.judge_argv(&preview);
        if v.decision != Action::Allow {
            out.push(format!(
                "`{}` is judged {} by {}",
                preview.join(" "),
                v.decision.as_str(),
                v.rule().map_or("interlock", |m| m.id.as_str())
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{RuleSet, Sources};

    fn failures_for(preview_flag: &str) -> Vec<ExampleFailure> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.toml");
        std::fs::write(
            &path,
            format!(
                "programs = [\"kubectl\"]\n[[rule]]\nid = \"delete-pod\"\nprogram = \"kubectl\"\n\
                 command = [\"delete\"]\nunless_flags = [\"--dry-run|--dry-run=server\"]\n\
                 action = \"confirm\"\nfallback = \"dry-run\"\nreason = \"r\"\n\
                 dry_run = {{ append = [\"{preview_flag}\"] }}\nmatch = [\"kubectl delete pod x\"]\n"
            ),
        )
        .unwrap();
        let rules = RuleSet::load(&Sources {
            extra: vec![path],
            ..Default::default()
        });
        assert!(rules.errors().is_empty(), "{:?}", rules.errors());
        check_examples(&Engine::new(rules)).0
    }

    #[test]
    fn a_preview_that_is_itself_destructive_fails_the_rule_tests() {
        let f = failures_for("--dry-run=none");
        assert_eq!(f.len(), 1, "{f:?}");
        let said = f[0].to_string();
        assert!(
            said.contains("kubectl delete pod x --dry-run=none"),
            "{said}"
        );
        assert!(said.contains("judged confirm by delete-pod"), "{said}");
        assert!(failures_for("--dry-run=server").is_empty());
    }
}
