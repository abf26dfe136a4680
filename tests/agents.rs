//! Each agent, driven the way it drives interlock: its exact hook payload on stdin (and
//! the exact answer format it reads back), and its exact shell command line against the
//! real binary with stub tools that record what ran.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

mod common;

use common::{BIN, Tree};

const DESTRUCTIVE: &str = "kubectl delete namespace prod";
const ROOT_WIPE: &str = "rm -rf /";
const SAFE: &str = "ls -la";
/// A rule with action `confirm` and no dry run: a human must approve it.
const NEEDS_APPROVAL: &str = "git reset --hard";
/// A rule with action `dry-run`: the tool's own preview is what may run.
const HAS_PREVIEW: &str = "git clean -fd";

type Fx = Tree;

fn fx() -> Fx {
    let f = Tree::new(&["bin"]);
    f.tool("kubectl", common::ARGV_STUB);
    f.link_bin("bin/interlock");
    f.link_bin("bin/interlock-bash");
    f
}

impl Fx {
    /// A clean environment: the agent's PATH before interlock is involved.
    fn cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let path = Tree::search_path(&[&self.real], common::SYSTEM_PATH);
        let mut c = self.clean(program, &path, &self.root);
        c.stdin(Stdio::null());
        c
    }

    /// Where `interlock` is installed, under its own names.
    fn bin(&self) -> PathBuf {
        self.root.join("bin")
    }

    fn interlock_bash(&self) -> PathBuf {
        self.bin().join("interlock-bash")
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs `interlock hook AGENT` with `payload` on stdin, as the host does.
fn hook(agent: &str, payload: &str) -> Output {
    let f = fx();
    common::output_with_stdin(f.cmd(BIN).args(["hook", agent]), payload.as_bytes())
}

fn answer(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}", text(&o.stdout)))
}

// ---- Claude Code -------------------------------------------------------------------

fn claude_payload(tool: &str, input: Value) -> String {
    json!({
        "session_id": "0b5c3e4a-1111-4222-8333-944445555666",
        "transcript_path": "/home/u/.claude/projects/p/0b5c3e4a.jsonl",
        "cwd": "/home/u/project",
        "permission_mode": "default",
        "hook_event_name": "PreToolUse",
        "tool_name": tool,
        "tool_input": input,
        "tool_use_id": "toolu_01ABC"
    })
    .to_string()
}

fn claude_bash(command: &str) -> String {
    claude_payload(
        "Bash",
        json!({"command": command, "description": "Run it", "timeout": 120000}),
    )
}

fn assert_claude_decision(o: &Output, decision: &str) -> String {
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v = answer(o);
    let out = &v["hookSpecificOutput"];
    assert_eq!(out["hookEventName"], "PreToolUse");
    assert_eq!(out["permissionDecision"], decision);
    assert_eq!(
        v.as_object().unwrap().len(),
        1,
        "only hookSpecificOutput: {v}"
    );
    out["permissionDecisionReason"].as_str().unwrap().to_owned()
}

#[test]
fn claude_destructive_bash_is_denied_with_the_rule() {
    for cmd in [DESTRUCTIVE, ROOT_WIPE] {
        let reason = assert_claude_decision(&hook("claude", &claude_bash(cmd)), "deny");
        assert!(reason.starts_with("interlock: blocked by "), "{reason}");
        assert!(reason.contains(cmd), "{reason}");
    }
}

#[test]
fn claude_safe_bash_gets_no_opinion() {
    let o = hook("claude", &claude_bash(SAFE));
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty(), "{}", text(&o.stdout));
}

#[test]
fn claude_confirm_becomes_its_own_ask() {
    let reason = assert_claude_decision(&hook("claude", &claude_bash(NEEDS_APPROVAL)), "ask");
    assert!(
        reason.starts_with("interlock: approval needed by "),
        "{reason}"
    );
}

#[test]
fn the_hosts_prompt_shows_where_the_command_points() {
    // The person answering Claude's prompt sees the cluster, as at interlock's own.
    let reason = assert_claude_decision(
        &hook(
            "claude",
            &claude_bash("kubectl --context staging-eu drain node-7"),
        ),
        "ask",
    );
    assert!(
        reason.contains("context: kube-context=staging-eu"),
        "{reason}"
    );
}

