//! `interlock doctor`: checks the installation and says how to fix what is wrong.

use std::path::Path;
use std::process::Command;

use super::exec;
use crate::env::Env;
use crate::rules::{RuleSet, Sources, shimmed_programs};

struct Report {
    problems: usize,
}

impl Report {
    fn ok(&mut self, msg: impl std::fmt::Display) {
        println!("ok: {msg}");
    }
    fn bad(&mut self, msg: impl std::fmt::Display) {
        self.problems += 1;
        println!("PROBLEM: {msg}");
    }
    fn note(&mut self, msg: impl std::fmt::Display) {
        println!("note: {msg}");
    }
}

fn first_on_path(path: &str, shims: &Path) -> bool {
    let canon = shims.canonicalize().ok();
    std::env::split_paths(path)
        .next()
        .is_some_and(|d| d == shims || (canon.is_some() && d.canonicalize().ok() == canon))
}

pub fn doctor(env: &Env) -> u8 {
    let mut r = Report { problems: 0 };
    let path = std::env::var("PATH").unwrap_or_default();
    match exec::shims_dir() {
        None => r.bad(format!(
            "no shims directory: neither {} is set nor does <bin>/../lib/interlock/shims exist; run install.sh",
            exec::SHIMS_DIR_VAR
        )),
        Some(shims) => {
            let line = format!("export PATH=\"{}:$PATH\"", shims.display());
            if first_on_path(&path, &shims) {
                r.ok(format!("{} is first on PATH", shims.display()));
            } else {
                r.bad(format!(
                    "{} is not first on PATH, so tools run directly are not guarded; add `{line}` to your shell profile",
                    shims.display()
                ));
            }
            match Command::new("bash")
                .args(["-lc", "printf %s \"$PATH\""])
                .output()
            {
                Ok(o) if first_on_path(&String::from_utf8_lossy(&o.stdout), &shims) => {
                    r.ok("login shells put the shims first on PATH")
                }
                Ok(_) => r.bad(format!(
                    "a login shell (`bash -lc`) does not put {} first on PATH; add `{line}` to ~/.profile (or install as root for /etc/profile.d/interlock.sh)",
                    shims.display()
                )),
                Err(e) => r.note(format!("could not start `bash -lc` to check login shells: {e}")),
            }
            let mut missing_shims = Vec::new();
            let (mut found, mut absent) = (Vec::new(), Vec::new());
            for tool in shimmed_programs() {
                if !exec::is_interlock(&shims.join(&tool)) {
                    missing_shims.push(tool.clone());
                }
                match exec::find_real(&tool) {
                    Ok(p) => found.push(format!("{tool} ({})", p.display())),
                    Err(_) => absent.push(tool),
                }
            }
            let others = exec::other_shims_dirs(&path, &shims);
            if !others.is_empty() {
                r.bad(format!(
                    "another interlock's shims are on PATH too ({}): two installs judge every command twice and may disagree; \
                     take them off PATH, or uninstall that copy (its install.sh --uninstall)",
                    others
                        .iter()
                        .map(|d| d.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if missing_shims.is_empty() {
                r.ok("every guarded tool has a shim");
            } else {
                r.bad(format!(
                    "no shim (or one not pointing at this interlock) for: {}; re-run install.sh",
                    missing_shims.join(" ")
                ));
            }
            r.ok(format!("guarded tools installed: {}", found.join(" ")));
            if !absent.is_empty() {
                r.note(format!("guarded tools not installed (fine if unused): {}", absent.join(" ")));
            }
        }
    }

    let rules = RuleSet::load(&Sources::standard(env));
    rules.load_all();
    let errors = rules.errors();
    if errors.is_empty() {
        r.ok(format!("rules load ({} rules)", rules.all_rules().len()));
    } else {
        for e in &errors {
            // The fix on the PROBLEM line itself; the excerpt with its caret below it.
            r.bad(format!(
                "rules file {}:{}:{}: {}; until it is fixed, guarded tools are blocked{}",
                e.file,
                e.line,
                e.column,
                e.message,
                e.excerpt
                    .as_ref()
                    .map(|x| format!("\n{x}"))
                    .unwrap_or_default()
            ));
        }
    }

    match env.user_state_dir() {
        None => r.bad("no state directory: set HOME or XDG_STATE_HOME"),
        Some(dir) => {
            let created = crate::env::create_private_dir(&dir);
            let probe = dir.join(".doctor-probe");
            let writable = created.is_ok()
                && std::fs::write(&probe, b"ok").is_ok()
                && std::fs::remove_file(&probe).is_ok();
            if writable {
                r.ok(format!("state directory {} is writable", dir.display()));
            } else {
                r.bad(format!(
                    "state directory {} cannot be created or written; fix its owner and permissions (mkdir -p -m 700 {})",
                    dir.display(),
                    dir.display()
                ));
            }
        }
    }

    match crate::audit::health(env) {
        Ok(m) => r.ok(m),
        Err(m) => r.bad(m),
    }

    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
    {
        Ok(_) => r.ok("/dev/tty opens, so confirmations can be asked at this terminal"),
        Err(e) => r.bad(format!(
            "/dev/tty cannot be opened ({e}): no terminal to ask a human at; confirmations fall back to the approvals queue \
             (a human approves with `interlock approve ID` in their own terminal) and, when nobody answers, to their rules' fallback. \
             Run `interlock doctor` in your own terminal to check the prompt"
        )),
    }

    if r.problems == 0 {
        println!("all is well");
        0
    } else {
        println!("{} problem(s) found", r.problems);
        1
    }
}
