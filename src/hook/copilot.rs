//! GitHub Copilot's `preToolUse` hook (Copilot CLI and the coding agent).
//!
//! Relied on (GitHub docs, "Hooks configuration" and the Copilot CLI hooks reference):
//! hooks live in `.github/hooks/*.json` as
//! `{"version": 1, "hooks": {"preToolUse": [{"type": "command", "bash": ...}]}}`. The
//! camelCase input has `toolName` ("bash" for shell commands), `toolArgs` — a JSON
//! *string* holding the arguments, `command` among them — and `cwd`; the VS Code
//! compatible form spells them `tool_name` and `tool_input` (an object). The answer is
//! `{"permissionDecision": "deny", "permissionDecisionReason": ...}`. The hooks
//! configuration reference documents only "deny" as acted on; newer CLI builds also
//! prompt on "ask", but an older one would run the tool, so a confirm is a deny here.
//! No output lets the tool run. `write_bash` types into a running bash session; what
//! it types is judged as a command line.

use serde_json::{Value, json};

use super::{HookError, Reply, Request, Response};

pub const HAS_ASK: bool = false;
pub const SHELL_TOOLS: &[&str] = &["bash"];

pub fn parse(v: &Value) -> Result<Request, HookError> {
    super::check_event(v, &["hook_event_name", "hookEventName"], "preToolUse")?;
    let tool = super::req_str(v, &["toolName", "tool_name"], "toolName")?;
    let args = match v.get("toolArgs").or_else(|| v.get("tool_input")) {
        Some(Value::String(s)) => Some(serde_json::from_str(s).map_err(HookError::ToolArgs)?),
        other => other.cloned(),
    };
    super::tool_request(tool, args.as_ref(), SHELL_TOOLS, super::cwd_of(v))
}

pub fn render(reply: &Reply) -> Response {
    match reply {
        Reply::NoOpinion => Response::silent(),
        Reply::Deny(r) | Reply::Ask(r) => Response::json(&json!({
            "permissionDecision": "deny",
            "permissionDecisionReason": r,
        })),
    }
}
