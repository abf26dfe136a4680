//! interlock's own settings (not rules): `config.toml` in the system directory
//! (`/etc/interlock/config.toml`) and the user's (`~/.config/interlock/config.toml`).
//!
//! Each section belongs to the part of interlock it configures and is defined there;
//! this module only finds, reads and layers the files. Reading is strict: an unknown
//! key or a bad value is an error with file:line:column, and a caller that needs the
//! config to stay safe (starting a session, confirming) refuses to go on without it.
//!
//! Layering: a section set in the system file wins over the same section in the user
//! file as a whole. The system file is the administrator's, and in the hardened recipe
//! the agent's user cannot write it; the user file can only fill in what it leaves out.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::env::Env;
use crate::rules::LoadError;

/// One config file as written. Every section is optional.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[env]`: the credential and code-injection environment policy.
    pub env: Option<crate::credentials::EnvSection>,
    /// `[profiles.<tool>]`: per-tool credential profiles.
    pub profiles: Option<crate::credentials::Profiles>,
    #[serde(default)]
    pub confirm: Option<crate::confirm::ConfirmSection>,
    #[serde(default)]
    pub audit: Option<crate::audit::AuditConfig>,
    #[serde(default)]
    pub context: Option<crate::context::ContextConfig>,
    #[serde(default)]
    pub freeze: Option<Vec<crate::governance::Freeze>>,
    #[serde(default)]
    pub brake: Option<crate::governance::BrakeConfig>,
    /// `[layers]`: which of the user's own files interlock reads. Honoured only in the
    /// system file.
    #[serde(default)]
    pub layers: Option<Layers>,
}

/// `[layers]`, for the hardened recipe: with `user = false` in the system file, the
/// user's `config.toml` and rules directory are not read at all. They are found
/// through `HOME` and `XDG_CONFIG_HOME`, which the agent's process controls, so on a
/// machine where the agent must not choose its own rules, only the system layer counts.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Layers {
    #[serde(default = "yes")]
    pub user: bool,
}

fn yes() -> bool {
    true
}

impl Config {
    /// Section-wise layering: what `self` (the stronger file) sets wins.
    fn over(self, weaker: Config) -> Config {
        // Each section added above is layered here, as `a: self.a.or(weaker.a)`.
        Config {
            env: self.env.or(weaker.env),
            profiles: self.profiles.or(weaker.profiles),
            confirm: self.confirm.or(weaker.confirm),
            audit: self.audit.or(weaker.audit),
            context: self.context.or(weaker.context),
            freeze: self.freeze.or(weaker.freeze),
            brake: self.brake.or(weaker.brake),
            // Only the system file decides which files are read.
            layers: self.layers,
        }
    }
}

/// Parses one config file's text strictly.
pub fn parse(name: &str, src: &str) -> Result<Config, LoadError> {
    toml::from_str(src).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        LoadError::at(name, src, offset, e.message().trim().to_owned())
    })
}

fn read(path: &Path) -> Result<Option<Config>, LoadError> {
    match std::fs::read_to_string(path) {
        Ok(src) => parse(&path.display().to_string(), &src).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(LoadError::whole(
            &path.display().to_string(),
            format!("cannot read it: {e}"),
        )),
    }
}

/// Where the config files are, strongest first.
pub fn paths(env: &Env) -> Vec<PathBuf> {
    let mut p = vec![env.system_dir().join("config.toml")];
    if let Some(d) = env.user_config_dir() {
        p.push(d.join("config.toml"));
    }
    p
}

/// Reads and layers the config files. Missing files are fine; a file that exists but
/// cannot be read or parsed is an error.
pub fn load(env: &Env) -> Result<Config, LoadError> {
    load_from(&paths(env))
}

/// Whether the user's own files (config.toml, rules) are read: not when the system
/// config says `[layers] user = false`. A system file that cannot be read leaves the
/// user layer on; the error itself stops guarded commands where the config is loaded.
pub fn user_layer(env: &Env) -> bool {
    user_layer_in(&env.system_dir().join("config.toml"))
}

/// [`user_layer`] for an explicit system file.
pub fn user_layer_in(system: &Path) -> bool {
    match read(system) {
        Ok(Some(c)) => c.layers.is_none_or(|l| l.user),
        _ => true,
    }
}

/// [`load`] from explicit files, strongest first. The first is the system file: when
/// it says `[layers] user = false`, the others are not read.
pub fn load_from(paths: &[PathBuf]) -> Result<Config, LoadError> {
    let Some((system, users)) = paths.split_first() else {
        return Ok(Config::default());
    };
    let mut layered = read(system)?;
    if layered
        .as_ref()
        .and_then(|c| c.layers)
        .is_some_and(|l| !l.user)
    {
        return Ok(layered.unwrap_or_default());
    }
    for p in users {
        let Some(c) = read(p)? else { continue };
        if c.layers.is_some() {
            // Otherwise the file the switch is about could turn it off.
            return Err(LoadError::whole(
                &p.display().to_string(),
                "`[layers]` is read only from the system config (/etc/interlock/config.toml)"
                    .into(),
            ));
        }
        layered = Some(match layered {
            Some(strong) => strong.over(c),
            None => c,
        });
    }
    Ok(layered.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_point_at_the_line() {
        let e = parse("config.toml", "\n\nbogus = 1\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 1), "{e}");
    }

    #[test]
    fn missing_files_are_an_empty_config() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load_from(&[dir.path().join("none.toml")]).is_ok());
    }

    #[test]
    fn the_system_file_can_switch_the_user_layer_off() {
        let dir = tempfile::tempdir().unwrap();
        let (system, user) = (dir.path().join("system.toml"), dir.path().join("user.toml"));
        std::fs::write(&user, "[confirm]\nwait = false\n").unwrap();
        let both = [system.clone(), user.clone()];
        assert!(load_from(&both).unwrap().confirm.is_some());
        assert!(
            user_layer_in(&system),
            "no system file: the user layer is read"
        );

        std::fs::write(&system, "[layers]\nuser = false\n").unwrap();
        assert!(load_from(&both).unwrap().confirm.is_none());
        assert!(!user_layer_in(&system));

        // The user file cannot say it itself.
        std::fs::write(&system, "").unwrap();
        std::fs::write(&user, "[layers]\nuser = true\n").unwrap();
        assert!(load_from(&both).is_err());
    }

    #[test]
    fn unreadable_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the file should be cannot be read as one.
        let p = dir.path().join("config.toml");
        std::fs::create_dir(&p).unwrap();
        assert!(load_from(&[p]).is_err());
    }
}
