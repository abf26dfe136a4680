//! `interlock hook AGENT`: each agent's pre-tool-use hook protocol, judged by the same
//! engine as the shell mode.
//!
//! A hook reads one JSON object on stdin and answers on stdout (and with its exit
//! status). Every protocol here is fail-open on the host's side for some outcomes — a
//! crashed hook, an exit status other than the blocking one, JSON the host does not
//! understand — so interlock never leaves an error to the host: malformed input, an
//! unknown tool carrying a command, and internal errors all become that protocol's own
//! "deny", with a reason that says what happened and what to do.
//!
//! Each agent's file holds what is particular to it: where the command is in the input,
//! which tool names run a shell, and how a decision is written back.

mod claude;
mod codex;
mod copilot;
mod cursor;
mod gemini;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::audit::Entry;
use crate::credentials::guard::Protected;
use crate::entry::act::{self, Outcome};
use crate::entry::record;
use crate::env::Env;
use crate::exit;
use crate::policy::Verdict;
use crate::redact::redact_text;
use crate::rules::Action;

/// The agents whose hook protocol interlock speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Agent {
    /// Claude Code: PreToolUse hooks in .claude/settings.json.
    Claude,
    /// OpenAI Codex CLI: PreToolUse hooks in .codex/hooks.json.
    Codex,
    /// Gemini CLI: BeforeTool hooks in .gemini/settings.json.
    Gemini,
    /// Cursor: beforeShellExecution hooks in .cursor/hooks.json.
    Cursor,
    /// GitHub Copilot CLI and coding agent: preToolUse hooks in .github/hooks/*.json.
    Copilot,
}

impl Agent {
    pub const ALL: [Agent; 5] = [
        Agent::Claude,
        Agent::Codex,
        Agent::Gemini,
        Agent::Cursor,
        Agent::Copilot,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Agent::Claude => "claude",
            Agent::Codex => "codex",
            Agent::Gemini => "gemini",
            Agent::Cursor => "cursor",
            Agent::Copilot => "copilot",
        }
    }

    /// Whether the host has its own "ask the user" answer that a hook can give. Where it
    /// has none, a confirm becomes a deny that says how a human approves out of band.
    fn has_ask(self) -> bool {
        match self {
            Agent::Claude => claude::HAS_ASK,
            Agent::Codex => codex::HAS_ASK,
            Agent::Gemini => gemini::HAS_ASK,
            Agent::Cursor => cursor::HAS_ASK,
            Agent::Copilot => copilot::HAS_ASK,
        }
    }

    fn parse(self, v: &Value) -> Result<Request, HookError> {
        match self {
            Agent::Claude => claude::parse(v),
            Agent::Codex => codex::parse(v),
            Agent::Gemini => gemini::parse(v),
            Agent::Cursor => cursor::parse(v),
            Agent::Copilot => copilot::parse(v),
        }
    }

    fn render(self, reply: &Reply) -> Response {
        match self {
            Agent::Claude => claude::render(reply),
            Agent::Codex => codex::render(reply),
            Agent::Gemini => gemini::render(reply),
            Agent::Cursor => cursor::render(reply),
            Agent::Copilot => copilot::render(reply),
        }
    }

    /// The deny for something that went wrong before a decision was made.
    fn fail(self, reason: &str) -> Response {
        match self {
            Agent::Claude | Agent::Codex | Agent::Gemini => blocking_exit(reason),
            Agent::Cursor => cursor::render(&Reply::Deny(reason.to_owned())),
            Agent::Copilot => copilot::render(&Reply::Deny(reason.to_owned())),
        }
    }
}

/// What the agent asked to do, once read.
#[derive(Debug, PartialEq, Eq)]
pub enum Request {
    /// A shell command line, and the directory it would run in when the host says.
    Shell {
        command: String,
        cwd: Option<PathBuf>,
    },
    /// One of the agent's own file tools about to write these paths: refused when one
    /// is interlock's (self-protection), otherwise no opinion.
    FileWrite {
        paths: Vec<String>,
        cwd: Option<PathBuf>,
    },
    /// A tool that runs no shell command and writes no file (read, search, ...): no
    /// opinion.
    PassThrough,
}

/// interlock's answer, before it is written in the host's format.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    /// No objection: the host's own permission system decides as it would without us.
    NoOpinion,
    /// Do not run it; the reason goes to the agent (and the user, where the host shows it).
    Deny(String),
    /// Ask the user in the host's own prompt; the reason is shown there.
    Ask(String),
}

