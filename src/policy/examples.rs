//! Rules test themselves: every `match` example must be matched by its rule, and no
//! `not_match` example may be.

use std::collections::HashMap;

use super::Engine;
use crate::context::Detector;
use crate::rules::Action;

/// One example that did not behave as its rule says.
#[derive(Debug, Clone)]
pub struct ExampleFailure {
    pub rule: String,
    pub location: String,
    pub example: String,
    pub expected_match: bool,
    /// For `expect` examples: the decision wanted and the one given.
    pub decision: Option<(Action, Action)>,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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
                });
            }
        }
    }
    (failures, count)
}
