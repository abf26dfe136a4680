//! The edits themselves, on parsed JSON: find interlock's entries by their command,
//! add them once, remove exactly them.

use serde_json::{Map, Value, json};

use super::Plan;
use crate::hook::Agent;

/// Whether an edit changed the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Changed {
    Yes,
    No,
}

/// Claude Code reads the shell its Bash tool uses from this variable, which its
/// settings file can set under `env`; it must be a bash or zsh, hence interlock-bash.
pub const CLAUDE_SHELL_VAR: &str = "CLAUDE_CODE_SHELL";

/// How an agent's settings file lists hooks.
struct Layout {
    /// The event the hook is listed under.
    event: &'static str,
    /// `Some(matcher)`: entries are grouped as `{"matcher", "hooks": [..]}` (Claude Code,
    /// Codex, Gemini CLI). `None`: entries sit directly in the event's list.
    matcher: Option<&'static str>,
    /// The entry's key that holds the command line.
    command_key: &'static str,
    /// Documents that carry a format version (Cursor, Copilot) get this one if unset.
    version: Option<u64>,
}

fn layout(agent: Agent) -> Layout {
    match agent {
        // The file tools are matched too, so the hook can refuse their writes to
        // interlock's own files (see `hook::judge_file_write`).
        Agent::Claude => Layout {
            event: "PreToolUse",
            matcher: Some("Bash|Write|Edit|MultiEdit|NotebookEdit"),
            command_key: "command",
            version: None,
        },
        // Codex reads hooks in Claude Code's layout; its file edits are `apply_patch`.
        Agent::Codex => Layout {
            event: "PreToolUse",
            matcher: Some("Bash|apply_patch"),
            command_key: "command",
            version: None,
        },
        Agent::Gemini => Layout {
            event: "BeforeTool",
            matcher: Some("run_shell_command|write_file|replace"),
            command_key: "command",
            version: None,
        },
        Agent::Cursor => Layout {
            event: "beforeShellExecution",
            matcher: None,
            command_key: "command",
            version: Some(1),
        },
        Agent::Copilot => Layout {
            event: "preToolUse",
            matcher: None,
            command_key: "bash",
            version: Some(1),
        },
    }
}

fn entry(agent: Agent, command: &str) -> Value {
    match agent {
        Agent::Claude | Agent::Codex => json!({"type": "command", "command": command}),
        Agent::Gemini => json!({"name": "interlock", "type": "command", "command": command}),
        Agent::Cursor => json!({"command": command}),
        Agent::Copilot => json!({"type": "command", "bash": command, "timeoutSec": 30}),
    }
}

/// Whether a command line is interlock's hook for `agent`: a program named
/// `interlock...` run as `hook AGENT`, wherever it is installed.
pub fn is_ours(command: &str, agent: Agent) -> bool {
    let Ok(words) = shell_words::split(command) else {
        return false;
    };
    match words.as_slice() {
        [program, hook, name] => {
            let base = program.rsplit('/').next().unwrap_or(program);
            base.starts_with("interlock") && hook == "hook" && name == agent.name()
        }
        _ => false,
    }
}

fn entry_is_ours(e: &Value, key: &str, agent: Agent) -> bool {
    e.get(key)
        .and_then(Value::as_str)
        .is_some_and(|c| is_ours(c, agent))
}

/// `doc[key]` as an object, created when absent.
fn object_at<'a>(
    doc: &'a mut Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'a mut Map<String, Value>, String> {
    doc.entry(key)
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or_else(|| format!("`{path}` is not an object"))
}

/// `doc[key]` as a list, created when absent.
fn list_at<'a>(
    doc: &'a mut Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'a mut Vec<Value>, String> {
    doc.entry(key)
        .or_insert_with(|| Value::Array(Vec::new()))
        .as_array_mut()
        .ok_or_else(|| format!("`{path}` is not a list"))
}

/// Points a command entry at `command`. Returns whether it changed.
fn set_command(e: &mut Value, key: &str, command: &str) -> Changed {
    match e.get(key).and_then(Value::as_str) {
        Some(c) if c == command => Changed::No,
        _ => {
            e[key] = Value::String(command.to_owned());
            Changed::Yes
        }
    }
}

