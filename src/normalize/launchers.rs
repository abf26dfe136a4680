//! Programs that run other programs. Each is read with enough of its own option grammar
//! to find the command it launches.

use super::{Command, Problem, interp};
use crate::parse::{Stdin, Word};

pub(super) struct Ctx<'a> {
    pub depth: usize,
    pub via: &'a [String],
    pub stdin: &'a Stdin,
}

pub(super) enum Unwrapped {
    /// Not a launcher: judge the command as it is.
    NotALauncher,
    /// Judge this argv instead (the launcher only wraps it).
    Argv(Vec<Word>),
    /// The launcher is judged itself; anything it runs was pushed already.
    Done,
}

/// Launchers whose grammar is "options, maybe N operands, then a command".
struct Simple {
    names: &'static [&'static str],
    /// Options that take the next word as a value.
    value_opts: &'static [&'static str],
    /// Options after which no command runs (`sudo -l`, `ionice -p`).
    stop_opts: &'static [&'static str],
    /// Operands before the command (`timeout DURATION`, `chroot DIR`).
    operands: usize,
}

const SIMPLE: &[Simple] = &[
    Simple {
        names: &["sudo"],
        value_opts: &[
            "-u",
            "-g",
            "-C",
            "-D",
            "-p",
            "-r",
            "-t",
            "-U",
            "-T",
            "-R",
            "--user",
            "--group",
            "--chdir",
            "--prompt",
            "--role",
            "--type",
            "--other-user",
            "--command-timeout",
            "--chroot",
            "--close-from",
            "--host",
        ],
        stop_opts: &[
            "-l",
            "--list",
            "-v",
            "--validate",
            "-k",
            "-K",
            "--reset-timestamp",
            "--remove-timestamp",
            "-V",
            "--version",
            "-h",
            "--help",
        ],
        operands: 0,
    },
    Simple {
        names: &["doas"],
        value_opts: &["-u", "-C"],
        stop_opts: &["-L"],
        operands: 0,
    },
    // run0 elevates through polkit and a service manager, so no_new_privs does not
    // stop it; what it runs is judged like sudo's command.
    Simple {
        names: &["run0"],
        value_opts: &[
            "-u",
            "--user",
            "-g",
            "--group",
            "-D",
            "--chdir",
            "--nice",
            "--setenv",
            "--property",
            "--description",
            "--slice",
            "--unit",
            "--machine",
            "--background",
            "--shell-prompt-prefix",
        ],
        stop_opts: &["-h", "--help", "--version"],
        operands: 0,
    },
    Simple {
        names: &["pkexec"],
        value_opts: &["--user"],
        stop_opts: &["--help", "--version"],
        operands: 0,
    },
    Simple {
        names: &["dbus-launch", "dbus-run-session"],
        value_opts: &["--config-file", "--dbus-daemon", "--autolaunch"],
        stop_opts: &["--version", "--help"],
        operands: 0,
    },
    Simple {
        names: &[
            "nohup",
            "builtin",
            "setsid",
            "caffeinate",
            "unbuffer",
            "torsocks",
            "catchsegv",
            "fakeroot",
            "nocache",
            "eatmydata",
            "tsocks",
            "dumb-init",
            "tini",
            "chronic",
            "ifne",
            "sg-wrapper",
            "with-contenv",
        ],
        value_opts: &["-g", "-i", "-m"],
        stop_opts: &[],
        operands: 0,
    },
    Simple {
        names: &["time"],
        value_opts: &["-f", "-o", "--format", "--output"],
        stop_opts: &[],
        operands: 0,
    },
    Simple {
        names: &["nice"],
        value_opts: &["-n", "--adjustment"],
        stop_opts: &[],
        operands: 0,
    },
    Simple {
        names: &["ionice"],
        value_opts: &["-c", "-n", "--class", "--classdata"],
        stop_opts: &["-p", "--pid", "-P", "--pgid", "-u", "--uid"],
        operands: 0,
    },
    Simple {
        names: &["timeout"],
        value_opts: &["-s", "-k", "--signal", "--kill-after"],
        stop_opts: &[],
        operands: 1,
    },
    Simple {
        names: &["stdbuf"],
        value_opts: &["-i", "-o", "-e", "--input", "--output", "--error"],
        stop_opts: &[],
        operands: 0,
    },
    Simple {
        names: &["chrt"],
        value_opts: &[
            "-T",
            "-P",
            "-D",
            "--sched-runtime",
            "--sched-period",
            "--sched-deadline",
        ],
        stop_opts: &["-p", "--pid", "-m", "--max"],
        operands: 1,
    },
    Simple {
        names: &["taskset"],
        value_opts: &[],
        stop_opts: &["-p", "--pid"],
        operands: 1,
    },
    Simple {
        names: &["chroot"],
        value_opts: &["--userspec", "--groups"],
        stop_opts: &[],
        operands: 1,
    },
    // util-linux's namespace tools: the namespace options (`-m`, `-n`, `-U`, ...) take
    // a file only when it is attached (`--mount=FILE`), so they never eat the command.
    Simple {
        names: &["unshare"],
        value_opts: &[
            "-R",
            "--root",
            "-w",
            "--wd",
            "-S",
            "--setuid",
            "-G",
            "--setgid",
            "--map-user",
            "--map-group",
            "--map-users",
            "--map-groups",
            "--propagation",
            "--setgroups",
            "--monotonic",
            "--boottime",
        ],
        stop_opts: &[],
        operands: 0,
    },
    Simple {
        names: &["nsenter"],
        value_opts: &["-t", "--target", "-S", "--setuid", "-G", "--setgid"],
        stop_opts: &[],
        operands: 0,
    },
    Simple {
        names: &["systemd-run"],
        value_opts: &[
            "-u",
            "--unit",
            "-p",
            "--property",
            "-M",
            "--machine",
            "-E",
            "--setenv",
            "-H",
            "--host",
            "--description",
            "--slice",
            "--uid",
            "--gid",
            "--nice",
            "--working-directory",
            "--service-type",
            "--on-active",
            "--on-boot",
            "--on-startup",
            "--on-unit-active",
            "--on-unit-inactive",
            "--on-calendar",
            "--on-timezone-change",
            "--timer-property",
            "--path-property",
            "--socket-property",
        ],
        stop_opts: &["-h", "--help", "--version"],
        operands: 0,
    },
    Simple {
        names: &["systemd-inhibit"],
        value_opts: &["--what", "--who", "--why", "--mode"],
        stop_opts: &["--list"],
        operands: 0,
    },
    Simple {
        names: &["numactl"],
        value_opts: &[
            "-m",
            "--membind",
            "-N",
            "--cpunodebind",
            "-C",
            "--physcpubind",
            "-i",
            "--interleave",
            "-p",
            "--preferred",
            "-P",
            "--preferred-many",
        ],
        stop_opts: &["-s", "--show", "-H", "--hardware"],
        operands: 0,
    },
    Simple {
        names: &["cgexec"],
        value_opts: &["-g"],
        stop_opts: &[],
        operands: 0,
    },
    Simple {
        names: &["prlimit"],
        value_opts: &["-o", "--output"],
        stop_opts: &["-p", "--pid"],
        operands: 0,
    },
    Simple {
        names: &["firejail", "valgrind"],
        value_opts: &[],
        stop_opts: &[],
        operands: 0,
    },
    Simple {
        names: &["ltrace"],
        value_opts: &[
            "-o", "-e", "-s", "-u", "-a", "-n", "-A", "-D", "-F", "-l", "-w", "-x",
        ],
        stop_opts: &["-p"],
        operands: 0,
    },
    Simple {
        names: &["strace"],
        value_opts: &[
            "-o", "-e", "-p", "-s", "-u", "-a", "-b", "-I", "-O", "-P", "-S", "-X", "-E",
        ],
        stop_opts: &[],
        operands: 0,
    },
    Simple {
        names: &["proxychains", "proxychains4"],
        value_opts: &["-f"],
        stop_opts: &[],
        operands: 0,
    },
    Simple {
        names: &["flock"],
        value_opts: &["-w", "--timeout", "-E", "--conflict-exit-code"],
        stop_opts: &[],
        operands: 1,
    },
    Simple {
        names: &["runuser"],
        value_opts: &[
            "-u",
            "--user",
            "-g",
            "--group",
            "-G",
            "--supp-group",
            "-s",
            "--shell",
            "-w",
            "--whitelist-environment",
        ],
        stop_opts: &[],
        operands: 0,
    },
    Simple {
        names: &["npx", "pnpx", "bunx"],
        value_opts: &["-p", "--package", "-c", "--call"],
        stop_opts: &[],
        operands: 0,
    },
    Simple {
        names: &["uvx"],
        value_opts: &["--from", "--with", "--python", "-p"],
        stop_opts: &[],
        operands: 0,
    },
    Simple {
        names: &["aws-vault"],
        value_opts: &[
            "--duration",
            "-d",
            "--region",
            "--mfa-token",
            "-t",
            "--backend",
        ],
        stop_opts: &[],
        operands: 0,
    },
    Simple {
        names: &["dotenv"],
        value_opts: &["-e", "-v", "-c"],
        stop_opts: &[],
        operands: 0,
    },
    Simple {
        names: &["direnv"],
        value_opts: &[],
        stop_opts: &[],
        operands: 0,
    },
];

