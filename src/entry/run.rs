//! `interlock run -- AGENT ARGS...`: starts an agent inside a guarded session.

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::Command;

use super::exec;
use crate::config::{self, Config};
use crate::credentials::envpolicy::{self, EnvSection, Removal};
use crate::credentials::user::{self, User};
use crate::env::Env;
use crate::exit;
use crate::rules::{RuleSet, Sources};

/// The session's environment, in order, as name/value pairs.
pub type EnvList = Vec<(OsString, OsString)>;

fn set(env: &mut EnvList, name: &str, value: impl Into<OsString>) {
    let value = value.into();
    match env.iter_mut().find(|(k, _)| k == name) {
        Some(slot) => slot.1 = value,
        None => env.push((name.into(), value)),
    }
}

/// Removes credentials and code-injecting variables before the agent sees them, as the
/// `[env]` section says; returns what was removed. Per-tool profiles are not applied
/// here: they reach only their tool, through its shim.
pub fn apply_credential_policy(env: &mut EnvList, section: &EnvSection) -> Vec<Removal> {
    let removed = envpolicy::judge(section, env);
    env.retain(|(k, _)| !removed.iter().any(|r| &r.name == k));
    removed
}

/// How `interlock run` was asked to start the agent.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Leave PR_SET_NO_NEW_PRIVS off.
    pub allow_new_privs: bool,
    /// Print what the policy removes and sets, and start nothing.
    pub explain_env: bool,
    /// Drop from root to this user before starting the agent.
    pub user: Option<String>,
}

/// Variables that point into the starting user's own directories; after dropping to
/// another user they would send the agent's programs (and interlock) to the wrong place.
const PER_USER_VARS: &[&str] = &[
    "XDG_CONFIG_HOME",
    "XDG_STATE_HOME",
    "XDG_DATA_HOME",
    "XDG_CACHE_HOME",
    "XDG_RUNTIME_DIR",
    "MAIL",
];

fn refuse(what: impl std::fmt::Display, todo: &str) -> u8 {
    eprintln!("interlock run: {what}; the agent was not started.\n  to do: {todo}");
    exit::USAGE
}

/// Reads the config and every rules file up front: a session must not start with a
/// policy that half loads.
fn load_policy() -> Result<Config, u8> {
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

fn explain(removed: &[Removal], kept: &[Removal], cfg: &Config, user: Option<&User>) {
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

/// A fresh session id: 16 random bytes from the kernel, in hex.
pub fn session_id() -> std::io::Result<String> {
    let mut b = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

fn set_no_new_privs() -> std::io::Result<()> {
    // SAFETY: prctl with PR_SET_NO_NEW_PRIVS takes only integer arguments.
    let r = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

pub fn run(opts: &RunOptions, agent: &[OsString]) -> u8 {
    let split = agent.split_first();
    if split.is_none() && !opts.explain_env {
        eprintln!("interlock run: name the agent to start: interlock run -- AGENT [ARGS...]");
        return exit::USAGE;
    }
    let cfg = match load_policy() {
        Ok(c) => c,
        Err(code) => return code,
    };
    let user = match opts.user.as_deref().map(user::prepare).transpose() {
        Ok(u) => u,
        Err(e) => {
            return refuse(
                e,
                "name an existing user, and start interlock as root to use --user",
            );
        }
    };
    let mut env: EnvList = std::env::vars_os().collect();
    match exec::shims_dir() {
        Some(shims) => set(&mut env, "PATH", exec::path_with_shims(&shims)),
        None => eprintln!(
            "interlock: warning: no shims directory found, so only the shell is guarded, not tools run directly; \
             run install.sh or set {}",
            exec::SHIMS_DIR_VAR
        ),
    }
    let shell = exec::bin_dir()
        .map(|d| d.join("interlock-bash"))
        .filter(|p| p.exists())
        .or_else(|| std::env::current_exe().ok());
    match shell {
        Some(s) => set(&mut env, "SHELL", s),
        None => {
            eprintln!(
                "interlock run: cannot find interlock's own path to set SHELL; the agent was not started"
            );
            return exit::INTERNAL;
        }
    }
    match session_id() {
        Ok(id) => set(&mut env, "INTERLOCK_SESSION", id),
        Err(e) => {
            eprintln!(
                "interlock run: cannot read /dev/urandom for a session id ({e}); the agent was not started"
            );
            return exit::INTERNAL;
        }
    }
    let section = cfg.env.clone().unwrap_or_default();
    let removed = apply_credential_policy(&mut env, &section);
    if let Some(u) = &user {
        env.retain(|(k, _)| !PER_USER_VARS.iter().any(|v| k == v));
        set(&mut env, "HOME", u.home.clone());
        set(&mut env, "USER", u.name.clone());
        set(&mut env, "LOGNAME", u.name.clone());
    }
    if opts.explain_env {
        let all: Vec<(OsString, OsString)> = std::env::vars_os().collect();
        let kept = envpolicy::kept(&section, &all);
        explain(&removed, &kept, &cfg, user.as_ref());
        return exit::ALLOW;
    }
    let Some((program, args)) = split else {
        return exit::USAGE;
    };
    if !opts.allow_new_privs
        && let Err(e) = set_no_new_privs()
    {
        eprintln!(
            "interlock run: cannot set no_new_privs ({e}), so setuid programs such as sudo could escape the session; \
             the agent was not started. Use --allow-new-privs to start it anyway"
        );
        return exit::INTERNAL;
    }
    if let Some(u) = &user
        && let Err(e) = user::become_user(u)
    {
        eprintln!("interlock run: {e}; the agent was not started");
        return exit::INTERNAL;
    }
    let err = Command::new(program)
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_os_str(), v.as_os_str())))
        .exec();
    eprintln!(
        "interlock run: cannot start {}: {err}",
        OsStr::new(program).to_string_lossy()
    );
    if err.kind() == std::io::ErrorKind::NotFound {
        exit::NOT_FOUND
    } else {
        exit::INTERNAL
    }
}