/// What the hook process writes and how it exits.
#[derive(Debug, PartialEq, Eq)]
pub struct Response {
    pub stdout: String,
    pub stderr: String,
    pub code: u8,
}

impl Response {
    fn json(v: &Value) -> Response {
        Response {
            stdout: format!("{v}\n"),
            stderr: String::new(),
            code: 0,
        }
    }

    fn silent() -> Response {
        Response {
            stdout: String::new(),
            stderr: String::new(),
            code: 0,
        }
    }
}

/// The exit status that Claude Code, Codex and Gemini CLI all read as "block this tool
/// call, and give stderr to the agent as the reason". Any other non-zero status is a
/// non-blocking hook error to them, so it must never be used for a refusal.
pub const BLOCKING_EXIT: u8 = 2;

fn blocking_exit(reason: &str) -> Response {
    Response {
        stdout: String::new(),
        stderr: ensure_newline(reason),
        code: BLOCKING_EXIT,
    }
}

fn ensure_newline(s: &str) -> String {
    if s.ends_with('\n') {
        s.to_owned()
    } else {
        format!("{s}\n")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error("cannot read the hook input on stdin: {0}")]
    Stdin(std::io::Error),
    #[error("the hook input is not JSON ({0})")]
    NotJson(serde_json::Error),
    #[error("the hook input is not a JSON object")]
    NotObject,
    #[error("the hook input has no `{0}`")]
    Missing(&'static str),
    #[error("`{field}` in the hook input is not {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
    #[error("the hook was called for the `{got}` event, but it answers `{expected}` only")]
    WrongEvent { got: String, expected: &'static str },
    #[error("the tool arguments are not valid JSON ({0})")]
    ToolArgs(serde_json::Error),
    #[error(
        "the tool `{0}` carries a command, but interlock does not know it as a shell tool, so it cannot judge it"
    )]
    UnknownToolWithCommand(String),
    #[error("interlock failed internally while judging the command (a bug)")]
    Internal,
}

/// The reason given to the agent when the hook could not decide.
fn failure_reason(agent: Agent, e: &HookError) -> String {
    let todo = match e {
        HookError::UnknownToolWithCommand(_) => {
            "run the command through the agent's shell tool instead, or ask a human to run it"
                .to_owned()
        }
        HookError::Internal => {
            "report it with the command that caused it; until then ask a human to run the command"
                .to_owned()
        }
        _ => format!(
            "check that the hook is configured as `interlock hook {0}` for the event shown by `interlock install --{0} --print`",
            agent.name()
        ),
    };
    redact_text(&format!(
        "interlock: not run: {e}. interlock denies what it cannot judge.\n  to do: {todo}\n"
    ))
}

/// Answers one hook call: the input as read from stdin, the response to write.
pub fn answer(agent: Agent, input: &[u8]) -> Response {
    let v: Value = match serde_json::from_slice(input) {
        Ok(v) => v,
        Err(e) => return agent.fail(&failure_reason(agent, &HookError::NotJson(e))),
    };
    if !v.is_object() {
        return agent.fail(&failure_reason(agent, &HookError::NotObject));
    }
    let request = match agent.parse(&v) {
        Ok(r) => r,
        Err(e) => return agent.fail(&failure_reason(agent, &e)),
    };
    match request {
        Request::PassThrough => agent.render(&Reply::NoOpinion),
        Request::FileWrite { paths, cwd } => {
            agent.render(&judge_file_write(&paths, cwd.as_deref()))
        }
        Request::Shell { command, cwd } => {
            let reply = judge(&command, cwd.as_deref(), agent);
            agent.render(&reply)
        }
    }
}

/// Self-protection for the agent's own file tools: the same locations a shell command
/// may not write (interlock's config, rules, state, shims and binary).
pub fn judge_file_write(paths: &[String], cwd: Option<&Path>) -> Reply {
    let mut env = Env::from_process();
    if let Some(dir) = cwd.filter(|d| d.is_absolute()) {
        env.cwd = Some(dir.to_path_buf());
    }
    let exe = std::env::current_exe().ok();
    let guard = Protected::new(&env, crate::entry::exec::shims_dir(), exe);
    let cwd = env.cwd.as_deref().map(|c| c.to_string_lossy().into_owned());
    for p in paths {
        if let Some(f) = guard.file_write(p, cwd.as_deref()) {
            return redacted(Reply::Deny(format!(
                "interlock: blocked by {}: {}\n  file: {p}\n  to do: leave interlock's files to a human\n",
                f.id, f.reason
            )));
        }
    }
    Reply::NoOpinion
}

