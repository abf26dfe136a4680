//! Shim mode: invoked as `kubectl`, `aws`, ... through a symlink in the shims
//! directory. Judges the argv, then execs the real tool, refuses, or runs its preview.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::Command;

use super::act::{self, Outcome};
use super::exec;
use crate::env::{Env, lossy};
use crate::exit;
use crate::policy::Engine;
use crate::rules::{Action, RuleSet, Sources};

pub fn main(args: Vec<OsString>) -> u8 {
    shim(args)
}

fn shim(args: Vec<OsString>) -> u8 {
    let arg0 = args.first().cloned().unwrap_or_default();
    let tool = exec::basename(&arg0);
    let rest = args.get(1..).unwrap_or_default();

    let depth = exec::shim_depth();
    if depth >= exec::MAX_DEPTH {
        eprintln!(
            "interlock: {tool}: not run: interlock shims are nested {depth} deep ({} = {depth}), which means a loop: \
             something found on PATH as `{tool}` calls `{tool}` through the shims again.\n  \
             to do: check `interlock doctor` and whether the real {tool} is a wrapper script that looks itself up on PATH",
            exec::DEPTH_VAR
        );
        return exit::INTERNAL;
    }

    let env = Env::from_process();
    let engine = Engine::new(RuleSet::load(&Sources::standard(&env)));
    let mut argv = Vec::with_capacity(args.len());
    argv.push(tool.clone());
    argv.extend(rest.iter().map(lossy));
    let verdict = engine.judge_argv(&argv);
    if verdict.decision != Action::Allow {
        crate::cli::report_load_errors(&engine);
    }

    let depth_env = (exec::DEPTH_VAR, (depth + 1).to_string());
    let outcome = crate::confirm::settle(act::decide(&verdict), || {
        crate::confirm::Subject::shim(&tool, rest, &argv)
    })
    .outcome;
    match outcome {
        Outcome::Run => {
            let real = match exec::find_real(&tool) {
                Ok(p) => p,
                Err(looked) => {
                    eprintln!("{}", exec::not_found_message(&tool, &looked));
                    return exit::NOT_FOUND;
                }
            };
            let creds = match crate::credentials::for_exec(Some(&tool)) {
                Ok(c) => c,
                Err(e) => return crate::credentials::refuse(&tool, &e),
            };
            // The original bytes, not the text judged: nothing is re-encoded.
            let mut cmd = Command::new(&real);
            creds.apply(&mut cmd);
            let err = cmd
                .arg0(&arg0)
                .args(rest)
                .env(depth_env.0, depth_env.1)
                .exec();
            exec::exec_failed(&real, &err)
        }
        Outcome::Refuse { code, message } => {
            eprint!("{message}");
            code
        }
        Outcome::Confirm(_) => {
            eprintln!(
                "interlock: internal error: a confirmation was left unanswered; nothing was run"
            );
            exit::INTERNAL
        }
        Outcome::Preview { argv, message } => {
            eprint!("{message}");
            let Some((prog, pargs)) = argv.split_first() else {
                return exit::INTERNAL;
            };
            let real = match exec::find_real(&exec::basename(prog.as_ref())) {
                Ok(p) => p,
                Err(looked) => {
                    eprintln!("{}", exec::not_found_message(prog, &looked));
                    eprintln!("interlock: the preview could not run, and neither did the command");
                    return exit::NOT_FOUND;
                }
            };
            let creds = match crate::credentials::for_exec(Some(&tool)) {
                Ok(c) => c,
                Err(e) => return crate::credentials::refuse(&tool, &e),
            };
            let mut cmd = Command::new(&real);
            creds.apply(&mut cmd);
            let code = match cmd
                .arg0(prog)
                .args(pargs)
                .env(depth_env.0, depth_env.1)
                .status()
            {
                Ok(s) if s.success() => exit::DRY_RUN,
                Ok(s) => exec::status_code(s),
                Err(e) => return exec::exec_failed(&real, &e),
            };
            eprint!("{}", act::preview_done(code));
            code
        }
    }
}
