//! Command-line options read the way `getopt_long` reads them: short options clustered
//! (`-Eu root`), a value attached (`-uroot`, `--user=root`) or in the next word, long
//! names shortened to any unique prefix (`--us root`), and `--` ending the options.
//! Reading a launcher's options any other way lets a value pass for the command it runs,
//! or the command pass for a value.

use crate::parse::Word;

/// One program's options.
pub(crate) struct Grammar {
    /// getopt's short-option string: `x` a flag, `x:` takes a value (the rest of the word
    /// or the next word), `x::` takes a value only when attached.
    pub short: &'static str,
    /// Long options: `name` a flag, `name=` takes a value (after `=` or in the next
    /// word), `name?` takes a value only after `=`. A `/x` suffix names the short option
    /// it is the same as, so both read as `x`.
    pub long: &'static [&'static str],
    /// Every long option carries its value after `=` (valgrind, firejail): one the
    /// table does not know never takes the next word.
    pub attached_only: bool,
}

impl Grammar {
    pub const fn new(short: &'static str, long: &'static [&'static str]) -> Grammar {
        Grammar {
            short,
            long,
            attached_only: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arity {
    Flag,
    Value,
    Optional,
    /// Not in the table: the program may take the next word as its value, or not.
    Unknown,
}

/// An option as read: the short letter (or the long name when it has none), and its value.
#[derive(Clone, Debug)]
pub(crate) struct Opt {
    pub name: String,
    pub value: Option<Word>,
}

/// One reading of the options at the start of an argv.
#[derive(Clone, Debug, Default)]
pub(crate) struct Reading {
    pub opts: Vec<Opt>,
    /// The first word after the options (and after `--`).
    pub rest: usize,
}

impl Reading {
    pub fn has(&self, name: &str) -> bool {
        self.opts.iter().any(|o| o.name == name)
    }

    /// The value of the last `name` option given.
    pub fn value(&self, name: &str) -> Option<&Word> {
        self.opts
            .iter()
            .rev()
            .find(|o| o.name == name)
            .and_then(|o| o.value.as_ref())
    }
}

/// Options and operands of an argv whose options may come anywhere (GNU permutation).
#[derive(Debug, Default)]
pub(crate) struct Scan<'a> {
    pub opts: Vec<Opt>,
    pub operands: Vec<&'a Word>,
}

impl Scan<'_> {
    /// Values of every `name` option given, in order.
    pub fn values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Word> + 's {
        self.opts
            .iter()
            .filter(move |o| o.name == name)
            .filter_map(|o| o.value.as_ref())
    }
}

/// Options read from one word, and how many words they used.
struct Step {
    opts: Vec<Opt>,
    used: usize,
}

fn step(opts: Vec<Opt>, used: usize) -> Step {
    Step { opts, used }
}

/// How many different readings an argv may get before the rest are not looked at: each
/// unknown option doubles them, and one wrong reading is all that matters.
const MAX_READINGS: usize = 4;

impl Grammar {
    fn short_arity(&self, c: char) -> Arity {
        let mut chars = self.short.chars().peekable();
        while let Some(x) = chars.next() {
            if x == ':' {
                continue;
            }
            let mut colons = 0;
            while chars.peek() == Some(&':') {
                chars.next();
                colons += 1;
            }
            if x == c {
                return match colons {
                    0 => Arity::Flag,
                    1 => Arity::Value,
                    _ => Arity::Optional,
                };
            }
        }
        Arity::Unknown
    }

    /// The long option `name` stands for (an exact name or a unique prefix): its
    /// canonical name and arity.
    fn long_arity(&self, name: &str) -> (String, Arity) {
        let entries = self.long.iter().map(|e| {
            let (e, alias) = match e.split_once('/') {
                Some((e, a)) => (e, Some(a)),
                None => (*e, None),
            };
            let (n, arity) = if let Some(n) = e.strip_suffix('=') {
                (n, Arity::Value)
            } else if let Some(n) = e.strip_suffix('?') {
                (n, Arity::Optional)
            } else {
                (e, Arity::Flag)
            };
            (n, alias.unwrap_or(n), arity)
        });
        let mut found: Option<(String, Arity)> = None;
        for (n, canon, arity) in entries {
            if n == name {
                return (canon.to_owned(), arity);
            }
            if !name.is_empty() && n.starts_with(name) {
                match &found {
                    Some((c, a)) if c != canon || *a != arity => {
                        // Ambiguous: getopt refuses it, but a table may be out of date.
                        return (name.to_owned(), Arity::Unknown);
                    }
                    _ => found = Some((canon.to_owned(), arity)),
                }
            }
        }
        found.unwrap_or_else(|| (name.to_owned(), Arity::Unknown))
    }