/// Judges a command line with the rules the shell mode would use in `cwd`.
pub fn judge(command: &str, cwd: Option<&Path>, agent: Agent) -> Reply {
    let mut env = Env::from_process();
    // The project layer is found from the directory the command will run in, which
    // the host reports; the hook's own working directory may be elsewhere.
    if let Some(dir) = cwd.filter(|d| d.is_absolute()) {
        env.cwd = Some(dir.to_path_buf());
        // The hook runs nothing; standing in the command's directory makes the audit
        // line name where the command runs, not where the host started the hook.
        let _ = std::env::set_current_dir(dir);
    }
    let engine = crate::entry::engine(&env);
    let mut verdict = engine.judge_script(command);
    // Freezes and the speed brake apply here as in the shell, and the decision is
    // logged; a command whose decision cannot be logged is denied.
    let recorder = match record::prepare(Entry::Hook, &mut verdict, &env) {
        Ok(r) => r,
        Err(refusal) => return redacted(Reply::Deny(refusal.message)),
    };
    let (mut reply, decided) = match act::decide(&verdict) {
        Outcome::Confirm(ask) => {
            let cwd = env.cwd.clone().unwrap_or_else(|| PathBuf::from("/"));
            confirm_reply(agent, &verdict, &ask, command, &cwd)
        }
        _ => (reply_for(&verdict, agent.has_ask()), None),
    };
    let errors = engine.rules.errors();
    if let Reply::Deny(r) | Reply::Ask(r) = &mut reply {
        for e in &errors {
            r.push_str(&format!("  rules file {e}\n"));
        }
    }
    // What interlock knows of the outcome: the host runs the command or asks its user
    // after the hook answers, and never says which.
    let (outcome, decided) = match &reply {
        Reply::NoOpinion => (Outcome::Run, decided),
        Reply::Deny(m) => (
            Outcome::Refuse {
                code: if decided.is_some() {
                    exit::NOT_APPROVED
                } else {
                    exit::BLOCKED
                },
                message: m.clone(),
            },
            decided,
        ),
        Reply::Ask(m) => (
            Outcome::Refuse {
                code: exit::NOT_APPROVED,
                message: m.clone(),
            },
            Some(crate::audit::Outcome::NotRun),
        ),
    };
    let judged = crate::audit::Judged::Script(command);
    if let Err(m) = recorder.record_decided(judged, &verdict, &outcome, decided, None)
        && reply == Reply::NoOpinion
    {
        return redacted(Reply::Deny(m));
    }
    redacted(reply)
}

/// A command that needs a human's approval: the host's own prompt where it has one
/// (recorded for its shell, so that it is the only question), otherwise — or when it
/// needs two people — a request in the approvals queue that the agent's retry picks up
/// once approved.
fn confirm_reply(
    agent: Agent,
    verdict: &Verdict,
    ask: &act::Ask,
    command: &str,
    cwd: &Path,
) -> (Reply, Option<crate::audit::Outcome>) {
    use crate::confirm::hook::{self, Retried};
    // Two people cannot be one host prompt: a two-person rule goes to the queue.
    if agent.has_ask() && ask.approvals <= 1 {
        let mut reason = ask_reason(verdict);
        if let Err(e) = hook::host_asks(agent.name(), ask, cwd) {
            reason.push_str(&format!(
                "  note: interlock could not record this question for its shell ({e}), so the shell may ask again\n"
            ));
        }
        return (Reply::Ask(reason), None);
    }
    match hook::without_host_prompt(agent.name(), ask, command, cwd) {
        Retried::Approved(by) => (
            Reply::NoOpinion,
            Some(crate::audit::Outcome::Approved { by }),
        ),
        Retried::NotYet { why, todo, decided } => {
            let message = match act::not_approved(ask, &why, &todo) {
                Outcome::Refuse { message, .. } => message,
                _ => ask_reason(verdict),
            };
            (
                Reply::Deny(message),
                Some(decided.unwrap_or(crate::audit::Outcome::NotRun)),
            )
        }
        Retried::Fallback(why) => {
            let why = format!(
                "{why}, and {}'s hook cannot ask a human itself",
                agent.name()
            );
            let reply = match act::fallback(ask, &why) {
                Outcome::Refuse { message, .. } => Reply::Deny(message),
                Outcome::Preview { argv, .. } => Reply::Deny(preview_reason(verdict, &argv)),
                Outcome::Run | Outcome::Confirm(_) => Reply::Deny(ask_reason(verdict)),
            };
            (reply, None)
        }
    }
}

