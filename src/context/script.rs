//! What the commands of a script change about where its other commands point:
//! `kubectl config use-context prod-eu && kubectl delete ns x` deletes in prod-eu
//! whatever the kubeconfig said before the script ran, and a hook that judges the
//! whole string up front must see that.
//!
//! A change is read from the command that makes it, with its value when the value is
//! literal and as unknown when it is not (`cd "$DIR"`). The script's control flow is
//! not followed (a change may sit in a branch that never runs, or fail), so the
//! engine judges each command as it would be before every change and after each
//! prefix of them, and keeps the strictest (see [`ScriptChanges::candidates`]).

use std::path::PathBuf;
use std::sync::Arc;

use crate::normalize::Command;
use crate::parse::Word;
use crate::policy::args::ArgView;

/// A value a script gives something.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Set(String),
    Unset,
    /// Computed at run time; the text is as written, for messages.
    Unknown(String),
}

impl Value {
    fn of(w: &Word) -> Value {
        Value::of_text(w, &w.text)
    }

    /// `text` (part of `w`) as a value: unknown when the word is not literal.
    fn of_text(w: &Word, text: &str) -> Value {
        if w.is_dynamic() {
            Value::Unknown(text.to_owned())
        } else {
            Value::Set(text.to_owned())
        }
    }
}

/// One step of `cd`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dir {
    /// Relative to the previous directory, or absolute.
    Path(String),
    /// `cd` alone, `~`, `~/x`: the home directory, then the rest.
    Home(String),
    Unknown(String),
}

/// One change a command makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// `export NAME=value`, `NAME=value` alone, `unset NAME`.
    Var(String, Value),
    /// `source FILE` or `. FILE`: anything may have changed.
    Everything(String),
    Cd(Dir),
    KubeContext(Value),
    /// `kubectl config set-context [NAME|--current] --namespace NS`, `kubens NS`.
    KubeNamespace {
        context: Option<String>,
        namespace: Value,
    },
    /// A kubeconfig edit that can re-point contexts (`set-cluster`, `set-context
    /// --cluster`, `rename-context`, ...).
    KubeconfigEdited(String),
    TfWorkspace(Value),
    GcloudProject(Value),
    GcloudConfig(Value),
    /// `aws configure set KEY VALUE`, for a profile (or the one in effect).
    AwsSetting {
        profile: Option<String>,
        key: String,
        value: Value,
    },
    AzSubscription(Value),
    PulumiStack(Value),
}

/// The state after some changes: what detection consults before the process's own
/// environment and the tools' files.
#[derive(Clone, Debug, Default)]
pub struct Changes {
    pub(crate) vars: Vec<(String, Value)>,
    pub(crate) everything: Option<String>,
    pub(crate) cd: Vec<Dir>,
    pub(crate) kube_context: Option<Value>,
    pub(crate) kube_namespaces: Vec<(Option<String>, Value)>,
    pub(crate) kubeconfig_edited: Option<String>,
    pub(crate) tf_workspace: Option<Value>,
    pub(crate) gcloud_project: Option<Value>,
    pub(crate) gcloud_config: Option<Value>,
    pub(crate) aws: Vec<(Option<String>, String, Value)>,
    pub(crate) az_subscription: Option<Value>,
    pub(crate) pulumi_stack: Option<Value>,
}

impl Changes {
    fn apply(&mut self, c: &Change) {
        match c {
            Change::Var(k, v) => self.vars.push((k.clone(), v.clone())),
            Change::Everything(why) => self.everything = Some(why.clone()),
            Change::Cd(d) => self.cd.push(d.clone()),
            Change::KubeContext(v) => self.kube_context = Some(v.clone()),
            Change::KubeNamespace { context, namespace } => self
                .kube_namespaces
                .push((context.clone(), namespace.clone())),
            Change::KubeconfigEdited(why) => self.kubeconfig_edited = Some(why.clone()),
            Change::TfWorkspace(v) => self.tf_workspace = Some(v.clone()),
            Change::GcloudProject(v) => self.gcloud_project = Some(v.clone()),
            Change::GcloudConfig(v) => self.gcloud_config = Some(v.clone()),
            Change::AwsSetting {
                profile,
                key,
                value,
            } => self.aws.push((profile.clone(), key.clone(), value.clone())),
            Change::AzSubscription(v) => self.az_subscription = Some(v.clone()),
            Change::PulumiStack(v) => self.pulumi_stack = Some(v.clone()),
        }
    }

