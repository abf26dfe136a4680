//! What the audit log adds to a decision: one locked, chained append (tail read, JSON,
//! SHA-256, one write). `cargo bench --bench audit`.

use interlock::audit::{AuditConfig, Entry, Event, Log, Outcome};
use interlock::env::Env;

fn main() {
    divan::main();
}

fn event() -> Event {
    Event {
        entry: Entry::Shim,
        argv: Some(
            [
                "kubectl",
                "--context",
                "prod-eu",
                "delete",
                "ns",
                "payments",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ),
        script: None,
        tool: Some("kubectl".into()),
        rule: Some("kubectl-delete-namespace".into()),
        decision: "block".into(),
        outcome: Outcome::Blocked,
        exit: None,
        context: Some("kube-context=prod-eu namespace=payments (production)".into()),
        escalation: None,
    }
}

/// Opening the log (as every risky decision does once) and appending one line.
#[divan::bench(args = [false, true])]
fn open_and_append(bencher: divan::Bencher, fsync: bool) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = AuditConfig {
        path: Some(dir.path().join("audit.log")),
        fsync,
        ..Default::default()
    };
    let env = Env::default();
    let ev = event();
    bencher.bench_local(|| {
        let log = Log::open(&cfg, &env).unwrap();
        divan::black_box(log.append(&ev).unwrap());
    });
}

/// The same against a log that already holds 100,000 lines: the tail read does not
/// grow with the file.
#[divan::bench]
fn append_to_a_large_log(bencher: divan::Bencher) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = AuditConfig {
        path: Some(dir.path().join("audit.log")),
        ..Default::default()
    };
    let env = Env::default();
    let ev = event();
    let log = Log::open(&cfg, &env).unwrap();
    for _ in 0..100_000 {
        log.append(&ev).unwrap();
    }
    bencher.bench_local(|| divan::black_box(log.append(&ev).unwrap()));
}
