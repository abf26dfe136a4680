//! `interlock rules list|test`.

use clap::Subcommand;
use serde_json::json;

use super::RuleArgs;
use crate::env::Env;
use crate::exit;
use crate::policy::check_examples;

#[derive(Subcommand, Debug)]
pub enum RulesCmd {
    /// List every rule in effect, with its action and where it is defined.
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Check every rule's match / not_match examples. Exit 0 when all pass.
    Test {
        #[command(flatten)]
        rules: RuleArgs,
    },
}

pub fn run(cmd: &RulesCmd, env: &Env) -> u8 {
    match cmd {
        RulesCmd::List { json, rules } => {
            let engine = rules.engine(env);
            engine.rules.load_all();
            if super::report_load_errors(&engine) {
                return exit::USAGE;
            }
            let all = engine.rules.all_rules();
            if *json {
                let v: Vec<_> = all
                    .iter()
                    .map(|r| {
                        json!({
                            "id": r.spec.id, "program": r.spec.program, "action": r.spec.action.as_str(),
                            "reason": r.spec.reason, "layer": r.layer.as_str(), "location": r.location(),
                            "dry_run": r.spec.dry_run.is_some(),
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(v));
            } else {
                for r in &all {
                    println!(
                        "{:<8} {:<44} {:<10} {}",
                        r.spec.action.as_str(),
                        r.spec.id,
                        r.spec.program,
                        r.location()
                    );
                }
                println!("{} rules", all.len());
            }
            exit::ALLOW
        }
        RulesCmd::Test { rules } => {
            let engine = rules.engine(env);
            let (failures, count) = check_examples(&engine);
            if super::report_load_errors(&engine) {
                return exit::USAGE;
            }
            for f in &failures {
                println!("FAIL {f}");
            }
            println!(
                "{} passed, {} failed",
                count - failures.len(),
                failures.len()
            );
            if failures.is_empty() {
                exit::ALLOW
            } else {
                exit::NOT_ALLOWED
            }
        }
    }
}