/// Tools whose sub-command runs another command: `npm exec -- x`, `bundle exec x`.
const RUNNER_VERBS: &[(&str, &[&str], usize)] = &[
    ("npm", &["exec", "x"], 0),
    ("pnpm", &["exec", "dlx"], 0),
    ("yarn", &["dlx", "exec"], 0),
    ("bun", &["x", "exec"], 0),
    ("uv", &["run"], 0),
    ("poetry", &["run"], 0),
    ("pdm", &["run"], 0),
    ("pipx", &["run"], 0),
    ("bundle", &["exec"], 0),
    ("hatch", &["run"], 0),
    ("pipenv", &["run"], 0),
    ("op", &["run"], 0),
    ("doppler", &["run"], 0),
    ("infisical", &["run"], 0),
    ("aws-vault", &["exec"], 1),
    ("direnv", &["exec"], 1),
    ("busybox", &[], 0),
    ("mise", &["exec", "x"], 0),
    ("asdf", &["exec"], 0),
    ("nix", &["shell", "develop"], 0),
];

pub const SHELLS: &[&str] = &[
    "sh",
    "bash",
    "zsh",
    "dash",
    "ksh",
    "mksh",
    "ash",
    "yash",
    "posh",
    "rbash",
    "fish",
    "tcsh",
    "csh",
    "busybox-sh",
];