#[test]
fn claude_dry_run_is_a_deny_naming_the_preview() {
    let reason = assert_claude_decision(&hook("claude", &claude_bash(HAS_PREVIEW)), "deny");
    assert!(reason.starts_with("interlock: blocked by "), "{reason}");
    assert!(reason.contains("run the preview instead"), "{reason}");
    assert!(reason.contains("git clean -d -n"), "{reason}");
}

#[test]
fn claude_other_tools_pass_through() {
    let o = hook(
        "claude",
        &claude_payload("Read", json!({"file_path": "/home/u/project/README.md"})),
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
}

#[test]
fn claude_malformed_input_and_unknown_tools_are_blocked_with_exit_2() {
    for payload in [
        "".to_owned(),
        "{\"hook_event_name\": \"PreToolUse\", \"tool_name\": \"Bash\"".to_owned(),
        claude_payload("Bash", json!({"description": "no command"})),
        claude_payload("Bash", json!({"command": ["kubectl", "delete"]})),
        claude_payload("mcp__ops__run", json!({"command": DESTRUCTIVE})),
        json!({"hook_event_name": "PostToolUse", "tool_name": "Bash", "tool_input": {"command": SAFE}})
            .to_string(),
    ] {
        let o = hook("claude", &payload);
        assert_eq!(o.status.code(), Some(2), "{payload}");
        assert!(o.stdout.is_empty());
        assert!(
            text(&o.stderr).starts_with("interlock: not run: "),
            "{payload}: {}",
            text(&o.stderr)
        );
    }
}

// ---- Codex ---------------------------------------------------------------------------

fn codex_bash(command: &str) -> String {
    json!({
        "session_id": "019a2b3c-4d5e-7f60-8a9b-0c1d2e3f4a5b",
        "turn_id": "1",
        "transcript_path": null,
        "cwd": "/home/u/project",
        "hook_event_name": "PreToolUse",
        "model": "gpt-5-codex",
        "permission_mode": "default",
        "tool_name": "Bash",
        "tool_input": {"command": command},
        "tool_use_id": "call_1"
    })
    .to_string()
}

#[test]
fn codex_destructive_is_denied_and_safe_gets_no_opinion() {
    for cmd in [DESTRUCTIVE, ROOT_WIPE] {
        let o = hook("codex", &codex_bash(cmd));
        assert_eq!(o.status.code(), Some(0));
        let v = answer(&o);
        // Codex fails open on any field it does not support, so exactly these three.
        assert_eq!(
            v,
            json!({"hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "deny",
                "permissionDecisionReason": v["hookSpecificOutput"]["permissionDecisionReason"],
            }})
        );
        let reason = v["hookSpecificOutput"]["permissionDecisionReason"]
            .as_str()
            .unwrap();
        assert!(reason.contains(cmd), "{reason}");
    }
    let o = hook("codex", &codex_bash(SAFE));
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
}

#[test]
fn codex_confirm_is_a_deny_because_codex_runs_past_an_ask() {
    let o = hook("codex", &codex_bash(NEEDS_APPROVAL));
    let v = answer(&o);
    assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "deny");
    let reason = v["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap();
    assert!(reason.contains("ask a human"), "{reason}");
}

#[test]
fn codex_malformed_input_is_blocked_with_exit_2() {
    let o = hook("codex", "{\"tool_name\": 7}");
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("tool_name"), "{}", text(&o.stderr));
}

// ---- Gemini CLI ----------------------------------------------------------------------

fn gemini_payload(tool: &str, input: Value) -> String {
    json!({
        "session_id": "a1b2c3",
        "transcript_path": "/home/u/.gemini/tmp/a1b2c3/chats/session.json",
        "cwd": "/home/u/project",
        "hook_event_name": "BeforeTool",
        "timestamp": "2026-11-21T12:00:00.000Z",
        "tool_name": tool,
        "tool_input": input
    })
    .to_string()
}

