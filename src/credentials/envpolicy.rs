//! The environment policy: which variables a guarded session and the programs it runs
//! never see. Like sudo's `env_reset`, but as a denylist with an allowlist on top:
//! agents need most of their environment, and what is dangerous has recognisable names.

use std::ffi::{OsStr, OsString};
use std::fmt;

use serde::Deserialize;

use super::defaults::{
    EXACT, MIN_TOKEN_LEN, NEVER, PREFIXES, SECRET_INFIXES, SECRET_PAIRS, SECRET_PARTS,
    SECRET_SUFFIXES, TOKEN_VALUE_PREFIXES,
};
use crate::rules::glob;

/// The `[env]` section of config.toml.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EnvSection {
    /// Names or `*` patterns let through although a default rule would remove them.
    /// Code-injecting variables (`LD_PRELOAD`, ...) are only kept by their exact name.
    #[serde(default)]
    pub keep: Vec<String>,
    /// Names or `*` patterns removed as well. Wins over `keep`.
    #[serde(default)]
    pub remove: Vec<String>,
    /// Also apply the policy (and the profiles) when a shim or the shell mode runs
    /// outside an `interlock run` session.
    #[serde(default)]
    pub outside_sessions: bool,
}

/// Why a variable is removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    Cloud,
    Cluster,
    CodeHost,
    Registry,
    Vault,
    Database,
    CredentialAgent,
    CodeInjection,
    SecretName,
    UrlPassword,
    TokenValue,
    ConfigRemove,
    Profile,
    ProfileOwned,
    BadName,
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Why::Cloud => "cloud credential",
            Why::Cluster => "cluster credential",
            Why::CodeHost => "code host token",
            Why::Registry => "package registry credential",
            Why::Vault => "Vault credential",
            Why::Database => "database password",
            Why::CredentialAgent => "lets programs sign or log in as you",
            Why::CodeInjection => "injects code into the programs that start",
            Why::SecretName => "its name says it holds a secret",
            Why::UrlPassword => "its value is a URL with a password",
            Why::TokenValue => "its value looks like an access key or token",
            Why::ConfigRemove => "listed in [env] remove",
            Why::Profile => "unset by the tool's profile",
            Why::ProfileOwned => {
                "a tool's profile sets it; only that tool, run through its shim, gets a value"
            }
            Why::BadName => "its name is not valid text",
        })
    }
}

/// One variable the policy removes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removal {
    pub name: OsString,
    pub why: Why,
}

/// Every variable in `vars` the policy removes, in order.
pub fn judge(section: &EnvSection, vars: &[(OsString, OsString)]) -> Vec<Removal> {
    vars.iter()
        .filter_map(|(k, v)| {
            removal_reason(section, k, v).map(|why| Removal {
                name: k.clone(),
                why,
            })
        })
        .collect()
}

/// Variables that a per-tool profile sets or unsets. The operator's own value (an
/// admin `AWS_PROFILE`, a full-power `KUBECONFIG`) would otherwise stay in the session,
/// and reach the tool whenever it is run without its shim (`command -p`, a copy of the
/// binary): the profile is the only value of it the session should know. A name kept
/// by `[env] keep` stays.
pub fn owned_by_profiles(
    section: &EnvSection,
    profiles: &super::Profiles,
    vars: &[(OsString, OsString)],
) -> Vec<Removal> {
    vars.iter()
        .filter_map(|(k, _)| {
            let n = k.to_str()?;
            let owned = profiles
                .values()
                .any(|p| p.set.contains_key(n) || p.unset.iter().any(|u| u == n));
            (owned && !NEVER.contains(&n) && !section.keep.iter().any(|p| p == n)).then(|| {
                Removal {
                    name: k.clone(),
                    why: Why::ProfileOwned,
                }
            })
        })
        .collect()
}

/// Variables the defaults would remove but `keep` lets through, with the default reason.
pub fn kept(section: &EnvSection, vars: &[(OsString, OsString)]) -> Vec<Removal> {
    vars.iter()
        .filter(|(k, v)| removal_reason(section, k, v).is_none())
        .filter_map(|(k, v)| {
            let why = default_reason(k.to_str()?, v)?;
            Some(Removal {
                name: k.clone(),
                why,
            })
        })
        .collect()
}

