//! The dev container feature's install.sh, run into a temporary root: the files, their
//! modes, the shims, and the hardened recipe's plan.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_interlock");
const FEATURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/devcontainer-features/src/interlock"
);

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn feature(root: &Path, options: &[(&str, &str)]) -> Output {
    let mut c = Command::new("sh");
    c.arg(format!("{FEATURE}/install.sh"))
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("INTERLOCK_ROOT", root)
        .env("BINARY", BIN);
    for (k, v) in options {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "{}\n{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    o
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

fn root() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    (dir, root)
}

#[test]
fn feature_manifest_declares_the_options_install_sh_reads() {
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{FEATURE}/devcontainer-feature.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["id"], "interlock");
    let script = std::fs::read_to_string(format!("{FEATURE}/install.sh")).unwrap();
    let options = manifest["options"].as_object().unwrap();
    for (id, spec) in options {
        // The dev container CLI passes each option as its id upper-cased.
        let var = format!("${{{}:-", id.to_uppercase());
        assert!(script.contains(&var), "install.sh does not read {var}");
        assert!(spec["description"].is_string(), "{id}");
    }
    assert!(
        manifest["containerEnv"]["PATH"]
            .as_str()
            .unwrap()
            .starts_with("/usr/local/lib/interlock/shims:")
    );
}

#[test]
fn feature_installs_binary_shims_and_profile_into_a_root() {
    let (_d, root) = root();
    feature(&root, &[]);
    let bin = root.join("usr/local/bin/interlock");
    assert_eq!(mode(&bin), 0o755);
    assert_eq!(
        std::fs::read_link(root.join("usr/local/bin/interlock-bash")).unwrap(),
        Path::new("interlock")
    );
    let kubectl = root.join("usr/local/lib/interlock/shims/kubectl");
    assert_eq!(
        std::fs::read_link(&kubectl).unwrap(),
        Path::new("../../../bin/interlock")
    );
    assert_eq!(kubectl.canonicalize().unwrap(), bin.canonicalize().unwrap());
    let profile = root.join("etc/profile.d/interlock.sh");
    assert_eq!(mode(&profile), 0o644);
    let p = std::fs::read_to_string(&profile).unwrap();
    assert!(
        p.contains("INTERLOCK_SHIMS=/usr/local/lib/interlock/shims\n"),
        "{p}"
    );
    assert!(
        !p.contains(root.to_str().unwrap()),
        "the profile names the temporary root: {p}"
    );
    assert!(
        std::fs::read_to_string(root.join("etc/shells"))
            .unwrap()
            .lines()
            .any(|l| l == "/usr/local/bin/interlock-bash")
    );
    assert_eq!(mode(&root.join("etc/interlock/rules")), 0o755);
    // The installed shim judges: a destructive command never reaches a real tool.
    let o = Command::new(&kubectl)
        .args(["delete", "namespace", "prod"])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(100), "{}", text(&o.stderr));
}

#[test]
fn feature_is_idempotent() {
    let (_d, root) = root();
    feature(&root, &[]);
    let files = [
        "etc/bash.bashrc",
        "etc/shells",
        "etc/profile.d/interlock.sh",
    ];
    let first: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(root.join(f)).unwrap())
        .collect();
    feature(&root, &[]);
    for (f, before) in files.iter().zip(&first) {
        assert_eq!(
            &std::fs::read_to_string(root.join(f)).unwrap(),
            before,
            "{f}"
        );
    }
    assert_eq!(
        first[0].matches("# interlock: shims first on PATH").count(),
        1,
        "{}",
        first[0]
    );
}

#[test]
fn feature_shims_only_the_tools_asked_for() {
    let (_d, root) = root();
    feature(&root, &[("TOOLS", "kubectl, terraform,mytool")]);
    let mut names: Vec<String> = std::fs::read_dir(root.join("usr/local/lib/interlock/shims"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["kubectl", "mytool", "terraform"]);
}

#[test]
fn feature_hardened_recipe_plans_the_user_and_keeps_rules_out_of_its_reach() {
    let (_d, root) = root();
    let o = feature(&root, &[("HARDENED", "true"), ("AGENTUSER", "coder")]);
    let out = text(&o.stdout);
    assert!(
        out.contains(
            "would run: useradd --create-home --user-group --shell /usr/local/bin/interlock-bash coder"
        ),
        "{out}"
    );
    let user_rules = root.join("home/coder/.config/interlock/rules");
    assert_eq!(mode(&user_rules), 0o755);
    assert!(
        out.contains(&format!(
            "would run: chown root:root {}",
            root.join("home/coder/.config/interlock").display()
        )),
        "{out}"
    );
    // The user layer is off, so a rules dir the agent points XDG_CONFIG_HOME at is not
    // read; running the feature again does not repeat the setting.
    let conf = root.join("etc/interlock/config.toml");
    let text_of = |p: &std::path::Path| std::fs::read_to_string(p).unwrap();
    assert!(
        text_of(&conf).contains("[layers]\nuser = false\n"),
        "{}",
        text_of(&conf)
    );
    // Approvals go to a shared sticky queue where the agent's own do not count.
    assert!(
        text_of(&conf).contains(
            "[confirm]\nqueue_dir = \"/var/lib/interlock/approvals\"\nself_approval = false\n"
        ),
        "{}",
        text_of(&conf)
    );
    assert_eq!(mode(&root.join("var/lib/interlock/approvals")), 0o1777);
    feature(&root, &[("HARDENED", "true"), ("AGENTUSER", "coder")]);
    assert_eq!(text_of(&conf).matches("[layers]").count(), 1);
    assert_eq!(text_of(&conf).matches("[confirm]").count(), 1);
    assert!(interlock::config::load_from(&[conf]).is_ok());
}

#[test]
fn feature_refuses_root_as_the_agent_user() {
    let (_d, root) = root();
    let o = Command::new("sh")
        .arg(format!("{FEATURE}/install.sh"))
        .env("INTERLOCK_ROOT", &root)
        .env("BINARY", BIN)
        .env("HARDENED", "true")
        .env("AGENTUSER", "root")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("not a usable unprivileged user"));
}