fn redacted(reply: Reply) -> Reply {
    match reply {
        Reply::NoOpinion => Reply::NoOpinion,
        Reply::Deny(r) => Reply::Deny(redact_text(&r)),
        Reply::Ask(r) => Reply::Ask(redact_text(&r)),
    }
}

/// Maps a verdict to a reply. The shell's own messages are reused so an agent reads the
/// same explanation whichever way it came in; only a preview is worded differently,
/// because a hook cannot run one in the command's place.
pub fn reply_for(verdict: &Verdict, has_ask: bool) -> Reply {
    if verdict.decision == Action::Confirm && has_ask {
        return Reply::Ask(ask_reason(verdict));
    }
    let outcome = match act::decide(verdict) {
        // A hook cannot wait in the approvals queue: the host is holding the agent's
        // turn and has its own timeout. The rule's no-human fallback answers instead.
        Outcome::Confirm(ask) => act::fallback(&ask, NO_ASK),
        o => o,
    };
    match outcome {
        Outcome::Run => Reply::NoOpinion,
        Outcome::Refuse { message, .. } => Reply::Deny(message),
        Outcome::Preview { argv, .. } => Reply::Deny(preview_reason(verdict, &argv)),
        // `fallback` never asks again; were it to, the answer is still no.
        Outcome::Confirm(_) => Reply::Deny(ask_reason(verdict)),
    }
}

/// Why a confirm is a deny for hosts whose hooks have no "ask" answer, when the verdict
/// is mapped without the approvals queue.
const NO_ASK: &str = "this agent's hook has no way to ask a human; a human can run it \
                      themselves or approve it in the approvals queue (`interlock approvals`)";

/// argv-aware redaction first (`--password VALUE` over two words, mysql's `-pSECRET`);
/// the reply's text redaction then catches the rest.
fn quote(argv: &[String]) -> String {
    shell_words::join(crate::redact::redact_argv(argv))
}

fn rule_and_command(verdict: &Verdict) -> (String, String, String) {
    let deciding = verdict.deciding();
    let (id, reason) = match deciding.and_then(|c| c.deciding()) {
        Some(m) => (m.id.clone(), m.reason.clone()),
        None => ("interlock".to_owned(), verdict.reason()),
    };
    let command = deciding
        .map(|c| quote(&c.command.argv()))
        .unwrap_or_default();
    (id, reason, command)
}

/// Where the deciding command points (`  context: kube-context=prod-eu ...`), so the
/// person answering the host's prompt sees the cluster or account, as at interlock's own.
fn context_line(verdict: &Verdict) -> String {
    verdict
        .deciding()
        .and_then(|c| c.context.as_ref())
        .map(|ctx| format!("  context: {ctx}\n"))
        .unwrap_or_default()
}

fn ask_reason(verdict: &Verdict) -> String {
    let (id, reason, command) = rule_and_command(verdict);
    format!(
        "interlock: approval needed by {id}: {reason}\n{}  command: {command}\n",
        context_line(verdict)
    )
}

/// A hook cannot run the preview in the command's place: at this layer it is a block,
/// and says which preview to run instead.
fn preview_reason(verdict: &Verdict, preview: &[String]) -> String {
    let (id, reason, command) = rule_and_command(verdict);
    format!(
        "interlock: blocked by {id}: {reason}\n{}  command: {command}\n  to do: run the preview instead to see what it would do: {}\n",
        context_line(verdict),
        quote(preview)
    )
}

/// The `interlock hook AGENT` process: stdin in, the host's answer out. A panic while
/// judging is caught here and answered as a deny, because the host would read
/// interlock's usual internal-error status as "hook failed, go ahead".
pub fn main(agent: Agent) -> u8 {
    let mut input = Vec::new();
    let response = match std::io::stdin().read_to_end(&mut input) {
        Err(e) => agent.fail(&failure_reason(agent, &HookError::Stdin(e))),
        Ok(_) => std::panic::catch_unwind(|| answer(agent, &input))
            .unwrap_or_else(|_| agent.fail(&failure_reason(agent, &HookError::Internal))),
    };
    let mut out = std::io::stdout().lock();
    // If the host closed its end there is nobody left to answer; the status still says
    // what happened.
    let _ = out.write_all(response.stdout.as_bytes());
    let _ = out.flush();
    eprint!("{}", response.stderr);
    response.code
}

