//! Credentials and the guard's own safety: the environment policy that keeps cloud,
//! cluster and database credentials and code-injecting variables away from the agent,
//! per-tool credential profiles, dropping to an unprivileged user for `interlock run`,
//! and the built-in self-protection checks the policy engine applies to every command.

mod defaults;
pub mod envpolicy;
pub mod guard;
pub mod profiles;
pub mod session;
pub mod user;

use std::ffi::{OsStr, OsString};
use std::process::Command;

pub use envpolicy::{EnvSection, Removal, Why};
pub use profiles::{Profile, Profiles};

use crate::config::{self, Config};
use crate::env::Env;
use crate::rules::LoadError;

/// The variable `interlock run` sets; its presence means "inside a guarded session".
pub const SESSION_VAR: &str = "INTERLOCK_SESSION";

/// What went wrong while preparing an environment or an identity. Every variant means
/// the program was not started.
#[derive(Debug, thiserror::Error)]
pub enum CredError {
    #[error("the interlock config file is broken: {0}")]
    Config(LoadError),
    #[error("--user {0}: no such user on this system")]
    UnknownUser(String),
    #[error("--user {name}: cannot look the user up: {err}")]
    Lookup { name: String, err: std::io::Error },
    #[error("--user needs interlock to be started as root (it is running as uid {0})")]
    NotRoot(u32),
    #[error("--user {name}: cannot {step}: {err}")]
    Drop {
        name: String,
        step: &'static str,
        err: std::io::Error,
    },
    #[error("--user {0}: the process could still regain root after dropping to the user")]
    RegainedRoot(String),
}

impl From<LoadError> for CredError {
    fn from(e: LoadError) -> Self {
        CredError::Config(e)
    }
}

/// True inside a session started by `interlock run`.
pub fn in_session() -> bool {
    std::env::var_os(SESSION_VAR).is_some_and(|v| !v.is_empty())
}

/// The changes to make to a program's environment when a shim or the shell mode
/// execs it: variables to remove, then variables to set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecEnv {
    pub remove: Vec<Removal>,
    pub set: Vec<(String, OsString)>,
}

impl ExecEnv {
    pub fn apply(&self, cmd: &mut Command) {
        for r in &self.remove {
            cmd.env_remove(&r.name);
        }
        for (k, v) in &self.set {
            cmd.env(k, v);
        }
    }
}

/// The environment changes for exec'ing `tool` (a shim's tool, or `None` for the shell
/// mode's real shell), read from the process environment and the config.
///
/// Inside a session the policy always applies; outside, only when `[env]
/// outside_sessions = true`. The config is read each time (two missing files cost two
/// failed opens), because a broken config must stop the exec rather than be skipped.
pub fn for_exec(tool: Option<&str>) -> Result<ExecEnv, CredError> {
    // Only what finds the config files: no working directory needed on this path.
    let var = |n: &str| {
        std::env::var_os(n)
            .filter(|v| !v.is_empty())
            .map(Into::into)
    };
    let env = Env {
        home: var("HOME"),
        xdg_config_home: var("XDG_CONFIG_HOME"),
        ..Env::default()
    };
    let cfg = config::load(&env)?;
    let section = cfg.env.clone().unwrap_or_default();
    if !in_session() && !section.outside_sessions {
        return Ok(ExecEnv::default());
    }
    let vars: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    Ok(plan(&cfg, &vars, tool))
}

/// [`for_exec`] without the process: what to remove from `vars` and set for `tool`.
pub fn plan(cfg: &Config, vars: &[(OsString, OsString)], tool: Option<&str>) -> ExecEnv {
    let section = cfg.env.clone().unwrap_or_default();
    let mut remove = envpolicy::judge(&section, vars);
    let mut set = Vec::new();
    if let Some(p) = tool.and_then(|t| cfg.profiles.as_ref()?.get(t)) {
        for name in &p.unset {
            if !remove.iter().any(|r| r.name == OsStr::new(name)) {
                remove.push(Removal {
                    name: name.into(),
                    why: Why::Profile,
                });
            }
        }
        for (k, v) in &p.set {
            // A profile's own variable is set, not removed, even if its name looks secret.
            remove.retain(|r| r.name != OsStr::new(k));
            set.push((k.clone(), OsString::from(v)));
        }
    }
    ExecEnv { remove, set }
}

/// Prints a refusal for a failed environment plan and returns the exit code.
pub fn refuse(what: &str, e: &CredError) -> u8 {
    eprintln!(
        "interlock: {what}: not run: {e}.\n  interlock applies its credential policy and profiles from that file, \
         so it runs nothing until the file is fixed.\n  to do: fix the file (a human, outside the agent session)"
    );
    crate::exit::USAGE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs.iter().map(|(k, v)| (k.into(), v.into())).collect()
    }

    #[test]
    fn a_profile_sets_and_unsets_only_for_its_tool() {
        let cfg = config::parse(
            "config.toml",
            "[profiles.aws]\nset = { AWS_PROFILE = \"agent-readonly\", AWS_SESSION_TOKEN = \"\" }\n\
             unset = [\"AWS_DEFAULT_PROFILE\"]\n",
        )
        .unwrap();
        let env = vars(&[
            ("AWS_PROFILE", "admin"),
            ("AWS_DEFAULT_PROFILE", "admin"),
            ("AWS_SESSION_TOKEN", "t"),
            ("GITHUB_TOKEN", "g"),
        ]);
        let aws = plan(&cfg, &env, Some("aws"));
        let removed: Vec<_> = aws.remove.iter().map(|r| r.name.clone()).collect();
        assert_eq!(removed, ["GITHUB_TOKEN", "AWS_DEFAULT_PROFILE"]);
        assert_eq!(
            aws.set,
            [
                ("AWS_PROFILE".to_owned(), OsString::from("agent-readonly")),
                ("AWS_SESSION_TOKEN".to_owned(), OsString::from("")),
            ]
        );
        let kubectl = plan(&cfg, &env, Some("kubectl"));
        assert!(kubectl.set.is_empty());
        let removed: Vec<_> = kubectl.remove.iter().map(|r| r.name.clone()).collect();
        assert_eq!(removed, ["AWS_SESSION_TOKEN", "GITHUB_TOKEN"]);
    }
}
