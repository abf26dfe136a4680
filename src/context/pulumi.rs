//! Pulumi's target: the stack, from `--stack`/`-s` and `PULUMI_STACK`.

use super::{Found, Scope, option};
use crate::normalize::Command;
use crate::policy::args::ArgView;

pub fn detect(d: &Scope<'_>, cmd: &Command, view: &ArgView<'_>) -> Found {
    let stack = option(view, &["-s", "--stack"])
        .map(str::to_owned)
        .or_else(|| d.var(cmd, "PULUMI_STACK"))
        .or_else(|| {
            d.setting("pulumi stack select", d.changes.pulumi_stack.as_ref())
                .flatten()
        });
    Found {
        items: stack.into_iter().map(|s| ("pulumi-stack", s)).collect(),
        primary: None,
        secondary: Vec::new(),
    }
}
