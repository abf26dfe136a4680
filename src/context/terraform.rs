//! Terraform's target: the workspace (`TF_WORKSPACE`, `environment` in the data
//! directory: `TF_DATA_DIR` or `.terraform`) and the configuration directory (`-chdir`).

use std::path::PathBuf;

use super::{Found, Scope, option};
use crate::normalize::Command;
use crate::policy::args::ArgView;

/// The workspace every configuration starts in; its name says nothing about where.
const DEFAULT_WORKSPACE: &str = "default";

pub fn detect(d: &Scope<'_>, cmd: &Command, view: &ArgView<'_>) -> Found {
    let chdir = option(
        view,
        &["-chdir", "--terragrunt-working-dir", "--working-dir"],
    );
    let dir: Option<PathBuf> = match (chdir, d.cwd()) {
        (Some(c), Some(cwd)) => Some(cwd.join(c)),
        (Some(c), None) => Some(PathBuf::from(c)),
        (None, cwd) => cwd.map(PathBuf::from),
    };
    // Terraform changes to the `-chdir` directory first, so a relative TF_DATA_DIR is
    // found from there (`join` keeps an absolute one as it is).
    let data_dir = d
        .var(cmd, "TF_DATA_DIR")
        .unwrap_or_else(|| ".terraform".to_owned());
    // TF_WORKSPACE wins over `terraform workspace select`, as in terraform.
    let workspace = d
        .var(cmd, "TF_WORKSPACE")
        .or_else(|| {
            d.setting("terraform workspace", d.changes.tf_workspace.as_ref())
                .flatten()
        })
        .or_else(|| {
            let p = dir.as_ref()?.join(&data_dir).join("environment");
            let w = std::fs::read_to_string(p).ok()?;
            Some(w.trim().to_owned()).filter(|w| !w.is_empty())
        })
        .unwrap_or_else(|| DEFAULT_WORKSPACE.to_owned());
    let dir_name = dir
        .as_ref()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned());
    let mut items = vec![("tf-workspace", workspace.clone())];
    if let Some(n) = &dir_name {
        items.push(("tf-dir", n.clone()));
    }
    if let Some(dd) = d.var(cmd, "TF_DATA_DIR") {
        items.push(("tf-data-dir", dd));
    }
    // The directory can only make it stricter (`environments/prod`): a directory name
    // is too loose a sign to allow anything by (`devops-infra` is not a dev workspace).
    let primary = (workspace != DEFAULT_WORKSPACE).then(|| workspace.clone());
    let secondary = dir_name.into_iter().collect();
    Found {
        items,
        primary,
        secondary,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::parse::Word;
    use crate::rules::ToolSpec;

    fn workspace(root: &std::path::Path, args: &[&str], vars: &[(&str, &str)]) -> String {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let d = super::super::Detector::fixed(vars, None, Some(root.to_path_buf()), None);
        let changes = super::super::Changes::default();
        let d = Scope::new(&d, &changes);
        let cmd = Command {
            program: "terraform".into(),
            args: args.iter().map(|a| Word::literal(*a)).collect(),
            ..Default::default()
        };
        let spec = ToolSpec {
            value_options: vec!["-chdir".into()],
            short_clusters: false,
            ..Default::default()
        };
        let view = crate::policy::args::parse(&cmd.args, &spec);
        let found = detect(&d, &cmd, &view);
        found.items[0].1.clone()
    }

    #[test]
    fn the_workspace_is_read_from_tf_data_dir_relative_to_chdir() {
        let root = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let p = root.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        write(".terraform/environment", "dev\n");
        write("data/environment", "prod\n");
        write("infra/.terraform/environment", "dev\n");
        write("infra/state/environment", "production\n");
        assert_eq!(workspace(root.path(), &["destroy"], &[]), "dev");
        let data = [("TF_DATA_DIR", "data")];
        assert_eq!(workspace(root.path(), &["destroy"], &data), "prod");
        let data = [("TF_DATA_DIR", "state")];
        assert_eq!(
            workspace(root.path(), &["-chdir=infra", "destroy"], &data),
            "production"
        );
        let abs = root.path().join("data");
        let data = [("TF_DATA_DIR", abs.to_str().unwrap())];
        assert_eq!(
            workspace(root.path(), &["-chdir=infra", "destroy"], &data),
            "prod"
        );
    }
}