fn is_option(w: &Word) -> bool {
    w.text.len() > 1 && w.text.starts_with('-')
}

pub(super) fn unwrap(
    name: &str,
    args: &[Word],
    ctx: &Ctx<'_>,
    env: &mut Vec<(String, Word)>,
    out: &mut Vec<Command>,
) -> Unwrapped {
    if let Some(s) = SIMPLE
        .iter()
        .find(|s| s.names.contains(&name))
        .filter(|_| name != "flock")
    {
        // `sudo -s`/`-i` with no command is an interactive shell: nothing to judge.
        return simple(s, args, env);
    }
    match name {
        "env" => env_cmd(args, ctx, env, out),
        "command" => {
            let mut i = 0;
            while i < args.len() && is_option(&args[i]) {
                if args[i].text.contains('v') || args[i].text.contains('V') {
                    return Unwrapped::Done;
                }
                if args[i].text != "--" && args[i].text.contains('p') {
                    // `command -p` searches a default PATH of the system's, without
                    // the shims: the same as running it with PATH set so.
                    env.push(("PATH".into(), Word::literal("/usr/bin:/bin")));
                }
                i += 1;
            }
            argv_or_done(&args[i..])
        }
        "exec" => {
            let mut i = 0;
            while i < args.len() && is_option(&args[i]) {
                if args[i].text == "-a" {
                    i += 1;
                }
                i += 1;
            }
            argv_or_done(&args[i..])
        }
        "xargs" => xargs(args),
        "find" => find(args, ctx, out),
        "parallel" => parallel(args, ctx, out),
        "watch" => watch(args, ctx, out),
        "script" => script_cmd(args, ctx, out),
        "su" => su(args, ctx, out),
        // `sg GROUP [-c] COMMAND`: the command is a string for /bin/sh.
        "sg" => {
            let rest: Vec<&Word> = args.iter().skip(1).filter(|w| w.text != "-c").collect();
            match rest.as_slice() {
                [] => Unwrapped::Done,
                [code] => run_code(code, "sg", ctx, out),
                words => {
                    let words: Vec<Word> = words.iter().map(|w| (*w).clone()).collect();
                    run_joined(&words, "sg", ctx, out);
                    Unwrapped::Done
                }
            }
        }
        "flock" => flock(args, ctx, out, env),
        // `machinectl shell [USER@]HOST [COMMAND ARGS...]`.
        "machinectl" => {
            let mut i = 0;
            while args.get(i).is_some_and(is_option) {
                i += 1;
            }
            match args.get(i).map(|w| w.text.as_str()) {
                Some("shell") if args.len() > i + 2 => argv_or_done(&args[i + 2..]),
                _ => Unwrapped::NotALauncher,
            }
        }
        "eval" => {
            let text = args
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            if args.iter().any(Word::is_dynamic) {
                out.push(Command::problem(
                    Problem::DynamicScript("eval of a value known only at run time".into()),
                    ctx.via,
                    &prepend("eval", args),
                ));
            } else {
                nested(&text, "eval", ctx, out);
            }
            Unwrapped::Done
        }
        "ssh" => ssh(args, ctx, out),
        _ if SHELLS.contains(&name) => shell(name, args, ctx, out),
        _ if interp::is_interpreter(name) => {
            interp::interpreter(name, args, ctx, out);
            Unwrapped::Done
        }
        _ => {
            if let Some((_, verbs, skip)) = RUNNER_VERBS.iter().find(|(n, _, _)| *n == name) {
                return runner(verbs, *skip, args);
            }
            Unwrapped::NotALauncher
        }
    }
}

