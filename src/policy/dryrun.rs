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
    // The replacement goes word for word over the operands the verb path matched (so
    // `run --all -- destroy` keeps its `run`, `--all` and `--` in place); extra
    // replacement words follow the last one, extra matched operands are dropped.
    let mut edited: Vec<Option<String>> = cmd.args.iter().map(|w| Some(w.text.clone())).collect();
    let mut insert_after: Option<(usize, Vec<String>)> = None;
    if let Some(replace) = d.replace.as_ref().filter(|_| path_len > 0) {
        let skip = path.iter().take_while(|p| *p == "**").count();
        let matched = &view.operands[..path_len.min(view.operands.len())];
        let first = matched.len().saturating_sub(path.len() - skip);
        let matched = &matched[first..];
        for (k, (idx, _)) in matched.iter().enumerate() {
            match replace.get(k) {
                Some(r) => edited[*idx] = Some(r.clone()),
                None => drop[*idx] = true,
            }
        }
        if replace.len() > matched.len()
            && let Some((last, _)) = matched.last()
        {
            insert_after = Some((*last, replace[matched.len()..].to_vec()));
        }
    }
    for o in &view.options {
        if !d
            .remove
            .iter()
            .any(|r| super::glob::matches(r, &o.name, false))
        {
            continue;
        }
        if !o.in_cluster {
            drop[o.index] = true;
            if let Some(v) = o.value_index {
                drop[v] = true;
            }
        } else if let Some(Some(w)) = edited.get_mut(o.index) {
            // A letter inside a cluster: `-fd` without `-f` is `-d`; a letter whose
            // value is attached (`-rnprod` without `-n`) takes the value with it.
            let letter = &o.name[1..];
            if let Some(at) = w[1..].find(letter).map(|p| p + 1) {
                if o.value.is_some() && o.value_index.is_none() {
                    w.truncate(at);
                } else {
                    w.replace_range(at..at + letter.len(), "");
                }
            }
            if let Some(v) = o.value_index {
                drop[v] = true;
            }
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
        if !drop[i]
            && let Some(w) = w
        {
            out.push(w);
        }
        if let Some((at, words)) = &insert_after
            && *at == i
        {
            out.extend(words.iter().cloned());
        }
    }
    if append_at >= cmd.args.len() {
        out.extend(d.append.iter().cloned());
    }
    out
}
