//! The audit log, context detection, change freezes and the speed brake, driven
//! through the real binary: shims in a temporary HOME, stub tools that record their
//! argv, and config files written per test.

use std::path::PathBuf;
use std::process::Command;

mod common;

use common::{BIN, Tree, stderr, stdout};

const BLOCKED: i32 = 100;
const NOT_APPROVED: i32 = 102;
const INTERNAL: i32 = 103;

type Fx = Tree;

/// Records its argv (one file per call, so concurrent calls can be counted).
const STUB: &str =
    "#!/bin/sh\nprintf '%s\\n' \"$*\" > \"@REC@/call.$$\"\nexit \"${STUB_EXIT:-0}\"\n";

fn fx() -> Fx {
    let f = Tree::new(&[]);
    for t in ["kubectl", "aws", "terraform", "gcloud"] {
        f.tool(t, STUB);
    }
    f
}

impl Fx {
    fn cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let path = Tree::search_path(&[&self.shims, &self.real], "/usr/bin:/bin");
        let mut c = self.clean(program, &path, &self.root);
        // A confirm must never wait for a human in a test: its fallback applies.
        c.env("CI", "true");
        c
    }

    fn shim(&self, tool: &str) -> Command {
        self.cmd(self.shims.join(tool))
    }

    fn interlock(&self) -> Command {
        self.cmd(BIN)
    }

    /// `interlock check --json -- ARGV` with `env` added, as JSON.
    fn check_json(&self, argv: &[&str], env: &[(&str, &str)]) -> serde_json::Value {
        let o = self
            .interlock()
            .args(["check", "--json", "--"])
            .args(argv)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(&o)))
    }

    fn log_path(&self) -> PathBuf {
        self.root.join(".local/state/interlock/audit.log")
    }

    fn log_lines(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.log_path())
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line ({e}): {l}")))
            .collect()
    }

    fn config(&self, text: &str) {
        let d = self.root.join(".config/interlock");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("config.toml"), text).unwrap();
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn calls(&self) -> usize {
        std::fs::read_dir(&self.rec).unwrap().count()
    }
}

const KUBECONFIG: &str = r#"apiVersion: v1
clusters:
- cluster:
    server: https://127.0.0.1:6443
  name: kind-dev
contexts:
- context:
    cluster: kind-dev
    user: kind-dev
  name: kind-dev
- context:
    cluster: gke_acme_europe-west1_main
    namespace: payments
    user: gke
  name: prod-eu
current-context: @CURRENT@
kind: Config
users:
- name: kind-dev
  user:
    token: abc
"#;

