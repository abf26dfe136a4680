//! The decision: every command found is matched against the rules for its program, and
//! the strictest outcome across a compound command wins (block > confirm > dry-run > allow).

pub mod args;
mod dryrun;
mod examples;

use std::sync::{Arc, OnceLock};

use crate::context::{Changes, Context, ContextSource, ScriptChanges};
use crate::credentials::guard::{self, Protected};
use crate::normalize::{self, Command, Problem};
use crate::parse::Word;
use crate::rules::{Action, Fallback, NestedSpec, ProgramRules, Rule, RuleSet, glob};

pub use dryrun::dry_run_argv;
pub use examples::{ExampleFailure, check_examples};

/// A rule that matched one command.
#[derive(Clone, Debug)]
pub struct Match {
    pub id: String,
    pub action: Action,
    pub reason: String,
    pub fallback: Fallback,
    /// Where the rule is defined (`rules/git.toml:12`), or `built-in`.
    pub location: String,
    pub approvals: u8,
    pub rule: Option<Arc<Rule>>,
}

impl Match {
    fn builtin(id: &str, action: Action, reason: String) -> Match {
        Match {
            id: id.to_owned(),
            action,
            reason,
            fallback: Fallback::Block,
            location: "built-in".into(),
            approvals: 1,
            rule: None,
        }
    }
}

/// The judgement of one command.
#[derive(Clone, Debug)]
pub struct CommandVerdict {
    pub command: Command,
    /// The canonical tool name the rules were taken from.
    pub tool: String,
    pub decision: Action,
    /// Every rule that matched, strictest first.
    pub matches: Vec<Match>,
    /// The tool's own preview of this command, when the deciding rule has one.
    pub dry_run: Option<Vec<String>>,
    /// Exit statuses besides 0 that mean that preview ran (its rule's `ok_exit`).
    pub dry_run_ok_exit: Vec<u8>,
    /// Where the command points, when a rule matched and the engine detects context.
    pub context: Option<Context>,
}

impl CommandVerdict {
    pub fn deciding(&self) -> Option<&Match> {
        self.matches.first()
    }
}

/// The judgement of a whole command line.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub decision: Action,
    pub commands: Vec<CommandVerdict>,
    /// Set when a change freeze or the speed brake made the decision stricter.
    pub escalation: Option<String>,
}

impl Verdict {
    /// The command whose decision decided the whole, if any rule matched.
    pub fn deciding(&self) -> Option<&CommandVerdict> {
        self.commands
            .iter()
            .filter(|c| c.decision == self.decision && !c.matches.is_empty())
            .max_by_key(|c| c.decision)
    }

    pub fn rule(&self) -> Option<&Match> {
        self.deciding().and_then(CommandVerdict::deciding)
    }

    /// Allowed with no rule matching anything: the fast path that is never recorded,
    /// frozen or counted (unless the audit log is told to record allows).
    pub fn is_plain_allow(&self) -> bool {
        self.decision == Action::Allow && self.commands.iter().all(|c| c.matches.is_empty())
    }

    /// The reason to show: the deciding rule's, or why the command is allowed.
    pub fn reason(&self) -> String {
        match self.rule() {
            Some(m) => m.reason.clone(),
            None if self.commands.is_empty() => "nothing to run".into(),
            None => "no rule matches".into(),
        }
    }
}

/// Judges commands with the rules. Cheap to create; rules load lazily per program.
pub struct Engine {
    pub rules: RuleSet,
    /// Where commands point. Without it, rules with `environments` keep their own
    /// action (the strict default) and no context is shown.
    pub context: Option<Box<dyn ContextSource>>,
    /// interlock's own files, for the self-protection checks; worked out from the
    /// process the first time a command touches files.
    protected: OnceLock<Protected>,
}

impl Engine {
    pub fn new(rules: RuleSet) -> Engine {
        Engine {
            rules,
            context: None,
            protected: OnceLock::new(),
        }
    }

    pub fn with_context(mut self, source: Box<dyn ContextSource>) -> Engine {
        self.context = Some(source);
        self
    }

