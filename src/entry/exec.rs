//! Finding the real program behind a shim, and running it.

use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;

use crate::exit;

/// How many shims deep the current process is. Inherited by children.
pub const DEPTH_VAR: &str = "INTERLOCK_SHIM_DEPTH";
/// A shim refuses to run when this many shims are already above it: real nesting
/// (git hooks calling git) is shallow, a wrapper that re-finds its own shim is not.
pub const MAX_DEPTH: u32 = 4;
/// Overrides where the shim symlinks live.
pub const SHIMS_DIR_VAR: &str = "INTERLOCK_SHIMS_DIR";
/// What bash uses when PATH is unset.
const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// The basename of argv[0], with a login shell's leading `-` stripped.
pub fn basename(arg0: &OsStr) -> String {
    let b = arg0.as_bytes();
    let name = b.rsplit(|c| *c == b'/').next().unwrap_or(b);
    let name = name.strip_prefix(b"-").unwrap_or(name);
    String::from_utf8_lossy(name).into_owned()
}

/// This binary, symlinks resolved.
pub fn self_exe() -> Option<PathBuf> {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok())
}

fn is_self(p: &Path, me: Option<&Path>) -> bool {
    me.is_some_and(|m| p.canonicalize().is_ok_and(|c| c == m))
}

/// Whether `p` is interlock itself (through any number of symlinks).
pub fn is_interlock(p: &Path) -> bool {
    is_self(p, self_exe().as_deref())
}

/// The directory holding the shim symlinks: `$INTERLOCK_SHIMS_DIR`, else
/// `<dir of the binary>/../lib/interlock/shims` when it exists.
pub fn shims_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os(SHIMS_DIR_VAR).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(d));
    }
    let exe = std::env::current_exe().ok()?;
    let d = exe.parent()?.join("../lib/interlock/shims");
    d.is_dir().then(|| d.canonicalize().unwrap_or(d))
}

/// The directory holding this binary (for `interlock-bash` next to it).
pub fn bin_dir() -> Option<PathBuf> {
    std::env::current_exe()
        .ok()?
        .parent()
        .map(Path::to_path_buf)
}

fn is_executable(p: &Path) -> bool {
    let Ok(meta) = p.metadata() else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    let Ok(c) = CString::new(p.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
    unsafe { libc::access(c.as_ptr(), libc::X_OK) == 0 }
}

fn path_var() -> OsString {
    std::env::var_os("PATH").unwrap_or_else(|| DEFAULT_PATH.into())
}

/// Looks `tool` up on PATH minus every shims directory: the configured one, and any
/// directory whose `tool` entry is interlock itself. Candidates that are interlock or
/// not executable are skipped. On failure, returns the directories looked in.
pub fn find_real(tool: &str) -> Result<PathBuf, Vec<PathBuf>> {
    find_real_in(tool, &path_var())
}

pub fn find_real_in(tool: &str, path: &OsStr) -> Result<PathBuf, Vec<PathBuf>> {
    let me = self_exe();
    let shims = shims_dir().and_then(|d| d.canonicalize().ok());
    let mut looked: Vec<PathBuf> = Vec::new();
    for dir in std::env::split_paths(path) {
        // An empty entry means the working directory, as in any shell.
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        if shims.is_some() && dir.canonicalize().ok() == shims {
            continue;
        }
        let candidate = dir.join(tool);
        if is_self(&candidate, me.as_deref()) {
            continue;
        }
        if looked.contains(&dir) {
            continue;
        }
        looked.push(dir);
        if is_executable(&candidate) {
            return Ok(candidate);
        }
    }
    Err(looked)
}

/// `interlock: TOOL: not installed (looked in: A:B)`.
pub fn not_found_message(tool: &str, looked: &[PathBuf]) -> String {
    let dirs: Vec<String> = looked.iter().map(|d| d.display().to_string()).collect();
    let dirs = if dirs.is_empty() {
        "no directory on PATH besides the interlock shims".to_owned()
    } else {
        dirs.join(":")
    };
    format!(
        "interlock: {tool}: not installed (looked in: {dirs})\n  install {tool}, or add the directory that holds it to PATH after the interlock shims"
    )
}

/// PATH with the shims directory first (and not repeated later).
pub fn path_with_shims(shims: &Path) -> OsString {
    let cur = path_var();
    let canon = shims.canonicalize().ok();
    let mut dirs = vec![shims.to_path_buf()];
    dirs.extend(
        std::env::split_paths(&cur)
            .filter(|d| d != shims && (canon.is_none() || d.canonicalize().ok() != canon)),
    );
    std::env::join_paths(dirs).unwrap_or(cur)
}

/// The current shim depth; an unreadable value counts as too deep (fail closed).
pub fn shim_depth() -> u32 {
    match std::env::var_os(DEPTH_VAR) {
        None => 0,
        Some(v) => v
            .to_str()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(MAX_DEPTH),
    }
}

/// The exit code a shell would report for `status`.
pub fn status_code(s: ExitStatus) -> u8 {
    if let Some(c) = s.code() {
        c as u8
    } else if let Some(sig) = s.signal() {
        128u8.wrapping_add(sig as u8)
    } else {
        exit::INTERNAL
    }
}

/// Describes an exec failure and returns the exit code for it.
pub fn exec_failed(what: &Path, err: &std::io::Error) -> u8 {
    eprintln!(
        "interlock: could not run {}: {err}; nothing was run",
        what.display()
    );
    match err.kind() {
        std::io::ErrorKind::NotFound => exit::NOT_FOUND,
        std::io::ErrorKind::PermissionDenied => 126,
        _ => exit::INTERNAL,
    }
}
