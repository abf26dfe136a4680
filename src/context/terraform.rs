//! Terraform's target: the workspace (`TF_WORKSPACE`, `.terraform/environment`) and the
//! configuration directory (`-chdir`).

use std::path::PathBuf;

use super::{Detector, Found, option};
use crate::normalize::Command;
use crate::policy::args::ArgView;

/// The workspace every configuration starts in; its name says nothing about where.
const DEFAULT_WORKSPACE: &str = "default";

pub fn detect(d: &Detector, cmd: &Command, view: &ArgView<'_>) -> Found {
    let chdir = option(
        view,
        &["-chdir", "--terragrunt-working-dir", "--working-dir"],
    );
    let dir: Option<PathBuf> = match (chdir, d.cwd()) {
        (Some(c), Some(cwd)) => Some(cwd.join(c)),
        (Some(c), None) => Some(PathBuf::from(c)),
        (None, cwd) => cwd.map(PathBuf::from),
    };
    let workspace = d
        .var(cmd, "TF_WORKSPACE")
        .or_else(|| {
            let p = dir.as_ref()?.join(".terraform/environment");
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