fn removal_reason(section: &EnvSection, name: &OsStr, value: &OsStr) -> Option<Why> {
    let Some(n) = name.to_str() else {
        return Some(Why::BadName);
    };
    if section.remove.iter().any(|p| glob::matches(p, n, false)) {
        return Some(Why::ConfigRemove);
    }
    let why = default_reason(n, value)?;
    let kept = if why == Why::CodeInjection {
        section.keep.iter().any(|p| p == n)
    } else {
        section.keep.iter().any(|p| glob::matches(p, n, false))
    };
    (!kept).then_some(why)
}

/// Why the default lists remove `name`, if they do.
pub fn default_reason(name: &str, value: &OsStr) -> Option<Why> {
    if NEVER.contains(&name) {
        return None;
    }
    if let Some((_, why)) = EXACT.iter().find(|(n, _)| *n == name) {
        return Some(*why);
    }
    if let Some((_, why)) = PREFIXES.iter().find(|(p, _)| name.starts_with(p)) {
        return Some(*why);
    }
    let upper = name.to_ascii_uppercase();
    if secret_name(&upper) {
        return Some(Why::SecretName);
    }
    let value = value.to_string_lossy();
    if url_has_password(&value) {
        return Some(Why::UrlPassword);
    }
    if looks_like_token(&value) {
        return Some(Why::TokenValue);
    }
    None
}

fn secret_name(upper: &str) -> bool {
    if SECRET_INFIXES.iter().any(|i| upper.contains(i))
        || SECRET_SUFFIXES.iter().any(|s| upper.ends_with(s))
    {
        return true;
    }
    let parts: Vec<&str> = upper.split('_').filter(|p| !p.is_empty()).collect();
    if parts.iter().any(|p| SECRET_PARTS.contains(p)) {
        return true;
    }
    parts.windows(2).any(|w| SECRET_PAIRS.contains(&(w[0], w[1])))
        // `OPENAI_KEY`, `STRIPE_KEY`: a trailing KEY after a service name.
        || (parts.len() > 1 && parts.last() == Some(&"KEY"))
}

/// `scheme://user:password@host`, anywhere in the value (connection strings, lists).
pub fn url_has_password(value: &str) -> bool {
    let mut rest = value;
    while let Some(i) = rest.find("://") {
        let after = &rest[i + 3..];
        let authority = after
            .split(['/', '?', '#', ' ', ',', ';'])
            .next()
            .unwrap_or("");
        if let Some((userinfo, _host)) = authority.rsplit_once('@')
            && let Some((_, password)) = userinfo.split_once(':')
            && !password.is_empty()
        {
            return true;
        }
        rest = after;
    }
    false
}

