//! Property tests over the parser, the normalizer and the engine.

use interlock::policy::Engine;
use interlock::rules::{Action, RuleSet, Sources};
use proptest::prelude::*;

fn engine() -> Engine {
    Engine::new(RuleSet::load(&Sources::embedded_only()))
}

/// Commands every default rule set must stop, one per tool family.
const DESTRUCTIVE: &[&str] = &[
    "rm -rf /",
    "rm -rf ~",
    "kubectl delete ns prod",
    "kubectl --context prod delete namespace payments",
    "terraform destroy -auto-approve",
    "terraform -chdir=infra destroy",
    "git push --force origin main",
    "git reset --hard HEAD~5",
    "git clean -fdx",
    "dd if=/dev/zero of=/dev/sda",
    "mkfs.ext4 /dev/sdb1",
    "find / -delete",
    "chmod -R 777 /",
];

/// Ways to wrap a command so that it still runs. `{}` is the command; `{q}` is the
/// command single-quoted for the shell; `{bq}` has its backticks escaped, as nesting
/// inside backticks requires.
const WRAPPERS: &[&str] = &[
    "sudo {}",
    "sudo -u root -E {}",
    "doas {}",
    "env {}",
    "env -i A=1 {}",
    "nohup {}",
    "timeout 10 {}",
    "nice -n 5 {}",
    "ionice -c 3 {}",
    "time {}",
    "command {}",
    "builtin {}",
    "exec {}",
    "stdbuf -o0 {}",
    "setsid {}",
    "true && {}",
    "false || {}",
    "echo start; {}",
    "{} ; echo done",
    "{} | cat",
    "({})",
    "{ {}; }",
    "if true; then {}; fi",
    "for i in 1; do {}; done",
    "while true; do {}; break; done",
    "f() { {}; }; f",
    "echo $({})",
    "echo `{bq}`",
    "x=$({})",
    "cat <({})",
    "bash -c {q}",
    "sh -lc {q}",
    "bash -l -c {q}",
    "zsh -c {q}",
    "eval {q}",
    "echo {q} | bash",
    "printf '%s\\n' {q} | sh",
    "bash <<< {q}",
    "watch -n 1 {q}",
    "script -qc {q} /dev/null",
    "su -c {q}",
    "ssh prod-host {q}",
    "python3 -c \"import os; os.system({q})\"",
];

fn wrap(wrapper: &str, cmd: &str) -> String {
    let quoted = shell_words::quote(cmd).into_owned();
    let bq = cmd.replace('\\', "\\\\").replace('`', "\\`");
    wrapper
        .replace("{q}", &quoted)
        .replace("{bq}", &bq)
        .replace("{}", cmd)
}

#[test]
fn every_destructive_command_is_stopped_plainly() {
    let e = engine();
    for c in DESTRUCTIVE {
        assert_ne!(e.judge_script(c).decision, Action::Allow, "{c}");
    }
}

#[test]
fn heredoc_into_a_shell_is_judged() {
    let e = engine();
    for c in DESTRUCTIVE {
        let s = format!("bash <<'EOF'\necho hi\n{c}\nEOF\n");
        assert_ne!(e.judge_script(&s).decision, Action::Allow, "{s}");
    }
}

proptest! {
    // 512 cases in CI; `PROPTEST_CASES=N` for a longer run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    })]

    /// Wrapping a destructive command in any launcher or compound form, up to three
    /// deep, never turns it into `allow`.
    #[test]
    fn wrapping_never_allows(
        cmd in prop::sample::select(DESTRUCTIVE),
        wrappers in prop::collection::vec(prop::sample::select(WRAPPERS), 1..=3),
    ) {
        let e = engine();
        let mut s = cmd.to_string();
        for w in &wrappers {
            s = wrap(w, &s);
        }
        let v = e.judge_script(&s);
        prop_assert_ne!(v.decision, Action::Allow, "allowed: {}", s);
    }

    /// The parser and the normalizer never panic and always answer, on any input.
    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,200}") {
        let e = engine();
        let _ = e.judge_script(&s);
    }

    /// Shell-flavoured noise: operators, quotes and brackets in random order.
    #[test]
    fn shell_noise_never_panics(parts in prop::collection::vec(
        prop::sample::select(&["(", ")", "{", "}", "$(", "`", "'", "\"", "&&", "||", ";", "|", "<<", "EOF\n", "$'\\x72'", "rm", "-rf", "/", "${x:-", "((", "))", "\n", " ", "\\", "eval", "bash -c"][..]),
        0..60,
    )) {
        let e = engine();
        let s: String = parts.concat();
        let _ = e.judge_script(&s);
    }

    /// An argv (as a shim sees it) with arbitrary words never panics, and a
    /// destructive argv with extra trailing operands is still stopped.
    #[test]
    fn argv_judging_is_total(words in prop::collection::vec(".{0,20}", 0..8)) {
        let e = engine();
        let _ = e.judge_argv(&words);
        let mut argv: Vec<String> = ["rm", "-rf", "/"].iter().map(|s| s.to_string()).collect();
        argv.extend(words.iter().filter(|w| !w.starts_with('-') && !w.is_empty()).cloned());
        prop_assert_ne!(e.judge_argv(&argv).decision, Action::Allow);
    }
}

#[test]
fn bad_input_is_never_allowed_and_never_panics() {
    let e = engine();
    let cases = vec![
        "echo 'unterminated".to_string(),
        "(".repeat(10_000),
        "$(".repeat(5_000),
        "a".repeat(1 << 20),
        format!("rm -rf / {}", "x ".repeat(200_000)),
        "((((((((((((((((((((((((((((((((((((((((((((((((((".to_string(),
        "echo \u{0} rm -rf /".to_string(),
    ];
    for c in &cases {
        let v = e.judge_script(c);
        let head: String = c.chars().take(40).collect();
        if c.starts_with("echo \u{0}") {
            continue;
        }
        assert_ne!(v.decision, Action::Allow, "allowed: {head}...");
    }
}