#[test]
fn two_hundred_concurrent_writers_keep_every_line_and_the_chain() {
    const WRITERS: usize = 200;
    let f = fx();
    // Blocked commands: nothing runs, every process writes one line.
    let children: Vec<_> = (0..WRITERS)
        .map(|i| {
            f.shim("kubectl")
                .args(["delete", "ns", &format!("ns-{i}")])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(BLOCKED), "{}", stderr(&o));
    }
    let lines = f.log_lines();
    assert_eq!(lines.len(), WRITERS);
    let mut seen: Vec<String> = lines
        .iter()
        .map(|l| l["argv"][3].as_str().unwrap().to_owned())
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), WRITERS, "every writer's line is there once");
    let seqs: Vec<u64> = lines.iter().map(|l| l["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=WRITERS as u64).collect::<Vec<_>>());
    let o = f.interlock().args(["log", "--verify"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("200 lines, chain intact"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn verify_names_the_first_broken_line_after_an_edit_a_deletion_or_a_reorder() {
    let f = fx();
    for i in 0..5 {
        f.shim("kubectl")
            .args(["delete", "ns", &format!("n{i}")])
            .output()
            .unwrap();
    }
    let good = std::fs::read_to_string(f.log_path()).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    assert_eq!(lines.len(), 5);
    let verify = |text: String| {
        let p = f.root.join("tampered.log");
        std::fs::write(&p, text).unwrap();
        let o = f
            .interlock()
            .args(["log", "--verify", "--file"])
            .arg(&p)
            .output()
            .unwrap();
        (o.status.code(), stdout(&o))
    };
    let join = |v: Vec<&str>| v.iter().map(|l| format!("{l}\n")).collect::<String>();

    let (code, out) = verify(good.clone());
    assert_eq!(code, Some(0), "{out}");

    let mut edited = lines.clone();
    let changed = lines[1].replace("\"blocked\"", "\"ran\"");
    edited[1] = &changed;
    let (code, out) = verify(join(edited));
    assert_eq!(code, Some(1));
    assert!(out.contains("line 3:"), "{out}");

    let mut deleted = lines.clone();
    deleted.remove(2);
    let (code, out) = verify(join(deleted));
    assert_eq!(code, Some(1));
    assert!(out.contains("line 3:"), "{out}");

    let mut reordered = lines.clone();
    reordered.swap(3, 4);
    let (code, out) = verify(join(reordered));
    assert_eq!(code, Some(1));
    assert!(out.contains("line 4:"), "{out}");
}

#[test]
fn verify_finds_lines_cut_from_the_end_even_after_more_are_written() {
    let f = fx();
    let delete = |i: usize| {
        f.shim("kubectl")
            .args(["delete", "ns", &format!("n{i}")])
            .output()
            .unwrap()
    };
    for i in 0..4 {
        delete(i);
    }
    let verify = || {
        let o = f.interlock().args(["log", "--verify"]).output().unwrap();
        (o.status.code(), stdout(&o))
    };
    assert_eq!(verify().0, Some(0), "{}", verify().1);
    // The last line removed: the chain alone still holds, the head record does not.
    let good = std::fs::read_to_string(f.log_path()).unwrap();
    let kept: String = good.lines().take(3).map(|l| format!("{l}\n")).collect();
    std::fs::write(f.log_path(), &kept).unwrap();
    let (code, out) = verify();
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("removed from its end"), "{out}");
    // The last line edited.
    let mut edited: Vec<String> = good.lines().map(str::to_owned).collect();
    edited[3] = edited[3].replace("\"n3\"", "\"n9\"");
    std::fs::write(f.log_path(), edited.join("\n") + "\n").unwrap();
    let (code, out) = verify();
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("line 4:"), "{out}");
    // Cut, then written to again: the gap in the numbering stays in the file.
    std::fs::write(f.log_path(), &kept).unwrap();
    delete(5);
    let (code, out) = verify();
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("line 4:") && out.contains("were removed"),
        "{out}"
    );
}

#[test]
fn a_log_that_cannot_be_written_stops_risky_commands_but_not_plain_allows() {
    let f = fx();
    f.write(".kube/config", &KUBECONFIG.replace("@CURRENT@", "kind-dev"));
    // A file where the log's directory should be: nothing can be created under it.
    let blocker = f.root.join("log-dir-is-a-file");
    std::fs::write(&blocker, "").unwrap();
    f.config(&format!(
        "[audit]\npath = \"{}/audit.log\"\n",
        blocker.display()
    ));
    let o = f
        .shim("kubectl")
        .args(["delete", "deployment", "web"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(INTERNAL), "{}", stderr(&o));
    assert!(stderr(&o).contains("audit log"), "{}", stderr(&o));
    assert!(stderr(&o).contains("not run"), "{}", stderr(&o));
    assert_eq!(f.calls(), 0, "the delete must not have run");

    let o = f.shim("kubectl").args(["get", "pods"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(f.calls(), 1);
    // Blocked commands stay blocked, and say the log failed too.
    let o = f
        .shim("kubectl")
        .args(["delete", "pvc", "data-0"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(BLOCKED), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("blocked by kubectl-delete-storage"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("audit log"), "{}", stderr(&o));
}

#[test]
fn a_state_directory_that_cannot_be_written_is_named_as_the_problem() {
    let f = fx();
    f.write(".kube/config", &KUBECONFIG.replace("@CURRENT@", "kind-dev"));
    // A file where the state directory should be: the speed brake cannot count.
    let blocker = f.root.join("state-is-a-file");
    std::fs::write(&blocker, "").unwrap();
    let o = f
        .shim("kubectl")
        .args(["delete", "deployment", "web"])
        .env("XDG_STATE_HOME", &blocker)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(INTERNAL), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("not run") && err.contains("state directory"),
        "{err}"
    );
    assert!(
        !err.contains("config.toml"),
        "the config is not the problem: {err}"
    );
    assert_eq!(f.calls(), 0, "the delete must not have run");
}

#[test]
fn a_dev_delete_runs_and_is_logged_with_its_context() {
    let f = fx();
    f.write(".kube/config", &KUBECONFIG.replace("@CURRENT@", "kind-dev"));
    let o = f
        .shim("kubectl")
        .args(["delete", "deployment", "web", "--token", "s3cr3t-value"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(f.calls(), 1);
    let lines = f.log_lines();
    assert_eq!(lines.len(), 1);
    let l = &lines[0];
    assert_eq!(l["decision"], "allow");
    assert_eq!(l["outcome"], "ran");
    assert_eq!(l["entry"], "shim");
    assert_eq!(l["tool"], "kubectl");
    assert_eq!(l["rule"], "kubectl-delete");
    assert!(l["exit"].is_null(), "an exec'd command's status is unknown");
    assert!(
        l["context"]
            .as_str()
            .unwrap()
            .contains("kube-context=kind-dev"),
        "{l}"
    );
    let text = l.to_string();
    assert!(!text.contains("s3cr3t-value"), "secret in the log: {text}");
    assert_eq!(l["prev"].as_str().unwrap().len(), 64);
    assert!(l["pid"].as_u64().unwrap() > 0);
    assert!(l["time"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn plain_allows_are_logged_only_when_configured() {
    let f = fx();
    f.shim("kubectl").args(["get", "pods"]).output().unwrap();
    assert!(f.log_lines().is_empty());
    f.config("[audit]\nallows = true\n");
    let o = f.shim("kubectl").args(["get", "pods"]).output().unwrap();
    assert!(o.status.success());
    let lines = f.log_lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["decision"], "allow");
    assert!(lines[0]["rule"].is_null());
}

#[test]
fn kube_context_comes_from_flags_kubeconfig_and_the_kubeconfig_file() {
    let f = fx();
    f.write(".kube/config", &KUBECONFIG.replace("@CURRENT@", "prod-eu"));
    let v = f.check_json(&["kubectl", "delete", "deployment", "web"], &[]);
    assert_eq!(v["decision"], "block");
    assert_eq!(v["context"]["kube-context"], "prod-eu");
    assert_eq!(v["context"]["namespace"], "payments");
    assert_eq!(v["context"]["environment"], "production");

    let v = f.check_json(
        &[
            "kubectl",
            "--context",
            "kind-dev",
            "delete",
            "deployment",
            "web",
        ],
        &[],
    );
    assert_eq!(v["decision"], "allow");
    assert_eq!(v["context"]["namespace"], "default");

    // KUBECONFIG: the first file that names a current context wins.
    f.write("kc/empty", "apiVersion: v1\nkind: Config\n");
    f.write("kc/dev", &KUBECONFIG.replace("@CURRENT@", "kind-dev"));
    let list = format!(
        "{}:{}",
        f.root.join("kc/empty").display(),
        f.root.join("kc/dev").display()
    );
    let v = f.check_json(
        &["kubectl", "delete", "deployment", "web"],
        &[("KUBECONFIG", list.as_str())],
    );
    assert_eq!(v["context"]["kube-context"], "kind-dev");
    assert_eq!(v["decision"], "allow");

    // A namespace flag naming production makes it production in any cluster.
    let v = f.check_json(
        &[
            "kubectl",
            "--context",
            "kind-dev",
            "-n",
            "prod",
            "delete",
            "deployment",
            "web",
        ],
        &[],
    );
    assert_eq!(v["decision"], "block");
}

#[test]
fn aws_gcloud_and_terraform_contexts_come_from_their_files() {
    let f = fx();
    f.write(
        ".aws/config",
        "[default]\nregion = us-east-1\n\n[profile ci]\nregion = eu-west-1\nrole_arn = arn:aws:iam::123456789012:role/deployer\nsource_profile = default\n",
    );
    f.config("[context]\nproduction = [\"*prod*\", \"123456789012\"]\n");
    let v = f.check_json(
        &["aws", "lambda", "delete-function", "--function-name", "f"],
        &[("AWS_PROFILE", "ci")],
    );
    assert_eq!(v["context"]["aws-profile"], "ci");
    assert_eq!(v["context"]["aws-region"], "eu-west-1");
    assert_eq!(v["context"]["aws-account"], "123456789012");
    assert_eq!(v["decision"], "block", "{v}");

    f.write(".config/gcloud/active_config", "work\n");
    f.write(
        ".config/gcloud/configurations/config_work",
        "[core]\naccount = a@example.com\nproject = acme-dev-sandbox\n",
    );
    let v = f.check_json(&["gcloud", "projects", "delete", "x"], &[]);
    assert_eq!(v["context"]["gcp-project"], "acme-dev-sandbox", "{v}");
    assert_eq!(v["context"]["environment"], "development");

    f.write("infra/.terraform/environment", "production\n");
    let v = f.check_json(&["terraform", "-chdir=infra", "destroy"], &[]);
    assert_eq!(v["context"]["tf-workspace"], "production", "{v}");
    assert_eq!(v["decision"], "block");
    f.write("infra/.terraform/environment", "dev\n");
    let v = f.check_json(&["terraform", "-chdir=infra", "destroy"], &[]);
    assert_eq!(v["decision"], "allow", "{v}");
}

#[test]
fn check_at_shows_a_freeze_across_the_new_york_dst_change() {
    let f = fx();
    f.config(
        "[[freeze]]\nname = \"weekend-nights\"\ntz = \"America/New_York\"\ndays = [\"sat\"]\nstart = \"22:00\"\nend = \"06:00\"\n",
    );
    let check = |at: &str| {
        f.interlock()
            .args([
                "check",
                "--at",
                at,
                "--",
                "kubectl",
                "--context",
                "kind-dev",
                "delete",
                "deployment",
                "web",
            ])
            .output()
            .unwrap()
    };
    // Sunday 05:30 EDT, after clocks sprang forward: still frozen.
    let o = check("2026-03-08T09:30:00Z");
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("change freeze weekend-nights until 2026-03-08 06:00 EDT"),
        "{}",
        stdout(&o)
    );
    // 06:30 EDT: the freeze is over (a fixed EST offset would say 05:30, still frozen).
    let o = check("2026-03-08T10:30:00Z");
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // A zoned time works too.
    let o = check("2026-03-07T23:00[America/New_York]");
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    // Plain allows are never frozen.
    let o = f
        .interlock()
        .args([
            "check",
            "--at",
            "2026-03-08T09:30:00Z",
            "--",
            "kubectl",
            "get",
            "pods",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
}

/// `interlock check --at AT -- kubectl --context kind-dev delete deployment web` with
/// `env` added: a command every freeze covers.
fn check_frozen(f: &Fx, at: &str, env: &[(&str, &str)]) -> std::process::Output {
    f.interlock()
        .args([
            "check",
            "--at",
            at,
            "--",
            "kubectl",
            "--context",
            "kind-dev",
        ])
        .args(["delete", "deployment", "web"])
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

#[test]
fn a_freeze_zone_ignores_the_callers_tzdir() {
    let utc = std::path::Path::new("/usr/share/zoneinfo/UTC");
    if !utc.exists() {
        eprintln!("skipped: no /usr/share/zoneinfo/UTC to make a fake zone from");
        return;
    }
    let f = fx();
    f.config(
        "[[freeze]]\nname = \"nights\"\ntz = \"America/New_York\"\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\nstart = \"00:00\"\nend = \"06:00\"\n",
    );
    // A zone database of the caller's where New York is UTC: 07:00Z would be after the
    // window there, but it is 03:00 EDT in New York.
    let fake = f.root.join("fake-zoneinfo");
    std::fs::create_dir_all(fake.join("America")).unwrap();
    std::fs::copy(utc, fake.join("America/New_York")).unwrap();
    let fake = fake.to_str().unwrap();
    for env in [
        vec![],
        vec![("TZDIR", fake)],
        vec![("TZ", "UTC"), ("TZDIR", fake)],
    ] {
        let o = check_frozen(&f, "2026-03-10T07:00:00Z", &env);
        assert_eq!(o.status.code(), Some(1), "{env:?}: {}", stdout(&o));
        assert!(
            stdout(&o).contains("change freeze nights until 2026-03-10 06:00 EDT"),
            "{env:?}: {}",
            stdout(&o)
        );
    }
}

#[test]
fn a_freeze_without_a_zone_ignores_the_callers_tz() {
    let f = fx();
    f.config(
        "[[freeze]]\nname = \"mornings\"\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\nstart = \"00:00\"\nend = \"12:00\"\n",
    );
    // Twelve hours apart, so if TZ were read, exactly one of the two would be frozen
    // at any moment away from the window's edges.
    for at in [
        "2026-03-10T03:00:00Z",
        "2026-03-10T09:00:00Z",
        "2026-03-10T15:00:00Z",
    ] {
        let west = check_frozen(&f, at, &[("TZ", "Etc/GMT+6")]);
        let east = check_frozen(&f, at, &[("TZ", "Etc/GMT-6")]);
        let plain = check_frozen(&f, at, &[]);
        assert_eq!(
            west.status.code(),
            plain.status.code(),
            "{at}: {}",
            stdout(&west)
        );
        assert_eq!(
            east.status.code(),
            plain.status.code(),
            "{at}: {}",
            stdout(&east)
        );
    }
}

#[test]
fn a_freeze_blocks_a_shim_and_says_until_when() {
    let f = fx();
    f.write(".kube/config", &KUBECONFIG.replace("@CURRENT@", "kind-dev"));
    f.config(
        "[[freeze]]\nname = \"always\"\ntz = \"UTC\"\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\n",
    );
    let o = f
        .shim("kubectl")
        .args(["delete", "deployment", "web"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(BLOCKED), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("change freeze always until"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("context: kube-context=kind-dev"),
        "{}",
        stderr(&o)
    );
    assert_eq!(f.calls(), 0);
    let l = &f.log_lines()[0];
    assert_eq!(l["rule"], "change-freeze");
    assert!(
        l["escalation"]
            .as_str()
            .unwrap()
            .starts_with("change freeze always")
    );
    // A broken freeze entry stops risky commands with a message, not silently.
    f.config("[[freeze]]\nname = \"bad\"\ntz = \"Nowhere/Special\"\ndays = [\"sat\"]\n");
    let o = f
        .shim("kubectl")
        .args(["delete", "deployment", "web"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(INTERNAL));
    assert!(stderr(&o).contains("Nowhere/Special"), "{}", stderr(&o));
}

#[test]
fn the_speed_brake_holds_across_concurrent_processes() {
    const RUNS: usize = 20;
    const MAX: usize = 5;
    let f = fx();
    f.write(".kube/config", &KUBECONFIG.replace("@CURRENT@", "kind-dev"));
    f.config(&format!("[brake]\nmax = {MAX}\nminutes = 60\n"));
    let children: Vec<_> = (0..RUNS)
        .map(|i| {
            f.shim("kubectl")
                .args(["delete", "pod", &format!("p-{i}")])
                .env("INTERLOCK_SESSION", "loop")
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut codes: Vec<i32> = Vec::new();
    for c in children {
        let o = c.wait_with_output().unwrap();
        if o.status.code() == Some(NOT_APPROVED) {
            assert!(stderr(&o).contains("speed brake"), "{}", stderr(&o));
        }
        codes.push(o.status.code().unwrap());
    }
    assert_eq!(codes.iter().filter(|c| **c == 0).count(), MAX, "{codes:?}");
    assert_eq!(
        codes.iter().filter(|c| **c == NOT_APPROVED).count(),
        RUNS - MAX,
        "{codes:?}"
    );
    assert_eq!(f.calls(), MAX);
    // Another session has its own count.
    let o = f
        .shim("kubectl")
        .args(["delete", "pod", "other"])
        .env("INTERLOCK_SESSION", "calm")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn log_shows_a_filtered_table_and_json() {
    let f = fx();
    f.write(".kube/config", &KUBECONFIG.replace("@CURRENT@", "kind-dev"));
    f.shim("kubectl")
        .args(["delete", "ns", "a"])
        .env("INTERLOCK_SESSION", "s-one")
        .output()
        .unwrap();
    f.shim("kubectl")
        .args(["delete", "pod", "b"])
        .env("INTERLOCK_SESSION", "s-two")
        .output()
        .unwrap();
    f.shim("terraform")
        .args(["destroy"])
        .env("INTERLOCK_SESSION", "s-two")
        .output()
        .unwrap();

    let o = f.interlock().args(["log"]).output().unwrap();
    let table = stdout(&o);
    assert!(table.starts_with("TIME (UTC)"), "{table}");
    assert_eq!(table.lines().count(), 4, "{table}");

    let o = f
        .interlock()
        .args(["log", "--session", "s-two", "--tool", "terraform"])
        .output()
        .unwrap();
    let t = stdout(&o);
    assert_eq!(t.lines().count(), 2, "{t}");
    assert!(t.contains("terraform-destroy"), "{t}");

    let o = f
        .interlock()
        .args(["log", "--json", "--decision", "allow"])
        .output()
        .unwrap();
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{}", stdout(&o));
    assert!(lines.iter().all(|l| l["decision"] == "allow"));

    let o = f
        .interlock()
        .args(["log", "--since", "1h"])
        .output()
        .unwrap();
    assert_eq!(stdout(&o).lines().count(), 4);
    let o = f
        .interlock()
        .args(["log", "--since", "2999-01-01"])
        .output()
        .unwrap();
    assert!(
        stdout(&o).starts_with("no matching lines"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn lines_are_forwarded_to_a_syslog_socket() {
    let f = fx();
    let sock = f.root.join("syslog.sock");
    let server = std::os::unix::net::UnixDatagram::bind(&sock).unwrap();
    server
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    f.config(&format!(
        "[audit]\nsyslog = true\nsyslog_socket = \"{}\"\n",
        sock.display()
    ));
    let o = f
        .shim("kubectl")
        .args(["delete", "ns", "x"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(BLOCKED));
    let mut buf = vec![0u8; 65536];
    let n = server.recv(&mut buf).unwrap();
    let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(msg.starts_with("<37>"), "{msg}");
    assert!(
        msg.contains("\"rule\":\"kubectl-delete-namespace\""),
        "{msg}"
    );
    assert_eq!(f.log_lines().len(), 1, "the file is written as well");
}

#[test]
fn follow_prints_lines_as_they_are_appended() {
    use std::io::BufRead;
    let f = fx();
    f.shim("kubectl")
        .args(["delete", "ns", "before"])
        .output()
        .unwrap();
    let mut child = f
        .interlock()
        .args(["log", "--follow", "--json"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let wait = std::time::Duration::from_secs(20);
    let first = rx.recv_timeout(wait).unwrap();
    assert!(first.contains("\"before\""), "{first}");
    f.shim("kubectl")
        .args(["delete", "ns", "after"])
        .output()
        .unwrap();
    let second = rx.recv_timeout(wait).unwrap();
    assert!(second.contains("\"after\""), "{second}");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn doctor_reports_the_audit_log() {
    let f = fx();
    f.shim("kubectl")
        .args(["delete", "ns", "x"])
        .output()
        .unwrap();
    let o = f.interlock().arg("doctor").output().unwrap();
    assert!(
        stdout(&o).contains("1 lines, chain intact"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_broken_config_stops_risky_commands_but_a_block_keeps_its_code() {
    let f = fx();
    f.write(".kube/config", &KUBECONFIG.replace("@CURRENT@", "kind-dev"));
    f.config("[audit]\nbogus = 1\n");
    let o = f
        .shim("kubectl")
        .args(["delete", "deployment", "web"])
        .output()
        .unwrap();
    // A broken config file is a usage error, as a broken rules file is.
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("config.toml:2"), "{}", stderr(&o));
    assert_eq!(f.calls(), 0);
    let o = f
        .shim("kubectl")
        .args(["delete", "pvc", "data-0"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(BLOCKED), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("could not be written"),
        "{}",
        stderr(&o)
    );
    // Even an allowed command does not run: the credential policy and profiles come
    // from the same file, and interlock cannot apply them.
    let o = f.shim("kubectl").args(["get", "pods"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("config.toml:2"), "{}", stderr(&o));
    assert_eq!(f.calls(), 0);
}

#[test]
fn the_shell_and_the_shim_each_record_their_decision() {
    let f = fx();
    let o = f
        .interlock()
        .args([
            "-c",
            "kubectl --context kind-dev delete deployment web && echo done",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "done");
    let lines = f.log_lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["entry"], "shell");
    assert_eq!(
        lines[0]["script"],
        "kubectl --context kind-dev delete deployment web && echo done"
    );
    assert_eq!(lines[0]["outcome"], "ran");
    assert_eq!(lines[1]["entry"], "shim");
    assert_eq!(lines[1]["seq"], 2);

    // A blocked script: nothing runs, one line.
    let o = f
        .interlock()
        .args([
            "-c",
            "echo start; kubectl --context prod-eu delete ns payments",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(BLOCKED), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("context: kube-context=prod-eu"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty(), "nothing of the script ran");
    let lines = f.log_lines();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["decision"], "block");
    assert_eq!(lines[2]["rule"], "kubectl-delete-namespace");
}

#[test]
fn a_hook_records_its_decision() {
    let f = fx();
    let project = f.root.join("project");
    std::fs::create_dir_all(&project).unwrap();
    let payload = serde_json::json!({
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": { "command": "kubectl --context prod-eu delete ns payments" },
        "cwd": project,
    });
    // The host starts the hook wherever it likes; the line names the command's
    // directory, which the payload reports.
    let o = common::output_with_stdin(
        f.interlock().args(["hook", "claude"]).current_dir("/"),
        payload.to_string().as_bytes(),
    );
    assert!(
        stdout(&o).contains("\"deny\""),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );
    let lines = f.log_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["entry"], "hook");
    assert_eq!(lines[0]["decision"], "block");
    assert_eq!(lines[0]["outcome"], "blocked");
    assert_eq!(lines[0]["cwd"], project.to_str().unwrap());
}

#[test]
fn a_context_changed_earlier_in_a_script_is_judged_by_the_shell_and_the_hook() {
    let f = fx();
    f.write(".kube/config", &KUBECONFIG.replace("@CURRENT@", "kind-dev"));
    let script = "kubectl config use-context prod-eu && kubectl delete deployment web";
    let o = f.interlock().args(["-c", script]).output().unwrap();
    assert_eq!(o.status.code(), Some(BLOCKED), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("context: kube-context=prod-eu"),
        "{}",
        stderr(&o)
    );
    assert_eq!(f.calls(), 0, "nothing of the script ran");
    // A hook-only install sees the script before anything runs: no shim ever sees the
    // switched context, so the hook must.
    let payload = serde_json::json!({
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": { "command": "cd infra; export KUBECONFIG=$KC; kubectl delete deployment web" },
        "cwd": f.root,
    });
    let o = common::output_with_stdin(
        f.interlock().args(["hook", "claude"]),
        payload.to_string().as_bytes(),
    );
    // A kubeconfig computed at run time: unknown, so a human is asked.
    assert!(
        stdout(&o).contains("\"ask\""),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );
    let payload = serde_json::json!({
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": { "command": script },
        "cwd": f.root,
    });
    let o = common::output_with_stdin(
        f.interlock().args(["hook", "claude"]),
        payload.to_string().as_bytes(),
    );
    assert!(
        stdout(&o).contains("\"deny\""),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );
    // Without the switch it is a development delete, and runs.
    let o = f
        .interlock()
        .args(["-c", "kubectl delete deployment web"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(f.calls(), 1);
}
