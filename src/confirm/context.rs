//! Where a command would act, for the human deciding: the kube context and namespace,
//! the AWS profile and region, the terraform workspace, the cloud project. Read from
//! the command's own options first, then from the variables it would see, then (cheaply)
//! from the tool's local state. Only read when a human is about to be asked.

use std::path::Path;

use crate::policy::CommandVerdict;
use crate::redact::redact_text;

/// Label and value pairs, in the order people read them.
pub type Context = Vec<(String, String)>;

/// The value of the first of `names` in `args` (`--ns x`, `--ns=x`, `-nx` for one-letter names).
fn option(args: &[String], names: &[&str]) -> Option<String> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        }
        for n in names {
            if a == n {
                return it.next().cloned();
            }
            if let Some(v) = a.strip_prefix(n).and_then(|r| r.strip_prefix('=')) {
                return Some(v.to_owned());
            }
            if n.len() == 2
                && !n.starts_with("--")
                && a.len() > 2
                && a.starts_with(n)
                && !a.starts_with("--")
            {
                return Some(a[2..].to_owned());
            }
        }
    }
    None
}

/// A variable as the command would see it: its own `NAME=value` prefix first.
fn var(cmd: &CommandVerdict, name: &str) -> Option<String> {
    cmd.command
        .env
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.text.clone())
        .or_else(|| std::env::var(name).ok())
        .filter(|v| !v.is_empty())
}

fn first_var(cmd: &CommandVerdict, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| var(cmd, n))
}

/// `current-context:` from the kubeconfig, read as text (no YAML parser needed for one
/// top-level key).
fn kube_current_context(cmd: &CommandVerdict, explicit: Option<&str>) -> Option<String> {
    let path = match explicit {
        Some(p) => p.to_owned(),
        None => match var(cmd, "KUBECONFIG") {
            Some(k) => k.split(':').next()?.to_owned(),
            None => format!("{}/.kube/config", std::env::var("HOME").ok()?),
        },
    };
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().find_map(|l| {
        l.strip_prefix("current-context:")
            .map(|v| v.trim().trim_matches(['"', '\'']).to_owned())
            .filter(|v| !v.is_empty())
    })
}

/// `key = value` settings of one profile in the AWS config file (`[default]` or
/// `[profile NAME]`), read as text.
fn aws_profile_settings(cmd: &CommandVerdict, profile: &str) -> Vec<(String, String)> {
    let path = var(cmd, "AWS_CONFIG_FILE").or_else(|| {
        std::env::var("HOME")
            .ok()
            .map(|h| format!("{h}/.aws/config"))
    });
    let Some(text) = path.and_then(|p| std::fs::read_to_string(p).ok()) else {
        return Vec::new();
    };
    let header = if profile == "default" {
        "[default]".to_owned()
    } else {
        format!("[profile {profile}]")
    };
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == header;
        } else if inside && let Some((k, v)) = line.split_once('=') {
            out.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    out
}

/// The account a profile acts in, when its config says: SSO account id, or the account
/// in the role it assumes.
fn aws_account(settings: &[(String, String)]) -> Option<String> {
    let get = |k: &str| {
        settings
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    };
    get("sso_account_id").or_else(|| {
        let arn = get("role_arn")?;
        arn.split(':')
            .nth(4)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
    })
}

fn terraform_workspace(cmd: &CommandVerdict, args: &[String], cwd: &Path) -> String {
    if let Some(w) = var(cmd, "TF_WORKSPACE") {
        return w;
    }
    let dir = option(args, &["-chdir"]).map_or_else(|| cwd.to_owned(), |d| cwd.join(d));
    std::fs::read_to_string(dir.join(".terraform/environment"))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".into())
}

