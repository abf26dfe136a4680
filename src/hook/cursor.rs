//! Cursor's `beforeShellExecution` hook.
//!
//! Relied on (Cursor agent hooks, cursor.com/docs/agent/hooks): hooks are listed in
//! `~/.cursor/hooks.json` or `<project>/.cursor/hooks.json` as
//! `{"version": 1, "hooks": {"beforeShellExecution": [{"command": ...}]}}`. The input
//! has `hook_event_name` "beforeShellExecution", `command` and `cwd` at the top level.
//! The answer is `permission` "allow", "deny" or "ask" with a message for the user and
//! one for the agent. Cursor 1.7 documented those as `userMessage`/`agentMessage`,
//! later documentation as `user_message`/`agent_message`; both are written so either
//! reads the reason.

use serde_json::{Value, json};

use super::{HookError, Reply, Request, Response};

pub const HAS_ASK: bool = true;
pub const EVENT: &str = "beforeShellExecution";

pub fn parse(v: &Value) -> Result<Request, HookError> {
    super::check_event(v, &["hook_event_name", "hookEventName"], EVENT)?;
    let command = super::req_str(v, &["command"], "command")?;
    Ok(Request::Shell {
        command: command.to_owned(),
        cwd: super::cwd_of(v),
    })
}

fn answer(permission: &str, reason: &str) -> Value {
    json!({
        "permission": permission,
        "user_message": reason,
        "agent_message": reason,
        "userMessage": reason,
        "agentMessage": reason,
    })
}

pub fn render(reply: &Reply) -> Response {
    match reply {
        // Cursor expects a permission on every answer; "allow" here lets the command
        // through this hook, and Cursor's own allowlist and prompts still apply.
        Reply::NoOpinion => Response::json(&json!({"permission": "allow"})),
        Reply::Deny(r) => Response::json(&answer("deny", r)),
        Reply::Ask(r) => Response::json(&answer("ask", r)),
    }
}
