//! `interlock check` and `interlock explain`: judge without running.

use std::ffi::OsString;

use clap::Args;
use serde_json::json;

use super::RuleArgs;
use crate::env::{Env, lossy};
use crate::exit;
use crate::policy::{CommandVerdict, Engine, Verdict, args};
use crate::redact::{MASK, is_secret_name, redact_argv, redact_text};
use crate::rules::Action;

#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("input").required(true).args(["shell", "argv"]))]
pub struct CheckArgs {
    /// Print one JSON object instead of a short explanation.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Judge a shell command string, as the shell mode would.
    #[arg(long, value_name = "STRING")]
    pub shell: Option<String>,
    /// Judge as if it were this moment (change freezes): an RFC 3339 time, or a zoned
    /// time such as `2026-03-08T03:00[America/New_York]`.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Judge one argv, as a shim would see it (after `--`).
    #[arg(last = true, value_name = "PROGRAM [ARGS]...")]
    pub argv: Vec<OsString>,
}

#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("input").required(true).args(["shell", "argv"]))]
pub struct ExplainArgs {
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Explain a shell command string.
    #[arg(long, value_name = "STRING")]
    pub shell: Option<String>,
    /// Explain one argv (after `--`).
    #[arg(last = true, value_name = "PROGRAM [ARGS]...")]
    pub argv: Vec<OsString>,
}

/// Context detection as the shims do it; `--no-config` keeps the default name patterns.
fn with_context(engine: Engine, rules: &RuleArgs, env: &Env) -> Engine {
    if rules.no_config {
        engine.with_context(Box::new(crate::context::Detector::from_process(env, None)))
    } else {
        engine.with_context(crate::governance::detector(env))
    }
}

/// `--at`: an RFC 3339 time, or a civil time with its zone in brackets.
fn parse_at(s: &str) -> Result<jiff::Timestamp, String> {
    s.parse::<jiff::Timestamp>()
        .or_else(|_| s.parse::<jiff::Zoned>().map(|z| z.timestamp()))
        .map_err(|_| {
            format!("--at {s}: expected an RFC 3339 time (2026-03-08T07:00:00Z) or a zoned time (2026-03-08T03:00[America/New_York])")
        })
}

fn judge(engine: &Engine, shell: Option<&str>, argv: &[OsString]) -> Verdict {
    match shell {
        Some(s) => engine.judge_script(s),
        None => {
            let argv: Vec<String> = argv.iter().map(lossy).collect();
            engine.judge_argv(&argv)
        }
    }
}

pub fn check(a: &CheckArgs, env: &Env) -> u8 {
    let now = match a.at.as_deref().map(parse_at).transpose() {
        Ok(t) => t.unwrap_or_else(jiff::Timestamp::now),
        Err(e) => {
            eprintln!("interlock: {e}");
            return exit::USAGE;
        }
    };
    let engine = with_context(a.rules.engine(env), &a.rules, env);
    let mut verdict = judge(&engine, a.shell.as_deref(), &a.argv);
    // Errors in files loaded lazily for this command count too.
    if super::report_load_errors(&engine) {
        return exit::USAGE;
    }
    if !a.rules.no_config {
        let windows = match crate::governance::config(env) {
            Ok(cfg) => crate::governance::windows(cfg).map_err(|e| e.to_string()),
            Err(e) => Err(format!("config file {e}")),
        };
        match windows {
            Ok(w) => {
                crate::governance::apply_freeze(&mut verdict, &w, now);
            }
            Err(e) => {
                eprintln!("interlock: {e}");
                return exit::USAGE;
            }
        }
    }
    if a.json {
        println!("{}", verdict_json(&verdict));
    } else {
        print!("{}", verdict_text(&verdict));
    }
    if verdict.decision == Action::Allow {
        exit::ALLOW
    } else {
        exit::NOT_ALLOWED
    }
}

pub fn verdict_json(v: &Verdict) -> serde_json::Value {
    let rule = v.rule();
    json!({
        "decision": v.decision.as_str(),
        "rule": rule.map(|m| m.id.clone()),
        "reason": redact_text(&v.reason()),
        "escalation": v.escalation,
        "context": v.deciding().and_then(|c| c.context.as_ref()).map(context_json),
        "commands": v.commands.iter().map(command_json).collect::<Vec<_>>(),
    })
}

fn command_json(c: &CommandVerdict) -> serde_json::Value {
    let m = c.deciding();
    json!({
        "argv": redact_argv(&c.command.argv()),
        "decision": c.decision.as_str(),
        "rule": m.map(|m| m.id.clone()),
        "reason": m.map(|m| redact_text(&m.reason)),
        "via": c.command.via.iter().map(|v| redact_text(v)).collect::<Vec<_>>(),
        "dry_run_argv": c.dry_run.as_deref().map(redact_argv),
        "context": c.context.as_ref().map(context_json),
    })
}

fn context_json(c: &crate::context::Context) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (k, v) in &c.items {
        m.insert((*k).to_owned(), json!(v));
    }
    m.insert(
        "environment".into(),
        json!(c.class.map(crate::context::EnvClass::as_str)),
    );
    serde_json::Value::Object(m)
}

/// Every argv shown goes through here, so secrets are hidden once.
fn quote(argv: &[String]) -> String {
    shell_words::join(redact_argv(argv))
}