    /// An engine that protects the given locations instead of the process's own.
    pub fn with_protected(rules: RuleSet, protected: Protected) -> Engine {
        let cell = OnceLock::new();
        let _ = cell.set(protected);
        Engine {
            rules,
            context: None,
            protected: cell,
        }
    }

    /// Judges a shell command string, as the shell mode sees it.
    pub fn judge_script(&self, src: &str) -> Verdict {
        self.judge(normalize::analyze_script(src))
    }

    /// Judges one argv, as a shim sees it.
    pub fn judge_argv(&self, argv: &[String]) -> Verdict {
        self.judge(normalize::analyze_argv(argv))
    }

    pub fn judge(&self, commands: Vec<Command>) -> Verdict {
        self.judge_in(commands, self.context.as_deref())
    }

    /// Judges a script with the given context source instead of the engine's own (rule
    /// examples use a fixed one, so they mean the same on every machine).
    pub fn judge_script_in(&self, src: &str, context: &dyn ContextSource) -> Verdict {
        self.judge_in(normalize::analyze_script(src), Some(context))
    }

    fn judge_in(&self, commands: Vec<Command>, context: Option<&dyn ContextSource>) -> Verdict {
        let load_errors = !self.rules.errors().is_empty();
        // Where the script's own commands point its later ones (`kubectl config
        // use-context prod && kubectl delete ...`); read only when context is judged.
        let candidates = match context {
            Some(_) => {
                let script = ScriptChanges::scan(&commands, |p| {
                    let pr = self.rules.for_program(p);
                    (pr.tool.clone(), pr.spec.clone())
                });
                script.candidates()
            }
            None => vec![Changes::default()],
        };
        let mut out = Vec::with_capacity(commands.len());
        let mut queue: std::collections::VecDeque<Command> = commands.into();
        let mut budget = 256usize;
        let mut walk = Protected::walk(&self.protected);
        let guarded = |p: &str| !self.rules.for_program(p).rules.is_empty();
        while let Some(cmd) = queue.pop_front() {
            budget = budget.saturating_sub(1);
            // Self-protection is checked on every command and no rules file can turn
            // it off; the rules still judge too, so `rm -rf /` keeps its own reason.
            let finding = walk.check(&cmd, &guarded);
            let mut v = self.judge_one(
                cmd,
                load_errors,
                &mut queue,
                budget == 0,
                context.map(|c| (c, candidates.as_slice())),
            );
            if let Some(f) = finding {
                self_protect(&mut v, f);
            }
            out.push(v);
        }
        let decision = out
            .iter()
            .map(|c| c.decision)
            .max()
            .unwrap_or(Action::Allow);
        Verdict {
            decision,
            commands: out,
            escalation: None,
        }
    }

