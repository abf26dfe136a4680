//! `interlock run -- AGENT ARGS...`: starts an agent inside a guarded session.

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::Command;

use super::exec;
use crate::credentials::envpolicy::{self, EnvSection, Removal};
use crate::credentials::session::{self, PER_USER_VARS};
use crate::credentials::{Profiles, user};
use crate::exit;

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
/// `[env]` section says, and the variables a per-tool profile owns; returns what was
/// removed. The profiles themselves are not applied here: they reach only their tool,
/// through its shim.
pub fn apply_credential_policy(
    env: &mut EnvList,
    section: &EnvSection,
    profiles: &Profiles,
) -> Vec<Removal> {
    let mut removed = envpolicy::judge(section, env);
    for r in envpolicy::owned_by_profiles(section, profiles, env) {
        if !removed.iter().any(|x| x.name == r.name) {
            removed.push(r);
        }
    }
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
    /// Start without a shims directory (only the shell mode guards the session).
    pub no_shims: bool,
}

/// A fresh session id: 16 random bytes from the kernel, in hex.
pub fn session_id() -> std::io::Result<String> {
    let mut b = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// Makes this process (and so the agent it becomes: the attribute survives execve, and
/// is not inherited by children) the reaper of its orphaned descendants. A process the
/// agent starts that leaves the tree (`setsid -f`, a double fork) is re-parented to the
/// agent instead of to init, so walking up from it still finds the session — which is
/// what keeps `interlock approve` from counting it as a human outside. Orphans stay
/// zombies until the agent reaps them or exits.
fn set_child_subreaper() -> std::io::Result<()> {
    // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes only integer arguments.
    let r = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
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
    let cfg = match session::load_policy() {
        Ok(c) => c,
        Err(code) => return code,
    };
    let user = match opts.user.as_deref().map(user::prepare).transpose() {
        Ok(u) => u,
        Err(e) => {
            return session::refuse(
                e,
                "name an existing user, and start interlock as root to use --user",
            );
        }
    };
    let mut env: EnvList = std::env::vars_os().collect();
    match exec::shims_dir() {
        Some(shims) => set(&mut env, "PATH", exec::path_with_shims(&shims)),
        None if opts.no_shims => eprintln!(
            "interlock run: no shims directory (--no-shims): only commands run through interlock's shell are judged, not tools the agent runs directly"
        ),
        None => {
            return session::refuse(
                format_args!(
                    "no shims directory found (neither {} is set nor does <bin>/../lib/interlock/shims exist), so tools the agent runs directly would not be judged",
                    exec::SHIMS_DIR_VAR
                ),
                "install with ./install.sh (it creates the shims), or set INTERLOCK_SHIMS_DIR; --no-shims starts the session guarded only by the shell",
            );
        }
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
    // The terminal a human started the session on: inside the session, the only one a
    // confirmation prompt may use (never one inherited from an outer session).
    env.retain(|(k, _)| k != crate::confirm::TTY_VAR);
    if let Some(dev) = crate::confirm::terminal_device() {
        set(&mut env, crate::confirm::TTY_VAR, dev.to_string());
    }
    let section = cfg.env.clone().unwrap_or_default();
    let removed = apply_credential_policy(
        &mut env,
        &section,
        &cfg.profiles.clone().unwrap_or_default(),
    );
    if let Some(u) = &user {
        env.retain(|(k, _)| !PER_USER_VARS.iter().any(|v| k == v));
        set(&mut env, "HOME", u.home.clone());
        set(&mut env, "USER", u.name.clone());
        set(&mut env, "LOGNAME", u.name.clone());
    }
    if opts.explain_env {
        let all: Vec<(OsString, OsString)> = std::env::vars_os().collect();
        let kept = envpolicy::kept(&section, &all);
        session::explain(&removed, &kept, &cfg, user.as_ref());
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
    if let Err(e) = set_child_subreaper() {
        eprintln!(
            "interlock run: cannot make the agent a child subreaper ({e}), so a process it detaches could pass for a human's; \
             the agent was not started"
        );
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
