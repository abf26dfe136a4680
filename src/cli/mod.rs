//! The command-line front: the tools for people (`check`, `explain`, `rules`, `run`,
//! `doctor`). Which front runs at all is decided in [`crate::entry::mode`].

mod check;
mod rules_cmd;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::env::Env;
use crate::exit;
use crate::policy::Engine;
use crate::rules::{RuleSet, Sources};

#[derive(Parser, Debug)]
#[command(
    name = "interlock",
    version,
    about = "Stands between AI coding agents and the commands they run",
    long_about = "Stands between AI coding agents and the commands they run.\n\n\
                  Every command is matched against destructive-pattern rules and is allowed, \
                  blocked, turned into a dry run, or held until a human confirms it."
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Judge a command without running it. Exit 0: allow; 1: anything else; 2: error.
    Check(check::CheckArgs),
    /// Show how a command is read and which rules match it, step by step.
    Explain(check::ExplainArgs),
    /// List or test the rules in effect.
    #[command(subcommand)]
    Rules(rules_cmd::RulesCmd),
    /// Start an agent in a guarded session: shims first on PATH, SHELL set to
    /// interlock, no_new_privs set, a fresh session id.
    Run(RunArgs),
    /// Check the installation (PATH, shims, rules, state dir, terminal) and say how to
    /// fix what is wrong. Exit 0 only when all is well.
    Doctor,
    /// Answer an agent's pre-tool-use hook: JSON on stdin, the agent's decision format out.
    Hook {
        #[arg(value_enum)]
        agent: crate::hook::Agent,
    },
    /// Write interlock's hook into an agent's settings (merged, idempotent; --uninstall).
    Install(crate::install::InstallArgs),
    /// Approve a pending request, from your own terminal outside any agent session.
    Approve(crate::confirm::cli::ApproveArgs),
    /// Deny a pending request: the command that asked does not run.
    Deny(crate::confirm::cli::DenyArgs),
    /// The approvals queue: list pending requests, read them, approve or deny.
    Approvals(crate::confirm::cli::ApprovalsArgs),
    /// Show the audit log: a table with filters, --json, --follow, or --verify the
    /// hash chain.
    Log(crate::audit::show::LogArgs),
    /// Print the tool names that get a shim, one a line (used by install.sh).
    #[command(hide = true)]
    ShimsList,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Do not set PR_SET_NO_NEW_PRIVS (lets setuid programs such as sudo gain privileges).
    #[arg(long, alias = "no-new-privs-off")]
    pub allow_new_privs: bool,
    /// List, by name only, the variables the credential policy removes and why, and the
    /// per-tool profiles; start nothing.
    #[arg(long)]
    pub explain_env: bool,
    /// Started as root: become this user (groups, gid, uid, HOME) before starting the
    /// agent, so it owns no credentials and cannot write interlock's files.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Start even without a shims directory: the session is then guarded only where
    /// the agent runs commands through interlock's shell (tools run directly are not).
    #[arg(long)]
    pub no_shims: bool,
    /// The agent to start, and its arguments.
    #[arg(
        last = true,
        required_unless_present = "explain_env",
        value_name = "AGENT [ARGS]..."
    )]
    pub agent: Vec<OsString>,
}

/// Where rules come from, shared by every subcommand that judges.
#[derive(Args, Debug, Clone, Default)]
pub struct RuleArgs {
    /// Also load this rules file or directory (repeatable). Trusted like user rules.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Skip the system, user and project layers: embedded rules and --rules only.
    #[arg(long)]
    pub no_config: bool,
}

impl RuleArgs {
    pub fn sources(&self, env: &Env) -> Sources {
        let mut s = if self.no_config {
            Sources::embedded_only()
        } else {
            Sources::standard(env)
        };
        s.extra = self.rules.clone();
        s
    }

    pub fn engine(&self, env: &Env) -> Engine {
        Engine::new(RuleSet::load(&self.sources(env)))
    }
}

pub fn main(args: Vec<OsString>) -> u8 {
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::USAGE
            } else {
                exit::ALLOW
            };
        }
    };
    let env = Env::from_process();
    match cli.command {
        Cmd::Check(a) => check::check(&a, &env),
        Cmd::Explain(a) => check::explain(&a, &env),
        Cmd::Rules(c) => rules_cmd::run(&c, &env),
        Cmd::Run(a) => crate::entry::run::run(
            &crate::entry::run::RunOptions {
                allow_new_privs: a.allow_new_privs,
                explain_env: a.explain_env,
                no_shims: a.no_shims,
                user: a.user.clone(),
            },
            &a.agent,
        ),
        Cmd::Doctor => crate::entry::doctor::doctor(&env),
        Cmd::Hook { agent } => crate::hook::main(agent),
        Cmd::Install(a) => crate::install::run(&a, &env),
        Cmd::Approve(a) => crate::confirm::cli::approve(&a, &env),
        Cmd::Deny(a) => crate::confirm::cli::deny(&a, &env),
        Cmd::Approvals(a) => crate::confirm::cli::approvals(&a, &env),
        Cmd::Log(a) => crate::audit::show::run(&a, &env),
        Cmd::ShimsList => {
            for p in crate::rules::shimmed_programs() {
                println!("{p}");
            }
            exit::ALLOW
        }
    }
}

/// Prints rules-loading errors; true when there were any.
pub fn report_load_errors(engine: &Engine) -> bool {
    let errors = engine.rules.errors();
    for e in &errors {
        eprintln!("interlock: rules file {e}");
    }
    if !errors.is_empty() {
        eprintln!(
            "interlock: fix the file above; until then guarded tools are blocked rather than run unchecked"
        );
    }
    !errors.is_empty()
}
