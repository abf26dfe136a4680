//! Turning a command into the tool's own preview of it.

use super::args::ArgView;
use crate::normalize::Command;
use crate::rules::DryRunSpec;

/// The preview argv (program first) for `cmd` under the transform `d`. `path` and
/// `path_len` are the rule's verb path and how many operands it matched.
pub fn dry_run_argv(
    cmd: &Command,
    view: &ArgView<'_>,
    d: &DryRunSpec,
    path: &[String],
    path_len: usize,
) -> Vec<String> {
    let mut drop = vec![false; cmd.args.len()];
    let mut replace_at: Option<usize> = None;
    if d.replace.is_some() && path_len > 0 {
        // Replace the operands the verb path matched (skipping a leading `**`).
        let skip = path.iter().take_while(|p| *p == "**").count();
        let matched = &view.operands[..path_len.min(view.operands.len())];
        let first = matched.len().saturating_sub(path.len() - skip);
        for (k, (idx, _)) in matched.iter().enumerate().skip(first) {
            if k == first {
                replace_at = Some(*idx);
            }
            drop[*idx] = true;
        }
    }
    let mut edited: Vec<Option<String>> = cmd.args.iter().map(|w| Some(w.text.clone())).collect();
    for o in &view.options {
        if !d
            .remove
            .iter()
            .any(|r| super::glob::matches(r, &o.name, false))
        {
            continue;
        }
        let word = &cmd.args[o.index].text;
        if word.starts_with("--") || word.len() == 2 || !word.starts_with('-') || o.name.len() > 2 {
            drop[o.index] = true;
            if let Some(v) = o.value_index {
                drop[v] = true;
            }
        } else if let Some(Some(w)) = edited.get_mut(o.index) {
            // A letter inside a cluster: `-fd` without `-f` is `-d`.
            let letter = &o.name[1..];
            *w = w.replacen(letter, "", 1);
            if w == "-" {
                drop[o.index] = true;
            }
        }
    }
    let mut out = vec![cmd.program.clone()];
    let append_at = view.dashdash.unwrap_or(cmd.args.len());
    for (i, w) in edited.into_iter().enumerate() {
        if i == append_at {
            out.extend(d.append.iter().cloned());
        }
        if Some(i) == replace_at {
            out.extend(d.replace.iter().flatten().cloned());
        }
        if !drop[i]
            && let Some(w) = w
        {
            out.push(w);
        }
    }
    if append_at >= cmd.args.len() {
        out.extend(d.append.iter().cloned());
    }
    out
}