fn looks_like_token(value: &str) -> bool {
    value.len() >= MIN_TOKEN_LEN
        && !value.contains(char::is_whitespace)
        && TOKEN_VALUE_PREFIXES.iter().any(|p| value.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(name: &str, value: &str) -> Option<Why> {
        default_reason(name, OsStr::new(value))
    }

    #[test]
    fn credentials_and_injection_are_removed_by_default() {
        for (n, w) in [
            ("AWS_ACCESS_KEY_ID", Why::Cloud),
            ("AWS_SECRET_ACCESS_KEY", Why::Cloud),
            ("AWS_SESSION_TOKEN", Why::Cloud),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", Why::Cloud),
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", Why::Cloud),
            ("GOOGLE_APPLICATION_CREDENTIALS", Why::Cloud),
            ("CLOUDSDK_AUTH_ACCESS_TOKEN_FILE", Why::Cloud),
            ("AZURE_CLIENT_SECRET", Why::Cloud),
            ("ARM_CLIENT_SECRET", Why::Cloud),
            ("GITHUB_TOKEN", Why::CodeHost),
            ("NPM_TOKEN", Why::Registry),
            ("VAULT_TOKEN", Why::Vault),
            ("PGPASSWORD", Why::Database),
            ("MYSQL_PWD", Why::Database),
            ("BASH_ENV", Why::CodeInjection),
            ("ENV", Why::CodeInjection),
            ("LD_PRELOAD", Why::CodeInjection),
            ("LD_LIBRARY_PATH", Why::CodeInjection),
            ("PROMPT_COMMAND", Why::CodeInjection),
            ("PERL5OPT", Why::CodeInjection),
            ("PYTHONSTARTUP", Why::CodeInjection),
            ("NODE_OPTIONS", Why::CodeInjection),
            ("BASH_FUNC_ls%%", Why::CodeInjection),
            ("MY_SERVICE_TOKEN", Why::SecretName),
            ("STRIPE_SECRET_KEY", Why::SecretName),
            ("DB_PASSWORD", Why::SecretName),
            ("OPENAI_API_KEY", Why::SecretName),
            ("ANTHROPIC_API_KEY", Why::SecretName),
            ("slack_bot_token", Why::SecretName),
            ("DB_PASS", Why::SecretName),
            ("DB_PWD", Why::SecretName),
            ("REDIS_PASS", Why::SecretName),
            ("ACCESSTOKEN", Why::SecretName),
            ("PYTHONPATH", Why::CodeInjection),
            ("RUBYLIB", Why::CodeInjection),
            ("NODE_PATH", Why::CodeInjection),
            ("GCONV_PATH", Why::CodeInjection),
            ("GIT_PROXY_COMMAND", Why::CodeInjection),
        ] {
            assert_eq!(why(n, "x"), Some(w), "{n}");
        }
    }

    #[test]
    fn values_with_passwords_or_token_shapes_are_removed() {
        assert_eq!(
            why("DATABASE_URL", "postgres://app:hunter2@db:5432/prod"),
            Some(Why::UrlPassword)
        );
        assert_eq!(
            why("REDIS", "redis://:hunter2@cache:6379"),
            Some(Why::UrlPassword)
        );
        assert_eq!(why("DATABASE_URL", "postgres://app@db/prod"), None);
        assert_eq!(why("SITE", "https://example.com/a@b"), None);
        assert_eq!(
            why("SOME_VALUE", "ghp_abcdefghijklmnopqrstuvwxyz0123"),
            Some(Why::TokenValue)
        );
        assert_eq!(
            why("JWT", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-abcdefgh"),
            Some(Why::TokenValue)
        );
    }

    #[test]
    fn ordinary_variables_stay() {
        for n in [
            "PATH",
            "HOME",
            "TERM",
            "LANG",
            "EDITOR",
            "KUBECONFIG",
            "AWS_PROFILE",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "TOKENIZERS_PARALLELISM",
            "KEYMAP",
            "INTERLOCK_SESSION",
            "OLDPWD",
            "PWD",
            "COMPASS_HOME",
            "CARGO_HOME",
            "XAUTHORITY",
        ] {
            assert_eq!(why(n, "x"), None, "{n}");
        }
    }

    #[test]
    fn config_keeps_and_removes_by_name_and_pattern() {
        let s = EnvSection {
            keep: vec!["GITHUB_TOKEN".into(), "LD_*".into(), "NPM_*".into()],
            remove: vec!["CORP_*".into(), "NPM_TOKEN".into()],
            outside_sessions: false,
        };
        let vars: Vec<(OsString, OsString)> = [
            "GITHUB_TOKEN",
            "LD_PRELOAD",
            "NPM_TOKEN",
            "CORP_ID",
            "EDITOR",
        ]
        .iter()
        .map(|n| (OsString::from(n), OsString::from("v")))
        .collect();
        let r: Vec<(String, Why)> = judge(&s, &vars)
            .into_iter()
            .map(|r| (r.name.to_string_lossy().into_owned(), r.why))
            .collect();
        assert_eq!(
            r,
            [
                // A pattern does not keep a code-injecting variable; only its name does.
                ("LD_PRELOAD".to_owned(), Why::CodeInjection),
                ("NPM_TOKEN".to_owned(), Why::ConfigRemove),
                ("CORP_ID".to_owned(), Why::ConfigRemove),
            ]
        );
    }
}