/// Adds interlock's hook for `agent` unless it is there (pointing an existing one at
/// this binary). Returns whether the document changed and warnings for the user.
pub fn add(agent: Agent, doc: &mut Value, plan: &Plan) -> Result<(Changed, Vec<String>), String> {
    let root = doc.as_object_mut().ok_or("the file is not a JSON object")?;
    let l = layout(agent);
    let command = plan.command(agent);
    let mut changed = Changed::No;
    let mut warnings = Vec::new();
    if let Some(v) = l.version
        && !root.contains_key("version")
    {
        root.insert("version".into(), json!(v));
        changed = Changed::Yes;
    }
    let hooks = object_at(root, "hooks", "hooks")?;
    let list = list_at(hooks, l.event, &format!("hooks.{}", l.event))?;
    let mut found = false;
    for item in list.iter_mut() {
        match l.matcher {
            Some(_) => {
                let Some(inner) = item.get_mut("hooks").and_then(Value::as_array_mut) else {
                    continue;
                };
                let mut ours_here = false;
                for e in inner.iter_mut() {
                    if entry_is_ours(e, l.command_key, agent) {
                        found = true;
                        ours_here = true;
                        if set_command(e, l.command_key, &command) == Changed::Yes {
                            changed = Changed::Yes;
                        }
                    }
                }
                // A group of ours from an older install gets today's matcher; a group
                // shared with someone else's hooks keeps theirs.
                let only_ours = inner.iter().all(|e| entry_is_ours(e, l.command_key, agent));
                if let Some(m) = l.matcher
                    && ours_here
                    && only_ours
                    && item.get("matcher").and_then(Value::as_str) != Some(m)
                {
                    item["matcher"] = Value::String(m.to_owned());
                    changed = Changed::Yes;
                }
            }
            None => {
                if entry_is_ours(item, l.command_key, agent) {
                    found = true;
                    if set_command(item, l.command_key, &command) == Changed::Yes {
                        changed = Changed::Yes;
                    }
                }
            }
        }
    }
    if !found {
        let e = entry(agent, &command);
        list.push(match l.matcher {
            Some(m) => json!({"matcher": m, "hooks": [e]}),
            None => e,
        });
        changed = Changed::Yes;
    }
    if agent == Agent::Claude {
        match &plan.shell {
            None => warnings.push(format!(
                "no interlock-bash next to {}, so Claude Code's shell was not changed; run install.sh, then this again",
                plan.interlock
            )),
            Some(shell) => {
                let env = object_at(root, "env", "env")?;
                match env.get(CLAUDE_SHELL_VAR).and_then(Value::as_str) {
                    Some(s) if s == shell => {}
                    Some(s) if !is_our_shell(s) => warnings.push(format!(
                        "{CLAUDE_SHELL_VAR} is already set to {s}; left as it is, so Claude Code's shell is not interlock's (the hook still judges every Bash command)"
                    )),
                    _ => {
                        env.insert(CLAUDE_SHELL_VAR.into(), Value::String(shell.clone()));
                        changed = Changed::Yes;
                    }
                }
            }
        }
    }
    Ok((changed, warnings))
}

fn is_our_shell(s: &str) -> bool {
    s.rsplit('/').next() == Some("interlock-bash")
}