    fn judge_one(
        &self,
        cmd: Command,
        load_errors: bool,
        queue: &mut std::collections::VecDeque<Command>,
        exhausted: bool,
        context_source: Option<(&dyn ContextSource, &[Changes])>,
    ) -> CommandVerdict {
        let verdict = |cmd: Command, tool: String, matches: Vec<Match>| {
            let decision = matches.first().map_or(Action::Allow, |m| m.action);
            CommandVerdict {
                command: cmd,
                tool,
                decision,
                matches,
                dry_run: None,
                dry_run_ok_exit: Vec::new(),
                context: None,
            }
        };
        if let Some(p) = &cmd.problem {
            let m = problem_match(p);
            return verdict(cmd.clone(), String::new(), vec![m]);
        }
        if cmd.program.is_empty() {
            return verdict(cmd, String::new(), Vec::new());
        }
        let pr = self.rules.for_program(&cmd.program);
        if load_errors && (!pr.rules.is_empty() || !pr.spec.value_options.is_empty()) {
            let m = Match::builtin(
                "rules-unavailable",
                Action::Block,
                "a rules file failed to load, so this guarded tool cannot be judged; fix the file (see `interlock rules test`)".into(),
            );
            return verdict(cmd, pr.tool.clone(), vec![m]);
        }
        let view = args::parse(&cmd.args, &pr.spec);
        if !exhausted {
            for n in &pr.spec.nested {
                if let Some(inner) = nested_command(n, &view, &cmd) {
                    queue.extend(inner);
                }
            }
        }
        let mut matches: Vec<(Match, usize)> = Vec::new();
        for rule in &pr.rules {
            if let Some(path_len) = rule_matches(rule, &view, &cmd, &pr) {
                let m = Match {
                    id: rule.spec.id.clone(),
                    action: rule.spec.action,
                    reason: rule.spec.reason.clone(),
                    fallback: rule.fallback(),
                    location: rule.location(),
                    approvals: rule.spec.approvals.unwrap_or(1),
                    rule: Some(rule.clone()),
                };
                matches.push((m, path_len));
            }
        }
        // Context is looked at only once some rule matched: never on the allow path.
        // Each state the script may have left things in is tried; the strictest
        // decides (on a tie, the one after the most changes, which is the likeliest).
        let mut context: Option<Context> = None;
        if let Some((src, candidates)) = context_source.filter(|_| !matches.is_empty()) {
            let mut strictest: Option<(Action, Context)> = None;
            for changes in candidates {
                let Some(c) = src.context(&pr.tool, &cmd, &view, changes) else {
                    continue;
                };
                let worst = matches
                    .iter()
                    .map(|(m, _)| environment_action(m, c.class))
                    .max()
                    .unwrap_or(Action::Allow);
                if strictest.as_ref().is_none_or(|(a, _)| worst >= *a) {
                    strictest = Some((worst, c));
                }
            }
            context = strictest.map(|(_, c)| c);
        }
        if let Some(class) = context.as_ref().and_then(|c| c.class) {
            for (m, _) in &mut matches {
                m.action = environment_action(m, Some(class));
            }
        }
        // The first of the strictest rules decides and gives the preview.
        let best = matches
            .iter()
            .enumerate()
            .max_by_key(|(i, (m, _))| (m.action, std::cmp::Reverse(*i)))
            // An allowed command (its environment allows it) runs as written.
            .filter(|(_, (m, _))| m.action != Action::Allow)
            .map(|(_, (m, len))| (m.rule.clone(), *len));
        let preview = best.and_then(|(rule, path_len)| {
            let rule = rule?;
            let d = rule.spec.dry_run.as_ref()?;
            let argv = dry_run_argv(&cmd, &view, d, &rule.spec.command, path_len);
            Some((argv, d.ok_exit.clone()))
        });
        let (dry_run, dry_run_ok_exit) = match preview {
            Some((argv, ok)) => (Some(argv), ok),
            None => (None, Vec::new()),
        };
        let mut matches: Vec<Match> = matches.into_iter().map(|(m, _)| m).collect();
        matches.sort_by_key(|m| std::cmp::Reverse(m.action));
        let mut v = verdict(cmd, pr.tool.clone(), matches);
        v.dry_run = dry_run;
        v.dry_run_ok_exit = dry_run_ok_exit;
        v.context = context;
        v
    }
}

/// A matched rule's action where the command points: its `environments` entry for the
/// class, or its own action.
fn environment_action(m: &Match, class: Option<crate::context::EnvClass>) -> Action {
    class
        .and_then(|class| {
            m.rule
                .as_ref()
                .and_then(|r| r.spec.environments.as_ref())
                .and_then(|e| e.action(class))
        })
        .unwrap_or(m.action)
}

/// Adds a self-protection block: first when it names interlock's own files, else after
/// the rules' own blocks (`rm -rf /` is better explained by its rule).
fn self_protect(v: &mut CommandVerdict, f: guard::Finding) {
    let at = if f.direct {
        0
    } else {
        v.matches
            .iter()
            .position(|m| m.action != Action::Block)
            .unwrap_or(v.matches.len())
    };
    v.matches
        .insert(at, Match::builtin(f.id, Action::Block, f.reason));
    v.decision = Action::Block;
    v.dry_run = None;
}

