//! kubectl's and helm's target: context and namespace from flags, `KUBECONFIG` and
//! the kubeconfig's `current-context`.
//!
//! The kubeconfig is read line by line, not as general YAML: it understands the block
//! style kubectl itself writes (`current-context: x`, a `contexts:` list of
//! `- context: {cluster, namespace, user}` / `name:` items, quoted or plain scalars).
//! Flow style (`contexts: [{...}]`), anchors and multi-document files are not read;
//! their context is then unknown, and rules fall back to their own action.

use std::path::PathBuf;

use super::{Found, Scope, option};
use crate::normalize::Command;
use crate::policy::args::ArgView;

/// The flags (and, for helm, variables) naming the context, the namespace, the
/// kubeconfig, and whatever sends the command somewhere other than its context says.
pub struct Flags {
    context: &'static [&'static str],
    context_var: Option<&'static str>,
    namespace: &'static [&'static str],
    namespace_var: Option<&'static str>,
    kubeconfig: &'static [&'static str],
    /// Options overriding the context's cluster, API server or user, with the name the
    /// value is shown under.
    overrides: &'static [(&'static str, &'static str)],
    override_vars: &'static [(&'static str, &'static str)],
}

pub const KUBECTL_FLAGS: &Flags = &Flags {
    context: &["--context"],
    context_var: None,
    namespace: &["-n", "--namespace"],
    namespace_var: None,
    kubeconfig: &["--kubeconfig"],
    overrides: &[
        ("--cluster", "cluster"),
        ("--server", "server"),
        ("-s", "server"),
        ("--user", "user"),
    ],
    override_vars: &[],
};

pub const HELM_FLAGS: &Flags = &Flags {
    context: &["--kube-context"],
    context_var: Some("HELM_KUBECONTEXT"),
    namespace: &["-n", "--namespace"],
    namespace_var: Some("HELM_NAMESPACE"),
    kubeconfig: &["--kubeconfig"],
    overrides: &[("--kube-apiserver", "server")],
    override_vars: &[("HELM_KUBEAPISERVER", "server")],
};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct KubeContext {
    pub name: String,
    pub cluster: Option<String>,
    pub namespace: Option<String>,
}

#[derive(Debug, Default)]
pub struct Kubeconfig {
    pub current: Option<String>,
    pub contexts: Vec<KubeContext>,
}

fn scalar(v: &str) -> String {
    let v = v.trim();
    let v = match v.find(" #") {
        Some(i) if !v.starts_with(['"', '\'']) => &v[..i],
        _ => v,
    }
    .trim();
    let unq = v
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')));
    unq.unwrap_or(v).to_owned()
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

pub fn parse(text: &str) -> Kubeconfig {
    let mut kc = Kubeconfig::default();
    let mut in_contexts = false;
    let mut item: Option<KubeContext> = None;
    let mut item_indent = 0;
    let finish = |item: &mut Option<KubeContext>, kc: &mut Kubeconfig| {
        if let Some(c) = item.take().filter(|c| !c.name.is_empty()) {
            kc.contexts.push(c);
        }
    };
    for raw in text.lines() {
        let line = raw.trim_end();
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') || body == "---" {
            continue;
        }
        let ind = indent(line);
        if ind == 0 && !body.starts_with('-') {
            finish(&mut item, &mut kc);
            in_contexts = false;
            if let Some(v) = body.strip_prefix("current-context:") {
                let v = scalar(v);
                if !v.is_empty() {
                    kc.current = Some(v);
                }
            } else if body == "contexts:" {
                in_contexts = true;
            }
            continue;
        }
        if !in_contexts {
            continue;
        }
        let mut body = body;
        let mut key_indent = ind;
        if let Some(rest) = body.strip_prefix("- ") {
            finish(&mut item, &mut kc);
            item = Some(KubeContext::default());
            item_indent = ind + 2;
            key_indent = item_indent;
            body = rest.trim_start();
        }
        let Some(c) = item.as_mut() else { continue };
        let Some((k, v)) = body.split_once(':') else {
            continue;
        };
        let v = scalar(v);
        // `name:` sits at the item's own level; the rest inside `context:`.
        match k.trim() {
            "name" if key_indent == item_indent => c.name = v,
            "namespace" if key_indent > item_indent => c.namespace = Some(v),
            "cluster" if key_indent > item_indent => c.cluster = Some(v),
            _ => {}
        }
    }
    finish(&mut item, &mut kc);
    kc
}

fn files(d: &Scope<'_>, cmd: &Command, view: &ArgView<'_>, flags: &Flags) -> Vec<PathBuf> {
    // `~/` is the shell's to expand; in a value exported by the script it may not be.
    let path = |p: &str| match (p.strip_prefix("~/"), d.home()) {
        (Some(rest), Some(h)) => h.join(rest),
        _ => PathBuf::from(p),
    };
    if let Some(p) = option(view, flags.kubeconfig) {
        return vec![path(p)];
    }
    if let Some(list) = d.var(cmd, "KUBECONFIG") {
        return list
            .split(':')
            .filter(|s| !s.is_empty())
            .map(path)
            .collect();
    }
    d.home()
        .map(|h| vec![h.join(".kube/config")])
        .unwrap_or_default()
}