#[test]
fn gemini_destructive_is_denied_and_safe_gets_an_empty_answer() {
    for cmd in [DESTRUCTIVE, ROOT_WIPE] {
        let o = hook(
            "gemini",
            &gemini_payload(
                "run_shell_command",
                json!({"command": cmd, "description": "x"}),
            ),
        );
        assert_eq!(o.status.code(), Some(0));
        let v = answer(&o);
        assert_eq!(v["decision"], "deny");
        assert!(v["reason"].as_str().unwrap().contains(cmd), "{v}");
        assert_eq!(v.as_object().unwrap().len(), 2, "{v}");
    }
    let o = hook(
        "gemini",
        &gemini_payload("run_shell_command", json!({"command": SAFE})),
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(answer(&o), json!({}));
    let o = hook(
        "gemini",
        &gemini_payload("read_file", json!({"absolute_path": "/etc/hosts"})),
    );
    assert_eq!(answer(&o), json!({}));
}

#[test]
fn gemini_confirm_is_a_deny_saying_how_to_get_approval() {
    let o = hook(
        "gemini",
        &gemini_payload("run_shell_command", json!({"command": NEEDS_APPROVAL})),
    );
    let v = answer(&o);
    assert_eq!(v["decision"], "deny");
    assert!(v["reason"].as_str().unwrap().contains("ask a human"), "{v}");
}

// ---- Cursor --------------------------------------------------------------------------

fn cursor_shell(command: &str) -> String {
    json!({
        "conversation_id": "conv-1",
        "generation_id": "gen-1",
        "hook_event_name": "beforeShellExecution",
        "workspace_roots": ["/home/u/project"],
        "command": command,
        "cwd": "/home/u/project"
    })
    .to_string()
}

#[test]
fn cursor_destructive_is_denied_safe_allowed_confirm_asked() {
    for cmd in [DESTRUCTIVE, ROOT_WIPE] {
        let o = hook("cursor", &cursor_shell(cmd));
        assert_eq!(o.status.code(), Some(0));
        let v = answer(&o);
        assert_eq!(v["permission"], "deny");
        for k in [
            "user_message",
            "agent_message",
            "userMessage",
            "agentMessage",
        ] {
            assert!(v[k].as_str().unwrap().contains(cmd), "{k}: {v}");
        }
    }
    let o = hook("cursor", &cursor_shell(SAFE));
    assert_eq!(answer(&o), json!({"permission": "allow"}));
    let o = hook("cursor", &cursor_shell(NEEDS_APPROVAL));
    assert_eq!(answer(&o)["permission"], "ask");
}

#[test]
fn cursor_malformed_input_is_a_deny_in_its_own_format() {
    let o = hook(
        "cursor",
        "{\"hook_event_name\": \"beforeShellExecution\", \"cwd\": \"/\"}",
    );
    assert_eq!(o.status.code(), Some(0));
    let v = answer(&o);
    assert_eq!(v["permission"], "deny");
    assert!(
        v["agent_message"].as_str().unwrap().contains("`command`"),
        "{v}"
    );
}

// ---- GitHub Copilot ------------------------------------------------------------------

fn copilot_tool(tool: &str, args: Value) -> String {
    json!({
        "timestamp": 1_704_614_600_000_u64,
        "cwd": "/home/u/project",
        "toolName": tool,
        "toolArgs": args.to_string()
    })
    .to_string()
}

#[test]
fn copilot_destructive_is_denied_and_safe_gets_no_output() {
    for cmd in [DESTRUCTIVE, ROOT_WIPE] {
        let o = hook(
            "copilot",
            &copilot_tool("bash", json!({"command": cmd, "description": "Clean up"})),
        );
        assert_eq!(o.status.code(), Some(0));
        let v = answer(&o);
        assert_eq!(v["permissionDecision"], "deny");
        assert!(
            v["permissionDecisionReason"]
                .as_str()
                .unwrap()
                .contains(cmd),
            "{v}"
        );
        assert_eq!(v.as_object().unwrap().len(), 2);
    }
    let o = hook("copilot", &copilot_tool("bash", json!({"command": SAFE})));
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
    let o = hook(
        "copilot",
        &copilot_tool("view", json!({"path": "README.md"})),
    );
    assert!(o.stdout.is_empty());
    // Typing a command into a bash session that is already running is judged too.
    let o = hook(
        "copilot",
        &copilot_tool(
            "write_bash",
            json!({"sessionId": "1", "input": format!("{DESTRUCTIVE}\n"), "delay": 5}),
        ),
    );
    assert_eq!(answer(&o)["permissionDecision"], "deny");
}

#[test]
fn copilot_vs_code_form_and_bad_tool_args() {
    let o = hook(
        "copilot",
        &json!({"hook_event_name": "PreToolUse", "tool_name": "bash",
                "tool_input": {"command": DESTRUCTIVE}, "cwd": "/"})
        .to_string(),
    );
    assert_eq!(answer(&o)["permissionDecision"], "deny");
    let o = hook(
        "copilot",
        &json!({"toolName": "bash", "toolArgs": "{not json"}).to_string(),
    );
    let v = answer(&o);
    assert_eq!(v["permissionDecision"], "deny");
    assert!(
        v["permissionDecisionReason"]
            .as_str()
            .unwrap()
            .contains("tool arguments"),
        "{v}"
    );
    // A shell interlock cannot read is refused, not waved through.
    let o = hook(
        "copilot",
        &copilot_tool(
            "powershell",
            json!({"command": "Remove-Item -Recurse C:\\"}),
        ),
    );
    assert_eq!(answer(&o)["permissionDecision"], "deny");
}

// ---- The shells agents start -----------------------------------------------------------

#[test]
fn claude_code_snapshot_and_eval_command_line_through_interlock_bash() {
    let f = fx();
    // Claude Code sources a snapshot of the user's shell (functions, options and the
    // PATH it had, shims first), evals the command with stdin from /dev/null, then
    // records the directory it ended in.
    let snapshot = f.root.join("snapshot-bash-1732190000000-abc123.sh");
    std::fs::write(
        &snapshot,
        format!(
            "unalias -a 2>/dev/null || true\nshopt -s expand_aliases\nexport PATH={}:{}:/usr/bin:/bin\n",
            f.shims.display(),
            f.real.display()
        ),
    )
    .unwrap();
    let cwd_file = f.root.join("claude-4f2a-cwd");
    let line = |cmd: &str, lt: &str| {
        format!(
            "source {} && eval '{cmd}' {lt} /dev/null && pwd -P >| {}",
            snapshot.display(),
            cwd_file.display()
        )
    };
    for lt in ["<", "\\<"] {
        let o = f
            .cmd(f.interlock_bash())
            .args(["-c", "-l", &line(DESTRUCTIVE, lt)])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(100), "{lt}: {}", text(&o.stderr));
        assert!(f.argv().is_none());
        assert!(!cwd_file.exists());
    }
    let o = f
        .cmd(f.interlock_bash())
        .args(["-c", "-l", &line("kubectl get pods", "<")])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(f.argv().unwrap(), ["get", "pods"]);
    assert_eq!(
        std::fs::read_to_string(&cwd_file).unwrap().trim(),
        f.root.to_str().unwrap()
    );
}

