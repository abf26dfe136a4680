//! The parts of `interlock run` that belong to the credential policy: loading the
//! policy up front, and `--explain-env`.

use super::envpolicy::Removal;
use super::user::User;
use crate::config::{self, Config};
use crate::env::Env;
use crate::exit;
use crate::rules::{RuleSet, Sources};

/// Variables that point into the starting user's own directories; after dropping to
/// another user they would send the agent's programs (and interlock) to the wrong place.
pub const PER_USER_VARS: &[&str] = &[
    "XDG_CONFIG_HOME",
    "XDG_STATE_HOME",
    "XDG_DATA_HOME",
    "XDG_CACHE_HOME",
    "XDG_RUNTIME_DIR",
    "MAIL",
];

pub fn refuse(what: impl std::fmt::Display, todo: &str) -> u8 {
    eprintln!("interlock run: {what}; the agent was not started.\n  to do: {todo}");
    exit::USAGE
}

/// Reads the config and every rules file up front: a session must not start with a
/// policy that half loads.
pub fn load_policy() -> Result<Config, u8> {
    let env = Env::from_process();
    let cfg = match config::load(&env) {
        Ok(c) => c,
        Err(e) => {
            return Err(refuse(
                format_args!("the config file is broken: {e}"),
                "fix the file, then start the session again",
            ));
        }
    };
    let rules = RuleSet::load(&Sources::standard(&env));
    rules.load_all();
    let errors = rules.errors();
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("interlock: rules file {e}");
        }
        return Err(refuse(
            "a rules file does not load, so the session would not be guarded as configured",
            "fix the file above (`interlock rules test` checks it), then start the session again",
        ));
    }
    Ok(cfg)
}

pub fn explain(removed: &[Removal], kept: &[Removal], cfg: &Config, user: Option<&User>) {
    let mut out = String::from("interlock run: the agent's environment (names only)\n");
    if removed.is_empty() {
        out.push_str("  nothing removed\n");
    }
    for r in removed {
        out.push_str(&format!(
            "  removed {}: {}\n",
            r.name.to_string_lossy(),
            r.why
        ));
    }
    for k in kept {
        out.push_str(&format!(
            "  kept {}: [env] keep (by default removed: {})\n",
            k.name.to_string_lossy(),
            k.why
        ));
    }
    out.push_str("  set PATH (interlock's shims first), SHELL (interlock), INTERLOCK_SESSION\n");
    if let Some(u) = user {
        out.push_str(&format!(
            "  set HOME, USER, LOGNAME for user {} (uid {}, gid {})\n",
            u.name, u.uid, u.gid
        ));
    }
    let profiles = cfg.profiles.clone().unwrap_or_default();
    if !profiles.is_empty() {
        out.push_str("profiles (applied only to that tool, when its shim runs it):\n");
    }
    for (tool, p) in &profiles {
        let set: Vec<&str> = p.set.keys().map(String::as_str).collect();
        out.push_str(&format!("  {tool}: sets {}", set.join(", ")));
        if !p.unset.is_empty() {
            out.push_str(&format!("; unsets {}", p.unset.join(", ")));
        }
        out.push('\n');
    }
    print!("{out}");
}
