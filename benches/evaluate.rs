//! In-process evaluation throughput. `cargo bench --bench evaluate`.

use interlock::policy::Engine;
use interlock::rules::{RuleSet, Sources};

fn main() {
    divan::main();
}

fn engine() -> Engine {
    Engine::new(RuleSet::load(&Sources::embedded_only()))
}

const ARGVS: &[&[&str]] = &[
    &["kubectl", "get", "pods", "-n", "prod"],
    &["kubectl", "--context", "prod", "delete", "ns", "payments"],
    &["git", "push", "--force", "origin", "main"],
    &["rm", "-rf", "target"],
    &["terraform", "-chdir=infra", "destroy", "-auto-approve"],
    &["ls", "-la"],
];

/// A shim's view: one argv, no shell parsing.
#[divan::bench(args = ARGVS)]
fn judge_argv(bencher: divan::Bencher, argv: &[&str]) {
    let e = engine();
    let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
    e.judge_argv(&argv); // warm the per-program cache, as a long-lived caller would
    bencher.bench_local(|| divan::black_box(e.judge_argv(divan::black_box(&argv))));
}

const SCRIPTS: &[&str] = &[
    "kubectl get pods -n prod",
    "cd /srv && sudo kubectl --context prod delete ns payments",
    "git status && git push -f origin main; rm -rf target",
    "bash -lc 'terraform destroy -auto-approve'",
];

/// The shell mode's view: parse (on the guarded worker thread), unwrap, judge.
#[divan::bench(args = SCRIPTS)]
fn judge_script(bencher: divan::Bencher, script: &str) {
    let e = engine();
    e.judge_script(script);
    bencher.bench_local(|| divan::black_box(e.judge_script(divan::black_box(script))));
}

/// Cold start: load the rules a process needs for one program, then judge.
#[divan::bench]
fn cold_load_and_judge_kubectl() -> interlock::rules::Action {
    let e = engine();
    e.judge_argv(&["kubectl".into(), "get".into(), "pods".into()])
        .decision
}