fn prepend(name: &str, args: &[Word]) -> Vec<Word> {
    std::iter::once(Word::literal(name))
        .chain(args.iter().cloned())
        .collect()
}

fn argv_or_done(rest: &[Word]) -> Unwrapped {
    if rest.is_empty() {
        Unwrapped::Done
    } else {
        Unwrapped::Argv(rest.to_vec())
    }
}

/// `NAME=value` words a launcher takes before the command (sudo's environment).
fn take_assignments(args: &[Word], i: &mut usize, env: &mut Vec<(String, Word)>) {
    while let Some(w) = args.get(*i) {
        let Some((k, v)) = w.text.split_once('=') else {
            return;
        };
        let name_ok = !k.is_empty()
            && !k.starts_with(|c: char| c.is_ascii_digit())
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !name_ok {
            return;
        }
        env.push((
            k.to_owned(),
            Word {
                text: v.to_owned(),
                ..w.clone()
            },
        ));
        *i += 1;
    }
}

fn simple(s: &Simple, args: &[Word], env: &mut Vec<(String, Word)>) -> Unwrapped {
    let mut i = 0;
    let mut operands = s.operands;
    while i < args.len() {
        let t = args[i].text.as_str();
        if t == "--" {
            i += 1;
            break;
        }
        if is_option(&args[i]) {
            let (opt, has_value) = match t.split_once('=') {
                Some((o, _)) => (o, true),
                None => (t, false),
            };
            if s.stop_opts.contains(&opt) {
                return Unwrapped::Done;
            }
            if !has_value && s.value_opts.contains(&opt) {
                i += 1;
            } else if !has_value && !t.starts_with("--") && t.len() > 2 {
                // A cluster of short options (`sudo -Eu root`, `-nu root`): the first
                // letter that takes a value takes the rest of the word, or else the
                // next word.
                for (at, c) in t[1..].char_indices() {
                    let letter = format!("-{c}");
                    if s.stop_opts.contains(&letter.as_str()) {
                        return Unwrapped::Done;
                    }
                    if s.value_opts.contains(&letter.as_str()) {
                        if at + c.len_utf8() == t.len() - 1 {
                            i += 1;
                        }
                        break;
                    }
                }
            }
            i += 1;
            continue;
        }
        if operands > 0 {
            operands -= 1;
            i += 1;
            continue;
        }
        break;
    }
    while operands > 0 && i < args.len() {
        operands -= 1;
        i += 1;
    }
    // `sudo FOO=1 kubectl ...`: the command follows the assignments.
    if s.names.contains(&"sudo") || s.names.contains(&"doas") {
        take_assignments(args, &mut i, env);
    }
    argv_or_done(&args[i..])
}