fn problem_match(p: &Problem) -> Match {
    match p {
        // A parser's message can quote the script, and the script can hold secrets.
        Problem::Parse(e) => Match::builtin(
            "unparseable",
            Action::Block,
            crate::redact::redact_text(&format!("{e}; interlock runs nothing it cannot read. Simplify the command or split it into several")),
        ),
        Problem::TooDeep => Match::builtin(
            "nested-too-deep",
            Action::Block,
            format!("scripts nest more than {} levels deep; run the inner command directly", normalize::MAX_DEPTH),
        ),
        Problem::DynamicProgram => Match::builtin(
            "dynamic-program",
            Action::Confirm,
            "the program to run is computed at run time, so interlock cannot tell what it is; write the program name literally".into(),
        ),
        Problem::DynamicScript(what) => Match::builtin(
            "dynamic-script",
            Action::Confirm,
            format!("{what}; interlock cannot see what it would run. Run the commands directly instead"),
        ),
    }
}

/// The command a tool runs on the user's behalf (`kubectl exec POD -- rm -rf /data`).
fn nested_command(n: &NestedSpec, view: &args::ArgView<'_>, cmd: &Command) -> Option<Vec<Command>> {
    let len = match_path(&n.command, &view.operands, false)?;
    let words: Vec<Word> = if let Some(after) = &n.after {
        let pos = if after == "--" {
            view.dashdash?
        } else {
            cmd.args.iter().position(|w| &w.text == after)?
        };
        cmd.args[pos + 1..].to_vec()
    } else {
        let (start, _) = *view.operands.get(len + n.skip)?;
        cmd.args[start..].to_vec()
    };
    if words.is_empty() {
        return None;
    }
    let mut via = cmd.via.clone();
    via.push(format!("{} {}", cmd.program, n.command.join(" ")));
    let mut out = Vec::new();
    if n.shell {
        let text = words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        normalize::script(&text, via.len(), &via, &mut out);
    } else {
        let sc = crate::parse::SimpleCommand {
            words,
            ..Default::default()
        };
        normalize::simple(sc, via.len(), &via, &mut out);
    }
    Some(out)
}

/// Matches a verb path against the leading operands; returns how many it used.
/// A dynamic operand could be any verb, so it matches any element.
pub(crate) fn match_path(path: &[String], operands: &[(usize, &Word)], ic: bool) -> Option<usize> {
    fn go(path: &[String], ops: &[(usize, &Word)], used: usize, ic: bool) -> Option<usize> {
        let Some((first, rest)) = path.split_first() else {
            return Some(used);
        };
        if first == "**" {
            for skip in 0..=ops.len() {
                if let Some(n) = go(rest, &ops[skip..], used + skip, ic) {
                    return Some(n);
                }
            }
            return None;
        }
        let (_, w) = ops.first()?;
        if glob::matches(first, &w.text, ic) || w.is_dynamic() {
            go(rest, &ops[1..], used + 1, ic)
        } else {
            None
        }
    }
    go(path, operands, 0, ic)
}

fn flag_matches(pattern: &str, opt: &args::Opt<'_>, ic: bool) -> bool {
    if glob::matches(pattern, &opt.name, ic) {
        return true;
    }
    // git and the GNU tools take any unambiguous start of a long option (`git push
    // --forc`): a start of the one a rule names counts as it. Where the start is
    // ambiguous the tool refuses the command, so counting it costs nothing.
    let literal = &pattern[..pattern.find(['*', '?', '[', '=']).unwrap_or(pattern.len())];
    if let Some(given) = opt.name.strip_prefix("--")
        && given.len() >= 2
        && literal.len() > 2
        && literal.starts_with("--")
        && literal[2..].starts_with(given)
    {
        return true;
    }
    match opt.value {
        Some(v) if pattern.contains('=') => {
            glob::matches(pattern, &format!("{}={v}", opt.name), ic)
        }
        _ => false,
    }
}

fn any_flag(patterns: &[String], view: &args::ArgView<'_>, ic: bool) -> bool {
    patterns
        .iter()
        .any(|p| view.options.iter().any(|o| flag_matches(p, o, ic)))
}