// Helpers for reading the hosts' JSON, shared by the agents' files.

/// The first of `names` present in `v`, as a string; `Ok(None)` when none is present.
fn opt_str<'a>(
    v: &'a Value,
    names: &[&'static str],
    field: &'static str,
) -> Result<Option<&'a str>, HookError> {
    for n in names {
        if let Some(x) = v.get(n) {
            return match x {
                Value::String(s) => Ok(Some(s)),
                Value::Null => Ok(None),
                _ => Err(HookError::WrongType {
                    field,
                    expected: "a string",
                }),
            };
        }
    }
    Ok(None)
}

fn req_str<'a>(
    v: &'a Value,
    names: &[&'static str],
    field: &'static str,
) -> Result<&'a str, HookError> {
    opt_str(v, names, field)?.ok_or(HookError::Missing(field))
}

/// Checks the event name when the host sends one.
fn check_event(v: &Value, names: &[&'static str], expected: &'static str) -> Result<(), HookError> {
    match opt_str(v, names, "hook_event_name")? {
        Some(got) if !got.eq_ignore_ascii_case(expected) => Err(HookError::WrongEvent {
            got: got.to_owned(),
            expected,
        }),
        _ => Ok(()),
    }
}

fn cwd_of(v: &Value) -> Option<PathBuf> {
    v.get("cwd").and_then(Value::as_str).map(PathBuf::from)
}

/// Reads a tool call of the common shape — a tool name and an object of arguments with
/// `command` in it — into a request: a shell tool is judged, any other tool whose
/// arguments carry a command is refused, everything else passes.
fn tool_request(
    name: &str,
    input: Option<&Value>,
    shell_tools: &[&str],
    cwd: Option<PathBuf>,
) -> Result<Request, HookError> {
    // Tools that type into a shell that is already running (Copilot's `write_bash`,
    // Codex's `write_stdin`): what they type is a command line like any other.
    if let Some(Value::Object(m)) = input
        && STDIN_TOOLS.contains(&name)
    {
        let typed = ["input", "chars", "text"]
            .iter()
            .find_map(|k| m.get(*k).and_then(Value::as_str))
            .ok_or(HookError::Missing("tool_input.input"))?;
        return Ok(Request::Shell {
            command: typed.to_owned(),
            cwd,
        });
    }
    let command = match input {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => match m.get("command") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => {
                return Err(HookError::WrongType {
                    field: "tool_input.command",
                    expected: "a string",
                });
            }
        },
        Some(_) => {
            return Err(HookError::WrongType {
                field: "tool_input",
                expected: "an object",
            });
        }
    };
    if shell_tools.contains(&name) {
        let command = command.ok_or(HookError::Missing("tool_input.command"))?;
        return Ok(Request::Shell {
            command: command.to_owned(),
            cwd,
        });
    }
    match command {
        // Codex's `apply_patch` hands the hook its raw patch as `command`: a file
        // write, whose file headers name the paths.
        Some(_) if name.to_ascii_lowercase().contains("patch") => Ok(Request::FileWrite {
            paths: input.map(file_paths).unwrap_or_default(),
            cwd,
        }),
        Some(_) => Err(HookError::UnknownToolWithCommand(name.to_owned())),
        None if writes_files(name) => Ok(Request::FileWrite {
            paths: input.map(file_paths).unwrap_or_default(),
            cwd,
        }),
        None => Ok(Request::PassThrough),
    }
}

/// Tools whose input is typed into a shell session already running.
const STDIN_TOOLS: &[&str] = &["write_bash", "write_stdin"];

/// Whether a tool's name says it changes files: Claude Code's `Write`, `Edit`,
/// `MultiEdit`, `NotebookEdit`; Gemini CLI's `write_file`, `replace`; Copilot's `edit`,
/// `create`; Codex's `apply_patch`. Reading tools pass: reading interlock's config
/// harms nothing.
fn writes_files(tool: &str) -> bool {
    let t = tool.to_ascii_lowercase();
    [
        "write", "edit", "replace", "create", "patch", "delete", "move", "rename",
    ]
    .iter()
    .any(|w| t.contains(w))
}

