//! Where a command points: the kube context and namespace, the AWS profile, region and
//! account, the terraform workspace, the gcloud project, the pulumi stack, the Azure
//! subscription — and whether that is a production, staging or development environment.
//!
//! Detection reads the tool's flags first, then the command's own environment
//! assignments, then the process environment, then the tool's config files, as each
//! tool itself does. It runs only for commands some rule matched: a plain allow never
//! reads a kubeconfig.

mod aws;
mod azure;
mod classify;
mod gcloud;
mod ini;
mod kube;
mod pulumi;
mod terraform;

use std::collections::HashMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::env::Env;
use crate::normalize::Command;
use crate::policy::args::ArgView;

pub use classify::{Classifier, EnvClass};

/// `[context]` in config.toml: the name patterns that recognise each environment.
/// A list given here replaces the default list for that class.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextConfig {
    #[serde(default)]
    pub production: Option<Vec<String>>,
    #[serde(default)]
    pub staging: Option<Vec<String>>,
    #[serde(default)]
    pub development: Option<Vec<String>>,
}

/// Where one command points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    /// What was found, in order of importance (`kube-context`, `namespace`, ...).
    pub items: Vec<(&'static str, String)>,
    /// The environment the names say, or `None` when they say nothing known.
    pub class: Option<EnvClass>,
}

impl std::fmt::Display for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (k, v)) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{k}={v}")?;
        }
        match self.class {
            Some(c) => write!(f, " ({})", c.as_str()),
            None => f.write_str(" (environment unknown)"),
        }
    }
}

/// The tools detection knows (by their canonical name: `oc` is kubectl).
pub const TOOLS: &[&str] = &[
    "kubectl",
    "helm",
    "aws",
    "terraform",
    "gcloud",
    "gsutil",
    "bq",
    "cdk",
    "cdktf",
    "pulumi",
    "az",
];

/// What the engine asks when a matched rule may depend on where a command points.
pub trait ContextSource {
    fn context(&self, tool: &str, cmd: &Command, view: &ArgView<'_>) -> Option<Context>;
}

/// The names detection found, before classification: the primary name decides the
/// environment; secondary names can only make it stricter (a `prod` namespace in a
/// cluster called `dev` is production), never make an unknown one known.
pub(crate) struct Found {
    pub items: Vec<(&'static str, String)>,
    pub primary: Option<String>,
    pub secondary: Vec<String>,
}

/// Context detection from the real process environment and files (or, in tests and
/// rule examples, from a fixed set of variables and directories).
pub struct Detector {
    home: Option<PathBuf>,
    cwd: Option<PathBuf>,
    /// `None`: the process environment.
    vars: Option<HashMap<String, String>>,
    classifier: Classifier,
}

impl Detector {
    pub fn from_process(env: &Env, cfg: Option<&ContextConfig>) -> Detector {
        Detector {
            home: env.home.clone(),
            cwd: env.cwd.clone(),
            vars: None,
            classifier: Classifier::new(cfg),
        }
    }

    /// Detection that sees only the given variables and directories: what rule examples
    /// and tests use, so they do not depend on the machine they run on.
    pub fn fixed(
        vars: HashMap<String, String>,
        home: Option<PathBuf>,
        cwd: Option<PathBuf>,
        cfg: Option<&ContextConfig>,
    ) -> Detector {
        Detector {
            home,
            cwd,
            vars: Some(vars),
            classifier: Classifier::new(cfg),
        }
    }

