//! One decision per command string. When the shell mode gets a script approved, the
//! tools it runs reach their shims, which would ask again about the same commands. A
//! grant stops that: a record in the approvals directory listing the exact argvs the
//! approval covered, each usable once, bound to the session, expiring soon, and named
//! by the SHA-256 of a random token that only the approved shell's environment
//! carries (`INTERLOCK_GRANT`). The token itself is never written to disk, and the
//! shell mode drops any `INTERLOCK_GRANT` it is given, so a command cannot bring its own.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ConfirmError;
use super::queue::{lock, write_atomic};
use crate::hash::sha256_hex;

pub const GRANT_VAR: &str = "INTERLOCK_GRANT";
const PREFIX: &str = "grant-";
const TOKEN_BYTES: usize = 32;
/// How long an approved script's tools may use the grant: long enough for a slow
/// script, short enough that a leaked token is soon worthless.
pub const GRANT_TTL_SECS: u64 = 3600;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Grant {
    session: Option<String>,
    expires: u64,
    /// SHA-256 of each covered argv; removed when used.
    argvs: Vec<String>,
}

fn argv_hash(argv: &[String]) -> String {
    let parts: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
    sha256_hex(&super::encode(&parts))
}

fn path(dir: &Path, token: &[u8]) -> std::path::PathBuf {
    dir.join(format!("{PREFIX}{}.json", sha256_hex(token)))
}

/// Records a grant for `argvs` and returns the token to hand to the shell.
pub fn create(dir: &Path, argvs: &[Vec<String>]) -> Result<String, ConfirmError> {
    let token: String = super::random_bytes(TOKEN_BYTES)?
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let now = super::now();
    let g = Grant {
        session: super::session(),
        expires: now + GRANT_TTL_SECS,
        argvs: argvs.iter().map(|a| argv_hash(a)).collect(),
    };
    let p = path(dir, token.as_bytes());
    let json = serde_json::to_vec(&g).map_err(|source| ConfirmError::Corrupt {
        path: p.clone(),
        source,
    })?;
    let _l = lock(dir)?;
    prune(dir, now);
    write_atomic(&p, &json)?;
    Ok(token)
}

/// Removes grants past their time, so unused ones do not pile up.
fn prune(dir: &Path, now: u64) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        if !name.to_string_lossy().starts_with(PREFIX) {
            continue;
        }
        let stale = std::fs::read(e.path())
            .ok()
            .and_then(|b| serde_json::from_slice::<Grant>(&b).ok())
            .is_none_or(|g| g.expires <= now);
        if stale {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Uses the grant named by `token` for `argv`, if it covers it in this session and has
/// not expired. True when the command may run without asking again.
pub fn consume(dir: &Path, token: &OsStr, argv: &[String]) -> Result<bool, ConfirmError> {
    if token.is_empty() {
        return Ok(false);
    }
    let p = path(dir, token.as_bytes());
    let _l = lock(dir)?;
    let bytes = match std::fs::read(&p) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => {
            return Err(ConfirmError::Io {
                what: "cannot read",
                path: p,
                source: e,
            });
        }
    };
    let mut g: Grant = serde_json::from_slice(&bytes).map_err(|source| ConfirmError::Corrupt {
        path: p.clone(),
        source,
    })?;
    if g.expires <= super::now() {
        let _ = std::fs::remove_file(&p);
        return Ok(false);
    }
    if g.session != super::session() {
        return Ok(false);
    }
    let want = argv_hash(argv);
    let Some(i) = g.argvs.iter().position(|h| *h == want) else {
        return Ok(false);
    };
    g.argvs.remove(i);
    if g.argvs.is_empty() {
        std::fs::remove_file(&p).map_err(|e| ConfirmError::Io {
            what: "cannot remove",
            path: p.clone(),
            source: e,
        })?;
    } else {
        let json = serde_json::to_vec(&g).map_err(|source| ConfirmError::Corrupt {
            path: p.clone(),
            source,
        })?;
        write_atomic(&p, &json)?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_grant_covers_its_exact_argvs_once() {
        let dir = tempfile::tempdir().unwrap();
        let a = v(&["kubectl", "delete", "pod", "x"]);
        let b = v(&["kubectl", "delete", "pod", "y"]);
        let token = create(dir.path(), &[a.clone(), b.clone()]).unwrap();
        let t = OsStr::new(&token);
        assert!(!consume(dir.path(), t, &v(&["kubectl", "delete", "pod", "z"])).unwrap());
        assert!(consume(dir.path(), t, &a).unwrap());
        assert!(!consume(dir.path(), t, &a).unwrap(), "used twice");
        assert!(!consume(dir.path(), OsStr::new("forged"), &b).unwrap());
        assert!(consume(dir.path(), t, &b).unwrap());
        // Fully used: the record is gone.
        assert!(!path(dir.path(), token.as_bytes()).exists());
    }
}