/// Removes interlock's entries for `agent`, and any group, list or object that held
/// only them. Everything else stays.
pub fn remove(agent: Agent, doc: &mut Value) -> Result<Changed, String> {
    let root = doc.as_object_mut().ok_or("the file is not a JSON object")?;
    let l = layout(agent);
    let mut changed = Changed::No;
    if let Some(hooks) = root.get_mut("hooks") {
        let hooks = hooks.as_object_mut().ok_or("`hooks` is not an object")?;
        if let Some(list) = hooks.get_mut(l.event) {
            let list = list
                .as_array_mut()
                .ok_or_else(|| format!("`hooks.{}` is not a list", l.event))?;
            let before = list.len();
            match l.matcher {
                Some(_) => {
                    for item in list.iter_mut() {
                        if let Some(inner) = item.get_mut("hooks").and_then(Value::as_array_mut) {
                            let n = inner.len();
                            inner.retain(|e| !entry_is_ours(e, l.command_key, agent));
                            if inner.len() != n {
                                changed = Changed::Yes;
                            }
                        }
                    }
                    list.retain(|item| {
                        item.get("hooks")
                            .and_then(Value::as_array)
                            .is_none_or(|h| !h.is_empty())
                    });
                }
                None => list.retain(|e| !entry_is_ours(e, l.command_key, agent)),
            }
            if list.len() != before {
                changed = Changed::Yes;
            }
            if list.is_empty() {
                hooks.remove(l.event);
            }
        }
        if hooks.is_empty() {
            root.remove("hooks");
        }
    }
    if agent == Agent::Claude
        && let Some(env) = root.get_mut("env").and_then(Value::as_object_mut)
        && env
            .get(CLAUDE_SHELL_VAR)
            .and_then(Value::as_str)
            .is_some_and(is_our_shell)
    {
        env.remove(CLAUDE_SHELL_VAR);
        changed = Changed::Yes;
        if env.is_empty() {
            root.remove("env");
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            interlock: "/opt/il/bin/interlock".into(),
            shell: Some("/opt/il/bin/interlock-bash".into()),
        }
    }

    #[test]
    fn recognises_its_own_command_wherever_installed() {
        assert!(is_ours(
            "/usr/local/bin/interlock hook claude",
            Agent::Claude
        ));
        assert!(is_ours("interlock hook codex", Agent::Codex));
        assert!(is_ours("'/a b/interlock' hook cursor", Agent::Cursor));
        assert!(!is_ours("interlock hook claude", Agent::Codex));
        assert!(!is_ours("my-guard hook claude", Agent::Claude));
        assert!(!is_ours("interlock hook claude --extra", Agent::Claude));
    }

    #[test]
    fn adding_twice_changes_nothing_the_second_time() {
        for agent in Agent::ALL {
            let mut doc = json!({});
            assert_eq!(add(agent, &mut doc, &plan()).unwrap().0, Changed::Yes);
            let once = doc.clone();
            assert_eq!(add(agent, &mut doc, &plan()).unwrap().0, Changed::No);
            assert_eq!(doc, once, "{agent:?}");
        }
    }

    #[test]
    fn remove_undoes_add_exactly() {
        let original = json!({
            "model": "x",
            "env": {"FOO": "1"},
            "hooks": {
                "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "other-guard"}]}],
                "Stop": [{"hooks": [{"type": "command", "command": "notify"}]}]
            }
        });
        for agent in Agent::ALL {
            let mut doc = original.clone();
            add(agent, &mut doc, &plan()).unwrap();
            assert_ne!(doc, original);
            assert_eq!(remove(agent, &mut doc).unwrap(), Changed::Yes);
            // Cursor and Copilot documents gain a format version, which stays.
            if let Some(m) = doc.as_object_mut()
                && original.get("version").is_none()
            {
                m.remove("version");
            }
            assert_eq!(doc, original, "{agent:?}");
        }
    }

    #[test]
    fn an_existing_shell_setting_is_not_clobbered() {
        let mut doc = json!({"env": {"CLAUDE_CODE_SHELL": "/bin/zsh"}});
        let (_, warnings) = add(Agent::Claude, &mut doc, &plan()).unwrap();
        assert_eq!(doc["env"]["CLAUDE_CODE_SHELL"], "/bin/zsh");
        assert_eq!(warnings.len(), 1);
        remove(Agent::Claude, &mut doc).unwrap();
        assert_eq!(doc["env"]["CLAUDE_CODE_SHELL"], "/bin/zsh");
    }

    #[test]
    fn an_unexpected_shape_is_an_error_not_a_rewrite() {
        let mut doc = json!({"hooks": ["not", "an", "object"]});
        assert!(add(Agent::Claude, &mut doc, &plan()).is_err());
        assert_eq!(doc, json!({"hooks": ["not", "an", "object"]}));
    }

    #[test]
    fn a_moved_binary_is_updated_in_place() {
        let mut doc = json!({});
        let old = Plan {
            interlock: "/old/interlock".into(),
            shell: None,
        };
        add(Agent::Cursor, &mut doc, &old).unwrap();
        add(Agent::Cursor, &mut doc, &plan()).unwrap();
        let list = doc["hooks"]["beforeShellExecution"].as_array().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["command"], "/opt/il/bin/interlock hook cursor");
    }
}
