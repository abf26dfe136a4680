//! Rules test themselves: every `match` example must be matched by its rule, and no
//! `not_match` example may be.

use super::Engine;

/// One example that did not behave as its rule says.
#[derive(Debug, Clone)]
pub struct ExampleFailure {
    pub rule: String,
    pub location: String,
    pub example: String,
    pub expected_match: bool,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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
                });
            }
        }
    }
    (failures, count)
}
