//! OpenAI Codex CLI's `PreToolUse` hook.
//!
//! Relied on (developers.openai.com/codex/hooks and codex-rs/hooks in openai/codex):
//! hooks live in `~/.codex/hooks.json` or `<repo>/.codex/hooks.json` in the same shape as
//! Claude Code's; the input carries `hook_event_name` "PreToolUse", `tool_name` "Bash"
//! and `tool_input.command`. Codex acts on `permissionDecision: "deny"` (or exit 2 with
//! a reason on stderr) and treats "ask", "allow", unknown fields and other exit
//! statuses as a failed hook and runs the command — so a confirm must be a deny here.

use serde_json::Value;

use super::{HookError, Reply, Request, Response};

pub const HAS_ASK: bool = false;
pub const EVENT: &str = "PreToolUse";
pub const SHELL_TOOLS: &[&str] = &["Bash"];

pub fn parse(v: &Value) -> Result<Request, HookError> {
    super::tool_event(v, EVENT, SHELL_TOOLS)
}

pub fn render(reply: &Reply) -> Response {
    match reply {
        Reply::NoOpinion => Response::silent(),
        // Codex has no ask; `reply_for` never produces one for it, and if it did, a
        // deny is the only answer Codex does not run past.
        Reply::Deny(r) | Reply::Ask(r) => Response::json(&super::claude::decision("deny", r)),
    }
}
