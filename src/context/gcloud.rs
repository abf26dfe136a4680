//! gcloud's target (and gsutil's and bq's, which share its configuration): the project,
//! from the tool's project flag, `CLOUDSDK_CORE_PROJECT` and the active named
//! configuration.

use std::path::PathBuf;

use super::{Found, Scope, ini, option};
use crate::normalize::Command;
use crate::policy::args::ArgView;

/// The flags naming the project, per tool.
pub const GCLOUD_FLAGS: &[&str] = &["--project"];
pub const GSUTIL_FLAGS: &[&str] = &["-p"];
pub const BQ_FLAGS: &[&str] = &["--project_id"];

pub fn detect(d: &Scope<'_>, cmd: &Command, view: &ArgView<'_>, project_flags: &[&str]) -> Found {
    let config_dir = d
        .var(cmd, "CLOUDSDK_CONFIG")
        .map(PathBuf::from)
        .or_else(|| d.home().map(|h| h.join(".config/gcloud")));
    let active = d
        .var(cmd, "CLOUDSDK_ACTIVE_CONFIG_NAME")
        .or_else(|| {
            d.setting(
                "gcloud config configurations activate",
                d.changes.gcloud_config.as_ref(),
            )
            .flatten()
        })
        .or_else(|| {
            let t = std::fs::read_to_string(config_dir.as_ref()?.join("active_config")).ok()?;
            Some(t.trim().to_owned()).filter(|t| !t.is_empty())
        })
        .unwrap_or_else(|| "default".to_owned());
    let set_in_script = d.setting(
        "gcloud config set project",
        d.changes.gcloud_project.as_ref(),
    );
    let project = option(view, project_flags)
        .map(str::to_owned)
        .or_else(|| d.var(cmd, "CLOUDSDK_CORE_PROJECT"))
        .or_else(|| set_in_script.clone().flatten())
        .or_else(|| {
            // Unset by the script: the configuration file no longer says.
            if set_in_script.is_some() {
                return None;
            }
            let p = config_dir
                .as_ref()?
                .join("configurations")
                .join(format!("config_{active}"));
            let text = std::fs::read_to_string(p).ok()?;
            ini::section(&text, "core")?.get("project").cloned()
        });
    let items = vec![
        (
            "gcp-project",
            project.clone().unwrap_or_else(|| "unknown".to_owned()),
        ),
        ("gcloud-config", active),
    ];
    Found {
        items,
        primary: project,
        secondary: Vec::new(),
    }
}