fn runner(verbs: &[&str], skip: usize, args: &[Word]) -> Unwrapped {
    let mut i = 0;
    while i < args.len() && is_option(&args[i]) {
        i += 1;
    }
    if !verbs.is_empty() {
        match args.get(i) {
            Some(v) if verbs.contains(&v.text.as_str()) => i += 1,
            _ => return Unwrapped::NotALauncher,
        }
    }
    i += skip;
    while i < args.len() && is_option(&args[i]) && args[i].text != "--" {
        i += 1;
    }
    if args.get(i).is_some_and(|w| w.text == "--") {
        i += 1;
    }
    if i >= args.len() {
        Unwrapped::NotALauncher
    } else {
        Unwrapped::Argv(args[i..].to_vec())
    }
}

fn env_cmd(
    args: &[Word],
    ctx: &Ctx<'_>,
    env: &mut Vec<(String, Word)>,
    out: &mut Vec<Command>,
) -> Unwrapped {
    // Unsetting is recorded as an empty value: self-protection needs to see `env -i`
    // and `env -u PATH` drop the shims, and `-u INTERLOCK_*`.
    let unset = |env: &mut Vec<(String, Word)>, name: &str| {
        env.push((name.to_owned(), Word::literal("")));
    };
    // `env -S 'rm -rf /'` splits the string itself: judge it as a command line, with
    // the words after it.
    let split = |text: &str, rest: &[Word], out: &mut Vec<Command>| {
        let tail = rest
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        nested(&format!("{text} {tail}"), "env -S", ctx, out);
        Unwrapped::Done
    };
    let mut i = 0;
    let mut options = true;
    while i < args.len() {
        let t = args[i].text.as_str();
        if options && t == "--" {
            // Options end here; `NAME=value` operands may still follow.
            options = false;
            i += 1;
            continue;
        }
        if options && t == "-" {
            // A lone `-` is `-i`.
            unset(env, "PATH");
            i += 1;
            continue;
        }
        if options && t.starts_with("--") {
            let (name, value) = match t.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (t, None),
            };
            let takes_value = matches!(name, "--unset" | "--chdir" | "--split-string" | "--argv0");
            let value = match value {
                Some(v) => Some(v.to_owned()),
                None if takes_value => {
                    i += 1;
                    args.get(i).map(|w| w.text.clone())
                }
                None => None,
            };
            match name {
                "--ignore-environment" => unset(env, "PATH"),
                "--unset" => unset(env, value.as_deref().unwrap_or("")),
                "--split-string" => {
                    return split(value.as_deref().unwrap_or(""), &args[i + 1..], out);
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        if options && t.starts_with('-') && t.len() > 1 {
            // A cluster of short options (`-iu PATH`, `-vS'rm -rf /'`): a letter that
            // takes a value takes the rest of the word, or the next word.
            let letters = &t[1..];
            for (at, c) in letters.char_indices() {
                if !matches!(c, 'u' | 'C' | 'S' | 'a') {
                    if c == 'i' {
                        unset(env, "PATH");
                    }
                    continue;
                }
                let glued = &letters[at + c.len_utf8()..];
                let value = if glued.is_empty() {
                    i += 1;
                    args.get(i).map(|w| w.text.clone()).unwrap_or_default()
                } else {
                    glued.to_owned()
                };
                match c {
                    'u' => unset(env, &value),
                    'S' => return split(&value, &args[i + 1..], out),
                    _ => {}
                }
                break;
            }
            i += 1;
            continue;
        }
        if let Some((k, v)) = t.split_once('=')
            && !k.is_empty()
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            env.push((
                k.to_owned(),
                Word {
                    text: v.to_owned(),
                    ..args[i].clone()
                },
            ));
            i += 1;
            continue;
        }
        break;
    }
    argv_or_done(&args[i..])
}

fn xargs(args: &[Word]) -> Unwrapped {
    const VALUE: &[&str] = &[
        "-a",
        "-d",
        "-E",
        "-I",
        "-L",
        "-n",
        "-P",
        "-s",
        "--arg-file",
        "--delimiter",
        "--eof",
        "--max-lines",
        "--max-args",
        "--max-procs",
        "--max-chars",
        "--process-slot-var",
    ];
    let mut i = 0;
    let mut replace: Option<String> = None;
    while i < args.len() && is_option(&args[i]) {
        let t = args[i].text.as_str();
        if t == "--" {
            i += 1;
            break;
        }
        if t == "-I" {
            replace = args.get(i + 1).map(|w| w.text.clone());
            i += 2;
            continue;
        }
        if let Some(r) = t
            .strip_prefix("-I")
            .or_else(|| t.strip_prefix("--replace="))
        {
            replace = Some(r.to_owned());
        } else if t == "-i" || t == "--replace" {
            replace = Some("{}".into());
        } else if VALUE.contains(&t) {
            i += 1;
        }
        i += 1;
    }
    let mut cmd: Vec<Word> = args[i..].to_vec();
    if cmd.is_empty() {
        cmd.push(Word::literal("echo"));
    }
    // What xargs adds comes from stdin: unknown words, in the template or at the end.
    for w in cmd.iter_mut().skip(1) {
        if let Some(r) = &replace
            && w.text.contains(r.as_str())
        {
            w.literal = false;
        }
    }
    if replace.is_none() {
        cmd.push(Word::unknown("{xargs input}"));
    }
    Unwrapped::Argv(cmd)
}

fn find(args: &[Word], ctx: &Ctx<'_>, out: &mut Vec<Command>) -> Unwrapped {
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text.as_str();
        if matches!(t, "-exec" | "-execdir" | "-ok" | "-okdir") {
            let start = i + 1;
            let mut end = start;
            while end < args.len() && !matches!(args[end].text.as_str(), ";" | "+") {
                end += 1;
            }
            let cmd: Vec<Word> = args[start..end]
                .iter()
                .map(|w| {
                    if w.text.contains("{}") {
                        Word::unknown(w.text.clone())
                    } else {
                        w.clone()
                    }
                })
                .collect();
            if !cmd.is_empty() {
                let mut via = ctx.via.to_vec();
                via.push(format!("find {t}"));
                let sc = crate::parse::SimpleCommand {
                    words: cmd,
                    ..Default::default()
                };
                super::simple(sc, ctx.depth + 1, &via, out);
            }
            i = end + 1;
            continue;
        }
        i += 1;
    }
    Unwrapped::Done
}

