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

/// Whether `p` leads to an interlock binary, this one or another install's: a shim of
/// a second install found on PATH would send the call back into interlock.
fn is_any_interlock(p: &Path, me: Option<&Path>) -> bool {
    let Ok(c) = p.canonicalize() else {
        return false;
    };
    if me.is_some_and(|m| c == m) {
        return true;
    }
    c.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n == "interlock" || crate::entry::SHELL_NAMES.contains(&n))
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
/// directory whose `tool` entry leads to an interlock binary (this install's or
/// another's). Candidates that are interlock or not executable are skipped. On
/// failure, returns the directories looked in.
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
        if is_any_interlock(&candidate, me.as_deref()) {
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

/// Directories on `path`, other than `ours`, that hold shims of an interlock (a second
/// install's): a directory whose entries lead to an interlock binary.
pub fn other_shims_dirs(path: &str, ours: &Path) -> Vec<PathBuf> {
    let ours = ours.canonicalize().unwrap_or_else(|_| ours.to_path_buf());
    let me = self_exe();
    let mut out: Vec<PathBuf> = Vec::new();
    for dir in std::env::split_paths(path) {
        let canon = dir.canonicalize().unwrap_or_else(|_| dir.clone());
        if canon == ours || out.contains(&canon) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let shim_here = entries.filter_map(Result::ok).take(500).any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name != "interlock"
                && !crate::entry::SHELL_NAMES.contains(&name.as_ref())
                && e.file_type().is_ok_and(|t| t.is_symlink())
                && is_any_interlock(&e.path(), me.as_deref())
        });
        if shim_here {
            out.push(canon);
        }
    }
    out
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

/// A program's environment, built from this process's, for an exec or spawn that
/// passes everything else through as inherited.
///
/// `std::process::Command` resets SIGPIPE to its default and clears the signal mask
/// in the child; a program run through interlock must see what its caller gave it (a
/// pipeline that ignores SIGPIPE keeps ignoring it), so allowed programs are started
/// with execve(2) directly.
pub struct ExecEnvBuilder {
    vars: Vec<(OsString, OsString)>,
}

impl ExecEnvBuilder {
    pub fn from_process() -> ExecEnvBuilder {
        ExecEnvBuilder {
            vars: std::env::vars_os().collect(),
        }
    }

    pub fn apply(&mut self, changes: &crate::credentials::ExecEnv) -> &mut Self {
        for r in &changes.remove {
            self.remove(&r.name);
        }
        for (k, v) in &changes.set {
            self.set(k, v);
        }
        self
    }

    pub fn set(&mut self, name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Self {
        let (name, value) = (name.as_ref(), value.as_ref());
        match self.vars.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value.to_owned(),
            None => self.vars.push((name.to_owned(), value.to_owned())),
        }
        self
    }

    pub fn remove(&mut self, name: impl AsRef<OsStr>) -> &mut Self {
        let name = name.as_ref();
        self.vars.retain(|(k, _)| k != name);
        self
    }

    fn envp(&self) -> Vec<CString> {
        self.vars
            .iter()
            .filter_map(|(k, v)| {
                let mut b = k.as_bytes().to_vec();
                b.push(b'=');
                b.extend_from_slice(v.as_bytes());
                CString::new(b).ok()
            })
            .collect()
    }

    /// A `Command` for `path` with exactly this environment, for children whose exit
    /// status interlock reads (previews).
    pub fn command(&self, path: &Path) -> std::process::Command {
        let mut c = std::process::Command::new(path);
        c.env_clear().envs(self.vars.iter().map(|(k, v)| (k, v)));
        c
    }

    /// Replaces this process with `path`, argv exactly as given (argv[0] included).
    /// Returns only on failure.
    pub fn exec(&self, path: &Path, argv: &[&OsStr]) -> std::io::Error {
        let prepared = match Prepared::new(path, argv, self) {
            Ok(p) => p,
            Err(e) => return e,
        };
        // SAFETY: every pointer is into `prepared`, which outlives the call; the arrays
        // are NULL-terminated.
        unsafe { libc::execve(prepared.path.as_ptr(), prepared.argv(), prepared.envp()) };
        std::io::Error::last_os_error()
    }

