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
mod script;
mod terraform;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::env::Env;
use crate::normalize::Command;
use crate::policy::args::ArgView;

pub use classify::{Classifier, EnvClass};
pub use script::{Change, Changes, ScriptChanges};

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
/// `changes` is what earlier commands of the same script changed (nothing, for a
/// command on its own).
pub trait ContextSource {
    fn context(
        &self,
        tool: &str,
        cmd: &Command,
        view: &ArgView<'_>,
        changes: &Changes,
    ) -> Option<Context>;
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

    /// A variable of the process (or the fixed set), empty counting as unset.
    fn process_var(&self, name: &str) -> Option<String> {
        match &self.vars {
            Some(m) => m.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
        .filter(|v| !v.is_empty())
    }
}

/// Detection for one command: the detector, seen through what the script changed
/// before the command. Whatever cannot be known (a value computed at run time, a
/// sourced file) is noted, and a command with such a note is never classed by its
/// names: its environment is unknown unless a name says production.
pub(crate) struct Scope<'a> {
    d: &'a Detector,
    pub(crate) changes: &'a Changes,
    /// The working directory after the script's `cd`s, or the step that cannot be
    /// known (noted only when a tool's target depends on the directory).
    cwd: Result<Option<PathBuf>, String>,
    unknown: RefCell<Vec<String>>,
}

