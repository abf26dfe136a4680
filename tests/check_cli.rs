//! `interlock check` as other tools and tests rely on it, driven through the binary.

use std::process::{Command, Output};

fn interlock(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_interlock"))
        .args(args)
        .env_remove("HOME")
        .env_remove("XDG_CONFIG_HOME")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run interlock")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn allow_exits_zero_with_the_json_contract() {
    let out = interlock(&["check", "--json", "--", "kubectl", "get", "pods"]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["decision"], "allow");
    assert!(v["rule"].is_null());
    assert_eq!(
        v["commands"][0]["argv"],
        serde_json::json!(["kubectl", "get", "pods"])
    );
    assert!(v["commands"][0]["dry_run_argv"].is_null());
}

#[test]
fn block_exits_one_and_names_the_rule() {
    let out = interlock(&[
        "check",
        "--json",
        "--shell",
        "sudo kubectl --context prod -n x delete ns prod",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["decision"], "block");
    assert_eq!(v["rule"], "kubectl-delete-namespace");
    assert!(v["reason"].as_str().unwrap().contains("namespace"));
    let cmd = &v["commands"][0];
    assert_eq!(cmd["decision"], "block");
    let preview = cmd["dry_run_argv"].as_array().unwrap();
    assert_eq!(preview.last().unwrap(), "--dry-run=server");
}

#[test]
fn dry_run_carries_the_preview_argv() {
    let out = interlock(&["check", "--json", "--", "git", "clean", "-fdx"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["decision"], "dry-run");
    assert_eq!(
        v["commands"][0]["dry_run_argv"],
        serde_json::json!(["git", "clean", "-dx", "-n"])
    );
}

#[test]
fn compound_commands_take_the_strictest_decision() {
    let out = interlock(&[
        "check",
        "--json",
        "--shell",
        "git status && git push -f; rm -rf /",
    ]);
    let v = json(&out);
    assert_eq!(v["decision"], "block");
    assert_eq!(v["rule"], "rm-recursive-catastrophic");
    assert_eq!(v["commands"].as_array().unwrap().len(), 3);
}

#[test]
fn text_output_is_short_and_human() {
    let out = interlock(&["check", "--", "terraform", "destroy"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("block: terraform destroy\n"), "{text}");
    assert!(text.contains("rule terraform-destroy"), "{text}");
    assert!(text.contains("preview: terraform plan -destroy"), "{text}");
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(interlock(&["check"]).status.code(), Some(2));
    assert_eq!(interlock(&["check", "--bogus"]).status.code(), Some(2));
}

#[test]
fn broken_rules_file_exits_two_with_a_location() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[[rule]]\nid = \"x\"\nprogram = \"kubectl\"\nacton = \"block\"\n",
    )
    .unwrap();
    let out = interlock(&[
        "check",
        "--rules",
        path.to_str().unwrap(),
        "--",
        "kubectl",
        "delete",
        "pod",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml:4:1"), "{err}");
    assert!(err.contains("acton"), "{err}");
}

#[test]
fn extra_rules_tighten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    std::fs::write(
        &path,
        "[[rule]]\nid = \"no-make-deploy\"\nprogram = \"make\"\ncommand = [\"deploy\"]\naction = \"block\"\nreason = \"deploys go through CI\"\nmatch = [\"make deploy\"]\n",
    )
    .unwrap();
    let out = interlock(&[
        "check",
        "--json",
        "--rules",
        path.to_str().unwrap(),
        "--shell",
        "make deploy",
    ]);
    assert_eq!(json(&out)["rule"], "no-make-deploy");
    let out = interlock(&["rules", "test", "--rules", path.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn project_rules_cannot_loosen() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join(".interlock/rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("loosen.toml"),
        "[[rule]]\nid = \"kubectl-delete-namespace\"\nprogram = \"kubectl\"\ncommand = [\"delete\"]\naction = \"allow\"\nreason = \"fine\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_interlock"))
        .args(["check", "--json", "--", "kubectl", "delete", "ns", "prod"])
        .current_dir(dir.path())
        .env_remove("HOME")
        .output()
        .unwrap();
    assert_eq!(json(&out)["decision"], "block");
}

#[test]
fn non_utf8_and_huge_input_get_an_answer() {
    use std::os::unix::ffi::OsStrExt;
    let out = Command::new(env!("CARGO_BIN_EXE_interlock"))
        .arg("check")
        .arg("--")
        .arg("rm")
        .arg("-rf")
        .arg(std::ffi::OsStr::from_bytes(b"/\xff\xfe"))
        .env_remove("HOME")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // One argv word is capped near 128 KiB by the kernel; the 1 MB string case is in
    // tests/properties.rs, through the library.
    let big = format!("rm -rf / {}", "a ".repeat(60_000));
    let out = interlock(&["check", "--shell", &big]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn explain_shows_the_unwrapping_and_rules() {
    let out = interlock(&[
        "explain",
        "--shell",
        "sudo env A=1 git -C repo push --force",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("found inside: sudo > env"), "{text}");
    assert!(text.contains("matches git-force-push [confirm]"), "{text}");
    assert!(
        text.contains("preview: git -C repo push --force --dry-run"),
        "{text}"
    );
}

#[test]
fn rules_list_and_test_cover_the_embedded_rules() {
    let out = interlock(&["rules", "test"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains(" 0 failed"), "{text}");
    let out = interlock(&["rules", "list", "--json"]);
    let v = json(&out);
    assert!(v.as_array().unwrap().len() > 50);
}