    pub(crate) fn var(&self, cmd: &Command, name: &str) -> Option<String> {
        if let Some((_, w)) = cmd.env.iter().rev().find(|(k, _)| k == name) {
            return Some(w.text.clone());
        }
        match &self.vars {
            Some(m) => m.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
        .filter(|v| !v.is_empty())
    }

    pub(crate) fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    pub(crate) fn home(&self) -> Option<&std::path::Path> {
        self.home.as_deref()
    }

    pub(crate) fn cwd(&self) -> Option<&std::path::Path> {
        self.cwd.as_deref()
    }
}

/// The value of the last occurrence of any of `names` among the options.
pub(crate) fn option<'a>(view: &'a ArgView<'_>, names: &[&str]) -> Option<&'a str> {
    view.options
        .iter()
        .rev()
        .find(|o| names.contains(&o.name.as_ref()))
        .and_then(|o| o.value)
}

impl ContextSource for Detector {
    fn context(&self, tool: &str, cmd: &Command, view: &ArgView<'_>) -> Option<Context> {
        let (found, classified) = match tool {
            "kubectl" => (kube::detect(self, cmd, view, kube::KUBECTL_FLAGS), true),
            "helm" => (kube::detect(self, cmd, view, kube::HELM_FLAGS), true),
            "aws" => (aws::detect(self, cmd, view), true),
            "terraform" => (terraform::detect(self, cmd, view), true),
            "gcloud" => (gcloud::detect(self, cmd, view, gcloud::GCLOUD_FLAGS), true),
            // Named for the people deciding, not classified: an unknown environment is
            // what freezes and environment rules treat most strictly, and no rule for
            // these tools depends on the class.
            "gsutil" => (gcloud::detect(self, cmd, view, gcloud::GSUTIL_FLAGS), false),
            "bq" => (gcloud::detect(self, cmd, view, gcloud::BQ_FLAGS), false),
            "cdk" | "cdktf" => (aws::detect(self, cmd, view), false),
            "pulumi" => (pulumi::detect(self, cmd, view), false),
            "az" => (azure::detect(self, cmd, view), false),
            _ => return None,
        };
        let class = if classified {
            self.classifier
                .decide(found.primary.as_deref(), &found.secondary)
        } else {
            None
        };
        Some(Context {
            items: found.items,
            class,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Engine;
    use crate::rules::{RuleSet, Sources};

    /// The context the engine records for a command some rule matches, seeing no
    /// variables and no files of this machine.
    fn ctx(argv: &[&str], vars: &[(&str, &str)]) -> Context {
        let vars = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let engine = Engine::new(RuleSet::load(&Sources::embedded_only())).with_context(Box::new(
            Detector::fixed(vars, None, Some("/nonexistent".into()), None),
        ));
        let argv: Vec<String> = argv.iter().map(|s| (*s).to_owned()).collect();
        let v = engine.judge_argv(&argv);
        v.commands[0]
            .context
            .clone()
            .expect("a matched command has a context")
    }

    fn get<'a>(c: &'a Context, key: &str) -> Option<&'a str> {
        c.items
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn every_listed_tool_is_detected_and_no_other() {
        let d = Detector::fixed(HashMap::new(), None, None, None);
        let cmd = Command::default();
        let view = ArgView::default();
        for t in TOOLS {
            assert!(d.context(t, &cmd, &view).is_some(), "{t}");
        }
        assert!(d.context("git", &cmd, &view).is_none());
    }

    #[test]
    fn reads_flags_for_every_tool_people_are_asked_about() {
        let c = ctx(
            &[
                "kubectl",
                "--context",
                "prod-eu",
                "--kubeconfig",
                "/k",
                "-n",
                "payments",
                "delete",
                "namespace",
                "x",
            ],
            &[],
        );
        assert_eq!(get(&c, "kube-context"), Some("prod-eu"));
        assert_eq!(get(&c, "namespace"), Some("payments"));
        assert_eq!(get(&c, "kubeconfig"), Some("/k"));
        assert_eq!(c.class, Some(EnvClass::Production));
        let c = ctx(
            &[
                "aws",
                "--profile=admin",
                "--region",
                "us-east-1",
                "--endpoint-url",
                "http://localhost:4566",
                "s3",
                "rb",
                "s3://b",
                "--force",
            ],
            &[],
        );
        assert_eq!(get(&c, "aws-profile"), Some("admin"));
        assert_eq!(get(&c, "aws-region"), Some("us-east-1"));
        assert_eq!(get(&c, "aws-endpoint"), Some("http://localhost:4566"));
        let c = ctx(&["pulumi", "destroy", "--yes", "-s", "prod"], &[]);
        assert_eq!(get(&c, "pulumi-stack"), Some("prod"));
        // Shown, not classified: freezes keep treating it as an unknown environment.
        assert_eq!(c.class, None);
        let c = ctx(
            &["az", "group", "delete", "-n", "rg", "--yes"],
            &[("AZURE_SUBSCRIPTION_ID", "sub-1")],
        );
        assert_eq!(get(&c, "az-subscription"), Some("sub-1"));
        let c = ctx(
            &["gsutil", "rm", "-r", "gs://prod-data"],
            &[("CLOUDSDK_CORE_PROJECT", "acme")],
        );
        assert_eq!(get(&c, "gcp-project"), Some("acme"));
        assert_eq!(c.class, None);
    }

    #[test]
    fn cluster_server_and_user_overrides_are_shown_and_classified() {
        let c = ctx(
            &[
                "kubectl",
                "--context",
                "kind-dev",
                "--cluster=gke_acme_prod",
                "--server",
                "https://10.0.0.5:6443",
                "--token=s3cret",
                "delete",
                "ns",
                "payments",
            ],
            &[],
        );
        assert_eq!(get(&c, "cluster"), Some("gke_acme_prod"));
        assert_eq!(get(&c, "server"), Some("https://10.0.0.5:6443"));
        assert!(!c.to_string().contains("s3cret"), "{c}");
        assert_eq!(c.class, Some(EnvClass::Production));
        // A server the classifier cannot place is never development, whatever the
        // context is called.
        let c = ctx(
            &[
                "kubectl",
                "--context",
                "kind-dev",
                "--server=https://10.0.0.5:6443",
                "delete",
                "ns",
                "x",
            ],
            &[],
        );
        assert_eq!(c.class, None);
        let c = ctx(
            &["helm", "uninstall", "web"],
            &[("HELM_KUBECONTEXT", "kind-dev"), ("HELM_NAMESPACE", "prod")],
        );
        assert_eq!(get(&c, "kube-context"), Some("kind-dev"));
        assert_eq!(c.class, Some(EnvClass::Production));
    }
}
