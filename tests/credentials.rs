//! Credentials, privileges and self-protection, driven through the real binary: a
//! session started with a rich environment of fake credentials, an "agent" stub that
//! records what it sees and runs shimmed stub tools that record what they see.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output};

mod common;

use common::{BIN, Tree, write_exe};

const USAGE: i32 = 2;
const BLOCKED: i32 = 100;
/// Every fake secret value carries this, so one search finds any leak.
const MARK: &str = "FAKESECRET";
const NOBODY: u32 = 65534;

/// Fake credentials a developer's shell commonly holds; each value is marked.
const CREDENTIALS: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "AKIAFAKESECRET000001"),
    ("AWS_SECRET_ACCESS_KEY", "aws-FAKESECRET-key"),
    ("AWS_SESSION_TOKEN", "aws-FAKESECRET-session"),
    ("AWS_SECURITY_TOKEN", "aws-FAKESECRET-security"),
    ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/FAKESECRET/token"),
    (
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "http://169.254.170.2/FAKESECRET",
    ),
    ("GOOGLE_APPLICATION_CREDENTIALS", "/home/x/FAKESECRET.json"),
    ("CLOUDSDK_AUTH_ACCESS_TOKEN", "ya29.FAKESECRET"),
    ("AZURE_CLIENT_SECRET", "azure-FAKESECRET"),
    ("ARM_CLIENT_SECRET", "arm-FAKESECRET"),
    ("GITHUB_TOKEN", "ghp_FAKESECRET0123456789abcdef"),
    ("GITLAB_TOKEN", "glpat-FAKESECRET0123456789"),
    ("NPM_TOKEN", "npm_FAKESECRET"),
    ("VAULT_TOKEN", "hvs.FAKESECRET"),
    ("PGPASSWORD", "pg-FAKESECRET"),
    ("MYSQL_PWD", "my-FAKESECRET"),
    ("DATABASE_URL", "postgres://app:FAKESECRET@db:5432/prod"),
    ("STRIPE_SECRET_KEY", "sk_live_FAKESECRET"),
    ("OPENAI_API_KEY", "sk-FAKESECRET"),
    ("INTERNAL_SERVICE_TOKEN", "svc-FAKESECRET"),
    ("SSH_AUTH_SOCK", "/tmp/ssh-FAKESECRET/agent.1"),
    ("BASH_ENV", "/tmp/FAKESECRET-bash-env"),
    ("ENV", "/tmp/FAKESECRET-env"),
    ("PROMPT_COMMAND", "echo FAKESECRET"),
    ("PERL5OPT", "-MFAKESECRET"),
    ("PYTHONSTARTUP", "/tmp/FAKESECRET.py"),
    ("NODE_OPTIONS", "--require /tmp/FAKESECRET.js"),
    ("LD_LIBRARY_PATH", "/tmp/FAKESECRET-lib"),
];

/// Records its environment and process status under `rec/NAME.*`.
const RECORDER: &str = r#"#!/bin/sh
env > "@REC@/$(basename "$0").env"
cat /proc/self/status > "@REC@/$(basename "$0").status"
"#;

/// The agent: records what it sees, exports a credential of its own (as an agent that
/// read a .env file might), then runs tools through PATH and through its $SHELL.
const AGENT: &str = r#"#!/bin/sh
env > "@REC@/agent.env"
cat /proc/self/status > "@REC@/agent.status"
export AGENT_EXPORTED_TOKEN=agent-FAKESECRET-exported
export LD_PRELOAD=
kubectl get pods
aws s3 ls
"$SHELL" -c 'env > "@REC@/shell.env"'
"#;

/// The shared tree, with the session's HOME in a directory of its own.
struct Fx {
    tree: Tree,
    home: PathBuf,
}

impl std::ops::Deref for Fx {
    type Target = Tree;

    fn deref(&self) -> &Tree {
        &self.tree
    }
}

fn fx() -> Fx {
    let tree = Tree::new(&["home/.config/interlock"]);
    for t in ["kubectl", "aws", "psql"] {
        tree.tool(t, RECORDER);
    }
    write_exe(
        &tree.root.join("agent"),
        &AGENT.replace("@REC@", tree.rec.to_str().unwrap()),
    );
    let home = tree.root.join("home");
    Fx { tree, home }
}

impl Fx {
    fn config(&self, text: &str) {
        std::fs::write(self.home.join(".config/interlock/config.toml"), text).unwrap();
    }