/// The profile snippet install.sh puts in /etc/profile.d, here in the user's ~/.profile
/// (a test cannot write /etc): it runs after /etc/profile has reset PATH.
fn login_profile(f: &Fx) {
    let snippet = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/shims/profile.sh"))
        .unwrap()
        .replace("@SHIMS_DIR@", f.shims.to_str().unwrap());
    std::fs::write(
        f.root.join(".profile"),
        format!("PATH=\"{}:$PATH\"\n{snippet}", f.real.display()),
    )
    .unwrap();
}

#[test]
fn codex_login_shell_keeps_the_shims_on_path() {
    let f = fx();
    login_profile(&f);
    // Codex runs every command as `SHELL -lc CMD` with the login shell from the user
    // database: the real bash, even inside `interlock run`. Its profile resets PATH;
    // interlock's profile snippet puts the shims back first, so they judge the tools.
    let o = f
        .cmd(BIN)
        .args(["run", "--", "bash", "-lc", DESTRUCTIVE])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(100), "{}", text(&o.stderr));
    assert!(f.argv().is_none());
    let o = f
        .cmd(BIN)
        .args(["run", "--", "bash", "-lc", "echo \"$PATH\""])
        .output()
        .unwrap();
    assert!(
        text(&o.stdout).starts_with(&format!("{}:", f.shims.display())),
        "PATH after a login shell: {}",
        text(&o.stdout)
    );
    // A script the command line only names: inside it the shims still judge.
    let script = f.root.join("deploy.sh");
    std::fs::write(&script, format!("{DESTRUCTIVE}\n")).unwrap();
    let o = f
        .cmd(BIN)
        .args([
            "run",
            "--",
            "bash",
            "-lc",
            &format!("bash {}", script.display()),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(100), "{}", text(&o.stderr));
    assert!(f.argv().is_none());
    let o = f
        .cmd(BIN)
        .args(["run", "--", "bash", "-lc", "kubectl get pods"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(f.argv().unwrap(), ["get", "pods"]);
    // Claude Code's `bash -c -l` form through interlock-bash keeps them too.
    let o = f
        .cmd(f.interlock_bash())
        .args(["-c", "-l", "echo \"$PATH\""])
        .output()
        .unwrap();
    assert!(
        text(&o.stdout).starts_with(&format!("{}:", f.shims.display())),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn gemini_bash_c_is_covered_by_the_shims_of_a_guarded_session() {
    let f = fx();
    // Gemini CLI runs `bash -c CMD` with bash looked up on PATH: the real bash. Inside
    // `interlock run` the shims come first, so the tools it starts are judged.
    let o = f
        .cmd(BIN)
        .args(["run", "--", "bash", "-c", DESTRUCTIVE])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(100), "{}", text(&o.stderr));
    assert!(f.argv().is_none());
    let o = f
        .cmd(BIN)
        .args(["run", "--", "bash", "-c", "kubectl get pods"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(f.argv().unwrap(), ["get", "pods"]);
}

#[test]
fn aider_shell_from_dollar_shell_judges_the_whole_line_first() {
    let f = fx();
    let marker = f.root.join("marker");
    // Aider runs `$SHELL -c CMD`; `interlock run` sets SHELL to interlock. The whole
    // line is judged before anything in it runs, so the `touch` never happens.
    let line = format!("touch {}; {DESTRUCTIVE}", marker.display());
    let o = f
        .cmd(f.bin().join("interlock"))
        .args(["run", "--", "sh", "-c", "exec \"$SHELL\" -c \"$0\"", &line])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(100), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("kubectl-delete-namespace"));
    assert!(!marker.exists());
    let o = f
        .cmd(f.bin().join("interlock"))
        .args(["run", "--", "sh", "-c", "exec \"$SHELL\" -c \"$0\"", SAFE])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
}

// ---- interlock install -----------------------------------------------------------------

fn install(f: &Fx, args: &[&str]) -> Output {
    let o = f
        .cmd(f.bin().join("interlock"))
        .arg("install")
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
    o
}

#[test]
fn install_merges_is_idempotent_and_uninstall_restores() {
    let f = fx();
    std::fs::create_dir(f.root.join(".git")).unwrap();
    let existing = json!({
        "permissions": {"allow": ["Bash(npm test)"]},
        "hooks": {"PreToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "fmt-check"}]}]}
    });
    let files = [
        ("--claude", ".claude/settings.json"),
        ("--codex", ".codex/hooks.json"),
        ("--gemini", ".gemini/settings.json"),
        ("--cursor", ".cursor/hooks.json"),
        ("--copilot", ".github/hooks/interlock.json"),
    ];
    std::fs::create_dir_all(f.root.join(".claude")).unwrap();
    std::fs::write(
        f.root.join(".claude/settings.json"),
        serde_json::to_string_pretty(&existing).unwrap(),
    )
    .unwrap();
    for (flag, _) in files {
        install(&f, &[flag, "--project"]);
    }
    let snapshot: Vec<Vec<u8>> = files
        .iter()
        .map(|(_, p)| std::fs::read(f.root.join(p)).unwrap())
        .collect();
    for (flag, _) in files {
        install(&f, &[flag, "--project"]);
    }
    for ((_, p), before) in files.iter().zip(&snapshot) {
        assert_eq!(&std::fs::read(f.root.join(p)).unwrap(), before, "{p}");
    }
    let claude: Value = serde_json::from_slice(&snapshot[0]).unwrap();
    assert_eq!(claude["permissions"], existing["permissions"]);
    let groups = claude["hooks"]["PreToolUse"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    // Claude Code's file tools are matched too, for self-protection.
    assert_eq!(
        groups[1]["matcher"],
        "Bash|Write|Edit|MultiEdit|NotebookEdit"
    );
    assert_eq!(
        groups[1]["hooks"][0]["command"],
        format!("{} hook claude", f.bin().join("interlock").display())
    );
    assert_eq!(
        claude["env"]["CLAUDE_CODE_SHELL"],
        f.interlock_bash().to_str().unwrap()
    );
    // The installed hook answers as the agent expects.
    let command = groups[1]["hooks"][0]["command"].as_str().unwrap();
    let o = common::output_with_stdin(
        f.cmd("sh").args(["-c", command]),
        claude_bash(DESTRUCTIVE).as_bytes(),
    );
    assert_eq!(
        answer(&o)["hookSpecificOutput"]["permissionDecision"],
        "deny"
    );

    for (flag, _) in files {
        install(&f, &[flag, "--project", "--uninstall"]);
    }
    let restored: Value =
        serde_json::from_slice(&std::fs::read(f.root.join(".claude/settings.json")).unwrap())
            .unwrap();
    assert_eq!(restored, existing);
    for (_, p) in &files[1..] {
        assert!(!f.root.join(p).exists(), "{p} should be gone");
    }
}

#[test]
fn install_print_writes_nothing_and_a_broken_file_is_left_alone() {
    let f = fx();
    let o = install(&f, &["--claude", "--codex", "--print"]);
    let out = text(&o.stdout);
    assert!(
        out.contains("hook claude") && out.contains("hook codex"),
        "{out}"
    );
    assert!(!f.root.join(".claude").exists());
    assert!(!f.root.join(".codex").exists());

    // Without --project the hook goes into the home directory.
    install(&f, &["--cursor"]);
    let v: Value =
        serde_json::from_slice(&std::fs::read(f.root.join(".cursor/hooks.json")).unwrap()).unwrap();
    assert_eq!(v["version"], 1);
    assert!(
        v["hooks"]["beforeShellExecution"][0]["command"]
            .as_str()
            .unwrap()
            .ends_with("/interlock hook cursor")
    );

    // Copilot CLI's user-level hooks directory.
    install(&f, &["--copilot"]);
    let v: Value = serde_json::from_slice(
        &std::fs::read(f.root.join(".copilot/hooks/interlock.json")).unwrap(),
    )
    .unwrap();
    assert!(
        v["hooks"]["preToolUse"][0]["bash"]
            .as_str()
            .unwrap()
            .ends_with("/interlock hook copilot"),
        "{v}"
    );

    let settings = f.root.join(".gemini/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let broken = "{ // a comment JSON does not allow\n \"theme\": \"dark\" }\n";
    std::fs::write(&settings, broken).unwrap();
    let o = f.cmd(BIN).args(["install", "--gemini"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("left untouched"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), broken);
}

// ---- The agents' own file tools ----------------------------------------------------

#[test]
fn file_tools_may_not_write_interlocks_own_files() {
    // Claude Code's Write and Edit.
    for (tool, input) in [
        (
            "Write",
            json!({"file_path": "/home/u/.config/interlock/rules/off.toml", "content": "x"}),
        ),
        (
            "Edit",
            json!({"file_path": "/etc/interlock/config.toml", "old_string": "a", "new_string": "b"}),
        ),
    ] {
        let reason = assert_claude_decision(&hook("claude", &claude_payload(tool, input)), "deny");
        assert!(
            reason.starts_with("interlock: blocked by self-protect-"),
            "{reason}"
        );
        assert!(reason.contains("may not change its own guard"), "{reason}");
    }
    // The project's own files, and tools that write no file, are the agent's business.
    for (tool, input) in [
        (
            "Write",
            json!({"file_path": "/home/u/project/src/main.rs", "content": "x"}),
        ),
        ("TodoWrite", json!({"todos": [{"content": "fix it"}]})),
        (
            "Read",
            json!({"file_path": "/home/u/.config/interlock/config.toml"}),
        ),
    ] {
        let o = hook("claude", &claude_payload(tool, input));
        assert_eq!(o.status.code(), Some(0), "{tool}");
        assert!(o.stdout.is_empty(), "{tool}: {}", text(&o.stdout));
    }
    // Gemini CLI's write_file into the state directory.
    let o = hook(
        "gemini",
        &gemini_payload(
            "write_file",
            json!({"file_path": "/home/u/.local/state/interlock/audit.log", "content": ""}),
        ),
    );
    let v = answer(&o);
    assert_eq!(v["decision"], "deny", "{v}");
    // A patch naming interlock's config among its files: Codex's apply_patch puts the
    // raw patch in `tool_input.command`.
    let patch = "*** Begin Patch\n*** Update File: src/lib.rs\n@@\n-a\n+b\n\
                 *** Update File: /home/u/.config/interlock/config.toml\n@@\n-x\n+y\n*** End Patch\n";
    let codex_patch = |patch: &str| {
        json!({
            "session_id": "s",
            "cwd": "/home/u/project",
            "hook_event_name": "PreToolUse",
            "tool_name": "apply_patch",
            "tool_input": {"command": patch},
        })
        .to_string()
    };
    let o = hook("codex", &codex_patch(patch));
    let said = format!("{}{}", text(&o.stdout), text(&o.stderr));
    assert!(said.contains("self-protect-config"), "{said}");
    // An ordinary patch to the project is the agent's business: no opinion.
    let o = hook(
        "codex",
        &codex_patch("*** Begin Patch\n*** Add File: src/new.rs\n+fn x() {}\n*** End Patch\n"),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty(), "{}", text(&o.stdout));
}
