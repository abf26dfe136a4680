//! The fixture the integration tests share: a temporary root holding a shims directory
//! of links to the real binary, a directory of stub "real" tools, and a directory the
//! stubs record into. Each test file builds its own commands on top of it (its own
//! HOME, PATH, `CI`, terminal handling), because those differ on purpose.

// Each test binary uses its own part of this module.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_interlock");

/// The system directories after the test's own on PATH, so stub tools win.
pub const SYSTEM_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// A stub that records its argv (NUL-separated) in `@REC@/argv` and exits 0.
pub const ARGV_STUB: &str = "#!/bin/sh\nprintf '%s\\0' \"$@\" > \"@REC@/argv\"\nexit 0\n";

pub struct Tree {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    pub shims: PathBuf,
    pub real: PathBuf,
    pub rec: PathBuf,
}

impl Tree {
    /// `root/{shims,real,rec}` and the extra directories `dirs` (relative to the root).
    pub fn new(dirs: &[&str]) -> Tree {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let (shims, real, rec) = (root.join("shims"), root.join("real"), root.join("rec"));
        for d in [&shims, &real, &rec] {
            std::fs::create_dir(d).unwrap();
        }
        for d in dirs {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        Tree {
            _dir: dir,
            root,
            shims,
            real,
            rec,
        }
    }

    /// The binary, linked at `at` (relative to the root) as argv[0] dispatch sees it.
    pub fn link_bin(&self, at: &str) {
        symlink(BIN, self.root.join(at)).unwrap();
    }

    /// A shim for `tool`.
    pub fn shim_link(&self, tool: &str) {
        symlink(BIN, self.shims.join(tool)).unwrap();
    }

    /// The real `tool`: `script` with `@REC@` standing for the record directory.
    pub fn stub(&self, tool: &str, script: &str) {
        write_exe(
            &self.real.join(tool),
            &script.replace("@REC@", self.rec.to_str().unwrap()),
        );
    }

    /// A shim for `tool` in front of a stub running `script`.
    pub fn tool(&self, tool: &str, script: &str) {
        self.shim_link(tool);
        self.stub(tool, script);
    }

    /// `dirs` then `system`, as a PATH value.
    pub fn search_path(dirs: &[&Path], system: &str) -> String {
        dirs.iter()
            .map(|d| d.display().to_string())
            .chain(std::iter::once(system.to_owned()))
            .collect::<Vec<_>>()
            .join(":")
    }

    /// A command with nothing of the caller's environment but PATH, HOME and the shims
    /// directory, run from the root.
    pub fn clean(&self, program: impl AsRef<OsStr>, path: &str, home: &Path) -> Command {
        let mut c = Command::new(program);
        c.env_clear()
            .env("PATH", path)
            .env("HOME", home)
            .env("INTERLOCK_SHIMS_DIR", &self.shims)
            .current_dir(&self.root);
        c
    }

    /// The argv `ARGV_STUB` (or a stub writing the same format) recorded last.
    pub fn argv_bytes(&self) -> Option<Vec<Vec<u8>>> {
        let b = std::fs::read(self.rec.join("argv")).ok()?;
        let mut v: Vec<Vec<u8>> = b.split(|c| *c == 0).map(<[u8]>::to_vec).collect();
        // The record ends with a NUL, which leaves an empty last piece.
        v.pop();
        Some(v)
    }

    /// [`Tree::argv_bytes`] as text; a test that records non-UTF-8 uses the bytes.
    pub fn argv(&self) -> Option<Vec<String>> {
        self.argv_bytes().map(|v| {
            v.into_iter()
                .map(|a| String::from_utf8(a).unwrap())
                .collect()
        })
    }
}

/// Takes the controlling terminal away from the child (a new session), so a confirm can
/// never prompt whoever runs the tests.
pub fn detach(c: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setsid is async-signal-safe; it detaches the controlling terminal.
    unsafe {
        c.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
}

pub fn write_exe(p: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(p, text).unwrap();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `c` with `input` on its stdin and its output captured.
pub fn output_with_stdin(c: &mut Command, input: &[u8]) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}