    /// A clean, known environment plus the fake credentials.
    fn cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let path = Tree::search_path(&[&self.shims, &self.real], common::SYSTEM_PATH);
        let mut c = self.clean(program, &path, &self.home);
        c.env("AWS_PROFILE", "admin").env("EDITOR", "vi");
        for (k, v) in CREDENTIALS {
            c.env(k, v);
        }
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(BIN).arg("run").args(args).output().unwrap()
    }

    fn recorded(&self, name: &str) -> String {
        std::fs::read_to_string(self.rec.join(name))
            .unwrap_or_else(|e| panic!("{name} was not recorded: {e}"))
    }

    fn env_of(&self, who: &str) -> Vec<(String, String)> {
        self.recorded(&format!("{who}.env"))
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn get<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn no_fake_credential_reaches_the_agent_or_its_tools_and_profiles_reach_only_their_tool() {
    let f = fx();
    f.config(&format!(
        "[env]\nkeep = [\"INTERNAL_SERVICE_TOKEN\"]\n\n\
         [profiles.aws]\nset = {{ AWS_PROFILE = \"agent-readonly\" }}\n\n\
         [profiles.kubectl]\nset = {{ KUBECONFIG = \"{}/kube/readonly.yaml\" }}\n",
        f.root.display()
    ));
    let o = f.run(&["--", f.root.join("agent").to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));

    let kept = "svc-FAKESECRET";
    for who in ["agent", "kubectl", "aws", "shell"] {
        let env = f.env_of(who);
        for (k, v) in &env {
            assert!(
                !v.contains(MARK) || v == kept,
                "{who} received {k} (a fake credential)"
            );
        }
        for (name, _) in CREDENTIALS {
            if *name != "INTERNAL_SERVICE_TOKEN" {
                assert_eq!(get(&env, name), None, "{who} received {name}");
            }
        }
        // Allowed by config: it reaches everyone.
        assert_eq!(
            get(&env, "INTERNAL_SERVICE_TOKEN"),
            Some(kept),
            "{who} lost a kept variable"
        );
        assert_eq!(get(&env, "EDITOR"), Some("vi"), "{who}");
        assert_eq!(get(&env, "LD_PRELOAD"), None, "{who}");
    }
    // The agent's own export is removed from what its tools see.
    assert_eq!(get(&f.env_of("agent"), "AGENT_EXPORTED_TOKEN"), None);
    // Profiles: each reaches only its own tool.
    let kube = format!("{}/kube/readonly.yaml", f.root.display());
    assert_eq!(get(&f.env_of("aws"), "AWS_PROFILE"), Some("agent-readonly"));
    assert_eq!(get(&f.env_of("kubectl"), "KUBECONFIG"), Some(kube.as_str()));
    // The operator's own admin profile is not left in the session for a tool run
    // without its shim to pick up: the profile's value is the only one there is.
    assert_eq!(get(&f.env_of("kubectl"), "AWS_PROFILE"), None);
    assert_eq!(get(&f.env_of("agent"), "AWS_PROFILE"), None);
    assert_eq!(get(&f.env_of("shell"), "AWS_PROFILE"), None);
    for who in ["agent", "aws", "shell"] {
        assert_eq!(get(&f.env_of(who), "KUBECONFIG"), None, "{who}");
    }
    assert!(
        f.recorded("agent.status").contains("NoNewPrivs:\t1\n"),
        "the agent can gain privileges"
    );
    assert!(f.recorded("kubectl.status").contains("NoNewPrivs:\t1\n"));
    assert!(!text(&o).contains(MARK), "{}", text(&o));
}

#[test]
fn explain_env_lists_names_and_reasons_never_values_and_starts_nothing() {
    let f = fx();
    f.config(
        "[env]\nkeep = [\"GITHUB_TOKEN\"]\nremove = [\"EDITOR\"]\n\n\
         [profiles.aws]\nset = { AWS_PROFILE = \"agent-readonly\" }\nunset = [\"AWS_DEFAULT_PROFILE\"]\n",
    );
    let o = f.run(&[
        "--explain-env",
        "--",
        f.root.join("agent").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("removed AWS_SECRET_ACCESS_KEY: cloud credential"),
        "{out}"
    );
    assert!(
        out.contains("removed LD_LIBRARY_PATH: injects code"),
        "{out}"
    );
    assert!(
        out.contains("removed DATABASE_URL: its value is a URL with a password"),
        "{out}"
    );
    assert!(
        out.contains("removed EDITOR: listed in [env] remove"),
        "{out}"
    );
    assert!(out.contains("kept GITHUB_TOKEN: [env] keep"), "{out}");
    assert!(
        out.contains("removed AWS_PROFILE: a tool's profile sets it"),
        "{out}"
    );
    assert!(
        out.contains("aws: sets AWS_PROFILE; unsets AWS_DEFAULT_PROFILE"),
        "{out}"
    );
    assert!(!out.contains(MARK), "a value was shown: {out}");
    assert!(!out.contains("agent-readonly"), "{out}");
    assert!(!f.rec.join("agent.env").exists(), "the agent was started");
}

#[test]
fn a_broken_config_or_rules_file_stops_the_session_before_it_starts() {
    let f = fx();
    f.config("[env]\nkeep = \"not a list\"\n");
    let o = f.run(&["--", f.root.join("agent").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(USAGE), "{}", text(&o));
    assert!(text(&o).contains("config.toml:2"), "{}", text(&o));
    assert!(
        text(&o).contains("the agent was not started"),
        "{}",
        text(&o)
    );
    assert!(!f.rec.join("agent.env").exists());

    f.config("");
    let rules = f.home.join(".config/interlock/rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("local.toml"), "[[rule]]\nbogus = 1\n").unwrap();
    let o = f.run(&["--", f.root.join("agent").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(USAGE), "{}", text(&o));
    assert!(text(&o).contains("local.toml"), "{}", text(&o));
    assert!(!f.rec.join("agent.env").exists());
}

#[test]
fn a_shim_in_a_session_refuses_to_run_with_a_broken_config() {
    let f = fx();
    f.config("[profiles.aws]\nset = 3\n");
    let o = f
        .cmd(f.shims.join("aws"))
        .args(["s3", "ls"])
        .env("INTERLOCK_SESSION", "0123")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(USAGE), "{}", text(&o));
    assert!(text(&o).contains("not run"), "{}", text(&o));
    assert!(!f.rec.join("aws.env").exists(), "aws ran");
}

#[test]
fn outside_a_session_the_environment_is_left_alone_unless_configured() {
    let f = fx();
    let o = f
        .cmd(f.shims.join("aws"))
        .args(["s3", "ls"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        get(&f.env_of("aws"), "AWS_SECRET_ACCESS_KEY"),
        Some("aws-FAKESECRET-key")
    );
    f.config("[env]\noutside_sessions = true\n");
    let o = f
        .cmd(f.shims.join("aws"))
        .args(["s3", "ls"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(get(&f.env_of("aws"), "AWS_SECRET_ACCESS_KEY"), None);
}

#[test]
fn user_that_does_not_exist_is_refused_and_nothing_starts() {
    let f = fx();
    let o = f.run(&[
        "--user",
        "no-such-user-interlock",
        "--",
        f.root.join("agent").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(USAGE), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("no such user") || t.contains("needs interlock to be started as root"),
        "{t}"
    );
    assert!(!f.rec.join("agent.env").exists());
}

#[test]
fn user_when_not_root_is_refused_and_nothing_starts() {
    use std::os::unix::process::CommandExt;
    if !is_root() {
        // Already not root: the refusal is what any run here sees.
        let f = fx();
        let o = f.run(&["--user", "root", "--", "true"]);
        assert_eq!(o.status.code(), Some(USAGE), "{}", text(&o));
        assert!(text(&o).contains("started as root"), "{}", text(&o));
        return;
    }
    // As root, run interlock itself as nobody. Its directory must be reachable.
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let marker = dir.path().join("started");
    let o = Command::new(BIN)
        .args(["run", "--user", "root", "--", "/bin/sh", "-c"])
        .arg(format!("touch {}", marker.display()))
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", dir.path())
        .uid(NOBODY)
        .gid(NOBODY)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(USAGE), "{}", text(&o));
    assert!(text(&o).contains("started as root"), "{}", text(&o));
    assert!(!marker.exists(), "the agent was started");
}

/// A directory nobody can reach, for the tests that drop to nobody.
fn shared_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[test]
fn user_drops_groups_gid_uid_and_home_before_the_agent_starts() {
    if !is_root() {
        eprintln!("skipped: dropping to a user needs the tests to run as root");
        return;
    }
    let dir = shared_dir();
    let o = Command::new(BIN)
        // No shims in this tree: the test is about the user switch.
        .args([
            "run",
            "--no-shims",
            "--user",
            "nobody",
            "--",
            "/bin/sh",
            "-c",
        ])
        .arg(
            "id -u; id -g; id -G; echo \"$HOME $USER $LOGNAME\"; grep NoNewPrivs /proc/self/status",
        )
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .env("AWS_SECRET_ACCESS_KEY", "aws-FAKESECRET-key")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let home = std::fs::read_to_string("/etc/passwd")
        .unwrap()
        .lines()
        .find(|l| l.starts_with("nobody:"))
        .and_then(|l| l.split(':').nth(5).map(str::to_owned))
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(
        out,
        format!("{NOBODY}\n{NOBODY}\n{NOBODY}\n{home} nobody nobody\nNoNewPrivs:\t1\n")
    );
}

#[test]
fn a_setuid_program_cannot_elevate_inside_a_session() {
    if !is_root() {
        eprintln!("skipped: making a setuid-root program needs the tests to run as root");
        return;
    }
    // No sudo here, so a setuid-root copy of `id` stands in for it: the same kernel
    // rule (no_new_privs ignores the setuid bit) decides both.
    let dir = shared_dir();
    let id = dir.path().join("id");
    std::fs::copy("/usr/bin/id", &id).unwrap();
    std::fs::set_permissions(&id, std::fs::Permissions::from_mode(0o4755)).unwrap();
    let euid = |extra: &[&str]| {
        let o = Command::new(BIN)
            .args(["run", "--no-shims"])
            .args(extra)
            .args(["--user", "nobody", "--"])
            .arg(&id)
            .arg("-u")
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", dir.path())
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        String::from_utf8_lossy(&o.stdout).trim().to_owned()
    };
    // Without no_new_privs the setuid bit works here, so the next result means something.
    assert_eq!(euid(&["--allow-new-privs"]), "0");
    assert_eq!(euid(&[]), NOBODY.to_string());
}

#[test]
fn self_protection_blocks_in_shell_mode_with_a_plain_message() {
    let f = fx();
    let cfg = f.home.join(".config/interlock/config.toml");
    for script in [
        "echo '[env]' > ~/.config/interlock/config.toml",
        "rm -rf $HOME/.config/interlock",
        "interlock approve 1234",
        "PATH=/usr/bin:/bin kubectl delete ns prod",
        "export PATH=/usr/bin; aws s3 ls",
        &format!("rm {}/kubectl", f.shims.display()),
        "unset INTERLOCK_SESSION",
    ] {
        let o = f
            .cmd(BIN)
            .args(["-c", script])
            .env("INTERLOCK_SESSION", "0123")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(BLOCKED), "{script}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(
            err.starts_with("interlock: blocked by self-protect-")
                && err.contains("the agent may not change its own guard"),
            "{script}: {err}"
        );
    }
    assert!(!cfg.exists(), "the config was written");
    assert!(f.shims.join("kubectl").exists(), "a shim was removed");
}

#[test]
fn the_audits_normalization_and_self_protection_bypasses_run_nothing_in_shell_mode() {
    let f = fx();
    f.config("# kept\n");
    let cfg = f.home.join(".config/interlock/config.toml");
    let home = f.home.display().to_string();
    let real_kubectl = f.real.join("kubectl").display().to_string();
    for script in [
        format!("env - {real_kubectl} delete ns prod"),
        "env -- PATH=/usr/bin kubectl delete ns prod".into(),
        "env - rm ~/.config/interlock/config.toml".into(),
        "run0 kubectl delete ns prod".into(),
        "echo x >& ~/.config/interlock/config.toml".into(),
        "export PATH=${PATH#*:}; kubectl get pods".into(),
        "command -p kubectl get pods".into(),
        "cd ~/.config && cd /tmp && cd - && echo x > interlock/config.toml".into(),
        "D=~/.config/interlock; echo x > $D/config.toml".into(),
        "sort -o ~/.config/interlock/config.toml /dev/null".into(),
        format!("python3 -c \"open('{home}/.config/interlock/config.toml','w').write('x')\""),
        "x=approve; interlock $x 1234".into(),
    ] {
        let o = f
            .cmd(BIN)
            .args(["-c", &script])
            .env("INTERLOCK_SESSION", "0123")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(BLOCKED), "{script}: {}", text(&o));
    }
    assert_eq!(std::fs::read_to_string(&cfg).unwrap(), "# kept\n");
    assert!(
        !f.rec.join("kubectl.env").exists(),
        "kubectl ran behind a launcher"
    );
}

#[test]
fn no_secret_value_appears_in_check_json_explain_or_block_messages() {
    let f = fx();
    let scripts = [
        "PGPASSWORD=pw-FAKESECRET psql -h db -c 'DROP DATABASE prod'",
        "mysql -uroot -pmy-FAKESECRET -e 'DROP DATABASE shop'",
        "psql postgres://app:url-FAKESECRET@db/prod -c 'DROP TABLE users'",
        "AWS_ACCESS_KEY_ID=AKIAFAKESECRET000002 aws s3 rb s3://bucket --force",
        "kubectl delete ns prod --token=tok-FAKESECRET",
        "curl -H 'Authorization: Bearer bearer-FAKESECRET-123' https://x; kubectl delete ns prod",
        "docker login --password dock-FAKESECRET registry; rm -rf /",
        "echo x > ~/.config/interlock/FAKESECRET-not-a-secret-but-a-path; mysql -pmy-FAKESECRET",
        // Options whose names do not say they hold a password, each beside a command
        // that is blocked, so the whole line reaches JSON, explain and the log.
        "redis-cli -a redis-FAKESECRET FLUSHALL",
        "sqlcmd -S db -P sql-FAKESECRET -Q 'DROP DATABASE shop'; rm -rf /",
        "mongosh -u app -p mongo-FAKESECRET prod; rm -rf /",
        "curl -u admin:curl-FAKESECRET https://x; rm -rf /",
        "sshpass -p pass-FAKESECRET ssh host uptime; rm -rf /",
        "docker login -u me -p dock2-FAKESECRET; rm -rf /",
        "az login -u me -p az-FAKESECRET; rm -rf /",
        "curl -H 'Authorization: token tok2-FAKESECRET' https://x; rm -rf /",
        "git clone https://FAKESECRET0123456789abcd@github.com/o/r; rm -rf /",
        "aws configure set aws_secret_access_key aws-FAKESECRET; rm -rf /",
        "psql postgres://u:pa/ss-FAKESECRET@db -c 'DROP TABLE users'",
        "psql -c \"ALTER USER app WITH PASSWORD 'sql2-FAKESECRET'\"; rm -rf /",
        "mysql -h db -p'FAKESECRET two' -e 'DROP DATABASE shop'",
    ];
    for s in scripts {
        for args in [
            vec!["check", "--shell", s],
            vec!["check", "--json", "--shell", s],
            vec!["explain", "--shell", s],
        ] {
            let o = f.cmd(BIN).args(&args).output().unwrap();
            let t = text(&o);
            // The path in the last script is not a secret; everything else is.
            let leaks = t.matches(MARK).count() - t.matches("FAKESECRET-not-a-secret").count();
            assert_eq!(leaks, 0, "{args:?} leaked:\n{t}");
        }
        let o = f.cmd(BIN).args(["-c", s]).output().unwrap();
        assert_ne!(o.status.code(), Some(0), "{s}");
        let t = text(&o);
        let leaks = t.matches(MARK).count() - t.matches("FAKESECRET-not-a-secret").count();
        assert_eq!(leaks, 0, "shell mode leaked:\n{t}");
    }
    for argv in [
        [
            "kubectl",
            "delete",
            "ns",
            "prod",
            "--token",
            "tok-FAKESECRET",
        ]
        .as_slice(),
        [
            "psql",
            "postgres://app:url-FAKESECRET@db/prod",
            "-c",
            "DROP TABLE users",
        ]
        .as_slice(),
    ] {
        let o = f
            .cmd(f.shims.join(argv[0]))
            .args(&argv[1..])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(BLOCKED), "{}", text(&o));
        assert!(!text(&o).contains(MARK), "shim leaked:\n{}", text(&o));
        let o = f
            .cmd(BIN)
            .args(["check", "--json", "--"])
            .args(argv)
            .output()
            .unwrap();
        assert!(!text(&o).contains(MARK), "check -- leaked:\n{}", text(&o));
    }
    // Every refusal above was recorded; the log holds no secret either.
    let log = std::fs::read_to_string(f.home.join(".local/state/interlock/audit.log"))
        .expect("the refusals were logged");
    assert!(log.lines().count() >= scripts.len(), "{log}");
    let leaks = log.matches(MARK).count() - log.matches("FAKESECRET-not-a-secret").count();
    assert_eq!(leaks, 0, "the audit log leaked:\n{log}");
}