/// The paths a file tool's arguments name: the usual path fields, and the file headers
/// of a patch (`*** Update File: PATH`, as Codex's apply_patch writes them).
fn file_paths(input: &Value) -> Vec<String> {
    const FIELDS: &[&str] = &[
        "file_path",
        "filePath",
        "path",
        "notebook_path",
        "absolute_path",
        "new_path",
        "destination",
    ];
    const PATCH_HEADERS: &[&str] = &[
        "*** Add File: ",
        "*** Update File: ",
        "*** Delete File: ",
        "*** Move to: ",
    ];
    let mut out = Vec::new();
    let mut strings = Vec::new();
    collect_strings(input, None, &mut |key, s| {
        if key.is_some_and(|k| FIELDS.contains(&k)) {
            out.push(s.to_owned());
        }
        strings.push(s.to_owned());
    });
    for s in strings {
        for line in s.lines() {
            if let Some(p) = PATCH_HEADERS.iter().find_map(|h| line.strip_prefix(h)) {
                out.push(p.trim().to_owned());
            }
        }
    }
    out
}

fn collect_strings(v: &Value, key: Option<&str>, f: &mut dyn FnMut(Option<&str>, &str)) {
    match v {
        Value::String(s) => f(key, s),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, key, f)),
        Value::Object(m) => m.iter().for_each(|(k, x)| collect_strings(x, Some(k), f)),
        _ => {}
    }
}

/// Reads the payload Claude Code, Codex and Gemini CLI share: `hook_event_name`,
/// `tool_name`, `tool_input` and `cwd`.
fn tool_event(v: &Value, event: &'static str, shell_tools: &[&str]) -> Result<Request, HookError> {
    check_event(v, &["hook_event_name"], event)?;
    let tool = req_str(v, &["tool_name"], "tool_name")?;
    tool_request(tool, v.get("tool_input"), shell_tools, cwd_of(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(cmd: &str) -> Request {
        Request::Shell {
            command: cmd.into(),
            cwd: None,
        }
    }

    #[test]
    fn tool_requests_judge_shells_refuse_unknown_commands_and_pass_the_rest() {
        let input = serde_json::json!({"command": "ls"});
        assert_eq!(
            tool_request("Bash", Some(&input), &["Bash"], None).unwrap(),
            shell("ls")
        );
        assert!(matches!(
            tool_request("mcp__x__run", Some(&input), &["Bash"], None),
            Err(HookError::UnknownToolWithCommand(_))
        ));
        let read = serde_json::json!({"file_path": "/etc/hosts"});
        assert_eq!(
            tool_request("Read", Some(&read), &["Bash"], None).unwrap(),
            Request::PassThrough
        );
        assert!(matches!(
            tool_request("Bash", Some(&read), &["Bash"], None),
            Err(HookError::Missing(_))
        ));
    }

    #[test]
    fn a_patch_tool_is_a_file_write_and_typing_into_a_shell_is_a_command() {
        let patch = serde_json::json!({
            "command": "*** Begin Patch\n*** Update File: src/main.rs\n@@\n-a\n+b\n*** End Patch\n"
        });
        assert_eq!(
            tool_request("apply_patch", Some(&patch), &["Bash"], None).unwrap(),
            Request::FileWrite {
                paths: vec!["src/main.rs".into()],
                cwd: None
            }
        );
        let typed = serde_json::json!({"sessionId": "1", "input": "kubectl delete ns prod\n"});
        assert_eq!(
            tool_request("write_bash", Some(&typed), &["bash"], None).unwrap(),
            shell("kubectl delete ns prod\n")
        );
    }

    #[test]
    fn every_agent_denies_input_that_is_not_json() {
        for agent in Agent::ALL {
            let r = answer(agent, b"{not json");
            let text = format!("{}{}", r.stdout, r.stderr);
            assert!(text.contains("not JSON"), "{agent:?}: {text}");
            match agent {
                Agent::Claude | Agent::Codex | Agent::Gemini => {
                    assert_eq!(r.code, BLOCKING_EXIT, "{agent:?}")
                }
                Agent::Cursor | Agent::Copilot => {
                    assert_eq!(r.code, 0);
                    assert!(r.stdout.contains("deny"), "{agent:?}: {}", r.stdout);
                }
            }
        }
    }

    #[test]
    fn reasons_are_redacted() {
        let r = judge(
            "psql postgres://app:hunter2secret@db/prod -c 'DROP DATABASE prod'",
            None,
            Agent::Codex,
        );
        let Reply::Deny(reason) = r else {
            panic!("expected a deny, got {r:?}");
        };
        assert!(!reason.contains("hunter2secret"), "{reason}");
        assert!(reason.contains(crate::redact::MASK), "{reason}");
    }
}