fn parallel(args: &[Word], ctx: &Ctx<'_>, out: &mut Vec<Command>) -> Unwrapped {
    const VALUE: &[&str] = &[
        "-j",
        "-P",
        "-S",
        "-a",
        "-d",
        "-I",
        "-n",
        "-N",
        "-L",
        "-E",
        "--jobs",
        "--sshlogin",
        "--arg-file",
        "--delimiter",
        "--joblog",
        "--results",
        "--tmpdir",
        "--max-args",
        "--timeout",
        "--retries",
        "--colsep",
        "--halt",
        "--env",
    ];
    let mut i = 0;
    while i < args.len() && is_option(&args[i]) {
        if VALUE.contains(&args[i].text.as_str()) {
            i += 1;
        }
        i += 1;
    }
    let end = args[i..]
        .iter()
        .position(|w| w.text.starts_with(":::"))
        .map_or(args.len(), |p| i + p);
    let cmd = &args[i..end];
    if cmd.len() == 1 && cmd[0].text.contains(' ') {
        nested(&cmd[0].text, "parallel", ctx, out);
        return Unwrapped::Done;
    }
    if cmd.is_empty() {
        return Unwrapped::Done;
    }
    let mut v = cmd.to_vec();
    v.push(Word::unknown("{parallel input}"));
    Unwrapped::Argv(v)
}