    /// Starts `path` as a child with `stdin` (a descriptor) as its standard input and
    /// everything else inherited; `close` is closed in the child. Returns its pid.
    pub fn spawn(
        &self,
        path: &Path,
        argv: &[&OsStr],
        stdin: std::os::fd::RawFd,
        close: std::os::fd::RawFd,
    ) -> std::io::Result<libc::pid_t> {
        let prepared = Prepared::new(path, argv, self)?;
        let (argvp, envp) = (prepared.argv(), prepared.envp());
        // SAFETY: between fork and execve the child calls only async-signal-safe
        // functions (dup2, close, execve, _exit) on memory prepared before the fork.
        unsafe {
            let pid = libc::fork();
            if pid < 0 {
                return Err(std::io::Error::last_os_error());
            }
            if pid == 0 {
                if libc::dup2(stdin, 0) < 0 {
                    libc::_exit(127);
                }
                if stdin != 0 {
                    libc::close(stdin);
                }
                libc::close(close);
                libc::execve(prepared.path.as_ptr(), argvp, envp);
                libc::_exit(127);
            }
            Ok(pid)
        }
    }
}

/// execve's arguments, made before anything that must not allocate.
struct Prepared {
    path: CString,
    args: Vec<CString>,
    env: Vec<CString>,
    argv_ptrs: Vec<*const libc::c_char>,
    env_ptrs: Vec<*const libc::c_char>,
}

impl Prepared {
    fn new(path: &Path, argv: &[&OsStr], env: &ExecEnvBuilder) -> std::io::Result<Prepared> {
        let nul = |_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "a NUL byte in an argument",
            )
        };
        let path = CString::new(path.as_os_str().as_bytes()).map_err(nul)?;
        let args = argv
            .iter()
            .map(|a| CString::new(a.as_bytes()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(nul)?;
        let env = env.envp();
        let mut p = Prepared {
            path,
            args,
            env,
            argv_ptrs: Vec::new(),
            env_ptrs: Vec::new(),
        };
        p.argv_ptrs = p
            .args
            .iter()
            .map(|a| a.as_ptr())
            .chain([std::ptr::null()])
            .collect();
        p.env_ptrs = p
            .env
            .iter()
            .map(|a| a.as_ptr())
            .chain([std::ptr::null()])
            .collect();
        Ok(p)
    }

    fn argv(&self) -> *const *const libc::c_char {
        self.argv_ptrs.as_ptr()
    }

    fn envp(&self) -> *const *const libc::c_char {
        self.env_ptrs.as_ptr()
    }
}

/// The child that signals to interlock are passed on to, while interlock waits for it.
static CHILD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

extern "C" fn pass_on(sig: libc::c_int) {
    let pid = CHILD.load(std::sync::atomic::Ordering::Relaxed);
    if pid > 0 {
        // SAFETY: kill is async-signal-safe.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

/// While interlock waits for `pid`, the signals that end a job (INT, QUIT, TERM, HUP)
/// are passed on to it rather than ending interlock first: the child decides, and
/// interlock then ends as it did. A signal interlock inherited as ignored stays
/// ignored (the child inherited that too). Called after the child started, so it
/// inherits the dispositions interlock was given, not these.
pub fn pass_signals_to(pid: libc::pid_t) {
    CHILD.store(pid, std::sync::atomic::Ordering::Relaxed);
    for sig in [libc::SIGINT, libc::SIGQUIT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: sigaction reads the current disposition into a zeroed struct, then
        // sets a handler that only calls kill.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, std::ptr::null(), &mut old) != 0
                || old.sa_sigaction == libc::SIG_IGN
            {
                continue;
            }
            let mut act: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = pass_on as extern "C" fn(libc::c_int) as libc::sighandler_t;
            act.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut act.sa_mask);
            libc::sigaction(sig, &act, std::ptr::null_mut());
        }
    }
}

/// Waits for a child started by [`ExecEnvBuilder::spawn`]; its raw wait status.
pub fn wait(pid: libc::pid_t) -> std::io::Result<i32> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            return Ok(status);
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(e);
        }
    }
}

/// Ends this process the way a child with wait status `status` ended: its exit code,
/// or the same signal (so the caller sees "killed by SIGTERM", not 143). Returns the
/// exit code to use if the signal does not end the process.
pub fn end_like(status: i32) -> u8 {
    if libc::WIFEXITED(status) {
        return libc::WEXITSTATUS(status) as u8;
    }
    if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        let _ = std::io::Write::flush(&mut std::io::stdout());
        // SAFETY: restoring the default action and raising a signal at ourselves; no
        // core file is wanted for a signal that only mirrors the child's.
        unsafe {
            let none = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &none);
            libc::signal(sig, libc::SIG_DFL);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, sig);
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
            libc::raise(sig);
        }
        return 128u8.wrapping_add(sig as u8);
    }
    exit::INTERNAL
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
