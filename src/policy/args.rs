//! Reading a tool's argv with its grammar: options (and their values) apart from
//! operands, so `kubectl --context prod -n x delete ns prod` has the verb `delete`.

use std::borrow::Cow;

use crate::parse::Word;
use crate::rules::ToolSpec;

#[derive(Debug)]
pub struct Opt<'a> {
    /// The option as written, without any `=value` (`--force`, `-f`, `-chdir`).
    pub name: Cow<'a, str>,
    pub value: Option<&'a str>,
    /// Index in the args of the word holding the option.
    pub index: usize,
    /// Index of a separate value word, when the value was the next word.
    pub value_index: Option<usize>,
}

#[derive(Debug, Default)]
pub struct ArgView<'a> {
    /// Operands before any `--`, with their index in the args.
    pub operands: Vec<(usize, &'a Word)>,
    /// Index of the `--` word, if any.
    pub dashdash: Option<usize>,
    /// Words after `--`.
    pub after_dashdash: Vec<(usize, &'a Word)>,
    pub options: Vec<Opt<'a>>,
}

fn is_number(s: &str) -> bool {
    s.len() > 1 && s[1..].chars().all(|c| c.is_ascii_digit() || c == '.')
}

pub fn parse<'a>(args: &'a [Word], spec: &ToolSpec) -> ArgView<'a> {
    let mut v = ArgView::default();
    let mut i = 0;
    let takes_value = |name: &str| spec.value_options.iter().any(|o| o == name);
    while i < args.len() {
        let w = &args[i];
        let t = w.text.as_str();
        if t == "--" {
            v.dashdash = Some(i);
            v.after_dashdash = args[i + 1..]
                .iter()
                .enumerate()
                .map(|(k, w)| (i + 1 + k, w))
                .collect();
            break;
        }
        if t.starts_with("--") && t.len() > 2 {
            if let Some((name, value)) = t.split_once('=') {
                v.options.push(Opt {
                    name: Cow::Borrowed(name),
                    value: Some(value),
                    index: i,
                    value_index: None,
                });
            } else {
                let next = args.get(i + 1);
                let wants = takes_value(t)
                    || (spec.options_take_values
                        && !spec.flag_options.iter().any(|o| o == t)
                        && next.is_some_and(|n| !n.text.starts_with("--")));
                if wants && let Some(n) = next {
                    v.options.push(Opt {
                        name: Cow::Borrowed(t),
                        value: Some(&n.text),
                        index: i,
                        value_index: Some(i + 1),
                    });
                    i += 2;
                    continue;
                }
                v.options.push(Opt {
                    name: Cow::Borrowed(t),
                    value: None,
                    index: i,
                    value_index: None,
                });
            }
            i += 1;
            continue;
        }
        if t.starts_with('-') && t.len() > 1 && !is_number(t) {
            if takes_value(t) {
                let value = args.get(i + 1).map(|n| n.text.as_str());
                v.options.push(Opt {
                    name: Cow::Borrowed(t),
                    value,
                    index: i,
                    value_index: value.map(|_| i + 1),
                });
                i += 2;
                continue;
            }
            if let Some((name, value)) = t.split_once('=') {
                v.options.push(Opt {
                    name: Cow::Borrowed(name),
                    value: Some(value),
                    index: i,
                    value_index: None,
                });
                i += 1;
                continue;
            }
            if spec.short_clusters && t.len() > 2 {
                // `-rf` is `-r -f`; `-nprod` is `-n prod` when `-n` takes a value.
                let letters = &t[1..];
                let mut step = 1;
                for (pos, c) in letters.char_indices() {
                    let opt_name = format!("-{c}");
                    if takes_value(&opt_name) {
                        let rest = &letters[pos + c.len_utf8()..];
                        let (value, value_index) = if rest.is_empty() {
                            let value = args.get(i + 1).map(|n| n.text.as_str());
                            step = if value.is_some() { 2 } else { 1 };
                            (value, value.map(|_| i + 1))
                        } else {
                            (Some(rest), None)
                        };
                        v.options.push(Opt {
                            name: Cow::Owned(opt_name),
                            value,
                            index: i,
                            value_index,
                        });
                        break;
                    }
                    v.options.push(Opt {
                        name: Cow::Owned(opt_name),
                        value: None,
                        index: i,
                        value_index: None,
                    });
                }
                i += step;
                continue;
            }
            v.options.push(Opt {
                name: Cow::Borrowed(t),
                value: None,
                index: i,
                value_index: None,
            });
            i += 1;
            continue;
        }
        v.operands.push((i, w));
        i += 1;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<Word> {
        s.split_whitespace().map(Word::literal).collect()
    }

    #[test]
    fn global_options_with_values_are_skipped() {
        let spec = ToolSpec {
            value_options: vec!["-n".into(), "--context".into()],
            short_clusters: true,
            ..Default::default()
        };
        let a = words("--context prod -n x delete ns prod");
        let v = parse(&a, &spec);
        let ops: Vec<_> = v.operands.iter().map(|(_, w)| w.text.as_str()).collect();
        assert_eq!(ops, ["delete", "ns", "prod"]);
    }

    #[test]
    fn short_clusters_split_and_values_attach() {
        let spec = ToolSpec {
            value_options: vec!["-n".into()],
            short_clusters: true,
            ..Default::default()
        };
        let a = words("-rf -nprod x");
        let v = parse(&a, &spec);
        let names: Vec<_> = v
            .options
            .iter()
            .map(|o| (o.name.as_ref(), o.value))
            .collect();
        assert_eq!(names, [("-r", None), ("-f", None), ("-n", Some("prod"))]);
    }

    #[test]
    fn aws_style_options_take_values_unless_flags() {
        let spec = ToolSpec {
            options_take_values: true,
            flag_options: vec!["--recursive".into()],
            ..Default::default()
        };
        let a = words("--profile admin s3 rm s3://b --recursive --region x");
        let v = parse(&a, &spec);
        let ops: Vec<_> = v.operands.iter().map(|(_, w)| w.text.as_str()).collect();
        assert_eq!(ops, ["s3", "rm", "s3://b"]);
    }
}