fn watch(args: &[Word], ctx: &Ctx<'_>, out: &mut Vec<Command>) -> Unwrapped {
    let mut i = 0;
    let mut exec = false;
    while i < args.len() && is_option(&args[i]) {
        let t = args[i].text.as_str();
        if t == "--" {
            i += 1;
            break;
        }
        if t == "-x" || t == "--exec" {
            exec = true;
        } else if matches!(t, "-n" | "--interval" | "-q" | "--equexit") {
            i += 1;
        }
        i += 1;
    }
    let rest = &args[i..];
    if rest.is_empty() {
        return Unwrapped::Done;
    }
    if exec {
        return Unwrapped::Argv(rest.to_vec());
    }
    run_joined(rest, "watch", ctx, out);
    Unwrapped::Done
}

fn script_cmd(args: &[Word], ctx: &Ctx<'_>, out: &mut Vec<Command>) -> Unwrapped {
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text.as_str();
        let short_c = t.starts_with('-') && !t.starts_with("--") && t.ends_with('c');
        let code = if short_c || t == "--command" {
            i += 1;
            args.get(i)
        } else if let Some(v) = t.strip_prefix("--command=") {
            return run_code(
                &Word {
                    text: v.to_owned(),
                    ..args[i].clone()
                },
                "script -c",
                ctx,
                out,
            );
        } else {
            None
        };
        if let Some(code) = code {
            return run_code(code, "script -c", ctx, out);
        }
        i += 1;
    }
    Unwrapped::Done
}

/// `flock [OPTIONS] FILE COMMAND...` or `flock [OPTIONS] FILE -c STRING`.
fn flock(
    args: &[Word],
    ctx: &Ctx<'_>,
    out: &mut Vec<Command>,
    env: &mut Vec<(String, Word)>,
) -> Unwrapped {
    if let Some(at) = args
        .iter()
        .position(|w| matches!(w.text.as_str(), "-c" | "--command"))
    {
        if let Some(code) = args.get(at + 1) {
            return run_code(code, "flock -c", ctx, out);
        }
        return Unwrapped::Done;
    }
    let spec = SIMPLE
        .iter()
        .find(|s| s.names.contains(&"flock"))
        .expect("flock has a grammar");
    simple(spec, args, env)
}

fn su(args: &[Word], ctx: &Ctx<'_>, out: &mut Vec<Command>) -> Unwrapped {
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text.as_str();
        if matches!(t, "-c" | "--command" | "--session-command") {
            if let Some(code) = args.get(i + 1) {
                return run_code(code, "su -c", ctx, out);
            }
        } else if let Some(v) = t
            .strip_prefix("--command=")
            .or_else(|| t.strip_prefix("--session-command="))
        {
            return run_code(
                &Word {
                    text: v.to_owned(),
                    ..args[i].clone()
                },
                "su -c",
                ctx,
                out,
            );
        }
        i += 1;
    }
    Unwrapped::Done
}