    /// Reads the option word at `args[i]` (it starts with `-` and is not `-` or `--`).
    /// Returns the options, how many words they used, and, when an unknown option may
    /// have taken the next word as its value, that other reading.
    fn one(&self, args: &[Word], i: usize) -> (Step, Option<Step>) {
        let w = &args[i];
        let t = w.text.as_str();
        let attached = |v: &str| Word {
            text: v.to_owned(),
            ..w.clone()
        };
        let next = args.get(i + 1).cloned();
        if let Some(long) = t.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            let (canon, arity) = self.long_arity(name);
            let opt = |value| {
                vec![Opt {
                    name: canon.clone(),
                    value,
                }]
            };
            return match (arity, inline) {
                (_, Some(v)) if arity != Arity::Flag => (step(opt(Some(attached(v))), 1), None),
                (Arity::Value, None) => (step(opt(next), 2), None),
                (Arity::Unknown, None) if !self.attached_only => {
                    (step(opt(None), 1), Some(step(opt(next), 2)))
                }
                _ => (step(opt(None), 1), None),
            };
        }
        let mut opts = Vec::new();
        let body = &t[1..];
        for (j, c) in body.char_indices() {
            let rest = &body[j + c.len_utf8()..];
            let name = c.to_string();
            match self.short_arity(c) {
                Arity::Flag => opts.push(Opt { name, value: None }),
                Arity::Value if rest.is_empty() => {
                    opts.push(Opt { name, value: next });
                    return (step(opts, 2), None);
                }
                Arity::Value | Arity::Optional => {
                    let value = (!rest.is_empty()).then(|| attached(rest));
                    opts.push(Opt { name, value });
                    return (step(opts, 1), None);
                }
                Arity::Unknown => {
                    if rest.is_empty() {
                        let mut alt = opts.clone();
                        alt.push(Opt {
                            name: name.clone(),
                            value: next,
                        });
                        opts.push(Opt { name, value: None });
                        return (step(opts, 1), Some(step(alt, 2)));
                    }
                    opts.push(Opt { name, value: None });
                }
            }
        }
        (step(opts, 1), None)
    }

    /// The options at the start of `args`, up to the first word that is not one (the
    /// command, for a launcher). The first reading is the likely one; the others are
    /// what an option the table does not know would make of the words if it took a value.
    pub fn leading(&self, args: &[Word]) -> Vec<Reading> {
        let mut out: Vec<Reading> = Vec::new();
        let mut todo = vec![Reading::default()];
        while let Some(mut r) = todo.pop() {
            while let Some(w) = args.get(r.rest) {
                let t = w.text.as_str();
                if t == "--" {
                    r.rest += 1;
                    break;
                }
                if !t.starts_with('-') || t == "-" {
                    break;
                }
                let (step, alt) = self.one(args, r.rest);
                if let Some(alt) = alt
                    && out.len() + todo.len() + 1 < MAX_READINGS
                {
                    let mut other = r.clone();
                    other.opts.extend(alt.opts);
                    other.rest = (other.rest + alt.used).min(args.len());
                    todo.push(other);
                }
                r.opts.extend(step.opts);
                r.rest = (r.rest + step.used).min(args.len());
            }
            out.push(r);
        }
        out
    }

    /// Options and operands anywhere in `args`, until `--`.
    pub fn scan<'a>(&self, args: &'a [Word]) -> Scan<'a> {
        let mut s = Scan::default();
        let mut i = 0;
        while let Some(w) = args.get(i) {
            let t = w.text.as_str();
            if t == "--" {
                s.operands.extend(&args[i + 1..]);
                break;
            }
            if !t.starts_with('-') || t == "-" {
                s.operands.push(w);
                i += 1;
                continue;
            }
            let (step, _) = self.one(args, i);
            s.opts.extend(step.opts);
            i += step.used;
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<Word> {
        s.split(' ').map(Word::literal).collect()
    }

    const SUDO_LIKE: Grammar = Grammar::new("Eu:h::", &["user=/u", "preserve-env?", "login"]);

    fn rest(g: &Grammar, s: &str) -> Vec<String> {
        let args = words(s);
        g.leading(&args)
            .iter()
            .map(|r| {
                args[r.rest..]
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    #[test]
    fn clustered_attached_and_abbreviated_options_find_the_command() {
        for s in [
            "-Eu root kubectl get",
            "-uroot kubectl get",
            "--user=root kubectl get",
            "--us root kubectl get",
            "-E --preserve-env kubectl get",
            "-- kubectl get",
            "-hhost kubectl get",
        ] {
            assert_eq!(rest(&SUDO_LIKE, s), ["kubectl get"], "{s}");
        }
        assert_eq!(rest(&SUDO_LIKE, "- kubectl"), ["- kubectl"]);
    }

    #[test]
    fn an_unknown_option_is_also_read_as_taking_a_value() {
        assert_eq!(
            rest(&SUDO_LIKE, "-X val kubectl get"),
            ["val kubectl get", "kubectl get"]
        );
        assert_eq!(
            rest(&SUDO_LIKE, "--new-thing val kubectl get"),
            ["val kubectl get", "kubectl get"]
        );
        // An unknown letter inside a cluster takes the rest of the word at most.
        assert_eq!(rest(&SUDO_LIKE, "-XE kubectl get"), ["kubectl get"]);
    }

    #[test]
    fn scanning_collects_option_values_anywhere() {
        let g = Grammar::new("o:k:r", &["output=/o", "reverse/r"]);
        let args = words("-k2 in.txt -ro out.txt more --output=last -- -o");
        let s = g.scan(&args);
        let outs: Vec<&str> = s.values("o").map(|w| w.text.as_str()).collect();
        assert_eq!(outs, ["out.txt", "last"]);
        let ops: Vec<&str> = s.operands.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(ops, ["in.txt", "more", "-o"]);
        assert!(s.opts.iter().any(|o| o.name == "r"));
    }
}