    /// The working directory after the script's `cd`s, from `start`; `Err` names a
    /// step that cannot be known.
    pub(crate) fn cwd(
        &self,
        start: Option<&std::path::Path>,
        home: Option<&std::path::Path>,
    ) -> Result<Option<PathBuf>, String> {
        let mut dir = start.map(PathBuf::from);
        for step in &self.cd {
            dir = match step {
                Dir::Path(p) => match &dir {
                    Some(d) => Some(d.join(p)),
                    None => Some(PathBuf::from(p)),
                },
                Dir::Home(rest) => match home {
                    Some(h) if rest.is_empty() => Some(h.to_path_buf()),
                    Some(h) => Some(h.join(rest)),
                    None => return Err("cd ~ with no home directory".into()),
                },
                Dir::Unknown(w) => return Err(format!("cd {w}")),
            };
        }
        Ok(dir)
    }

    /// The latest value the script gave the variable, if it gave one.
    pub(crate) fn var(&self, name: &str) -> Option<&Value> {
        self.vars
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

/// The changes a script makes, in order.
#[derive(Clone, Debug, Default)]
pub struct ScriptChanges {
    changes: Vec<Change>,
}

/// More changes than this and a command is also judged as pointing somewhere unknown:
/// the combinations are not all tried.
const MAX_CANDIDATES: usize = 16;

impl ScriptChanges {
    /// Reads the changes from a script's commands. `grammar` gives a program's
    /// canonical tool name and argument reading.
    pub fn scan<'c>(
        commands: impl IntoIterator<Item = &'c Command>,
        grammar: impl Fn(&str) -> (String, Arc<crate::rules::ToolSpec>),
    ) -> ScriptChanges {
        let mut changes = Vec::new();
        for cmd in commands {
            if cmd.problem.is_some() {
                continue;
            }
            shell_changes(cmd, &mut changes);
            if TOOLS.contains(&cmd.program.as_str()) || is_kube_helper(&cmd.program) {
                let (tool, spec) = grammar(&cmd.program);
                let view = crate::policy::args::parse(&cmd.args, &spec);
                tool_changes(&tool, cmd, &view, &mut changes);
            }
        }
        ScriptChanges { changes }
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The states a command may run in: before any change, then after each prefix of
    /// the changes in script order (a later change may have failed or sat in a branch
    /// that did not run). With too many changes the last state is one where everything
    /// is unknown.
    pub fn candidates(&self) -> Vec<Changes> {
        let mut out = vec![Changes::default()];
        let mut state = Changes::default();
        for (i, c) in self.changes.iter().enumerate() {
            state.apply(c);
            if i + 2 >= MAX_CANDIDATES {
                let mut unknown = state.clone();
                unknown.everything = Some(format!(
                    "the script changes where tools point {} times",
                    self.changes.len()
                ));
                out.push(unknown);
                return out;
            }
            out.push(state.clone());
        }
        out
    }
}

/// Programs whose subcommands change where they or their family point.
const TOOLS: &[&str] = &[
    "kubectl",
    "oc",
    "kubecolor",
    "microk8s.kubectl",
    "terraform",
    "tofu",
    "terragrunt",
    "gcloud",
    "aws",
    "aws2",
    "az",
    "pulumi",
];

fn is_kube_helper(p: &str) -> bool {
    matches!(p, "kubectx" | "kubens")
}

/// `export`, bare assignments, `unset`, `source`, `cd` and friends.
fn shell_changes(cmd: &Command, out: &mut Vec<Change>) {
    if cmd.program.is_empty() {
        // `NAME=value` alone sets a shell variable; when NAME is already exported (as
        // KUBECONFIG usually is) the tools started after see the new value.
        for (k, w) in &cmd.env {
            out.push(Change::Var(k.clone(), Value::of(w)));
        }
        return;
    }
    let words = || cmd.args.iter().filter(|w| !w.text.starts_with(['-', '+']));
    match cmd.program.as_str() {
        "export" | "declare" | "typeset" | "local" | "readonly" => {
            let unexport = cmd.program == "export" && cmd.args.iter().any(|w| w.text == "-n");
            for w in words() {
                match w.text.split_once('=') {
                    Some((k, v)) if !unexport => {
                        out.push(Change::Var(k.to_owned(), Value::of_text(w, v)));
                    }
                    Some((k, _)) => out.push(Change::Var(k.to_owned(), Value::Unset)),
                    None if unexport => out.push(Change::Var(w.text.clone(), Value::Unset)),
                    None => {}
                }
            }
        }
        // `unset -f` removes functions, not variables.
        "unset" if !cmd.args.iter().any(|w| w.text == "-f") => {
            for w in words() {
                out.push(Change::Var(w.text.clone(), Value::Unset));
            }
        }
        "source" | "." => {
            let file = cmd.args.first().map_or("", |w| w.text.as_str());
            out.push(Change::Everything(format!("{} {file}", cmd.program)));
        }
        "cd" | "pushd" => {
            let target = cmd
                .args
                .iter()
                .find(|w| !matches!(w.text.as_str(), "-L" | "-P" | "-e" | "-@"));
            out.push(Change::Cd(match target {
                None if cmd.program == "cd" => Dir::Home(String::new()),
                None => Dir::Unknown(cmd.program.clone()),
                Some(w) => cd_target(w),
            }));
        }
        "popd" => out.push(Change::Cd(Dir::Unknown("popd".into()))),
        _ => {}
    }
}

fn cd_target(w: &Word) -> Dir {
    let t = w.text.as_str();
    if w.is_dynamic() || t == "-" || t.starts_with('+') {
        return Dir::Unknown(t.to_owned());
    }
    match t.strip_prefix('~') {
        Some("") => Dir::Home(String::new()),
        Some(rest) if rest.starts_with('/') => Dir::Home(rest.trim_start_matches('/').to_owned()),
        // `~user`: someone else's home, which is not looked up.
        Some(_) => Dir::Unknown(t.to_owned()),
        None => Dir::Path(t.to_owned()),
    }
}

fn operand<'w>(view: &ArgView<'w>, i: usize) -> Option<&'w Word> {
    view.operands.get(i).map(|(_, w)| *w)
}

