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
    /// The tool's grammar gives this option a value (`-n prod`, `-nprod`,
    /// `--namespace=prod`). An option it does not know can still be written with one
    /// (`--dry-run=none`); what such a value means is up to the rule.
    pub takes_value: bool,
    /// One letter of a cluster (`-f` in `-rf`): removing it edits the word.
    pub in_cluster: bool,
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
    /// Index of a wrapper verb passed over (`run` in `terragrunt run -- destroy`).
    pub wrapper: Option<usize>,
}

fn is_number(s: &str) -> bool {
    s.len() > 1 && s[1..].chars().all(|c| c.is_ascii_digit() || c == '.')
}

impl<'a> Opt<'a> {
    fn word(name: &'a str, value: Option<&'a str>, index: usize, takes_value: bool) -> Opt<'a> {
        Opt {
            name: Cow::Borrowed(name),
            value,
            index,
            value_index: None,
            takes_value,
            in_cluster: false,
        }
    }

    /// An option whose value is the next word, if there is one.
    fn with_next(name: &'a str, args: &'a [Word], index: usize) -> Opt<'a> {
        let value = args.get(index + 1).map(|n| n.text.as_str());
        Opt {
            value,
            value_index: value.map(|_| index + 1),
            ..Opt::word(name, None, index, true)
        }
    }
}

