//! Shim mode: invoked as `kubectl`, `aws`, ... through a symlink in the shims
//! directory. Judges the argv, then execs the real tool, refuses, or runs its preview.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::Command;

use super::act::{self, Outcome};
use super::exec;
use super::record;
use crate::audit::{Entry, Judged};
use crate::env::{Env, lossy};
use crate::exit;
use crate::rules::Action;

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
    let engine = super::engine(&env);
    let mut argv = Vec::with_capacity(args.len());
    argv.push(tool.clone());
    argv.extend(rest.iter().map(lossy));
    let mut verdict = engine.judge_argv(&argv);
    if verdict.decision != Action::Allow {
        crate::cli::report_load_errors(&engine);
    }
    let recorder = match record::prepare(Entry::Shim, &mut verdict, &env) {
        Ok(r) => r,
        Err(refusal) => {
            eprint!("{}", refusal.message);
            return refusal.code;
        }
    };
    let judged = || Judged::Argv(&argv);

    let depth_env = (exec::DEPTH_VAR, (depth + 1).to_string());
    let resolved = crate::confirm::settle(act::decide(&verdict), || {
        crate::confirm::Subject::shim(&tool, rest, &argv)
    });
    let decided = resolved.decided;
    let outcome = resolved.outcome;
    let record = |outcome: &Outcome, status| {
        recorder.record_decided(judged(), &verdict, outcome, decided.clone(), status)
    };
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
            if let Err(message) = record(&Outcome::Run, None) {
                eprint!("{message}");
                return exit::INTERNAL;
            }
            // The original bytes, not the text judged: nothing is re-encoded. Signal
            // dispositions and the mask pass through as inherited (see
            // `ExecEnvBuilder`).
            let mut env = exec::ExecEnvBuilder::from_process();
            env.apply(&creds).set(depth_env.0, &depth_env.1);
            let argv: Vec<&std::ffi::OsStr> = std::iter::once(arg0.as_os_str())
                .chain(rest.iter().map(OsString::as_os_str))
                .collect();
            let err = env.exec(&real, &argv);
            exec::exec_failed(&real, &err)
        }
        Outcome::Refuse { .. } | Outcome::Confirm(_) => {
            act::nothing_run(&outcome, |o| record(o, None))
        }
        Outcome::Preview {
            argv: ref preview,
            ref message,
            ref ok_exit,
        } => {
            eprint!("{message}");
            let creds = match crate::credentials::for_exec(Some(&tool)) {
                Ok(c) => c,
                Err(e) => return crate::credentials::refuse(&tool, &e),
            };
            let (code, status) = run_preview(preview, ok_exit, depth_env, &creds);
            act::preview_finished(code, status, |s| record(&outcome, s))
        }
    }
}

/// Runs the tool's preview as a child, so its exit status is known (and logged).
/// Returns interlock's exit code and the preview's own status, when it ran.
fn run_preview(
    argv: &[String],
    ok_exit: &[u8],
    depth_env: (&str, String),
    creds: &crate::credentials::ExecEnv,
) -> (u8, Option<i32>) {
    let Some((prog, pargs)) = argv.split_first() else {
        return (exit::INTERNAL, None);
    };
    let real = match exec::find_real(&exec::basename(prog.as_ref())) {
        Ok(p) => p,
        Err(looked) => {
            eprintln!("{}", exec::not_found_message(prog, &looked));
            eprintln!("interlock: the preview could not run, and neither did the command");
            return (exit::NOT_FOUND, None);
        }
    };
    let mut cmd = Command::new(&real);
    creds.apply(&mut cmd);
    match cmd
        .arg0(prog)
        .args(pargs)
        .env(depth_env.0, depth_env.1)
        .status()
    {
        Ok(s) => act::preview_exit(s, ok_exit),
        Err(e) => (exec::exec_failed(&real, &e), None),
    }
}
