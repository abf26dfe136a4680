//! Claude Code's `PreToolUse` hook.
//!
//! Relied on (Claude Code hooks reference, code.claude.com/docs/en/hooks): the input is
//! one JSON object with `hook_event_name` "PreToolUse", `tool_name` ("Bash" for shell
//! commands), `tool_input.command` and `cwd`. The answer is exit 0 with
//! `hookSpecificOutput.{hookEventName, permissionDecision, permissionDecisionReason}` on
//! stdout, where the decision is "allow", "deny" or "ask" (the reason of an "ask" is
//! shown in the user's prompt, that of a "deny" to Claude). No output means no opinion:
//! Claude's own permission rules decide. Exit 2 blocks with stderr as the reason; other
//! non-zero statuses are non-blocking errors.

use serde_json::{Value, json};

use super::{HookError, Reply, Request, Response};

pub const HAS_ASK: bool = true;
pub const EVENT: &str = "PreToolUse";
pub const SHELL_TOOLS: &[&str] = &["Bash"];

pub fn parse(v: &Value) -> Result<Request, HookError> {
    super::tool_event(v, EVENT, SHELL_TOOLS)
}

/// The `hookSpecificOutput` answer shared with Codex, which reads the same shape.
pub fn decision(decision: &str, reason: &str) -> Value {
    json!({
        "hookSpecificOutput": {
            "hookEventName": EVENT,
            "permissionDecision": decision,
            "permissionDecisionReason": reason,
        }
    })
}

pub fn render(reply: &Reply) -> Response {
    match reply {
        Reply::NoOpinion => Response::silent(),
        Reply::Deny(r) => Response::json(&decision("deny", r)),
        Reply::Ask(r) => Response::json(&decision("ask", r)),
    }
}
