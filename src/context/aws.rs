//! The AWS CLI's target: profile, region and account, from flags, the environment and
//! `~/.aws/config` (or `AWS_CONFIG_FILE`).

use std::path::PathBuf;

use super::{Found, Scope, ini, option};
use crate::normalize::Command;
use crate::policy::args::ArgView;

/// The account id inside an ARN (`arn:aws:iam::123456789012:role/x`).
fn arn_account(arn: &str) -> Option<String> {
    let acct = arn.split(':').nth(4)?;
    (acct.len() == 12 && acct.bytes().all(|b| b.is_ascii_digit())).then(|| acct.to_owned())
}

/// `--endpoint-url`, which always takes a value; the rules do not list it as a value
/// option (that would change how they read the words after it), so a separate value is
/// the next word.
fn endpoint(cmd: &Command, view: &ArgView<'_>) -> Option<String> {
    let o = view
        .options
        .iter()
        .rev()
        .find(|o| o.name == "--endpoint-url")?;
    match o.value {
        Some(v) => Some(v.to_owned()),
        None => cmd.args.get(o.index + 1).map(|w| w.text.clone()),
    }
}

pub fn detect(d: &Scope<'_>, cmd: &Command, view: &ArgView<'_>) -> Found {
    let profile = option(view, &["--profile"])
        .map(str::to_owned)
        .or_else(|| d.var(cmd, "AWS_PROFILE"))
        .or_else(|| d.var(cmd, "AWS_DEFAULT_PROFILE"))
        .unwrap_or_else(|| "default".to_owned());
    let config = d
        .var(cmd, "AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .or_else(|| d.home().map(|h| h.join(".aws/config")));
    let text = config
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
    let header = if profile == "default" {
        "default".to_owned()
    } else {
        format!("profile {profile}")
    };
    let section = ini::section(&text, &header)
        .or_else(|| ini::section(&text, &format!("profile {profile}")))
        .unwrap_or_default();
    let mut section = section;
    // `aws configure set` earlier in the script edited this profile (or the one in
    // effect). Its region and account are read; other settings (credentials, a source
    // profile) can point it at another account, which is then unknown.
    for (p, key, value) in &d.changes.aws {
        if p.as_ref().is_some_and(|p| *p != profile) {
            continue;
        }
        let what = format!("aws configure set {key}");
        match (key.as_str(), d.setting(&what, Some(value))) {
            (k @ ("region" | "sso_account_id" | "role_arn"), Some(Some(v))) => {
                section.insert(k.to_owned(), v);
            }
            (k @ ("region" | "sso_account_id" | "role_arn"), _) => {
                section.remove(k);
            }
            ("output" | "cli_pager" | "cli_binary_format" | "cli_timestamp_format", _) => {}
            _ => d.note(what),
        }
    }
    let region = option(view, &["--region"])
        .map(str::to_owned)
        .or_else(|| d.var(cmd, "AWS_REGION"))
        .or_else(|| d.var(cmd, "AWS_DEFAULT_REGION"))
        .or_else(|| section.get("region").cloned());
    let account = section
        .get("sso_account_id")
        .cloned()
        .or_else(|| section.get("role_arn").and_then(|a| arn_account(a)));
    let mut items = vec![("aws-profile", profile.clone())];
    if let Some(r) = &region {
        items.push(("aws-region", r.clone()));
    }
    let mut secondary = Vec::new();
    if let Some(a) = &account {
        items.push(("aws-account", a.clone()));
        secondary.push(a.clone());
    }
    // A different endpoint (LocalStack, a proxy) changes where the command acts; shown,
    // never classified.
    if let Some(e) = endpoint(cmd, view) {
        items.push(("aws-endpoint", e));
    }
    Found {
        items,
        primary: Some(profile),
        secondary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_from_role_arn() {
        assert_eq!(
            arn_account("arn:aws:iam::123456789012:role/admin").as_deref(),
            Some("123456789012")
        );
        assert_eq!(arn_account("nonsense"), None);
    }
}