fn verbs<'v>(view: &'v ArgView<'_>) -> Vec<&'v str> {
    view.operands.iter().map(|(_, w)| w.text.as_str()).collect()
}

/// The value of the last of `names` among the options, as written.
fn option_value(view: &ArgView<'_>, cmd: &Command, names: &[&str]) -> Option<Value> {
    let o = view
        .options
        .iter()
        .rev()
        .find(|o| names.contains(&o.name.as_ref()))?;
    let v = o.value?;
    let w = &cmd.args[o.value_index.unwrap_or(o.index)];
    Some(Value::of_text(w, v))
}

fn tool_changes(tool: &str, cmd: &Command, view: &ArgView<'_>, out: &mut Vec<Change>) {
    let v = verbs(view);
    match (cmd.program.as_str(), tool) {
        ("kubectx", _) => {
            if let Some(w) = cmd.args.first() {
                out.push(match w.text.as_str() {
                    "-" => Change::KubeContext(Value::Unknown("-".into())),
                    t if t.contains('=') || t.starts_with("-d") => {
                        Change::KubeconfigEdited(format!("kubectx {t}"))
                    }
                    t if t.starts_with('-') => return,
                    _ => Change::KubeContext(Value::of(w)),
                });
            }
        }
        ("kubens", _) => {
            if let Some(w) = cmd
                .args
                .first()
                .filter(|w| w.text == "-" || !w.text.starts_with('-'))
            {
                let namespace = if w.text == "-" {
                    Value::Unknown("-".into())
                } else {
                    Value::of(w)
                };
                out.push(Change::KubeNamespace {
                    context: None,
                    namespace,
                });
            }
        }
        (_, "kubectl") => match v.as_slice() {
            ["config", "use-context" | "use", ..] => {
                if let Some(w) = operand(view, 2) {
                    out.push(Change::KubeContext(Value::of(w)));
                }
            }
            ["config", "set-context", ..] => {
                if view
                    .options
                    .iter()
                    .any(|o| matches!(o.name.as_ref(), "--cluster" | "--user" | "--server"))
                {
                    out.push(Change::KubeconfigEdited(
                        "kubectl config set-context".into(),
                    ));
                }
                if let Some(namespace) = option_value(view, cmd, &["--namespace", "-n"]) {
                    let current = view.options.iter().any(|o| o.name == "--current");
                    let context = if current {
                        None
                    } else {
                        match operand(view, 2) {
                            Some(w) if !w.is_dynamic() => Some(w.text.clone()),
                            Some(w) => {
                                out.push(Change::KubeconfigEdited(format!(
                                    "kubectl config set-context {}",
                                    w.text
                                )));
                                return;
                            }
                            None => None,
                        }
                    };
                    out.push(Change::KubeNamespace { context, namespace });
                }
            }
            [
                "config",
                sub @ ("set-cluster" | "set-credentials" | "set" | "unset" | "rename-context"
                | "delete-context"),
                ..,
            ] => out.push(Change::KubeconfigEdited(format!("kubectl config {sub}"))),
            _ => {}
        },
        (_, "terraform") => {
            if let ["workspace", "select" | "new", ..] = v.as_slice()
                && let Some(w) = operand(view, 2)
            {
                out.push(Change::TfWorkspace(Value::of(w)));
            }
        }
        (_, "gcloud") => match v.as_slice() {
            ["config", "set", "project" | "core/project", ..] => {
                if let Some(w) = operand(view, 3) {
                    out.push(Change::GcloudProject(Value::of(w)));
                }
            }
            ["config", "unset", "project" | "core/project", ..] => {
                out.push(Change::GcloudProject(Value::Unset));
            }
            ["config", "configurations", "activate", ..] => {
                if let Some(w) = operand(view, 3) {
                    out.push(Change::GcloudConfig(Value::of(w)));
                }
            }
            _ => {}
        },
        (_, "aws") => {
            if v.first() != Some(&"configure") {
                return;
            }
            let profile = option_value(view, cmd, &["--profile"]);
            let (profile, known) = match profile {
                Some(Value::Set(p)) => (Some(p), true),
                Some(_) => (None, false),
                None => (None, true),
            };
            match (v.get(1), operand(view, 2), operand(view, 3)) {
                (Some(&"set"), Some(k), Some(val)) if known && !k.is_dynamic() => {
                    // `profile.NAME.key` and `default.key` name the profile in the key.
                    let (profile, key) = match k.text.rsplit_once('.') {
                        Some((p, key)) => {
                            let p = p.strip_prefix("profile.").unwrap_or(p);
                            (Some(p.to_owned()), key.to_owned())
                        }
                        None => (profile, k.text.clone()),
                    };
                    out.push(Change::AwsSetting {
                        profile,
                        key,
                        value: Value::of(val),
                    });
                }
                (Some(&("get" | "list" | "list-profiles" | "export-credentials")), _, _) => {}
                _ => out.push(Change::AwsSetting {
                    profile: if known { profile } else { None },
                    key: "*".into(),
                    value: Value::Unknown(format!("aws {}", v.join(" "))),
                }),
            }
        }
        (_, "az") => {
            if let ["account", "set", ..] = v.as_slice()
                && let Some(s) = option_value(view, cmd, &["--subscription", "-s", "--name", "-n"])
            {
                out.push(Change::AzSubscription(s));
            }
        }
        (_, "pulumi") => {
            if let ["stack", "select", ..] = v.as_slice() {
                let stack = option_value(view, cmd, &["-s", "--stack"])
                    .or_else(|| operand(view, 2).map(Value::of));
                if let Some(s) = stack {
                    out.push(Change::PulumiStack(s));
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{RuleSet, Sources};

    fn scan(src: &str) -> Vec<Change> {
        let rules = RuleSet::load(&Sources::embedded_only());
        let commands = crate::normalize::analyze_script(src);
        ScriptChanges::scan(&commands, |p| {
            let pr = rules.for_program(p);
            (pr.tool.clone(), pr.spec.clone())
        })
        .changes
    }

    fn set(s: &str) -> Value {
        Value::Set(s.into())
    }

    #[test]
    fn changes_are_read_from_the_commands_that_make_them() {
        let cases: Vec<(&str, Change)> = vec![
            (
                "kubectl config use-context prod-eu",
                Change::KubeContext(set("prod-eu")),
            ),
            (
                "oc --kubeconfig k config use prod",
                Change::KubeContext(set("prod")),
            ),
            ("kubectx prod-eu", Change::KubeContext(set("prod-eu"))),
            (
                "kubectl config set-context --current --namespace=prod",
                Change::KubeNamespace {
                    context: None,
                    namespace: set("prod"),
                },
            ),
            (
                "kubectl config set-context dev --namespace prod",
                Change::KubeNamespace {
                    context: Some("dev".into()),
                    namespace: set("prod"),
                },
            ),
            (
                "kubectl config set-cluster kind-dev --server=https://prod",
                Change::KubeconfigEdited("kubectl config set-cluster".into()),
            ),
            (
                "export KUBECONFIG=/k/prod",
                Change::Var("KUBECONFIG".into(), set("/k/prod")),
            ),
            (
                "KUBECONFIG=\"$K\"",
                Change::Var("KUBECONFIG".into(), Value::Unknown("$K".into())),
            ),
            (
                "unset TF_WORKSPACE",
                Change::Var("TF_WORKSPACE".into(), Value::Unset),
            ),
            (
                "export -n AWS_PROFILE",
                Change::Var("AWS_PROFILE".into(), Value::Unset),
            ),
            (
                "terraform workspace select prod",
                Change::TfWorkspace(set("prod")),
            ),
            (
                "tofu -chdir=x workspace new prod",
                Change::TfWorkspace(set("prod")),
            ),
            (
                "cd ../prodinfra",
                Change::Cd(Dir::Path("../prodinfra".into())),
            ),
            ("cd", Change::Cd(Dir::Home(String::new()))),
            ("cd ~/infra", Change::Cd(Dir::Home("infra".into()))),
            ("cd \"$DIR\"", Change::Cd(Dir::Unknown("$DIR".into()))),
            ("cd -", Change::Cd(Dir::Unknown("-".into()))),
            (
                "gcloud config set project prod-x",
                Change::GcloudProject(set("prod-x")),
            ),
            (
                "gcloud config configurations activate prod",
                Change::GcloudConfig(set("prod")),
            ),
            (
                "aws configure set region eu-west-1 --profile ci",
                Change::AwsSetting {
                    profile: Some("ci".into()),
                    key: "region".into(),
                    value: set("eu-west-1"),
                },
            ),
            (
                "aws configure set profile.ci.role_arn arn:aws:iam::123456789012:role/x",
                Change::AwsSetting {
                    profile: Some("ci".into()),
                    key: "role_arn".into(),
                    value: set("arn:aws:iam::123456789012:role/x"),
                },
            ),
            (
                "az account set --subscription prod-sub",
                Change::AzSubscription(set("prod-sub")),
            ),
            (
                "pulumi stack select org/app/prod",
                Change::PulumiStack(set("org/app/prod")),
            ),
            (
                "source ./prod.env",
                Change::Everything("source ./prod.env".into()),
            ),
            (". ./prod.env", Change::Everything(". ./prod.env".into())),
        ];
        for (src, want) in cases {
            assert_eq!(scan(src), vec![want], "{src}");
        }
    }

    #[test]
    fn commands_that_change_nothing_are_not_changes() {
        for src in [
            "kubectl config get-contexts",
            "kubectl get pods",
            "terraform workspace list",
            "gcloud config list",
            "aws configure get region",
            "echo KUBECONFIG=/x",
            "git checkout prod",
        ] {
            assert!(scan(src).is_empty(), "{src}: {:?}", scan(src));
        }
    }

    #[test]
    fn candidates_are_the_state_before_and_after_each_change() {
        let rules = RuleSet::load(&Sources::embedded_only());
        let commands = crate::normalize::analyze_script(
            "kubectl config use-context a; kubectl config use-context b",
        );
        let script = ScriptChanges::scan(&commands, |p| {
            let pr = rules.for_program(p);
            (pr.tool.clone(), pr.spec.clone())
        });
        let c: Vec<_> = script
            .candidates()
            .into_iter()
            .map(|c| c.kube_context)
            .collect();
        assert_eq!(c, [None, Some(set("a")), Some(set("b"))]);
        // Past the limit, the last state leaves everything unknown.
        let many = vec!["cd x"; MAX_CANDIDATES + 3].join("; ");
        let commands = crate::normalize::analyze_script(&many);
        let script = ScriptChanges::scan(&commands, |p| {
            let pr = rules.for_program(p);
            (pr.tool.clone(), pr.spec.clone())
        });
        let c = script.candidates();
        assert_eq!(c.len(), MAX_CANDIDATES);
        assert!(c.last().unwrap().everything.is_some());
    }
}