pub fn detect(d: &Scope<'_>, cmd: &Command, view: &ArgView<'_>, flags: &Flags) -> Found {
    let mut current: Option<String> = None;
    let mut contexts: Vec<KubeContext> = Vec::new();
    // As kubectl merges a KUBECONFIG list: the first file to set a value wins.
    for f in files(d, cmd, view, flags) {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let kc = parse(&text);
        if current.is_none() {
            current = kc.current;
        }
        for c in kc.contexts {
            if !contexts.iter().any(|x| x.name == c.name) {
                contexts.push(c);
            }
        }
    }
    // `kubectl config use-context` earlier in the script wrote the kubeconfig.
    if let Some(c) = d.setting(
        "kubectl config use-context",
        d.changes.kube_context.as_ref(),
    ) {
        current = c;
    }
    if let Some(why) = &d.changes.kubeconfig_edited {
        d.note(why.clone());
    }
    let chosen = option(view, flags.context)
        .map(str::to_owned)
        .or_else(|| flags.context_var.and_then(|v| d.var(cmd, v)));
    let is_current = chosen.is_none();
    let name = chosen.or(current);
    let def = name
        .as_ref()
        .and_then(|n| contexts.iter().find(|c| &c.name == n));
    let namespace = option(view, flags.namespace)
        .map(str::to_owned)
        .or_else(|| flags.namespace_var.and_then(|v| d.var(cmd, v)))
        .or_else(|| {
            let (_, ns) = d
                .changes
                .kube_namespaces
                .iter()
                .rev()
                .find(|(ctx, _)| match ctx {
                    Some(c) => Some(c) == name.as_ref(),
                    None => is_current,
                })?;
            d.setting("the namespace", Some(ns)).flatten()
        })
        .or_else(|| def.and_then(|c| c.namespace.clone()))
        .unwrap_or_else(|| "default".to_owned());
    // `--cluster`, `--server` and `--user` point the command away from what its
    // context names: the context's cluster no longer says where it goes.
    let mut overrides: Vec<(&'static str, String)> = Vec::new();
    for (flag, label) in flags.overrides {
        if let Some(v) = option(view, &[flag]) {
            overrides.push((label, v.to_owned()));
        }
    }
    for (var, label) in flags.override_vars {
        if !overrides.iter().any(|(l, _)| l == label)
            && let Some(v) = d.var(cmd, var)
        {
            overrides.push((label, v));
        }
    }
    let cluster = overrides
        .iter()
        .find(|(l, _)| *l == "cluster")
        .map(|(_, v)| v.clone())
        .or_else(|| def.and_then(|c| c.cluster.clone()));
    let mut items = vec![(
        "kube-context",
        name.clone().unwrap_or_else(|| "unknown".to_owned()),
    )];
    let mut secondary = vec![namespace.clone()];
    if let Some(c) = &cluster {
        items.push(("cluster", c.clone()));
        secondary.push(c.clone());
    }
    for (label, v) in overrides.iter().filter(|(l, _)| *l != "cluster") {
        items.push((label, v.clone()));
    }
    items.push(("namespace", namespace));
    // Only when chosen for this command: the default file says nothing new.
    if let Some(k) = option(view, flags.kubeconfig)
        .map(str::to_owned)
        .or_else(|| d.var(cmd, "KUBECONFIG"))
    {
        items.push(("kubeconfig", k));
    }
    let primary = if overrides.is_empty() {
        name
    } else {
        // The overridden target decides, and one the classifier cannot place leaves
        // the environment unknown; the context's own name can then only make it
        // stricter.
        secondary.extend(name);
        secondary.extend(overrides.iter().map(|(_, v)| v.clone()));
        let classes: Option<Vec<_>> = overrides
            .iter()
            .map(|(_, v)| d.classifier().classify(v).map(|c| (c, v)))
            .collect();
        classes.and_then(|c| c.into_iter().max().map(|(_, v)| v.clone()))
    };
    Found {
        items,
        primary,
        secondary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KUBECTL_WRITTEN: &str = r#"apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: DATA
    server: https://127.0.0.1:6443
  name: kind-dev
contexts:
- context:
    cluster: kind-dev
    user: kind-dev
  name: kind-dev
- context:
    cluster: gke_acme_europe-west1_main
    namespace: payments
    user: gke-user
  name: "prod-eu"
current-context: prod-eu
kind: Config
preferences: {}
users:
- name: kind-dev
  user:
    token: SECRET
"#;

    #[test]
    fn reads_what_kubectl_writes() {
        let kc = parse(KUBECTL_WRITTEN);
        assert_eq!(kc.current.as_deref(), Some("prod-eu"));
        assert_eq!(
            kc.contexts,
            vec![
                KubeContext {
                    name: "kind-dev".into(),
                    cluster: Some("kind-dev".into()),
                    namespace: None
                },
                KubeContext {
                    name: "prod-eu".into(),
                    cluster: Some("gke_acme_europe-west1_main".into()),
                    namespace: Some("payments".into())
                },
            ]
        );
    }

    #[test]
    fn indented_lists_and_empty_current_context() {
        let kc = parse(
            "contexts:\n  - name: a\n    context:\n      namespace: x\ncurrent-context: \"\"\n",
        );
        assert_eq!(kc.current, None);
        assert_eq!(kc.contexts[0].name, "a");
        assert_eq!(kc.contexts[0].namespace.as_deref(), Some("x"));
    }
}
