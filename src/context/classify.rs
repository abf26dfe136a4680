//! Production, staging or development, from a name.

use serde::Serialize;

use super::ContextConfig;
use crate::rules::glob;

/// Ordered from least to most dangerous.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnvClass {
    Development,
    Staging,
    Production,
}

impl EnvClass {
    pub fn as_str(self) -> &'static str {
        match self {
            EnvClass::Development => "development",
            EnvClass::Staging => "staging",
            EnvClass::Production => "production",
        }
    }
}

pub const DEFAULT_PRODUCTION: &[&str] = &["*prod*", "*prd*", "*live*"];
pub const DEFAULT_STAGING: &[&str] = &["*stag*", "*stg*", "*preprod*", "*pre-prod*", "*uat*"];
pub const DEFAULT_DEVELOPMENT: &[&str] = &[
    "*dev*",
    "*test*",
    "*sandbox*",
    "kind-*",
    "minikube",
    "docker-desktop",
    "rancher-desktop",
    "k3d-*",
];

/// Name patterns per class (globs, case-insensitive).
#[derive(Clone, Debug)]
pub struct Classifier {
    lists: Vec<(EnvClass, Vec<String>)>,
}

fn owned(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// How specific a pattern is: its literal characters. `*preprod*` (7) says more about
/// `preprod-eu` than `*prod*` (4) does.
fn specificity(pattern: &str) -> usize {
    pattern.chars().filter(|c| !matches!(c, '*' | '?')).count()
}

impl Classifier {
    pub fn new(cfg: Option<&ContextConfig>) -> Classifier {
        let pick = |c: Option<&Vec<String>>, d: &[&str]| c.cloned().unwrap_or_else(|| owned(d));
        Classifier {
            lists: vec![
                (
                    EnvClass::Production,
                    pick(cfg.and_then(|c| c.production.as_ref()), DEFAULT_PRODUCTION),
                ),
                (
                    EnvClass::Staging,
                    pick(cfg.and_then(|c| c.staging.as_ref()), DEFAULT_STAGING),
                ),
                (
                    EnvClass::Development,
                    pick(
                        cfg.and_then(|c| c.development.as_ref()),
                        DEFAULT_DEVELOPMENT,
                    ),
                ),
            ],
        }
    }

    /// The class of one name: the most specific matching pattern wins, and between
    /// equally specific ones the more dangerous class (`prod-test` is production).
    pub fn classify(&self, name: &str) -> Option<EnvClass> {
        let mut best: Option<(usize, EnvClass)> = None;
        for (class, patterns) in &self.lists {
            for p in patterns {
                if glob::matches(p, name, true) {
                    let cand = (specificity(p), *class);
                    if best.is_none_or(|b| cand > b) {
                        best = Some(cand);
                    }
                }
            }
        }
        best.map(|(_, c)| c)
    }

    /// The class of a command's target: its primary name decides; a secondary name can
    /// only raise it, and any production name makes it production.
    pub fn decide(&self, primary: Option<&str>, secondary: &[String]) -> Option<EnvClass> {
        let mut class = primary.and_then(|p| self.classify(p));
        for s in secondary {
            match self.classify(s) {
                Some(EnvClass::Production) => class = Some(EnvClass::Production),
                Some(c) => class = class.map(|k| k.max(c)),
                None => {}
            }
        }
        class
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_patterns() {
        let c = Classifier::new(None);
        let cases = [
            ("prod-eu", Some(EnvClass::Production)),
            (
                "gke_acme_europe-west1_production",
                Some(EnvClass::Production),
            ),
            ("PRD-1", Some(EnvClass::Production)),
            ("live", Some(EnvClass::Production)),
            ("preprod", Some(EnvClass::Staging)),
            ("staging", Some(EnvClass::Staging)),
            ("eu-stg", Some(EnvClass::Staging)),
            ("prod-staging", Some(EnvClass::Production)),
            ("prod-test", Some(EnvClass::Production)),
            ("kind-kind", Some(EnvClass::Development)),
            ("minikube", Some(EnvClass::Development)),
            ("dev", Some(EnvClass::Development)),
            ("team-sandbox", Some(EnvClass::Development)),
            ("main", None),
            ("default", None),
        ];
        for (name, want) in cases {
            assert_eq!(c.classify(name), want, "{name}");
        }
    }

    #[test]
    fn secondary_names_only_raise() {
        let c = Classifier::new(None);
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            c.decide(Some("dev"), &s(&["prod-payments"])),
            Some(EnvClass::Production)
        );
        assert_eq!(
            c.decide(Some("dev"), &s(&["staging"])),
            Some(EnvClass::Staging)
        );
        assert_eq!(c.decide(Some("main"), &s(&["dev"])), None);
        assert_eq!(
            c.decide(Some("staging"), &s(&["dev"])),
            Some(EnvClass::Staging)
        );
        assert_eq!(c.decide(None, &s(&["live"])), Some(EnvClass::Production));
    }

    #[test]
    fn config_lists_replace_the_defaults() {
        let cfg = ContextConfig {
            production: Some(vec!["acme-main".into(), "123456789012".into()]),
            ..Default::default()
        };
        let c = Classifier::new(Some(&cfg));
        assert_eq!(c.classify("acme-main"), Some(EnvClass::Production));
        assert_eq!(c.classify("123456789012"), Some(EnvClass::Production));
        assert_eq!(c.classify("prod"), None);
        assert_eq!(c.classify("dev"), Some(EnvClass::Development));
    }
}