/// The context of the deciding command; empty when the tool has none worth showing.
pub fn describe(cmd: Option<&CommandVerdict>, cwd: &Path) -> Context {
    let Some(cmd) = cmd else {
        return Vec::new();
    };
    let args: Vec<String> = cmd.command.args.iter().map(|w| w.text.clone()).collect();
    let mut out: Context = Vec::new();
    let mut push = |label: &str, value: Option<String>| {
        if let Some(v) = value {
            out.push((label.to_owned(), redact_text(&v)));
        }
    };
    match cmd.tool.as_str() {
        "kubectl" | "helm" => {
            let ctx_opt: &[&str] = if cmd.tool == "helm" {
                &["--kube-context"]
            } else {
                &["--context"]
            };
            let kubeconfig = option(&args, &["--kubeconfig"]);
            let context =
                option(&args, ctx_opt).or_else(|| kube_current_context(cmd, kubeconfig.as_deref()));
            push(
                "kube context",
                Some(context.unwrap_or_else(|| "(none found)".into())),
            );
            push("cluster", option(&args, &["--cluster"]));
            push(
                "namespace",
                Some(
                    option(&args, &["-n", "--namespace"])
                        .or_else(|| var(cmd, "HELM_NAMESPACE").filter(|_| cmd.tool == "helm"))
                        .unwrap_or_else(|| "the context's default".into()),
                ),
            );
            push("kubeconfig", kubeconfig.or_else(|| var(cmd, "KUBECONFIG")));
        }
        "aws" => {
            let profile = option(&args, &["--profile"])
                .or_else(|| first_var(cmd, &["AWS_PROFILE", "AWS_DEFAULT_PROFILE"]))
                .unwrap_or_else(|| "default".into());
            let settings = aws_profile_settings(cmd, &profile);
            let from_profile = settings
                .iter()
                .find(|(k, _)| k == "region")
                .map(|(_, v)| v.clone());
            push("account", aws_account(&settings));
            push("aws profile", Some(profile));
            push(
                "region",
                Some(
                    option(&args, &["--region"])
                        .or_else(|| first_var(cmd, &["AWS_REGION", "AWS_DEFAULT_REGION"]))
                        .or(from_profile)
                        .unwrap_or_else(|| "not set".into()),
                ),
            );
            push("endpoint", option(&args, &["--endpoint-url"]));
        }
        "terraform" => {
            push("workspace", Some(terraform_workspace(cmd, &args, cwd)));
            push("directory", option(&args, &["-chdir"]));
        }
        "pulumi" => push(
            "stack",
            option(&args, &["-s", "--stack"]).or_else(|| var(cmd, "PULUMI_STACK")),
        ),
        "gcloud" | "gsutil" | "bq" => push(
            "project",
            option(&args, &["--project"]).or_else(|| var(cmd, "CLOUDSDK_CORE_PROJECT")),
        ),
        "az" => push(
            "subscription",
            option(&args, &["--subscription"]).or_else(|| var(cmd, "AZURE_SUBSCRIPTION_ID")),
        ),
        "cdk" | "cdktf" => push(
            "aws profile",
            option(&args, &["--profile"]).or_else(|| var(cmd, "AWS_PROFILE")),
        ),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Engine;
    use crate::rules::{RuleSet, Sources};

    fn ctx(argv: &[&str]) -> Context {
        let engine = Engine::new(RuleSet::load(&Sources::embedded_only()));
        let argv: Vec<String> = argv.iter().map(|s| (*s).to_owned()).collect();
        let v = engine.judge_argv(&argv);
        describe(v.commands.first(), Path::new("/nonexistent"))
    }

    fn get<'a>(c: &'a Context, label: &str) -> Option<&'a str> {
        c.iter().find(|(l, _)| l == label).map(|(_, v)| v.as_str())
    }

    #[test]
    fn reads_cluster_namespace_profile_region_and_workspace() {
        let c = ctx(&[
            "kubectl",
            "--context",
            "prod-eu",
            "-n",
            "payments",
            "delete",
            "pod",
            "x",
        ]);
        assert_eq!(get(&c, "kube context"), Some("prod-eu"));
        assert_eq!(get(&c, "namespace"), Some("payments"));
        let c = ctx(&[
            "aws",
            "--profile=admin",
            "--region",
            "us-east-1",
            "s3",
            "rb",
            "s3://b",
        ]);
        assert_eq!(get(&c, "aws profile"), Some("admin"));
        assert_eq!(get(&c, "region"), Some("us-east-1"));
        assert_eq!(
            aws_account(&[(
                "role_arn".into(),
                "arn:aws:iam::123456789012:role/admin".into()
            )]),
            Some("123456789012".into())
        );
        let c = ctx(&["terraform", "-chdir=infra", "apply"]);
        assert_eq!(get(&c, "workspace"), Some("default"));
        assert_eq!(get(&c, "directory"), Some("infra"));
        let c = ctx(&[
            "helm",
            "uninstall",
            "web",
            "--kube-context",
            "stage",
            "-nweb",
        ]);
        assert_eq!(get(&c, "kube context"), Some("stage"));
        assert_eq!(get(&c, "namespace"), Some("web"));
    }
}