impl<'a> Scope<'a> {
    fn new(d: &'a Detector, changes: &'a Changes) -> Scope<'a> {
        let mut unknown = Vec::new();
        if let Some(why) = &changes.everything {
            unknown.push(why.clone());
        }
        let cwd = changes.cwd(d.cwd.as_deref(), d.home.as_deref());
        Scope {
            d,
            changes,
            cwd,
            unknown: RefCell::new(unknown),
        }
    }

    /// Notes something the command's target depends on that cannot be known.
    pub(crate) fn note(&self, what: String) {
        let mut u = self.unknown.borrow_mut();
        if !u.contains(&what) {
            u.push(what);
        }
    }

    /// A variable as the command will see it: its own `NAME=value` first, then what
    /// the script exported or unset, then the process's.
    pub(crate) fn var(&self, cmd: &Command, name: &str) -> Option<String> {
        if let Some((_, w)) = cmd.env.iter().rev().find(|(k, _)| k == name) {
            if w.is_dynamic() {
                self.note(format!("{name}={}", w.text));
            }
            return Some(w.text.clone());
        }
        match self.changes.var(name) {
            Some(script::Value::Set(v)) => Some(v.clone()).filter(|v| !v.is_empty()),
            Some(script::Value::Unset) => None,
            Some(script::Value::Unknown(t)) => {
                self.note(format!("{name}={t}"));
                Some(t.clone())
            }
            None => self.d.process_var(name),
        }
    }

    /// A value the script gave a tool setting, as the text to use: `Some(None)` when
    /// the script unset it, `None` when it did not touch it.
    pub(crate) fn setting(&self, what: &str, v: Option<&script::Value>) -> Option<Option<String>> {
        match v? {
            script::Value::Set(s) => Some(Some(s.clone())),
            script::Value::Unset => Some(None),
            script::Value::Unknown(t) => {
                self.note(format!("{what} {t}"));
                Some(Some(t.clone()))
            }
        }
    }

    pub(crate) fn classifier(&self) -> &Classifier {
        &self.d.classifier
    }

    pub(crate) fn home(&self) -> Option<&std::path::Path> {
        self.d.home.as_deref()
    }

    /// The working directory after the script's `cd`s.
    pub(crate) fn cwd(&self) -> Option<&std::path::Path> {
        match &self.cwd {
            Ok(c) => c.as_deref(),
            Err(why) => {
                self.note(why.clone());
                None
            }
        }
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
    fn context(
        &self,
        tool: &str,
        cmd: &Command,
        view: &ArgView<'_>,
        changes: &Changes,
    ) -> Option<Context> {
        let d = &Scope::new(self, changes);
        let (found, classified) = match tool {
            "kubectl" => (kube::detect(d, cmd, view, kube::KUBECTL_FLAGS), true),
            "helm" => (kube::detect(d, cmd, view, kube::HELM_FLAGS), true),
            "aws" => (aws::detect(d, cmd, view), true),
            "terraform" => (terraform::detect(d, cmd, view), true),
            "gcloud" => (gcloud::detect(d, cmd, view, gcloud::GCLOUD_FLAGS), true),
            // Named for the people deciding, not classified: an unknown environment is
            // what freezes and environment rules treat most strictly, and no rule for
            // these tools depends on the class.
            "gsutil" => (gcloud::detect(d, cmd, view, gcloud::GSUTIL_FLAGS), false),
            "bq" => (gcloud::detect(d, cmd, view, gcloud::BQ_FLAGS), false),
            "cdk" | "cdktf" => (aws::detect(d, cmd, view), false),
            "pulumi" => (pulumi::detect(d, cmd, view), false),
            "az" => (azure::detect(d, cmd, view), false),
            _ => return None,
        };
        let unknown = d.unknown.take();
        let primary = found.primary.as_deref().filter(|_| unknown.is_empty());
        let class = if classified {
            self.classifier.decide(primary, &found.secondary)
        } else {
            None
        };
        let mut items = found.items;
        if !unknown.is_empty() {
            items.push(("unknown", unknown.join(", ")));
        }
        Some(Context { items, class })
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
            assert!(
                d.context(t, &cmd, &view, &Changes::default()).is_some(),
                "{t}"
            );
        }
        assert!(d.context("git", &cmd, &view, &Changes::default()).is_none());
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

    const KUBECONFIG: &str = "contexts:\n- context:\n    cluster: kind-dev\n  name: kind-dev\n- context:\n    cluster: gke_acme_prod\n    namespace: payments\n  name: prod-eu\ncurrent-context: @CURRENT@\n";

    /// A home with a kubeconfig (current context `current`), terraform directories
    /// `work/devinfra` and `work/prodinfra` (both in workspace `dev`) and a gcloud
    /// configuration for project `acme-dev`; scripts run from `work/devinfra`.
    struct Home {
        dir: tempfile::TempDir,
    }

    impl Home {
        fn new(current: &str) -> Home {
            let dir = tempfile::tempdir().unwrap();
            let write = |rel: &str, text: &str| {
                let p = dir.path().join(rel);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, text).unwrap();
            };
            write(".kube/config", &KUBECONFIG.replace("@CURRENT@", current));
            write(
                "prod.kubeconfig",
                &KUBECONFIG.replace("@CURRENT@", "prod-eu"),
            );
            write("work/devinfra/.terraform/environment", "dev\n");
            write("work/prodinfra/.terraform/environment", "dev\n");
            write(".config/gcloud/active_config", "work\n");
            write(
                ".config/gcloud/configurations/config_work",
                "[core]\nproject = acme-dev\n",
            );
            Home { dir }
        }

        /// The decision the shell mode or a hook gives the script, and the context.
        fn judge(&self, script: &str) -> (Action, Option<Context>) {
            let root = self.dir.path();
            let engine = Engine::new(RuleSet::load(&Sources::embedded_only())).with_context(
                Box::new(Detector::fixed(
                    HashMap::new(),
                    Some(root.to_path_buf()),
                    Some(root.join("work/devinfra")),
                    None,
                )),
            );
            let v = engine.judge_script(script);
            let ctx = v.deciding().and_then(|c| c.context.clone());
            (v.decision, ctx)
        }
    }

    use crate::rules::Action;

    #[test]
    fn a_context_changed_earlier_in_the_script_is_the_one_judged() {
        let h = Home::new("kind-dev");
        // Without the change each of these is a development command, allowed.
        assert_eq!(h.judge("kubectl delete deploy web").0, Action::Allow);
        assert_eq!(h.judge("terraform destroy").0, Action::Allow);
        let prod = [
            "kubectl config use-context prod-eu && kubectl delete ns x",
            "kubectx prod-eu; kubectl delete deploy web",
            "kubectl config set-context --current --namespace=prod && kubectl delete deploy web",
            "export KUBECONFIG=@HOME@/prod.kubeconfig; kubectl delete deploy web",
            "KUBECONFIG=~/prod.kubeconfig; export KUBECONFIG; helm uninstall web",
            "terraform workspace select prod && terraform destroy",
            "cd ../prodinfra && terraform destroy",
            "export TF_WORKSPACE=prod; terraform destroy",
        ];
        let home = h.dir.path().display().to_string();
        for script in prod {
            let script = script.replace("@HOME@", &home);
            let (decision, ctx) = h.judge(&script);
            assert_eq!(decision, Action::Block, "{script}: {ctx:?}");
            assert_eq!(ctx.unwrap().class, Some(EnvClass::Production), "{script}");
        }
        let (decision, ctx) =
            h.judge("gcloud config set project prod-x && gcloud compute instances delete vm");
        assert_eq!(ctx.unwrap().class, Some(EnvClass::Production));
        assert_eq!(decision, Action::Confirm);
    }

    #[test]
    fn a_context_the_script_computes_is_unknown_never_development() {
        let h = Home::new("kind-dev");
        for script in [
            "kubectl config use-context \"$CTX\" && kubectl delete deploy web",
            "export KUBECONFIG=$KC; kubectl delete deploy web",
            "source ./env.sh; kubectl delete deploy web",
            "cd \"$DIR\" && terraform destroy",
            "terraform workspace select \"$W\"; terraform destroy",
            "kubectl config set-cluster kind-dev --server https://10.0.0.5 && kubectl delete deploy web",
        ] {
            let (decision, ctx) = h.judge(script);
            let ctx = ctx.unwrap();
            assert_eq!(ctx.class, None, "{script}: {ctx}");
            assert_ne!(decision, Action::Allow, "{script}");
            assert!(ctx.to_string().contains("unknown="), "{script}: {ctx}");
        }
    }

    #[test]
    fn a_change_that_may_not_have_happened_cannot_loosen_the_decision() {
        // The current context is production; a switch to development that fails, or
        // sits in a branch that does not run, leaves the delete in production.
        let h = Home::new("prod-eu");
        for script in [
            "kubectl config use-context kind-dev || true; kubectl delete deploy web",
            "false && kubectl config use-context kind-dev; kubectl delete deploy web",
            "kubectl delete deploy web $(kubectl config use-context kind-dev)",
        ] {
            assert_eq!(h.judge(script).0, Action::Block, "{script}");
        }
        // A directory the script computes says nothing about a kube context.
        let h2 = Home::new("kind-dev");
        assert_eq!(
            h2.judge("cd \"$REPO\" && kubectl delete deploy web").0,
            Action::Allow
        );
        // A switch that really happens to another development context is still fine.
        let h = Home::new("kind-dev");
        assert_eq!(
            h.judge("kubectl config use-context kind-dev && kubectl delete deploy web")
                .0,
            Action::Allow
        );
    }
}
