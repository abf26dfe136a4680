//! Gemini CLI's `BeforeTool` hook.
//!
//! Relied on (Gemini CLI hooks reference, geminicli.com/docs/hooks/reference): the input
//! has `hook_event_name` "BeforeTool", `tool_name` ("run_shell_command" for shell
//! commands), `tool_input.command` and `cwd`. stdout must hold only JSON; `decision`
//! "deny" (alias "block") with `reason` stops the tool and sends the reason to the
//! agent; exit 2 blocks with stderr as the reason; other statuses are warnings only.
//! Builds since March 2026 also take `decision: "ask"`; a build from before it does not
//! know that answer and runs the tool, so interlock does not give it: a confirm is a
//! deny that says how a human approves.

use serde_json::{Value, json};

use super::{HookError, Reply, Request, Response};

pub const HAS_ASK: bool = false;
pub const EVENT: &str = "BeforeTool";
pub const SHELL_TOOLS: &[&str] = &["run_shell_command"];

pub fn parse(v: &Value) -> Result<Request, HookError> {
    super::tool_event(v, EVENT, SHELL_TOOLS)
}

pub fn render(reply: &Reply) -> Response {
    match reply {
        // An empty object: no decision, Gemini's own confirmation settings apply.
        Reply::NoOpinion => Response::json(&json!({})),
        Reply::Deny(r) | Reply::Ask(r) => Response::json(&json!({
            "decision": "deny",
            "reason": r,
        })),
    }
}
