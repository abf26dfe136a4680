//! Programs that run other programs. Each is read with its own option grammar (see
//! `getopt`), so neither an option's value nor the command passes for the other.
//! Where a grammar does not know an option, both readings are judged: the option as a
//! flag, and the option taking the next word as its value.

use super::getopt::{Grammar, Reading};
use super::{Command, Problem, interp};
use crate::parse::{SimpleCommand, Stdin, Word};

pub(super) struct Ctx<'a> {
    pub depth: usize,
    pub via: &'a [String],
    pub stdin: &'a Stdin,
}

/// What launchers along the way did to the command's start: its environment, its
/// directory, and how its program is found.
#[derive(Clone, Debug, Default)]
pub(super) struct Carry {
    pub env: Vec<(String, Word)>,
    pub dir: Option<Word>,
    pub default_path: bool,
}

pub(super) enum Unwrapped {
    /// Not a launcher: judge the command as it is.
    NotALauncher,
    /// Judge this argv instead (the launcher only wraps it).
    Argv(Vec<Word>),
    /// The launcher is judged itself; anything it runs was pushed already.
    Done,
}

/// What comes before a launcher's command, besides options.
#[derive(Clone, Copy)]
enum Operand {
    /// A word the launcher always takes (`timeout DURATION`, `chroot DIR`).
    Any,
    /// A number the launcher may take (`chrt PRIORITY`): a word that is not one is
    /// already the command.
    Number,
}

/// Launchers whose grammar is "options, maybe operands, then a command".
struct Launcher {
    names: &'static [&'static str],
    opts: Grammar,
    /// Options after which no command runs (`sudo -l`, `ionice -p PID`).
    stops: &'static [&'static str],
    operands: &'static [Operand],
    /// Options whose value is the directory the command starts in.
    chdir: &'static [&'static str],
    /// `NAME=value` words may come before the command (`sudo FOO=1 cmd`).
    assignments: bool,
    /// The command starts in an environment the service manager or polkit sets up
    /// afresh, whose PATH does not hold interlock's shims.
    fresh_env: bool,
}

const fn launcher(
    names: &'static [&'static str],
    short: &'static str,
    long: &'static [&'static str],
) -> Launcher {
    Launcher {
        names,
        opts: Grammar::new(short, long),
        stops: &[],
        operands: &[],
        chdir: &[],
        assignments: false,
        fresh_env: false,
    }
}