pub fn verdict_text(v: &Verdict) -> String {
    let mut s = String::new();
    let decision = v.decision.as_str();
    match v.deciding() {
        Some(c) => {
            let m = c.deciding().expect("deciding command has a match");
            s.push_str(&format!("{decision}: {}\n", quote(&c.command.argv())));
            s.push_str(&format!(
                "  rule {} ({}): {}\n",
                m.id,
                m.location,
                redact_text(&m.reason)
            ));
            if let Some(ctx) = &c.context {
                s.push_str(&format!("  context: {ctx}\n"));
                if let (Some(rule), Some(class)) = (&m.rule, ctx.class)
                    && rule.spec.action != m.action
                {
                    s.push_str(&format!(
                        "  {} in {} (the rule's own action is {})\n",
                        m.action.as_str(),
                        class.as_str(),
                        rule.spec.action.as_str()
                    ));
                }
            }
            if let Some(d) = &c.dry_run {
                s.push_str(&format!("  preview: {}\n", quote(d)));
            }
        }
        None => s.push_str(&format!("{decision}: {}\n", redact_text(&v.reason()))),
    }
    s
}

pub fn explain(a: &ExplainArgs, env: &Env) -> u8 {
    let engine = with_context(a.rules.engine(env), &a.rules, env);
    let verdict = judge(&engine, a.shell.as_deref(), &a.argv);
    if super::report_load_errors(&engine) {
        return exit::USAGE;
    }
    let mut out = String::new();
    match &a.shell {
        Some(s) => out.push_str(&format!("script: {}\n", redact_text(s))),
        None => out.push_str(&format!(
            "argv: {}\n",
            quote(&a.argv.iter().map(lossy).collect::<Vec<_>>())
        )),
    }
    out.push_str(&format!("{} command(s) found\n", verdict.commands.len()));
    for (i, c) in verdict.commands.iter().enumerate() {
        out.push_str(&format!("\n[{}] {}\n", i + 1, quote(&c.command.argv())));
        if !c.command.via.is_empty() {
            out.push_str(&format!(
                "    found inside: {}\n",
                redact_text(&c.command.via.join(" > "))
            ));
        }
        if !c.command.env.is_empty() {
            let names: Vec<_> = c.command.env.iter().map(|(k, _)| k.as_str()).collect();
            out.push_str(&format!("    environment set: {}\n", names.join(", ")));
        }
        if !c.tool.is_empty() && c.tool != c.command.program {
            out.push_str(&format!("    judged as: {}\n", c.tool));
        }
        if c.command.problem.is_none() && !c.command.program.is_empty() {
            let pr = engine.rules.for_program(&c.command.program);
            let view = args::parse(&c.command.args, &pr.spec);
            // Operands shown as the redacted argv shows them: `--password hunter2`
            // may read `hunter2` as an operand.
            let shown = redact_argv(&c.command.argv());
            let ops: Vec<&str> = view
                .operands
                .iter()
                .map(|(i, w)| shown.get(i + 1).map_or(w.text.as_str(), String::as_str))
                .collect();
            let opts: Vec<_> = view
                .options
                .iter()
                .map(|o| match o.value {
                    Some(_) if is_secret_name(&o.name) => format!("{}={MASK}", o.name),
                    Some(v) => format!("{}={}", o.name, redact_text(v)),
                    None => o.name.to_string(),
                })
                .collect();
            out.push_str(&format!("    operands: {}\n", ops.join(" ")));
            if !opts.is_empty() {
                out.push_str(&format!("    options: {}\n", opts.join(" ")));
            }
            out.push_str(&format!("    rules for {}: {}\n", pr.tool, pr.rules.len()));
        }
        if c.matches.is_empty() {
            out.push_str("    no rule matches: allow\n");
        }
        for m in &c.matches {
            out.push_str(&format!(
                "    matches {} [{}] ({}): {}\n",
                m.id,
                m.action.as_str(),
                m.location,
                redact_text(&m.reason)
            ));
            if let (Some(rule), Some(class)) = (&m.rule, c.context.as_ref().and_then(|x| x.class))
                && rule.spec.action != m.action
            {
                out.push_str(&format!(
                    "      {} for {} (the rule's own action is {})\n",
                    m.action.as_str(),
                    class.as_str(),
                    rule.spec.action.as_str()
                ));
            }
        }
        if let Some(ctx) = &c.context {
            out.push_str(&format!("    context: {ctx}\n"));
        }
        if let Some(d) = &c.dry_run {
            out.push_str(&format!("    preview: {}\n", quote(d)));
        }
        out.push_str(&format!("    decision: {}\n", c.decision.as_str()));
    }
    out.push_str(&format!(
        "\ndecision: {} ({})\n",
        verdict.decision.as_str(),
        redact_text(&verdict.reason())
    ));
    // Options and operands are shown piecemeal; anything the argv redaction hid is
    // hidden wherever it appears (`-pSECRET` read as a flag, a value read as an operand).
    for c in &verdict.commands {
        let argv = c.command.argv();
        for (orig, shown) in argv.iter().zip(redact_argv(&argv)) {
            if *orig != shown && !orig.is_empty() {
                out = out.replace(orig.as_str(), &shown);
            }
        }
    }
    print!("{out}");
    if verdict.decision == Action::Allow {
        exit::ALLOW
    } else {
        exit::NOT_ALLOWED
    }
}
