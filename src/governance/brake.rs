//! The speed brake: more than `max` risky decisions within `minutes` in one session
//! sends the next ones to a human, so a runaway loop of deletes stops.
//!
//! The count lives in a small file per session under the state directory, read and
//! rewritten under flock(2), so concurrent processes of one session (an agent running
//! commands in parallel) share it without losing a count.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::hash::sha256_hex;

pub const DEFAULT_MAX: u32 = 10;
pub const DEFAULT_MINUTES: u32 = 5;
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// Which way in judged a decision. One command can be judged by up to three layers in
/// turn — an agent's hook, then the shell mode running the command line, then the shim
/// of the tool it starts — and counts once: a layer's entry takes up one entry of the
/// layer above it for the same command, if one is waiting, instead of counting again.
/// Two runs of the same command count twice, however close together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    Hook,
    Shell,
    Shim,
}

impl Layer {
    fn mark(self) -> char {
        match self {
            Layer::Hook => 'h',
            Layer::Shell => 's',
            Layer::Shim => 'x',
        }
    }

    /// The layer whose judgement of the same command comes just before this one's.
    fn above(self) -> Option<char> {
        match self {
            Layer::Hook => None,
            Layer::Shell => Some('h'),
            Layer::Shim => Some('s'),
        }
    }
}

/// One line of the state file: `TIME TAG FLAGS`, FLAGS being the layer's mark, `+`
/// once a lower layer took the entry up (`-` before), and `c` when it counted (`n`
/// when it took up another).
struct Seen {
    time: i64,
    tag: String,
    layer: char,
    taken: bool,
    counted: bool,
}

impl Seen {
    fn parse(line: &str) -> Option<Seen> {
        let mut parts = line.split(' ');
        let time = parts.next()?.parse().ok()?;
        let tag = parts.next()?.to_owned();
        // A line written before layers were recorded counts, and takes nothing up.
        let flags: Vec<char> = parts.next().unwrap_or("?+c").chars().collect();
        Some(Seen {
            time,
            tag,
            layer: *flags.first()?,
            taken: flags.get(1) == Some(&'+'),
            counted: flags.get(2) != Some(&'n'),
        })
    }

    fn line(&self) -> String {
        format!(
            "{} {} {}{}{}\n",
            self.time,
            self.tag,
            self.layer,
            if self.taken { '+' } else { '-' },
            if self.counted { 'c' } else { 'n' }
        )
    }
}

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
/// the window (this one not included). `command` identifies the command, so the hook,
/// shell and shim layers judging the same command count it once (see [`Layer`]).
pub fn count(
    path: &Path,
    cfg: &BrakeConfig,
    now_ms: i64,
    command: &str,
    layer: Layer,
) -> Result<u32, BrakeError> {
    let err = |source| BrakeError {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        crate::env::create_private_dir(dir).map_err(err)?;
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
    let tag = sha256_hex(command.as_bytes())[..16].to_owned();
    let mut kept: Vec<Seen> = text
        .lines()
        .filter_map(Seen::parse)
        // Entries stamped a moment "after" now come from processes that took their
        // time before waiting for this lock: they count too.
        .filter(|s| now_ms - s.time < window_ms)
        .collect();
    let before = kept.iter().filter(|s| s.counted).count() as u32;
    let above = layer.above().and_then(|mark| {
        kept.iter_mut()
            .find(|s| s.layer == mark && !s.taken && s.tag == tag)
    });
    let counted = match above {
        Some(s) => {
            s.taken = true;
            false
        }
        None => true,
    };
    kept.push(Seen {
        time: now_ms,
        tag,
        layer: layer.mark(),
        taken: false,
        counted,
    });
    let out: String = kept.iter().map(Seen::line).collect();
    file.seek(SeekFrom::Start(0)).map_err(err)?;
    file.set_len(0).map_err(err)?;
    file.write_all(out.as_bytes()).map_err(err)?;
    // The lock goes with the file descriptor when `file` is dropped. A command taken up
    // from the layer above was counted there: the earlier decisions are the others.
    Ok(if counted {
        before
    } else {
        before.saturating_sub(1)
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
            seen.push(
                count(
                    &p,
                    &cfg,
                    1_000_000 + i * 5_000,
                    &format!("cmd {i}"),
                    Layer::Shim,
                )
                .unwrap(),
            );
        }
        assert_eq!(seen, [0, 1, 2, 3]);
        assert!(tripped(&cfg, 3));
        assert!(!tripped(&cfg, 2));
        // Two minutes later the window is empty again.
        assert_eq!(
            count(&p, &cfg, 1_000_000 + 120_000, "cmd 9", Layer::Shim).unwrap(),
            0
        );
    }

    #[test]
    fn the_same_command_from_each_layer_counts_once() {
        let dir = tempfile::tempdir().unwrap();
        let p = state_file(dir.path(), "s1");
        let cfg = BrakeConfig::default();
        let c = |t, cmd: &str, l| count(&p, &cfg, t, cmd, l).unwrap();
        // hook, then the shell mode, then the shim: one command.
        assert_eq!(c(10_000, "kubectl delete pod a", Layer::Hook), 0);
        assert_eq!(c(10_100, "kubectl delete pod a", Layer::Shell), 0);
        assert_eq!(c(10_200, "kubectl delete pod a", Layer::Shim), 0);
        assert_eq!(c(11_000, "kubectl delete pod b", Layer::Shim), 1);
        assert_eq!(c(20_000, "kubectl delete pod a", Layer::Shell), 2);
    }

    #[test]
    fn a_command_repeated_quickly_counts_every_time() {
        // Regression: repeats within two seconds used to count as one, so a tight
        // loop of the same delete never tripped the brake.
        let dir = tempfile::tempdir().unwrap();
        let p = state_file(dir.path(), "s1");
        let cfg = BrakeConfig {
            enabled: true,
            max: 2,
            minutes: 5,
        };
        let seen: Vec<u32> = (0..5)
            .map(|i| {
                count(
                    &p,
                    &cfg,
                    50_000 + i * 10,
                    "kubectl delete pod same",
                    Layer::Shim,
                )
                .unwrap()
            })
            .collect();
        assert_eq!(seen, [0, 1, 2, 3, 4]);
        assert!(tripped(&cfg, seen[2]));
        // The shell mode running the loop's body each time, and its shim after it.
        let p = state_file(dir.path(), "s2");
        let mut seen = Vec::new();
        for i in 0..3 {
            seen.push(
                count(
                    &p,
                    &cfg,
                    60_000 + i * 100,
                    "kubectl delete pod same",
                    Layer::Shell,
                )
                .unwrap(),
            );
            count(
                &p,
                &cfg,
                60_000 + i * 100 + 10,
                "kubectl delete pod same",
                Layer::Shim,
            )
            .unwrap();
        }
        assert_eq!(seen, [0, 1, 2]);
    }
}
