//! The process environment interlock reads, gathered once so the core stays pure.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Default)]
pub struct Env {
    pub home: Option<PathBuf>,
    pub cwd: Option<PathBuf>,
    pub xdg_config_home: Option<PathBuf>,
    pub xdg_state_home: Option<PathBuf>,
}

fn path_var(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

impl Env {
    pub fn from_process() -> Env {
        Env {
            home: path_var("HOME"),
            cwd: std::env::current_dir().ok(),
            xdg_config_home: path_var("XDG_CONFIG_HOME"),
            xdg_state_home: path_var("XDG_STATE_HOME"),
        }
    }

    /// System-wide configuration, owned by root (or by interlock's own user in the
    /// hardened recipe). Deliberately not overridable from the environment: an agent
    /// could otherwise point it at an empty directory.
    pub fn system_dir(&self) -> PathBuf {
        PathBuf::from("/etc/interlock")
    }

    /// `$XDG_CONFIG_HOME/interlock`, or `~/.config/interlock`.
    pub fn user_config_dir(&self) -> Option<PathBuf> {
        self.xdg_config_home
            .clone()
            .or_else(|| self.home.as_ref().map(|h| h.join(".config")))
            .map(|d| d.join("interlock"))
    }

    /// `$XDG_STATE_HOME/interlock`, or `~/.local/state/interlock`.
    pub fn user_state_dir(&self) -> Option<PathBuf> {
        self.xdg_state_home
            .clone()
            .or_else(|| self.home.as_ref().map(|h| h.join(".local/state")))
            .map(|d| d.join("interlock"))
    }
}

/// Creates `dir` and its missing parents, private to the user (0700): interlock's state
/// (queue, grants, brake counts, log) must not be writable, or readable, by others.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Lossless-enough text of an OS string for judging; the original bytes are what get
/// executed.
pub fn lossy(s: &OsString) -> String {
    s.to_string_lossy().into_owned()
}
