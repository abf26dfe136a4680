//! From parsed words to the commands that will really run: launchers unwrapped
//! (`sudo`, `env`, `xargs`, `find -exec`, `sh -c`, `python -c`, ...), program names
//! reduced to their basename, and nested scripts parsed and judged as scripts.

mod getopt;
mod interp;
mod launchers;

pub(crate) use getopt::{Grammar, Scan};
pub use interp::{inline_code, literals_and_code};
pub(crate) use launchers::{SCRIPT, SPLIT, TAR, tar_args};

use crate::parse::{self, ParseFailure, Redirect, SimpleCommand, Stdin, Word};

/// How deep scripts inside scripts (`bash -c "eval 'sh -c ...'"`) are followed.
pub const MAX_DEPTH: usize = 8;

/// A command as it will run, after unwrapping.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Command {
    /// The program's basename, or the program word as written when it is dynamic.
    pub program: String,
    pub args: Vec<Word>,
    /// `NAME=value` given to the command by the shell or by `env`.
    pub env: Vec<(String, Word)>,
    pub redirects: Vec<Redirect>,
    pub stdin: Stdin,
    /// Launchers and scripts it was found inside, outermost first (`sudo`, `bash -c`).
    pub via: Vec<String>,
    /// The directory a launcher starts it in (`env -C DIR`, `sudo -D DIR`), as written.
    pub dir: Option<Word>,
    /// Its program is found on a fixed default PATH, not through the shims (`command -p`).
    pub default_path: bool,
    /// Something that keeps this command from being judged by its rules alone.
    pub problem: Option<Problem>,
}

/// Why a command cannot be read plainly. Each is judged by a built-in rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The script could not be parsed (or parsing was cut off).
    Parse(ParseFailure),
    /// The program name is not a literal word (`$x delete`, `` `which rm` ``).
    DynamicProgram,
    /// A shell or interpreter runs code that is not visible (`bash -c "$cmd"`, `curl | sh`).
    DynamicScript(String),
    /// Scripts nest deeper than [`MAX_DEPTH`].
    TooDeep,
}

impl Command {
    /// The argv as display words, program first.
    pub fn argv(&self) -> Vec<String> {
        std::iter::once(self.program.clone())
            .chain(self.args.iter().map(|w| w.text.clone()))
            .collect()
    }

    fn problem(problem: Problem, via: &[String], words: &[Word]) -> Command {
        Command {
            program: words.first().map(|w| w.text.clone()).unwrap_or_default(),
            args: words.iter().skip(1).cloned().collect(),
            via: via.to_vec(),
            problem: Some(problem),
            ..Default::default()
        }
    }
}

/// Every command a shell string would run.
pub fn analyze_script(src: &str) -> Vec<Command> {
    let mut out = Vec::new();
    script(src, 0, &[], &mut out);
    out
}

/// The commands an argv would run (a shim's view: the words are already expanded).
pub fn analyze_argv(argv: &[String]) -> Vec<Command> {
    let mut out = Vec::new();
    let sc = SimpleCommand {
        words: argv.iter().map(Word::literal).collect(),
        ..Default::default()
    };
    simple(sc, 0, &[], &mut out);
    out
}

/// Parses and normalizes a nested script; `via` says where it was found.
pub(crate) fn script(src: &str, depth: usize, via: &[String], out: &mut Vec<Command>) {
    if depth > MAX_DEPTH {
        out.push(Command::problem(Problem::TooDeep, via, &[]));
        return;
    }
    match parse::parse_script(src) {
        Ok(cmds) => {
            let mut aliases: Vec<(String, String)> = Vec::new();
            for mut c in cmds {
                expand_alias(&mut c, &mut aliases);
                simple(c, depth, via, out);
            }
        }
        Err(e) => out.push(Command {
            program: String::new(),
            args: vec![Word::literal(src)],
            via: via.to_vec(),
            problem: Some(Problem::Parse(e)),
            ..Default::default()
        }),
    }
}