fn ssh(args: &[Word], ctx: &Ctx<'_>, out: &mut Vec<Command>) -> Unwrapped {
    const VALUE: &[&str] = &[
        "-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o", "-p",
        "-Q", "-R", "-S", "-W", "-w", "-B",
    ];
    let mut i = 0;
    while i < args.len() && is_option(&args[i]) {
        let t = args[i].text.as_str();
        if t == "--" {
            i += 1;
            break;
        }
        if VALUE.contains(&t) {
            i += 1;
        }
        i += 1;
    }
    // The host, then the remote command line: the remote shell runs it as a script.
    let rest = args.get(i + 1..).unwrap_or(&[]);
    if !rest.is_empty() {
        run_joined(rest, "ssh", ctx, out);
    }
    Unwrapped::Done
}

fn shell(name: &str, args: &[Word], ctx: &Ctx<'_>, out: &mut Vec<Command>) -> Unwrapped {
    let label = format!("{name} -c");
    let mut i = 0;
    let mut wants_code = false;
    let mut reads_stdin = false;
    while i < args.len() {
        let t = args[i].text.as_str();
        if t == "--" || t == "-" {
            i += 1;
            break;
        }
        if t.starts_with("--") {
            if matches!(t, "--rcfile" | "--init-file") {
                i += 1;
            }
            i += 1;
            continue;
        }
        if (t.starts_with('-') || t.starts_with('+')) && t.len() > 1 {
            let letters = &t[1..];
            if letters.contains('c') {
                wants_code = true;
            }
            if letters.contains('s') {
                reads_stdin = true;
            }
            if letters.contains('o') || letters.contains('O') {
                i += 1;
            }
            i += 1;
            continue;
        }
        break;
    }
    if wants_code {
        match args.get(i) {
            Some(code) => return run_code(code, &label, ctx, out),
            None => return Unwrapped::Done,
        }
    }
    if i < args.len() && !reads_stdin {
        // `bash script.sh`: a file we cannot see. The shims still guard what it runs.
        return Unwrapped::Done;
    }
    match ctx.stdin {
        Stdin::Literal(text) => nested(text, &format!("{name} (stdin)"), ctx, out),
        Stdin::Dynamic => out.push(Command::problem(
            Problem::DynamicScript(format!(
                "{name} reads a script from a command whose output is unknown"
            )),
            ctx.via,
            &prepend(name, args),
        )),
        Stdin::Inherited => {}
    }
    Unwrapped::Done
}

/// Runs a code word: a literal is parsed as a script, anything else is unknowable.
fn run_code(code: &Word, label: &str, ctx: &Ctx<'_>, out: &mut Vec<Command>) -> Unwrapped {
    if code.literal {
        nested(&code.text, label, ctx, out);
    } else {
        out.push(Command::problem(
            Problem::DynamicScript(format!("{label} runs a script known only at run time")),
            ctx.via,
            &[Word::literal(label), code.clone()],
        ));
    }
    Unwrapped::Done
}

fn run_joined(words: &[Word], label: &str, ctx: &Ctx<'_>, out: &mut Vec<Command>) {
    if words.iter().all(|w| w.literal) {
        let text = words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        nested(&text, label, ctx, out);
    } else {
        // Still judge what is visible: `ssh host rm -rf "$DIR"` is an rm.
        let mut via = ctx.via.to_vec();
        via.push(label.to_owned());
        let sc = crate::parse::SimpleCommand {
            words: words.to_vec(),
            ..Default::default()
        };
        super::simple(sc, ctx.depth + 1, &via, out);
    }
}

pub(super) fn nested(text: &str, label: &str, ctx: &Ctx<'_>, out: &mut Vec<Command>) {
    let mut via = ctx.via.to_vec();
    via.push(label.to_owned());
    super::script(text, ctx.depth + 1, &via, out);
}