/// Whether one `unless_flags` entry holds. The entry names one setting of the tool:
/// alternatives (`-n|--dry-run`), each an option with no value (or any value, for an
/// option the grammar gives one) or with exactly the value written (`--dry-run=server`).
/// As in the tools themselves, the last word for the setting wins: a later occurrence
/// of any alternative with another value, or a `--no-` negation (`--no-dry-run`, git's
/// abbreviations of it, `--no-n`), takes the exemption away.
fn exempts(entry: &str, view: &args::ArgView<'_>) -> bool {
    let alternatives: Vec<(&str, Option<&str>)> = entry
        .split('|')
        .map(|a| match a.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (a, None),
        })
        .collect();
    // `--no-dry-run`, git's `--no-dry`, and rsync's `--no-n` for a short option.
    let negates = |name: &str| {
        name.strip_prefix("--no-").is_some_and(|rest| {
            !rest.is_empty()
                && alternatives
                    .iter()
                    .any(|(n, _)| match n.strip_prefix("--") {
                        Some(long) => long.starts_with(rest),
                        None => n.strip_prefix('-') == Some(rest),
                    })
        })
    };
    let last = view
        .options
        .iter()
        .rev()
        .find(|o| alternatives.iter().any(|(n, _)| *n == o.name) || negates(&o.name));
    let Some(o) = last else {
        return false;
    };
    alternatives.iter().any(|(name, value)| {
        *name == o.name
            && match value {
                None => o.value.is_none() || o.takes_value,
                Some(v) => o.value == Some(*v),
            }
    })
}

/// Returns the length of the matched verb path when every condition of the rule holds.
fn rule_matches(
    rule: &Rule,
    view: &args::ArgView<'_>,
    cmd: &Command,
    pr: &ProgramRules,
) -> Option<usize> {
    let s = &rule.spec;
    let ic = s.ignore_case;
    let path_len = match_path(&s.command, &view.operands, ic)?;
    if !s.flags.is_empty() && !any_flag(&s.flags, view, ic) {
        return None;
    }
    if !s
        .all_flags
        .iter()
        .all(|p| any_flag(std::slice::from_ref(p), view, ic))
    {
        return None;
    }
    if s.unless_flags.iter().any(|e| exempts(e, view)) {
        return None;
    }
    if !s.args.is_empty() {
        let rest = view.operands[path_len..]
            .iter()
            .chain(view.after_dashdash.iter());
        let hit = rest
            .filter(|(_, w)| !s.args_ignore.iter().any(|g| glob::matches(g, &w.text, ic)))
            .any(|(_, w)| s.args.iter().any(|g| glob::matches(g, &w.text, ic)));
        if !hit {
            return None;
        }
    }
    if !s.options.is_empty() {
        let hit = rule.option_patterns().iter().any(|(names, re)| {
            view.options.iter().any(|o| {
                glob::matches(names, &o.name, ic) && o.value.is_some_and(|v| re.is_match(v))
            })
        });
        if !hit {
            return None;
        }
    }
    if let Some(re) = rule.text_regex() {
        let unless = rule.text_unless_regex();
        let texts = command_texts(view, cmd, pr, path_len);
        let hit = texts
            .iter()
            .flat_map(|t| t.split(';'))
            .any(|stmt| re.is_match(stmt) && unless.is_none_or(|u| !u.is_match(stmt)));
        if !hit {
            return None;
        }
    }
    Some(path_len)
}

/// The text a tool will interpret: SQL in `-c`, operands of `redis-cli`, a heredoc.
fn command_texts(
    view: &args::ArgView<'_>,
    cmd: &Command,
    pr: &ProgramRules,
    path_len: usize,
) -> Vec<String> {
    let spec = &pr.spec;
    let mut texts: Vec<String> = view
        .options
        .iter()
        .filter(|o| spec.text_options.iter().any(|t| *t == o.name))
        .filter_map(|o| o.value.map(str::to_owned))
        .collect();
    if spec.text_operands {
        // Each operand is its own text: `sqlite3 app.db 'DROP TABLE t'`.
        let start = path_len.min(view.operands.len());
        let ops = view.operands[start..]
            .iter()
            .chain(view.after_dashdash.iter());
        texts.extend(ops.map(|(_, w)| w.text.clone()));
    }
    if spec.text_stdin
        && let crate::parse::Stdin::Literal(t) = &cmd.stdin
    {
        texts.push(t.clone());
    }
    texts
}