const LAUNCHERS: &[Launcher] = &[
    Launcher {
        stops: &["l", "K", "v", "V"],
        chdir: &["D"],
        assignments: true,
        ..launcher(
            &["sudo"],
            "Aa:BbC:c:D:Eeg:Hh::iKklNnPp:R:r:SsT:t:U:u:Vv",
            &[
                "askpass/A",
                "auth-type=/a",
                "background/b",
                "bell/B",
                "close-from=/C",
                "login-class=/c",
                "chdir=/D",
                "preserve-env?",
                "edit/e",
                "group=/g",
                "set-home/H",
                "help/h",
                "host=",
                "login/i",
                "remove-timestamp/K",
                "reset-timestamp/k",
                "list/l",
                "non-interactive/n",
                "preserve-groups/P",
                "prompt=/p",
                "chroot=/R",
                "role=/r",
                "stdin/S",
                "shell/s",
                "type=/t",
                "command-timeout=/T",
                "other-user=/U",
                "user=/u",
                "version/V",
                "validate/v",
            ],
        )
    },
    Launcher {
        stops: &["L", "C"],
        ..launcher(&["doas"], "a:C:Lnsu:", &[])
    },
    Launcher {
        chdir: &["D"],
        fresh_env: true,
        ..launcher(
            &["run0"],
            "hVu:g:D:a:",
            &[
                "help/h",
                "version/V",
                "no-ask-password",
                "machine=",
                "unit=",
                "property=",
                "description=",
                "slice=",
                "slice-inherit",
                "user=/u",
                "group=/g",
                "nice=",
                "chdir=/D",
                "setenv=",
                "background=",
                "pty",
                "pipe",
                "shell-prompt-prefix=",
                "lightweight=",
                "area=/a",
                "via-shell/i",
            ],
        )
    },
    Launcher {
        stops: &["S"],
        chdir: &["working-directory"],
        fresh_env: true,
        ..launcher(
            &["systemd-run"],
            "hrC:H:M:E:p:tPqGdSu:",
            &[
                "help/h",
                "version",
                "user",
                "system",
                "capsule=/C",
                "scope",
                "unit=/u",
                "description=",
                "slice=",
                "slice-inherit",
                "remain-after-exit/r",
                "expand-environment=",
                "send-sighup",
                "host=/H",
                "machine=/M",
                "service-type=",
                "wait",
                "uid=",
                "gid=",
                "nice=",
                "setenv=/E",
                "property=/p",
                "tty/t",
                "pty/t",
                "pipe/P",
                "quiet/q",
                "on-active=",
                "on-boot=",
                "on-startup=",
                "on-unit-active=",
                "on-unit-inactive=",
                "on-calendar=",
                "on-timezone-change",
                "on-clock-change",
                "timer-property=",
                "path-property=",
                "socket-property=",
                "no-block",
                "no-ask-password",
                "collect/G",
                "working-directory=",
                "same-dir/d",
                "shell/S",
                "job-mode=",
                "ignore-failure",
                "background=",
                "json=",
            ],
        )
    },
    Launcher {
        fresh_env: true,
        ..launcher(
            &["pkexec"],
            "u:",
            &[
                "user=/u",
                "disable-internal-agent",
                "keep-cwd",
                "help",
                "version",
            ],
        )
    },
    launcher(
        &["dbus-launch", "dbus-run-session"],
        "",
        &[
            "config-file=",
            "dbus-daemon=",
            "autolaunch=",
            "binary-syntax",
            "close-stderr",
            "csh-syntax",
            "sh-syntax",
            "exit-with-session",
            "exit-with-x11",
            "version",
            "help",
        ],
    ),
    launcher(
        &[
            "nohup",
            "builtin",
            "catchsegv",
            "eatmydata",
            "tsocks",
            "with-contenv",
        ],
        "",
        &["help", "version"],
    ),
    launcher(
        &["setsid"],
        "cfwVh",
        &["ctty/c", "fork/f", "wait/w", "version/V", "help/h"],
    ),
    launcher(&["caffeinate"], "dimsut:w:", &[]),
    launcher(&["unbuffer"], "p", &[]),
    launcher(&["chronic"], "ev", &[]),
    launcher(&["ifne"], "n", &[]),
    launcher(
        &["torsocks"],
        "u:p:a:P:idqh",
        &[
            "user=/u",
            "pass=/p",
            "address=/a",
            "port=/P",
            "isolate/i",
            "debug/d",
            "quiet/q",
            "shell",
            "help/h",
            "version",
        ],
    ),
    launcher(
        &["fakeroot"],
        "l:s:i:ub:hv",
        &[
            "lib=/l",
            "faked=",
            "unknown-is-real/u",
            "help/h",
            "version/v",
        ],
    ),
    launcher(&["nocache"], "n:", &[]),
    launcher(
        &["dumb-init"],
        "cr:vVh",
        &[
            "single-child/c",
            "rewrite=/r",
            "verbose/v",
            "version/V",
            "help/h",
        ],
    ),
    launcher(&["tini"], "svgp:e:lwh", &[]),
    launcher(&["sg-wrapper"], "", &[]),
    launcher(
        &["time"],
        "ao:f:pqvV",
        &[
            "append/a",
            "output=/o",
            "format=/f",
            "portability/p",
            "quiet/q",
            "verbose/v",
            "version/V",
            "help",
        ],
    ),
    launcher(
        &["nice"],
        "n:0123456789",
        &["adjustment=/n", "help", "version"],
    ),
    Launcher {
        stops: &["p", "P", "u"],
        ..launcher(
            &["ionice"],
            "c:hn:p:P:tu:V",
            &[
                "class=/c",
                "classdata=/n",
                "pid=/p",
                "pgid=/P",
                "ignore/t",
                "uid=/u",
                "help/h",
                "version/V",
            ],
        )
    },
    Launcher {
        operands: &[Operand::Any],
        ..launcher(
            &["timeout"],
            "fk:ps:v",
            &[
                "foreground/f",
                "kill-after=/k",
                "preserve-status/p",
                "signal=/s",
                "verbose/v",
                "help",
                "version",
            ],
        )
    },
    launcher(
        &["stdbuf"],
        "i:o:e:",
        &["input=/i", "output=/o", "error=/e", "help", "version"],
    ),
    Launcher {
        stops: &["p", "m"],
        operands: &[Operand::Number],
        ..launcher(
            &["chrt"],
            "abdD:efiphmoP:T:rRvV",
            &[
                "all-tasks/a",
                "batch/b",
                "deadline/d",
                "ext/e",
                "fifo/f",
                "idle/i",
                "pid/p",
                "help/h",
                "max/m",
                "other/o",
                "rr/r",
                "reset-on-fork/R",
                "sched-runtime=/T",
                "sched-period=/P",
                "sched-deadline=/D",
                "verbose/v",
                "version/V",
            ],
        )
    },
    Launcher {
        stops: &["p"],
        operands: &[Operand::Any],
        ..launcher(
            &["taskset"],
            "apchV",
            &["all-tasks/a", "pid/p", "cpu-list/c", "help/h", "version/V"],
        )
    },
    Launcher {
        operands: &[Operand::Any],
        ..launcher(
            &["chroot"],
            "",
            &["groups=", "userspec=", "skip-chdir", "help", "version"],
        )
    },
    Launcher {
        chdir: &["w"],
        ..launcher(
            &["unshare"],
            "fhVmuinpCTUrR:w:S:G:cl:",
            &[
                "fork/f",
                "help/h",
                "version/V",
                "mount?/m",
                "uts?/u",
                "ipc?/i",
                "net?/n",
                "pid?/p",
                "cgroup?/C",
                "time?/T",
                "user?/U",
                "map-root-user/r",
                "map-current-user/c",
                "map-user=",
                "map-users=",
                "map-group=",
                "map-groups=",
                "map-auto",
                "kill-child?",
                "mount-proc?",
                "mount-binfmt?",
                "propagation=",
                "setgroups=",
                "setuid=/S",
                "setgid=/G",
                "root=/R",
                "wd=/w",
                "monotonic=",
                "boottime=",
                "load-interp=/l",
                "keep-caps",
            ],
        )
    },
    Launcher {
        chdir: &["w"],
        ..launcher(
            &["nsenter"],
            "ahVt:m::u::i::n::p::C::U::T::S:G:r::w::W::ecFZ",
            &[
                "all/a",
                "help/h",
                "version/V",
                "target=/t",
                "mount?/m",
                "uts?/u",
                "ipc?/i",
                "net?/n",
                "pid?/p",
                "cgroup?/C",
                "user?/U",
                "time?/T",
                "setuid=/S",
                "setgid=/G",
                "root?/r",
                "wd?/w",
                "wdns=/W",
                "env/e",
                "preserve-credentials/c",
                "no-fork/F",
                "follow-context/Z",
                "user-parent",
                "join-cgroup",
                "keep-caps",
            ],
        )
    },
    Launcher {
        opts: Grammar {
            short: "",
            long: &[],
            attached_only: true,
        },
        ..launcher(&["firejail"], "", &[])
    },
    launcher(
        &["systemd-inhibit"],
        "h",
        &[
            "what=",
            "who=",
            "why=",
            "mode=",
            "list",
            "help/h",
            "version",
            "no-pager",
            "no-legend",
        ],
    ),
    Launcher {
        stops: &["p"],
        ..launcher(
            &["prlimit"],
            "c::d::e::f::i::l::m::n::q::r::s::t::u::v::x::y::p:o:hV",
            &[
                "pid=/p",
                "output=/o",
                "noheadings",
                "raw",
                "verbose",
                "help/h",
                "version/V",
            ],
        )
    },
    launcher(&["cgexec"], "g:sbh", &["sticky"]),
    Launcher {
        stops: &["s", "H"],
        ..launcher(
            &["numactl"],
            "ai:p:P:m:N:C:lsSHhVf:L:M:I:uTdDo:w:b",
            &[
                "all/a",
                "interleave=/i",
                "preferred=/p",
                "preferred-many=/P",
                "membind=/m",
                "cpunodebind=/N",
                "physcpubind=/C",
                "localalloc/l",
                "show/s",
                "shm=/S",
                "hardware/H",
                "help/h",
                "version/V",
                "file=/f",
                "length=/L",
                "shmmode=/M",
                "shmid=/I",
                "huge/u",
                "touch/T",
                "dump/d",
                "dump-nodes/D",
                "offset=/o",
                "weighted-interleave=/w",
                "balancing/b",
                "strict",
            ],
        )
    },
    Launcher {
        opts: Grammar {
            short: "hqvd",
            long: &[],
            attached_only: true,
        },
        ..launcher(&["valgrind"], "", &[])
    },
    launcher(&["ltrace"], "cCdDe:hiLn:o:p:s:Su:Vw:x:tTrfF:l:A:a:b", &[]),
    launcher(
        &["strace"],
        "a:Ab:cCdDe:E:fFhiI:kno:O:p:P:qrs:S:tTu:U:vVwxX:yYzZ",
        &[
            "output=/o",
            "trace=",
            "signal=",
            "status=",
            "env=/E",
            "user=/u",
            "attach=/p",
            "trace-path=/P",
        ],
    ),
    launcher(&["proxychains", "proxychains4"], "f:q", &[]),
    launcher(
        &["uvx"],
        "p:w:",
        &[
            "from=",
            "with=/w",
            "with-editable=",
            "with-requirements=",
            "python=/p",
            "index=",
            "index-url=",
            "extra-index-url=",
            "find-links=",
            "directory=",
            "project=",
            "config-file=",
            "cache-dir=",
            "isolated",
            "quiet",
            "verbose",
            "offline",
        ],
    ),
    Launcher {
        stops: &["p"],
        ..launcher(&["dotenv"], "e:v:c::p:", &[])
    },
];