/// `alias k=kubectl` earlier in a script makes a later `k delete ns x` a kubectl
/// command: the alias is followed, as a shell that expands aliases (Claude Code's
/// snapshot turns `expand_aliases` on) would run it. `unalias` forgets one. Only literal
/// definitions are followed; the shims still see what a dynamic one runs.
fn expand_alias(c: &mut SimpleCommand, aliases: &mut Vec<(String, String)>) {
    let Some(first) = c.words.first() else {
        return;
    };
    if !first.literal {
        return;
    }
    match first.text.as_str() {
        "alias" => {
            for w in c.words.iter().skip(1).filter(|w| w.literal) {
                if let Some((name, value)) = w.text.split_once('=') {
                    aliases.retain(|(n, _)| n != name);
                    aliases.push((name.to_owned(), value.to_owned()));
                }
            }
        }
        "unalias" => {
            let names: Vec<&str> = c.words.iter().skip(1).map(|w| w.text.as_str()).collect();
            if names.contains(&"-a") {
                aliases.clear();
            }
            aliases.retain(|(n, _)| !names.contains(&n.as_str()));
        }
        name => {
            let Some((_, value)) = aliases.iter().rev().find(|(n, _)| n == name) else {
                return;
            };
            // An alias that does not split plainly is followed as one word: its first
            // word is still the program.
            let words: Vec<Word> = shell_words::split(value)
                .unwrap_or_else(|_| vec![value.clone()])
                .into_iter()
                .map(Word::literal)
                .collect();
            if words.is_empty() {
                return;
            }
            c.words.splice(0..1, words);
        }
    }
}

/// The basename of a program path.
pub fn basename(p: &str) -> &str {
    p.trim_end_matches('/').rsplit('/').next().unwrap_or(p)
}

/// A program name without the version that version managers and downloads add
/// (`terraform-1.9.5`, `terraform_1.9.5`, `helm-v3.14.0`, `kubectl-1.30`): the same
/// tool, judged by its rules. Names whose rest is not a version stay as they are.
pub fn unversioned(name: &str) -> &str {
    let Some(at) = name.rfind(['-', '_']) else {
        return name;
    };
    let (base, version) = (&name[..at], &name[at + 1..]);
    let digits = version.strip_prefix('v').unwrap_or(version);
    let is_version = !base.is_empty()
        && digits.starts_with(|c: char| c.is_ascii_digit())
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.');
    if is_version { base } else { name }
}

