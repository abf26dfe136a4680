//! The speed brake: more than `max` risky decisions within `minutes` in one session
//! sends the next ones to a human, so a runaway loop of deletes stops.
//!
//! The count lives in a small file per session under the state directory, read and
//! rewritten under flock(2), so concurrent processes of one session (an agent running
//! commands in parallel) share it without losing a count.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::hash::sha256_hex;

pub const DEFAULT_MAX: u32 = 10;
pub const DEFAULT_MINUTES: u32 = 5;
/// The same command seen again this soon is the shell layer and the shim layer judging
/// one command, not two commands.
const SAME_COMMAND_MS: i64 = 2_000;
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// `[brake]` in config.toml. On by default.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrakeConfig {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Risky decisions allowed within the window before the next ones need a human.
    #[serde(default = "default_max")]
    pub max: u32,
    #[serde(default = "default_minutes")]
    pub minutes: u32,
}

fn yes() -> bool {
    true
}
fn default_max() -> u32 {
    DEFAULT_MAX
}
fn default_minutes() -> u32 {
    DEFAULT_MINUTES
}

impl Default for BrakeConfig {
    fn default() -> Self {
        BrakeConfig {
            enabled: true,
            max: DEFAULT_MAX,
            minutes: DEFAULT_MINUTES,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("speed brake state {path}: {source}")]
pub struct BrakeError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// The state file of one session (`INTERLOCK_SESSION`, or the user when there is none).
pub fn state_file(state_dir: &Path, session: &str) -> PathBuf {
    let key = sha256_hex(session.as_bytes());
    state_dir
        .join("brake")
        .join(format!("{}.times", &key[..32]))
}

/// Counts this decision and returns how many risky decisions came before it within
/// the window (this one not included). `command` identifies the command, so the shell
/// and shim layers judging the same command count it once.
pub fn count(
    path: &Path,
    cfg: &BrakeConfig,
    now_ms: i64,
    command: &str,
) -> Result<u32, BrakeError> {
    let err = |source| BrakeError {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(err)?;
    }
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(err)?;
    crate::audit::lock_exclusive(&file, LOCK_WAIT).map_err(err)?;
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(err)?;
    let window_ms = i64::from(cfg.minutes) * 60_000;
    let tag = &sha256_hex(command.as_bytes())[..16];
    let mut kept: Vec<(i64, String)> = text
        .lines()
        .filter_map(|l| {
            let (t, c) = l.split_once(' ')?;
            Some((t.parse().ok()?, c.to_owned()))
        })
        // Entries stamped a moment "after" now come from processes that took their
        // time before waiting for this lock: they count too.
        .filter(|(t, _)| now_ms - *t < window_ms)
        .collect();
    let duplicate = kept
        .iter()
        .any(|(t, c)| c == tag && now_ms - *t < SAME_COMMAND_MS);
    let before = kept.len() as u32;
    if !duplicate {
        kept.push((now_ms, tag.to_owned()));
    }
    let out: String = kept.iter().map(|(t, c)| format!("{t} {c}\n")).collect();
    file.seek(SeekFrom::Start(0)).map_err(err)?;
    file.set_len(0).map_err(err)?;
    file.write_all(out.as_bytes()).map_err(err)?;
    // The lock goes with the file descriptor when `file` is dropped.
    Ok(if duplicate {
        before.saturating_sub(1)
    } else {
        before
    })
}

/// Whether `before` earlier risky decisions mean this one needs a human.
pub fn tripped(cfg: &BrakeConfig, before: u32) -> bool {
    cfg.enabled && before >= cfg.max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_within_the_window_only() {
        let dir = tempfile::tempdir().unwrap();
        let p = state_file(dir.path(), "s1");
        let cfg = BrakeConfig {
            enabled: true,
            max: 3,
            minutes: 1,
        };
        let mut seen = Vec::new();
        for i in 0..4 {
            seen.push(count(&p, &cfg, 1_000_000 + i * 5_000, &format!("cmd {i}")).unwrap());
        }
        assert_eq!(seen, [0, 1, 2, 3]);
        assert!(tripped(&cfg, 3));
        assert!(!tripped(&cfg, 2));
        // Two minutes later the window is empty again.
        assert_eq!(count(&p, &cfg, 1_000_000 + 120_000, "cmd 9").unwrap(), 0);
    }

    #[test]
    fn the_same_command_from_two_layers_counts_once() {
        let dir = tempfile::tempdir().unwrap();
        let p = state_file(dir.path(), "s1");
        let cfg = BrakeConfig::default();
        assert_eq!(count(&p, &cfg, 10_000, "kubectl delete pod a").unwrap(), 0);
        assert_eq!(count(&p, &cfg, 10_500, "kubectl delete pod a").unwrap(), 0);
        assert_eq!(count(&p, &cfg, 11_000, "kubectl delete pod b").unwrap(), 1);
        assert_eq!(count(&p, &cfg, 20_000, "kubectl delete pod a").unwrap(), 2);
    }
}