/// Tools whose sub-command runs another command: `npm exec -- x`, `bundle exec x`. The
/// number is how many operands come between the sub-command and the command
/// (`aws-vault exec PROFILE -- cmd`, `direnv exec DIR cmd`, `machinectl shell HOST cmd`).
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
    ("machinectl", &["shell"], 1),
];

/// Runners whose command starts in an environment set up afresh (see `fresh_env`).
const FRESH_RUNNERS: &[&str] = &["machinectl"];

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

/// An environment entry that empties PATH: what `env -i` and a fresh environment do
/// to the shims as far as self-protection is concerned.
fn no_path() -> (String, Word) {
    ("PATH".into(), Word::literal(""))
}

pub(super) fn unwrap(
    name: &str,
    args: &[Word],
    ctx: &Ctx<'_>,
    carry: &mut Carry,
    out: &mut Vec<Command>,
) -> Unwrapped {
    if let Some(l) = LAUNCHERS.iter().find(|l| l.names.contains(&name)) {
        return launch(l, name, args, ctx, carry, out);
    }
    match name {
        "env" => env_cmd(args, ctx, carry, out),
        "command" => {
            const G: Grammar = Grammar::new("pvV", &[]);
            let r = &G.leading(args)[0];
            if r.has("v") || r.has("V") {
                return Unwrapped::Done;
            }
            // `command -p` finds the program on a default PATH, not through the shims.
            carry.default_path |= r.has("p");
            argv_or_done(&args[r.rest..])
        }
        "exec" => {
            const G: Grammar = Grammar::new("cla:", &[]);
            let r = &G.leading(args)[0];
            if r.has("c") {
                carry.env.push(no_path());
            }
            argv_or_done(&args[r.rest..])
        }
        "xargs" => xargs(args, ctx, carry, out),
        "find" => find(args, ctx, out),
        "parallel" => parallel(args, ctx, out),
        "watch" => watch(args, ctx, out),
        "script" => script_cmd(args, ctx, out),
        "su" => su(args, ctx, out),
        // `sg GROUP [-c] COMMAND`: the command is a string for /bin/sh.
        "sg" => {
            let rest: Vec<Word> = args
                .iter()
                .skip(1)
                .filter(|w| w.text != "-c")
                .cloned()
                .collect();
            match rest.as_slice() {
                [] => Unwrapped::Done,
                [code] => run_code(code, "sg", ctx, out),
                words => {
                    run_joined(words, "sg", ctx, out);
                    Unwrapped::Done
                }
            }
        }
        "runuser" => runuser(args, ctx, carry, out),
        "flock" => flock(args, ctx, carry, out),
        "npx" | "pnpx" | "bunx" => npx(args, ctx, carry, out),
        "split" => split(args, ctx, out),
        "tar" => {
            tar_cmds(args, ctx, out);
            Unwrapped::NotALauncher
        }
        // Tools that run a command line given in an option; the tool is still judged
        // by its own rules as well.
        "git" => {
            git_cmds(args, ctx, out);
            Unwrapped::NotALauncher
        }
        "rsync" => {
            const G: Grammar = Grammar::new("e:", &["rsh=/e", "rsync-path="]);
            let s = G.scan(args);
            for code in s.values("e").chain(s.values("rsync-path")) {
                run_code(code, "rsync -e", ctx, out);
            }
            Unwrapped::NotALauncher
        }
        "sed" | "gsed" => {
            sed_cmds(args, ctx, out);
            Unwrapped::NotALauncher
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
        // interlock's own shell mode runs its string as a script too (and checks it
        // again when it runs): judge it here, with everything else in the line.
        _ if crate::entry::SHELL_NAMES.contains(&name)
            || (name == "interlock" && args.first().is_some_and(|w| w.text.starts_with('-'))) =>
        {
            shell(name, args, ctx, out)
        }
        _ if interp::is_interpreter(name) => {
            interp::interpreter(name, args, ctx, out);
            Unwrapped::Done
        }
        _ => {
            if let Some((_, verbs, skip)) = RUNNER_VERBS.iter().find(|(n, _, _)| *n == name) {
                return runner(name, verbs, *skip, args, ctx, carry, out);
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

/// Judges the command of a reading other than the likely one, so a word that only a
/// misread option hides is still judged.
fn judge_also(
    label: String,
    words: Vec<Word>,
    carry: &Carry,
    ctx: &Ctx<'_>,
    out: &mut Vec<Command>,
) {
    if words.is_empty() || ctx.depth + 1 > super::MAX_DEPTH {
        return;
    }
    let mut via = ctx.via.to_vec();
    via.push(label);
    let sc = SimpleCommand {
        assignments: carry.env.clone(),
        words,
        ..Default::default()
    };
    super::simple(sc, ctx.depth + 1, &via, out);
}

/// The first option of `b` that `a` reads differently: what a label can name.
fn differs(a: &Reading, b: &Reading) -> String {
    b.opts
        .iter()
        .find(|o| {
            o.value.is_some() && !a.opts.iter().any(|x| x.name == o.name && x.value.is_some())
        })
        .map_or_else(
            || "an option".into(),
            |o| {
                if o.name.len() == 1 {
                    format!("-{}", o.name)
                } else {
                    format!("--{}", o.name)
                }
            },
        )
}

/// Reads each way the options may go, judging the likely command as the launcher's
/// and the others beside it.
fn each_reading(
    readings: Vec<Reading>,
    name: &str,
    ctx: &Ctx<'_>,
    carry: &mut Carry,
    out: &mut Vec<Command>,
    mut command: impl FnMut(&Reading, &mut Carry, &mut Vec<Command>) -> Option<Vec<Word>>,
) -> Unwrapped {
    let mut readings = readings.into_iter();
    let Some(first) = readings.next() else {
        return Unwrapped::Done;
    };
    let outer = carry.clone();
    for other in readings {
        let mut c = outer.clone();
        if let Some(words) = command(&other, &mut c, out) {
            let label = format!("{name} (if {} takes a value)", differs(&first, &other));
            judge_also(label, words, &c, ctx, out);
        }
    }
    match command(&first, carry, out) {
        Some(words) => Unwrapped::Argv(words),
        None => Unwrapped::Done,
    }
}

fn launch(
    l: &Launcher,
    name: &str,
    args: &[Word],
    ctx: &Ctx<'_>,
    carry: &mut Carry,
    out: &mut Vec<Command>,
) -> Unwrapped {
    let readings = l.opts.leading(args);
    each_reading(readings, name, ctx, carry, out, |r, carry, _| {
        if l.stops.iter().any(|s| r.has(s)) {
            return None;
        }
        let mut i = r.rest;
        for op in l.operands {
            let Some(w) = args.get(i) else { break };
            let take = match op {
                Operand::Any => true,
                Operand::Number => {
                    let t = w.text.trim_start_matches(['-', '+']);
                    !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
                }
            };
            if take {
                i += 1;
            }
        }
        if l.assignments {
            take_assignments(args, &mut i, &mut carry.env);
        }
        if let Some(d) = l.chdir.iter().find_map(|c| r.value(c)) {
            carry.dir = Some(d.clone());
        }
        if l.fresh_env {
            carry.env.push(no_path());
        }
        let rest = args.get(i..).unwrap_or(&[]);
        if rest.is_empty() {
            return None;
        }
        // `sudo -e FILE` is sudoedit: the words are files to edit, not a command.
        if name == "sudo" && r.has("e") {
            return Some(prepend("sudoedit", rest));
        }
        Some(rest.to_vec())
    })
}

fn env_cmd(args: &[Word], ctx: &Ctx<'_>, carry: &mut Carry, out: &mut Vec<Command>) -> Unwrapped {
    // GNU's options, with the BSDs' `-P ALTPATH` and `-L CLASS`.
    const G: Grammar = Grammar::new(
        "0a:iu:vC:S:P:L:",
        &[
            "null/0",
            "argv0=/a",
            "ignore-environment/i",
            "unset=/u",
            "chdir=/C",
            "split-string=/S",
            "debug/v",
            "block-signal?",
            "default-signal?",
            "ignore-signal?",
            "list-signal-handling",
            "help",
            "version",
        ],
    );
    let readings = G.leading(args);
    each_reading(readings, "env", ctx, carry, out, |r, carry, out| {
        // Unsetting is recorded as an empty value: self-protection needs to see `env -i`
        // and `env -u PATH` drop the shims, and `-u INTERLOCK_*`.
        for o in &r.opts {
            match (o.name.as_str(), &o.value) {
                ("i", _) => carry.env.push(no_path()),
                ("u", Some(v)) => carry.env.push((v.text.clone(), Word::literal(""))),
                // The utility is looked up on this path instead of PATH.
                ("P", Some(v)) => carry.env.push(("PATH".into(), v.clone())),
                ("C", Some(v)) => carry.dir = Some(v.clone()),
                _ => {}
            }
        }
        let mut i = r.rest;
        // A lone `-` is `-i`, and may follow `--`.
        if args.get(i).is_some_and(|w| w.text == "-") {
            carry.env.push(no_path());
            i += 1;
        }
        // Every word with `=` is put in the environment, whatever its name.
        while let Some(w) = args.get(i) {
            let Some((k, v)) = w.text.split_once('=') else {
                break;
            };
            carry.env.push((
                k.to_owned(),
                Word {
                    text: v.to_owned(),
                    ..w.clone()
                },
            ));
            i += 1;
        }
        if let Some(split) = r.value("S") {
            // `env -S 'rm -rf /'` splits the string itself: judge it as a command line.
            let tail = args[i..]
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            nested(&format!("{} {tail}", split.text), "env -S", ctx, out);
            return None;
        }
        let rest = &args[i..];
        (!rest.is_empty()).then(|| rest.to_vec())
    })
}

fn runner(
    name: &str,
    verbs: &[&str],
    skip: usize,
    args: &[Word],
    ctx: &Ctx<'_>,
    carry: &mut Carry,
    out: &mut Vec<Command>,
) -> Unwrapped {
    let mut i = 0;
    if !verbs.is_empty() {
        // Options come before the verb, and a word after an option may be its value
        // (`npm --prefix dir exec`, `machinectl -M host shell`).
        let mut after_option = false;
        loop {
            let Some(w) = args.get(i) else {
                return Unwrapped::NotALauncher;
            };
            i += 1;
            if verbs.contains(&w.text.as_str()) {
                break;
            }
            if is_option(w) {
                after_option = !w.text.contains('=');
            } else if after_option {
                after_option = false;
            } else {
                return Unwrapped::NotALauncher;
            }
        }
    }
    // The runner's own options are not known here: each one may or may not take a value.
    const ANY: Grammar = Grammar::new("", &[]);
    let tail = &args[i..];
    let readings = ANY.leading(tail);
    if FRESH_RUNNERS.contains(&name) {
        carry.env.push(no_path());
    }
    let unwrapped = each_reading(readings, name, ctx, carry, out, |r, _, _| {
        let mut j = r.rest + skip;
        if skip > 0 {
            // `aws-vault exec PROFILE [--] cmd`: options and `--` may follow the operands too.
            let more = ANY.leading(tail.get(j..).unwrap_or(&[]));
            j += more[0].rest;
        }
        let rest = tail.get(j..).unwrap_or(&[]);
        (!rest.is_empty()).then(|| rest.to_vec())
    });
    match unwrapped {
        Unwrapped::Done => Unwrapped::NotALauncher,
        u => u,
    }
}

fn xargs(args: &[Word], ctx: &Ctx<'_>, carry: &mut Carry, out: &mut Vec<Command>) -> Unwrapped {
    const G: Grammar = Grammar::new(
        "0a:E:e::i::I:l::L:n:oprs:txP:d:",
        &[
            "null/0",
            "arg-file=/a",
            "delimiter=/d",
            "eof?/e",
            "replace?/i",
            "max-lines?/l",
            "max-args=/n",
            "open-tty/o",
            "interactive/p",
            "no-run-if-empty/r",
            "max-chars=/s",
            "verbose/t",
            "show-limits",
            "exit/x",
            "max-procs=/P",
            "process-slot-var=",
            "help",
            "version",
        ],
    );
    let readings = G.leading(args);
    each_reading(readings, "xargs", ctx, carry, out, |r, _, _| {
        let replace = r
            .opts
            .iter()
            .rev()
            .find(|o| o.name == "I" || o.name == "i")
            .map(|o| match (&o.value, o.name.as_str()) {
                (Some(v), _) => v.text.clone(),
                (None, _) => "{}".to_owned(),
            });
        let mut cmd: Vec<Word> = args[r.rest..].to_vec();
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
        Some(cmd)
    })
}

/// `flock [options] FILE COMMAND...`, or `flock [options] FILE -c COMMAND_LINE`.
fn flock(args: &[Word], ctx: &Ctx<'_>, carry: &mut Carry, out: &mut Vec<Command>) -> Unwrapped {
    const G: Grammar = Grammar::new(
        "sexnoFuw:E:hV",
        &[
            "shared/s",
            "exclusive/x",
            "unlock/u",
            "nonblock/n",
            "nb/n",
            "close/o",
            "no-fork/F",
            "timeout=/w",
            "wait=/w",
            "conflict-exit-code=/E",
            "verbose",
            "help/h",
            "version/V",
        ],
    );
    let readings = G.leading(args);
    each_reading(readings, "flock", ctx, carry, out, |r, _, out| {
        let i = r.rest + 1;
        let rest = args.get(i..).unwrap_or(&[]);
        match rest.first().map(|w| w.text.as_str()) {
            None => None,
            Some("-c" | "--command") => {
                if let Some(code) = rest.get(1) {
                    run_code(code, "flock -c", ctx, out);
                }
                None
            }
            Some(t) if t.starts_with("--command=") => {
                let code = Word {
                    text: t["--command=".len()..].to_owned(),
                    ..rest[0].clone()
                };
                run_code(&code, "flock -c", ctx, out);
                None
            }
            Some(_) => Some(rest.to_vec()),
        }
    })
}

/// `npx [options] PKG ARGS`, or `npx -c 'COMMAND LINE'`.
fn npx(args: &[Word], ctx: &Ctx<'_>, carry: &mut Carry, out: &mut Vec<Command>) -> Unwrapped {
    const G: Grammar = Grammar::new(
        "p:c:yq",
        &[
            "package=/p",
            "call=/c",
            "yes/y",
            "no",
            "quiet/q",
            "ignore-existing",
            "prefix=",
            "registry=",
            "workspace=",
            "workspaces",
            "include-workspace-root",
        ],
    );
    let readings = G.leading(args);
    each_reading(readings, "npx", ctx, carry, out, |r, _, out| {
        if let Some(code) = r.value("c") {
            run_code(code, "npx -c", ctx, out);
            return None;
        }
        let rest = &args[r.rest..];
        (!rest.is_empty()).then(|| rest.to_vec())
    })
}

/// `split --filter=COMMAND` runs each piece through a shell command line.
fn split(args: &[Word], ctx: &Ctx<'_>, out: &mut Vec<Command>) -> Unwrapped {
    let s = SPLIT.scan(args);
    for code in s.values("filter") {
        run_code(code, "split --filter", ctx, out);
    }
    Unwrapped::Done
}

/// tar runs command lines of its own: `--to-command`, `-I`/`--use-compress-program`,
/// `-F`/`--info-script` and `--checkpoint-action=exec=`.
fn tar_cmds(args: &[Word], ctx: &Ctx<'_>, out: &mut Vec<Command>) {
    let words = tar_args(args);
    let s = TAR.scan(&words);
    for code in s
        .values("to-command")
        .chain(s.values("I"))
        .chain(s.values("F"))
    {
        run_code(code, "tar", ctx, out);
    }
    for a in s.values("checkpoint-action") {
        if let Some(c) = a.text.strip_prefix("exec=") {
            let code = Word {
                text: c.to_owned(),
                ..a.clone()
            };
            run_code(&code, "tar --checkpoint-action", ctx, out);
        }
    }
}

/// tar's old-style first word (`tar czf out.tgz dir`) as separate options, so it reads
/// with the same grammar as `tar -c -z -f out.tgz dir`: each letter that takes a value
/// takes the next word after the first, in order.
pub(crate) fn tar_args(args: &[Word]) -> Vec<Word> {
    const TAKES_VALUE: &str = "fCbTXgIKNVLFH";
    let Some(first) = args.first() else {
        return Vec::new();
    };
    let t = first.text.as_str();
    if t.is_empty() || !t.chars().all(|c| c.is_ascii_alphabetic()) {
        return args.to_vec();
    }
    let mut out = Vec::new();
    let mut next = 1;
    for c in t.chars() {
        out.push(Word {
            text: format!("-{c}"),
            ..first.clone()
        });
        if TAKES_VALUE.contains(c)
            && let Some(v) = args.get(next)
        {
            out.push(v.clone());
            next += 1;
        }
    }
    out.extend(args.iter().skip(next).cloned());
    out
}

pub(crate) const TAR: Grammar = Grammar::new(
    "Acdrtuxf:C:b:T:X:g:I:K:N:V:L:F:H:zjJZavkmOpPsSWhiBlUw",
    &[
        "file=/f",
        "directory=/C",
        "create/c",
        "extract/x",
        "get/x",
        "list/t",
        "append/r",
        "update/u",
        "concatenate/A",
        "catenate/A",
        "delete",
        "diff/d",
        "compare/d",
        "to-stdout/O",
        "remove-files",
        "files-from=/T",
        "exclude-from=/X",
        "exclude=",
        "listed-incremental=/g",
        "use-compress-program=/I",
        "starting-file=/K",
        "newer=/N",
        "after-date=/N",
        "label=/V",
        "tape-length=/L",
        "info-script=/F",
        "new-volume-script=/F",
        "format=/H",
        "to-command=",
        "checkpoint-action=",
        "transform=",
        "xform=",
        "owner=",
        "group=",
        "mode=",
        "mtime=",
        "strip-components=",
        "blocking-factor=/b",
        "one-top-level?",
        "overwrite",
        "keep-old-files/k",
        "verbose/v",
        "gzip/z",
        "bzip2/j",
        "xz/J",
        "auto-compress/a",
    ],
);

pub(crate) const SPLIT: Grammar = Grammar::new(
    "a:b:C:del:n:t:ux",
    &[
        "suffix-length=/a",
        "additional-suffix=",
        "bytes=/b",
        "line-bytes=/C",
        "numeric-suffixes?",
        "hex-suffixes?",
        "elide-empty-files/e",
        "filter=",
        "lines=/l",
        "number=/n",
        "separator=/t",
        "unbuffered/u",
        "verbose",
        "help",
        "version",
    ],
);

fn su(args: &[Word], ctx: &Ctx<'_>, out: &mut Vec<Command>) -> Unwrapped {
    const G: Grammar = Grammar::new(
        "c:fg:G:lmpPs:hVw:",
        &[
            "command=/c",
            "session-command=",
            "fast/f",
            "group=/g",
            "supp-group=/G",
            "login/l",
            "preserve-environment/m",
            "pty/P",
            "shell=/s",
            "help/h",
            "version/V",
            "whitelist-environment=/w",
        ],
    );
    su_code(&G.scan(args), "su -c", ctx, out);
    Unwrapped::Done
}

/// Runs the code of `-c`/`--session-command`, or of `-c CODE` passed on to the shell after
/// the user name (`su root -- -c CODE`).
fn su_code(s: &super::getopt::Scan<'_>, label: &str, ctx: &Ctx<'_>, out: &mut Vec<Command>) {
    let mut found = false;
    for code in s.values("c").chain(s.values("session-command")) {
        run_code(code, label, ctx, out);
        found = true;
    }
    if !found
        && let Some(p) = s.operands.iter().position(|w| w.text == "-c")
        && let Some(code) = s.operands.get(p + 1)
    {
        run_code(code, label, ctx, out);
    }
}

/// `runuser -u USER [--] COMMAND...`, or su's grammar (`runuser -l USER -c CODE`).
fn runuser(args: &[Word], ctx: &Ctx<'_>, carry: &mut Carry, out: &mut Vec<Command>) -> Unwrapped {
    const G: Grammar = Grammar::new(
        "c:fg:G:lmpPs:u:hVw:",
        &[
            "command=/c",
            "session-command=",
            "fast/f",
            "group=/g",
            "supp-group=/G",
            "login/l",
            "preserve-environment/m",
            "pty/P",
            "shell=/s",
            "user=/u",
            "help/h",
            "version/V",
            "whitelist-environment=/w",
        ],
    );
    let readings = G.leading(args);
    if readings[0].has("u") {
        return each_reading(readings, "runuser", ctx, carry, out, |r, _, _| {
            let rest = &args[r.rest..];
            (!rest.is_empty()).then(|| rest.to_vec())
        });
    }
    su_code(&G.scan(args), "runuser -c", ctx, out);
    Unwrapped::Done
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
    const G: Grammar = Grammar::new(
        "bcCd::eg:n:pq:rtwxhv",
        &[
            "beep/b",
            "color/c",
            "no-color/C",
            "differences?/d",
            "errexit/e",
            "chgexit/g",
            "interval=/n",
            "precise/p",
            "equexit=/q",
            "no-rerun/r",
            "no-title/t",
            "no-wrap/w",
            "exec/x",
            "help/h",
            "version/v",
        ],
    );
    for r in G.leading(args) {
        let rest = &args[r.rest..];
        if rest.is_empty() {
            continue;
        }
        if r.has("x") {
            let sc = SimpleCommand {
                words: rest.to_vec(),
                ..Default::default()
            };
            let mut via = ctx.via.to_vec();
            via.push("watch -x".into());
            super::simple(sc, ctx.depth + 1, &via, out);
        } else {
            run_joined(rest, "watch", ctx, out);
        }
    }
    Unwrapped::Done
}

pub(crate) const SCRIPT: Grammar = Grammar::new(
    "aB:c:eE:fhI:O:o:qm:T:t::V",
    &[
        "append/a",
        "log-io=/B",
        "command=/c",
        "return/e",
        "echo=/E",
        "flush/f",
        "force",
        "log-in=/I",
        "log-out=/O",
        "output-limit=/o",
        "quiet/q",
        "logging-format=/m",
        "log-timing=/T",
        "timing?/t",
        "version/V",
        "help/h",
    ],
);

fn script_cmd(args: &[Word], ctx: &Ctx<'_>, out: &mut Vec<Command>) -> Unwrapped {
    for code in SCRIPT.scan(args).values("c") {
        run_code(code, "script -c", ctx, out);
    }
    Unwrapped::Done
}

/// git's `-c KEY=VALUE` for keys whose value is a command line git runs: an alias
/// starting with `!`, the ssh, pager and editor commands, external diff, credential
/// helper and the like.
fn git_cmds(args: &[Word], ctx: &Ctx<'_>, out: &mut Vec<Command>) {
    const RUNS: &[&str] = &[
        "core.sshcommand",
        "core.pager",
        "core.editor",
        "core.askpass",
        "core.fsmonitor",
        "core.gitproxy",
        "sequence.editor",
        "diff.external",
        "gpg.program",
        "gpg.ssh.program",
        "uploadpack.packobjectshook",
        "credential.helper",
    ];
    let mut it = args.iter();
    while let Some(w) = it.next() {
        let t = w.text.as_str();
        if !t.starts_with('-') {
            break; // the subcommand: git's own -c options come before it
        }
        let pair = match t {
            "-c" => it.next(),
            _ => None,
        };
        let Some(pair) = pair else { continue };
        let Some((key, value)) = pair.text.split_once('=') else {
            continue;
        };
        let key = key.to_ascii_lowercase();
        // An alias or credential helper starting with `!` is a shell command line.
        let code = if key.starts_with("alias.") || key == "credential.helper" {
            value.strip_prefix('!')
        } else if RUNS.contains(&key.as_str()) || key.starts_with("pager.") {
            Some(value)
        } else if key == "core.hookspath" {
            out.push(Command::problem(
                Problem::DynamicScript(
                    "git runs hooks from a directory given on its command line, which interlock cannot see".into(),
                ),
                ctx.via,
                &prepend("git", args),
            ));
            None
        } else {
            None
        };
        if let Some(code) = code {
            let word = Word {
                text: code.to_owned(),
                ..pair.clone()
            };
            run_code(&word, "git -c", ctx, out);
        }
    }
}

/// GNU sed's `e COMMAND` runs a command line; `e` alone, or the `e` flag of `s`, runs
/// the pattern space, which is text known only at run time.
fn sed_cmds(args: &[Word], ctx: &Ctx<'_>, out: &mut Vec<Command>) {
    const G: Grammar = Grammar::new(
        "e:f:l:nrsuzEi::",
        &[
            "expression=/e",
            "file=/f",
            "line-length=/l",
            "quiet/n",
            "silent/n",
            "regexp-extended/r",
            "separate/s",
            "unbuffered/u",
            "null-data/z",
            "in-place?/i",
            "posix",
            "sandbox",
            "debug",
            "follow-symlinks",
        ],
    );
    let s = G.scan(args);
    if s.opts.iter().any(|o| o.name == "sandbox") {
        return; // --sandbox refuses e, r and w
    }
    let mut scripts: Vec<&Word> = s.values("e").collect();
    if scripts.is_empty() && !s.opts.iter().any(|o| o.name == "f") {
        scripts.extend(s.operands.first());
    }
    for script in scripts {
        for cmd in script.text.split(['\n', ';']) {
            let cmd = cmd.trim_start_matches(|c: char| {
                c.is_whitespace() || c.is_ascii_digit() || "$,/!".contains(c)
            });
            if let Some(line) = cmd
                .strip_prefix("e ")
                .map(str::trim)
                .filter(|l| !l.is_empty())
            {
                let word = Word {
                    text: line.to_owned(),
                    ..script.clone()
                };
                run_code(&word, "sed e", ctx, out);
            } else if cmd == "e" || sed_s_runs(cmd) {
                out.push(Command::problem(
                    Problem::DynamicScript("sed runs its pattern space as a command".into()),
                    ctx.via,
                    &prepend("sed", args),
                ));
            }
        }
    }
}

/// Whether an `s` command carries the `e` flag (`s/x/y/e`, `s|a|b|ge`).
fn sed_s_runs(cmd: &str) -> bool {
    let Some(rest) = cmd.strip_prefix('s') else {
        return false;
    };
    let Some(delim) = rest
        .chars()
        .next()
        .filter(|c| !c.is_alphanumeric() && *c != '\\')
    else {
        return false;
    };
    // The flags follow the third unescaped delimiter.
    let mut seen = 0;
    let mut escaped = false;
    for (i, c) in rest.char_indices().skip(1) {
        if escaped {
            escaped = false;
            continue;
        }
        if c == '\\' {
            escaped = true;
        } else if c == delim {
            seen += 1;
            if seen == 2 {
                let flags: String = rest[i + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
                return flags.contains('e');
            }
        }
    }
    false
}

fn ssh(args: &[Word], ctx: &Ctx<'_>, out: &mut Vec<Command>) -> Unwrapped {
    const G: Grammar = Grammar::new(
        "46AaCfGgKkMNnqsTtVvXxYyB:b:c:D:E:e:F:I:i:J:L:l:m:O:o:p:Q:R:S:W:w:P:",
        &[],
    );
    // OpenSSH reads options before and after the host, then the remote command line,
    // which the remote shell runs as a script.
    let before = &G.leading(args)[0];
    let Some(host_at) = args.get(before.rest).map(|_| before.rest) else {
        return Unwrapped::Done;
    };
    let tail = &args[host_at + 1..];
    let after = &G.leading(tail)[0];
    // `-o ProxyCommand=CMD` and `-o LocalCommand=CMD` run on this machine.
    for o in before
        .opts
        .iter()
        .chain(&after.opts)
        .filter(|o| o.name == "o")
    {
        let Some(v) = &o.value else { continue };
        let (key, value) = match v.text.split_once(['=', ' ']) {
            Some((k, val)) => (k.trim().to_ascii_lowercase(), val.trim()),
            None => continue,
        };
        if matches!(
            key.as_str(),
            "proxycommand" | "localcommand" | "knownhostscommand"
        ) && !value.is_empty()
            && value != "none"
        {
            let code = Word {
                text: value.to_owned(),
                ..v.clone()
            };
            run_code(&code, "ssh -o", ctx, out);
        }
    }
    let rest = &tail[after.rest..];
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