/// Normalizes one simple command, pushing it and anything it launches onto `out`.
pub(crate) fn simple(sc: SimpleCommand, depth: usize, via: &[String], out: &mut Vec<Command>) {
    let SimpleCommand {
        assignments,
        mut words,
        redirects,
        stdin,
    } = sc;
    let mut carry = launchers::Carry {
        env: assignments,
        ..Default::default()
    };
    let mut via = via.to_vec();
    loop {
        let Some(first) = words.first() else {
            if !redirects.is_empty() || !carry.env.is_empty() {
                out.push(Command {
                    env: carry.env,
                    redirects,
                    via,
                    ..Default::default()
                });
            }
            return;
        };
        if first.literal && first.text == "--" && words.len() > 1 {
            // bash's `time -- CMD` leaves the `--` in front of the command.
            words.remove(0);
            continue;
        }
        if first.is_dynamic() {
            out.push(Command {
                env: carry.env,
                redirects,
                stdin,
                dir: carry.dir,
                ..Command::problem(Problem::DynamicProgram, &via, &words)
            });
            return;
        }
        let name = basename(&first.text).to_owned();
        let ctx = launchers::Ctx {
            depth,
            via: &via,
            stdin: &stdin,
        };
        match launchers::unwrap(&name, &words[1..], &ctx, &mut carry, out) {
            launchers::Unwrapped::NotALauncher => break,
            launchers::Unwrapped::Argv(next) => {
                via.push(name);
                words = next;
            }
            launchers::Unwrapped::Done => {
                // The launcher ran nothing further we can see, or pushed what it runs;
                // the launcher itself is still a command (redirects, `find -delete`).
                let mut args: Vec<Word> = words.drain(1..).collect();
                args.shrink_to_fit();
                out.push(Command {
                    program: name,
                    args,
                    env: carry.env,
                    redirects,
                    stdin,
                    via,
                    dir: carry.dir,
                    default_path: carry.default_path,
                    problem: None,
                });
                return;
            }
        }
    }
    let program = unversioned(basename(&words[0].text)).to_owned();
    let args = words.split_off(1);
    out.push(Command {
        program,
        args,
        env: carry.env,
        redirects,
        stdin,
        via,
        dir: carry.dir,
        default_path: carry.default_path,
        problem: None,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progs(src: &str) -> Vec<String> {
        analyze_script(src)
            .into_iter()
            .map(|c| match c.problem {
                Some(p) => format!("!{p:?}"),
                None => c.argv().join(" "),
            })
            .collect()
    }

    #[test]
    fn versioned_program_names_are_the_tool() {
        assert_eq!(progs("terraform-1.9.5 destroy"), ["terraform destroy"]);
        assert_eq!(
            progs("/opt/bin/helm-v3.14.0 uninstall x"),
            ["helm uninstall x"]
        );
        assert_eq!(progs("terraform_1.5 apply"), ["terraform apply"]);
        assert_eq!(unversioned("docker-compose"), "docker-compose");
        assert_eq!(unversioned("python3.12"), "python3.12");
        assert_eq!(unversioned("kube-1x"), "kube-1x");
    }

    #[test]
    fn launchers_are_unwrapped() {
        assert_eq!(progs("sudo -u root -E /usr/bin/rm -rf /"), ["rm -rf /"]);
        assert_eq!(
            progs("env -i -u BAR FOO=1 kubectl get pods"),
            ["kubectl get pods"]
        );
        assert_eq!(
            progs("timeout -s KILL 10 nice -n 5 nohup git push -f"),
            ["git push -f"]
        );
        assert_eq!(progs("command -v rm"), ["command -v rm"]);
        assert_eq!(progs("exec -a x terraform destroy"), ["terraform destroy"]);
        assert_eq!(
            progs("time -p ionice -c 3 stdbuf -o0 rm -rf ~"),
            ["rm -rf ~"]
        );
    }

    fn runs(src: &str, expected: &str) -> bool {
        analyze_script(src)
            .iter()
            .any(|c| c.argv().join(" ") == expected)
    }

    #[test]
    fn launcher_option_grammar_cannot_hide_the_command() {
        for src in [
            "env - kubectl delete ns prod",
            "env -- PATH=/usr/bin kubectl delete ns prod",
            "env -- - kubectl delete ns prod",
            "env -iu PATH kubectl delete ns prod",
            "env --un PATH kubectl delete ns prod",
            "env 'a b=c' kubectl delete ns prod",
            "env -vS'kubectl delete ns prod'",
            "sudo -Eu root kubectl delete ns prod",
            "sudo -k kubectl delete ns prod",
            "sudo --us root kubectl delete ns prod",
            "sudo -uroot -- kubectl delete ns prod",
            "sudo --new-flag value kubectl delete ns prod",
            "doas -u root kubectl delete ns prod",
            "nice -10 kubectl delete ns prod",
            "nice -n10 kubectl delete ns prod",
            "timeout -sKILL 5 kubectl delete ns prod",
            "timeout --sig=KILL 5 kubectl delete ns prod",
            "stdbuf -oL -eL kubectl delete ns prod",
            "setsid -wf kubectl delete ns prod",
            "chroot --userspec=0:0 / kubectl delete ns prod",
            "flock -w 5 /tmp/lock kubectl delete ns prod",
            "flock /tmp/lock -c 'kubectl delete ns prod'",
            "unshare -m -w /tmp kubectl delete ns prod",
            "unshare --mount kubectl delete ns prod",
            "nsenter -m kubectl delete ns prod",
            "nsenter -t 1 -m -u kubectl delete ns prod",
            "ionice -c3 kubectl delete ns prod",
            "chrt -o 0 kubectl delete ns prod",
            "chrt --other kubectl delete ns prod",
            "taskset -c 0-3 kubectl delete ns prod",
            "systemd-run -t kubectl delete ns prod",
            "systemd-run -G --uid=0 kubectl delete ns prod",
            "caffeinate -i kubectl delete ns prod",
            "exec -la name kubectl delete ns prod",
            "command -p kubectl delete ns prod",
            "su -lc 'kubectl delete ns prod'",
            "su root -- -c 'kubectl delete ns prod'",
            "runuser -l root -c 'kubectl delete ns prod'",
            "runuser -u root -- kubectl delete ns prod",
            "npx -c 'kubectl delete ns prod'",
            "aws-vault exec prod -- kubectl delete ns prod",
            "direnv exec . kubectl delete ns prod",
            "uv run --with x kubectl delete ns prod",
            "npm --prefix dir exec -- kubectl delete ns prod",
            "split --filter='kubectl delete ns prod' big.txt",
            "ssh -tp 22 host kubectl delete ns prod",
            "watch -n1 -x kubectl delete ns prod",
            "script -qc 'kubectl delete ns prod' /dev/null",
        ] {
            assert!(
                runs(src, "kubectl delete ns prod"),
                "{src}: {:?}",
                progs(src)
            );
        }
        // What the options leave for a command is not one.
        assert!(!runs(
            "sudo -l kubectl delete ns prod",
            "kubectl delete ns prod"
        ));
        assert!(!runs("ionice -p 1234", "1234"));
    }

    #[test]
    fn elevating_launchers_run0_pkexec_systemd_run_and_machinectl_are_unwrapped() {
        for src in [
            "run0 kubectl delete ns prod",
            "run0 -u root --setenv=X=1 kubectl delete ns prod",
            "pkexec kubectl delete ns prod",
            "pkexec --user root kubectl delete ns prod",
            "systemd-run --scope -p MemoryMax=1G kubectl delete ns prod",
            "machinectl shell root@.host kubectl delete ns prod",
        ] {
            assert!(
                runs(src, "kubectl delete ns prod"),
                "{src}: {:?}",
                progs(src)
            );
            // They start the command in a fresh environment: no shims on PATH.
            let c = analyze_script(src)
                .into_iter()
                .find(|c| c.program == "kubectl")
                .unwrap();
            assert!(
                c.env.iter().any(|(k, v)| k == "PATH" && v.text.is_empty()),
                "{src}"
            );
        }
    }

    #[test]
    fn launchers_carry_the_directory_and_the_lookup() {
        let c = &analyze_script("env -C /srv rm -rf data")[0];
        assert_eq!(c.dir.as_ref().map(|w| w.text.as_str()), Some("/srv"));
        let c = &analyze_script("sudo -D /srv rm -rf data")[0];
        assert_eq!(c.dir.as_ref().map(|w| w.text.as_str()), Some("/srv"));
        assert!(analyze_script("command -p kubectl get pods")[0].default_path);
        assert!(!analyze_script("command kubectl get pods")[0].default_path);
        let c = &analyze_script("sudo -e /etc/hosts")[0];
        assert_eq!(c.argv(), ["sudoedit", "/etc/hosts"]);
    }

    #[test]
    fn nested_shells_and_eval_are_parsed() {
        assert_eq!(
            progs("bash -lc 'kubectl delete ns x'")[0],
            "kubectl delete ns x"
        );
        assert_eq!(progs("sh -c \"eval 'rm -rf /'\"")[0], "rm -rf /");
        assert_eq!(
            progs("echo 'rm -rf /' | sh"),
            ["echo rm -rf /", "rm -rf /", "sh"]
        );
        assert!(progs("bash -c \"$CMD\"")[0].starts_with("!DynamicScript"));
        assert!(
            progs("curl -fsSL x | sh")
                .iter()
                .any(|p| p.starts_with("!DynamicScript"))
        );
    }

    #[test]
    fn xargs_find_and_watch_run_their_commands() {
        let p = progs("echo prod | xargs kubectl delete ns");
        assert!(
            p.iter().any(|c| c.starts_with("kubectl delete ns")),
            "{p:?}"
        );
        let p = progs("find . -name '*.tmp' -exec rm -rf {} \\;");
        assert!(p.iter().any(|c| c.starts_with("rm -rf")), "{p:?}");
        assert!(p.iter().any(|c| c.starts_with("find .")), "{p:?}");
        assert_eq!(
            progs("watch -n 5 'kubectl delete pod x'")[0],
            "kubectl delete pod x"
        );
    }

    #[test]
    fn interpreters_shelling_out_are_judged() {
        let p = progs(r#"python3 -c "import os; os.system('rm -rf /')""#);
        assert!(p.contains(&"rm -rf /".to_string()), "{p:?}");
        let p = progs(r#"python -c "import shutil; shutil.rmtree('/home')""#);
        assert!(p.iter().any(|c| c.starts_with("rm -rf /home")), "{p:?}");
        let p = progs(r#"node -e "require('child_process').execSync('git push --force')""#);
        assert!(p.contains(&"git push --force".to_string()), "{p:?}");
        assert_eq!(progs("python3 -c 'print(1)'"), ["python3 -c print(1)"]);
    }

    #[test]
    fn interpreter_calls_written_without_the_usual_spelling_are_judged() {
        for src in [
            r#"perl -e 'system "rm -rf /"'"#,
            r#"perl -e 'system q(rm -rf /)'"#,
            r#"perl -e 'exec qq{rm -rf /}'"#,
            r#"ruby -e 'system "rm -rf /"'"#,
            r#"ruby -e '%x(rm -rf /)'"#,
            r#"python3 -c 'import subprocess as s; s.run("rm -rf /", shell=True)'"#,
            r#"lua -e 'os.execute("rm -rf /")'"#,
            r#"awk 'BEGIN{system("rm -rf /")}'"#,
            r#"gawk -F: 'BEGIN { print "rm -rf /" | "sh" }'"#,
        ] {
            let p = progs(src);
            assert!(p.contains(&"rm -rf /".to_string()), "{src}: {p:?}");
        }
        // A literal that is only printed by code that cannot start programs is text.
        assert_eq!(
            progs(r#"python3 -c 'print("rm -rf /")'"#),
            [r#"python3 -c print("rm -rf /")"#]
        );
        // awk code known only at run time is flagged like any interpreter's.
        let p = progs(r#"awk '{system($0)}' list"#);
        assert!(p.iter().any(|c| c.starts_with("!DynamicScript")), "{p:?}");
        // A program file is not read; the shims guard what it runs.
        assert_eq!(progs("awk -f prog.awk data"), ["awk -f prog.awk data"]);
    }

    #[test]
    fn interpreter_option_clusters_and_values_do_not_hide_the_code() {
        for src in [
            r#"python3 -Ic "import os; os.system('kubectl delete ns prod')""#,
            r#"python3 -W ignore -c "import os; os.system('kubectl delete ns prod')""#,
            r#"python3 -u -X dev -c "import os; os.system('kubectl delete ns prod')""#,
            r#"perl -we 'system "kubectl delete ns prod"'"#,
            r#"perl -l -ne 'system "kubectl delete ns prod"'"#,
            r#"perl -I lib -e 'system "kubectl delete ns prod"'"#,
            r#"perl -pi -e 'system "kubectl delete ns prod"' f"#,
            r#"ruby -I lib -e 'system "kubectl delete ns prod"'"#,
            r#"ruby -rjson -e 'system "kubectl delete ns prod"'"#,
            r#"node -r x -e 'require("child_process").execSync("kubectl delete ns prod")'"#,
            r#"node -pe 'require("child_process").execSync("kubectl delete ns prod")'"#,
            r#"node --eval='require("child_process").execSync("kubectl delete ns prod")'"#,
            r#"php -d x=1 -r 'system("kubectl delete ns prod");'"#,
        ] {
            assert!(
                runs(src, "kubectl delete ns prod"),
                "{src}: {:?}",
                progs(src)
            );
        }
        // A script file or module is not read.
        assert_eq!(progs("python3 -m http.server"), ["python3 -m http.server"]);
        assert_eq!(progs("perl -w script.pl"), ["perl -w script.pl"]);
    }

    #[test]
    fn dynamic_program_names_are_flagged() {
        assert!(progs("$x delete ns prod")[0].starts_with("!DynamicProgram"));
        let p = progs("`which rm` -rf ~");
        assert!(p.iter().any(|c| c.starts_with("!DynamicProgram")), "{p:?}");
        assert!(progs("/bin/r? -rf /")[0].starts_with("!DynamicProgram"));
    }

    #[test]
    fn ansi_c_and_escapes_reveal_the_program() {
        assert_eq!(progs(r"$'\x72\x6d' -rf /"), ["rm -rf /"]);
        assert_eq!(progs(r"r\m -rf /"), ["rm -rf /"]);
        assert_eq!(progs(r#""/usr/bin/git" push -f"#), ["git push -f"]);
    }
}