pub fn parse<'a>(args: &'a [Word], spec: &ToolSpec) -> ArgView<'a> {
    let mut v = ArgView::default();
    let mut i = 0;
    let listed = |name: &str| spec.value_options.iter().any(|o| o == name);
    let flag = |name: &str| spec.flag_options.iter().any(|o| o == name);
    // `--opt=value` of a tool whose long options all take values (aws) is a value
    // option too, unless it is one of its flags.
    let long_takes_value = |name: &str| listed(name) || (spec.options_take_values && !flag(name));
    // Set once a wrapper verb (`terragrunt run`) has been passed over: a `--` after it
    // separates the wrapper's options from the command it runs, which is still ours.
    let mut wrapped = false;
    while i < args.len() {
        let w = &args[i];
        let t = w.text.as_str();
        if t == "--" && wrapped {
            wrapped = false;
            i += 1;
            continue;
        }
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
                let takes = long_takes_value(name);
                v.options.push(Opt::word(name, Some(value), i, takes));
            } else {
                let next = args.get(i + 1);
                let wants = listed(t)
                    || (spec.options_take_values
                        && !flag(t)
                        && next.is_some_and(|n| !n.text.starts_with("--")));
                if wants && next.is_some() {
                    v.options.push(Opt::with_next(t, args, i));
                    i += 2;
                    continue;
                }
                v.options.push(Opt::word(t, None, i, listed(t)));
            }
            i += 1;
            continue;
        }
        if t.starts_with('-') && t.len() > 1 && !is_number(t) {
            if listed(t) {
                v.options.push(Opt::with_next(t, args, i));
                i += 2;
                continue;
            }
            // `-nprod` is `-n prod` whenever `-n` takes a value: every CLI library
            // that gives a one-letter option a value also reads it attached (pflag,
            // getopt, argparse), whether or not the tool clusters flags.
            let letter_len = t[1..].chars().next().map_or(0, char::len_utf8);
            let (short, rest) = t.split_at(1 + letter_len);
            let eq = t.split_once('=');
            let known_eq = eq.is_some_and(|(name, _)| listed(name));
            if !rest.is_empty() && !known_eq && listed(short) {
                v.options.push(Opt::word(short, Some(rest), i, true));
                i += 1;
                continue;
            }
            if let Some((name, value)) = eq {
                v.options
                    .push(Opt::word(name, Some(value), i, listed(name)));
                i += 1;
                continue;
            }
            if spec.short_clusters && t.len() > 2 {
                // `-rf` is `-r -f`; `-rnprod` is `-r -n prod` when `-n` takes a value.
                let letters = &t[1..];
                let mut step = 1;
                for (pos, c) in letters.char_indices() {
                    let opt_name = format!("-{c}");
                    let takes = listed(&opt_name);
                    let mut o = Opt {
                        name: Cow::Owned(opt_name),
                        value: None,
                        index: i,
                        value_index: None,
                        takes_value: takes,
                        in_cluster: true,
                    };
                    if takes {
                        let rest = &letters[pos + c.len_utf8()..];
                        if rest.is_empty() {
                            o.value = args.get(i + 1).map(|n| n.text.as_str());
                            o.value_index = o.value.map(|_| i + 1);
                            step = if o.value.is_some() { 2 } else { 1 };
                        } else {
                            o.value = Some(rest);
                        }
                        v.options.push(o);
                        break;
                    }
                    v.options.push(o);
                }
                i += step;
                continue;
            }
            v.options.push(Opt::word(t, None, i, false));
            i += 1;
            continue;
        }
        if v.operands.is_empty()
            && !wrapped
            && v.wrapper.is_none()
            && spec.wrapper_verbs.contains(&w.text)
        {
            v.wrapper = Some(i);
            wrapped = true;
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

    fn opts<'a>(v: &'a ArgView<'a>) -> Vec<(&'a str, Option<&'a str>)> {
        v.options
            .iter()
            .map(|o| (o.name.as_ref(), o.value))
            .collect()
    }

    #[test]
    fn attached_short_values_split_for_tools_without_clusters() {
        // kubectl does not cluster flags, yet `-nprod` is `-n prod` to it.
        let spec = ToolSpec {
            value_options: vec!["-n".into(), "-v".into(), "--context".into()],
            short_clusters: false,
            ..Default::default()
        };
        let a = words("-v=9 -nprod-payments delete deploy web");
        let v = parse(&a, &spec);
        assert_eq!(opts(&v), [("-v", Some("9")), ("-n", Some("prod-payments"))]);
        let ops: Vec<_> = v.operands.iter().map(|(_, w)| w.text.as_str()).collect();
        assert_eq!(ops, ["delete", "deploy", "web"]);
        // pflag reads everything after the letter as the value, `=` included.
        let a = words("-nprod=x -it");
        assert_eq!(
            opts(&parse(&a, &spec)),
            [("-n", Some("prod=x")), ("-it", None)]
        );
    }

    #[test]
    fn single_dash_long_options_are_not_split() {
        let spec = ToolSpec {
            value_options: vec!["-var".into(), "-chdir".into()],
            short_clusters: false,
            ..Default::default()
        };
        let a = words("-chdir=infra apply -var=x=1 -auto-approve=false");
        assert_eq!(
            opts(&parse(&a, &spec)),
            [
                ("-chdir", Some("infra")),
                ("-var", Some("x=1")),
                ("-auto-approve", Some("false"))
            ]
        );
    }

    #[test]
    fn values_written_with_an_equals_sign_are_told_from_grammar_values() {
        let spec = ToolSpec {
            value_options: vec!["-n".into()],
            ..Default::default()
        };
        let a = words("--dry-run=none -n x -nprod --force");
        let v = parse(&a, &spec);
        let takes: Vec<_> = v.options.iter().map(|o| o.takes_value).collect();
        assert_eq!(takes, [false, true, true, false]);
    }

    #[test]
    fn a_wrapper_verb_and_its_dashdash_are_passed_over() {
        let spec = ToolSpec {
            value_options: vec!["--working-dir".into()],
            short_clusters: false,
            wrapper_verbs: vec!["run".into()],
            ..Default::default()
        };
        let a = words("run --all --working-dir prod -- destroy -auto-approve -- x");
        let v = parse(&a, &spec);
        let ops: Vec<_> = v.operands.iter().map(|(_, w)| w.text.as_str()).collect();
        assert_eq!(ops, ["destroy"]);
        assert_eq!(
            opts(&v),
            [
                ("--all", None),
                ("--working-dir", Some("prod")),
                ("-auto-approve", None)
            ]
        );
        assert_eq!(v.wrapper, Some(0));
        // Only the first `--` after the wrapper is its own.
        assert_eq!(v.dashdash, Some(7));
        // Not a wrapper anywhere but first.
        let a = words("state run -- x");
        let v = parse(&a, &spec);
        assert_eq!(v.operands.len(), 2);
        assert_eq!(v.dashdash, Some(2));
    }
}
