//! Secret redaction for everything interlock shows or records: block messages, prompts,
//! `explain`, JSON output, the approvals queue and the audit log.
//!
//! Redaction errs towards hiding too much: a database name hidden after a `--password`
//! flag costs a reader a guess, while a password shown costs a rotation.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};

/// What a secret value is replaced with.
pub const MASK: &str = "[REDACTED]";

/// Words that make an environment variable or option name secret. Matched against the
/// name upper-cased with `-` read as `_`.
const SECRET_WORDS: &[&str] = &[
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "PASSWORD_FILE",
    "API_KEY",
    "APIKEY",
    "ACCESS_KEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
    "AUTHORIZATION",
    "SESSION_KEY",
    "CLIENT_KEY",
    "SAS_KEY",
    "ACCOUNT_KEY",
    "SIGNING_KEY",
    "MASTER_KEY",
    "AUTH_KEY",
    "COOKIE",
];

/// Exact names that hold secrets without saying so.
const SECRET_NAMES: &[&str] = &["PGPASSWORD", "MYSQL_PWD", "PWD_SECRET", "REDISCLI_AUTH"];

/// True when a variable or option name (`GITHUB_TOKEN`, `--client-secret`, `api_key`)
/// says its value is a secret.
pub fn is_secret_name(name: &str) -> bool {
    let n: String = name
        .trim_start_matches('-')
        .chars()
        .map(|c| match c {
            '-' | '.' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    if n.is_empty() {
        return false;
    }
    SECRET_NAMES.contains(&n.as_str())
        || SECRET_WORDS.iter().any(|w| n.contains(w))
        // `--pass`, `DB_PASS`, `REDIS_PWD`; a bare `PWD` is the working directory.
        || n == "PASS"
        || n.ends_with("_PASS")
        || n.ends_with("_PWD")
}

/// Secret values recognised by their shape wherever they appear.
static SHAPES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        // AWS access key ids.
        r"\b(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|AIPA)[0-9A-Z]{16}\b",
        // Code-host, registry and chat tokens.
        r"|\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}",
        r"|xox[abprs]-[A-Za-z0-9-]{10,}|npm_[A-Za-z0-9]{30,}|sk-[A-Za-z0-9_-]{20,}|hvs\.[A-Za-z0-9_-]{20,})",
        // JSON web tokens.
        r"|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
    ))
    .expect("secret shapes compile")
});

/// `scheme://user:password@host`: the password part.
/// The user part cannot hold `/`, so a path that happens to contain `:` and `@` is not
/// read as credentials; the password can (`postgres://u:pa/ss@db`).
static URL_CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)([^@\s]+)@").expect("url regex compiles")
});

/// `https://TOKEN@github.com`: a user part long enough to be a token, with no password.
static URL_TOKEN_USER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([A-Za-z][A-Za-z0-9+.-]*://)([A-Za-z0-9_.~%+=-]{20,})@")
        .expect("url regex compiles")
});

/// SQL that sets a password: `PASSWORD 'x'`, `IDENTIFIED BY 'x'`.
static SQL_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b(password|identified\s+by)(\s*=?\s*)('(?:[^']|'')*'|"[^"]*")"#)
        .expect("sql regex compiles")
});

/// `Authorization: Bearer xyz`, `Basic xyz`.
static AUTH_SCHEMES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(bearer|basic|token|digest|negotiate)(\s+)([A-Za-z0-9._~+/=-]{8,})")
        .expect("auth regex compiles")
});

/// `--name=value`, `--name value`, `NAME=value` and `Name: value`, judged by the name.
/// An option's blank-separated value never starts with `-` (that is the next option),
/// and a bare word takes no blank-separated value (`echo hello world`).
static PAIRS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"(--?[A-Za-z][A-Za-z0-9_.-]*)(=|\s+)("[^"]*"|'[^']*'|[^\s"';&|-][^\s"';&|]*)"#,
        r#"|\b([A-Za-z_][A-Za-z0-9_.-]*)(=|:[ \t]*)("[^"]*"|'[^']*'|[^\s"';&|]+)"#,
    ))
    .expect("pair regex compiles")
});

/// Literal text every match of [`SHAPES`] contains.
const SHAPE_MARKS: &[&str] = &[
    "AKIA",
    "ASIA",
    "AIDA",
    "AROA",
    "AGPA",
    "ANPA",
    "AIPA",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xox",
    "npm_",
    "sk-",
    "hvs.",
    "eyJ",
];

/// Whether any name in `text` could be secret: [`is_secret_name`]'s words anywhere in
/// the text read the same way. A pair can only be hidden when this holds.
fn may_name_a_secret(text: &str) -> bool {
    let n: String = text
        .chars()
        .map(|c| match c {
            '-' | '.' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    SECRET_NAMES
        .iter()
        .chain(SECRET_WORDS)
        .chain(&["PASS", "_PWD"])
        .any(|w| n.contains(w))
}

/// Hides secret values in free text: a command line, a script, a message.
///
/// Each pattern runs only when a cheap literal test says it could match: most text
/// holds no secret, and compiling the patterns costs a millisecond and a half.
pub fn redact_text(text: &str) -> String {
    redact_with(text, true)
}

/// [`redact_text`]; `screen` off runs every pattern (for the test that the screens
/// never skip a match).
fn redact_with(text: &str, screen: bool) -> String {
    let mut out = text.to_owned();
    // The pattern is taken lazily: naming it as a `&Regex` here would compile it.
    let mut apply = |wanted: bool, re: &LazyLock<Regex>, f: &dyn Fn(&Captures) -> String| {
        if screen && !wanted {
            return;
        }
        if let Cow::Owned(s) = re.replace_all(&out, |c: &Captures| f(c)) {
            out = s;
        }
    };
    let lower = text.to_ascii_lowercase();
    // Shapes first, so a token is hidden even when its label is unknown.
    apply(
        ["bearer", "basic", "token", "digest", "negotiate"]
            .iter()
            .any(|w| lower.contains(w)),
        &AUTH_SCHEMES,
        &|c| format!("{}{}{MASK}", &c[1], &c[2]),
    );
    apply(
        SHAPE_MARKS.iter().any(|m| text.contains(m)),
        &SHAPES,
        &|_| MASK.to_owned(),
    );
    apply(
        text.contains("://") && text.contains('@'),
        &URL_CREDENTIALS,
        &|c| format!("{}{MASK}@", &c[1]),
    );
    apply(
        text.contains("://") && text.contains('@'),
        &URL_TOKEN_USER,
        &|c| format!("{}{MASK}@", &c[1]),
    );
    apply(
        lower.contains("password") || lower.contains("identified"),
        &SQL_PASSWORD,
        &|c| format!("{}{}'{MASK}'", &c[1], &c[2]),
    );
    apply(may_name_a_secret(text), &PAIRS, &redact_pair);
    redact_tool_options(&out)
}

/// Tool-specific secret options inside a command line: the text is split into words
/// the way a shell would (quotes kept whole) and each simple command's words go
/// through [`redact_words`].
fn redact_tool_options(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut command: Vec<(String, String)> = Vec::new(); // (blanks before, word)
    let flush = |command: &mut Vec<(String, String)>, out: &mut String| {
        let mut words: Vec<String> = command.iter().map(|(_, w)| w.clone()).collect();
        redact_words(&mut words, unquote);
        for ((space, _), w) in command.drain(..).zip(words) {
            out.push_str(&space);
            out.push_str(&w);
        }
    };
    let mut rest = text;
    while !rest.is_empty() {
        let start = rest
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(rest.len());
        let (space, tail) = rest.split_at(start);
        if space.contains('\n') {
            flush(&mut command, &mut out);
        }
        if tail.is_empty() {
            out.push_str(space);
            break;
        }
        let end = word_end(tail);
        let (word, after) = tail.split_at(end);
        command.push((space.to_owned(), word.to_owned()));
        if word.ends_with([';', '|', '&', '(', ')']) {
            flush(&mut command, &mut out);
        }
        rest = after;
    }
    flush(&mut command, &mut out);
    out
}

/// The end of the shell word at the start of `s`: the first blank outside quotes.
fn word_end(s: &str) -> usize {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, c) {
            (_, '\\') if quote != Some('\'') => escaped = true,
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => return i,
            _ => {}
        }
    }
    s.len()
}

/// A word without its surrounding quotes, for comparing it with option names.
fn unquote(w: &str) -> &str {
    w.trim_matches(|c| c == '"' || c == '\'')
}

/// One program family's options whose value is a secret, though their names do not
/// say so.
struct ToolSecrets {
    programs: &'static [&'static str],
    /// The value is the next word (`redis-cli -a SECRET`).
    separate: &'static [&'static str],
    /// The value may be glued on (`mysql -pSECRET`; mysql's lone `-p` prompts).
    attached: &'static [&'static str],
    /// The value is `user:password`, of which the password is hidden (`curl -u`).
    userinfo: &'static [&'static str],
    /// The options mean a password only after this subcommand (`docker login -p`;
    /// `docker run -p` publishes a port).
    after: Option<&'static str>,
}

const TOOL_SECRETS: &[ToolSecrets] = &[
    ToolSecrets {
        programs: &[
            "mysql",
            "mariadb",
            "mysqldump",
            "mysqladmin",
            "mariadb-dump",
            "mysqlimport",
            "mysqlcheck",
            "mysqlshow",
        ],
        separate: &[],
        attached: &["-p"],
        userinfo: &[],
        after: None,
    },
    ToolSecrets {
        programs: &["redis-cli", "valkey-cli", "keydb-cli"],
        separate: &["-a"],
        attached: &[],
        userinfo: &[],
        after: None,
    },
    ToolSecrets {
        programs: &["sqlcmd", "bcp", "osql", "isql"],
        separate: &["-P"],
        attached: &["-P"],
        userinfo: &[],
        after: None,
    },
    ToolSecrets {
        programs: &[
            "mongosh",
            "mongo",
            "mongodump",
            "mongorestore",
            "mongoexport",
            "mongoimport",
            "mongostat",
            "mongotop",
            "mongofiles",
        ],
        separate: &["-p"],
        attached: &[],
        userinfo: &[],
        after: None,
    },
    ToolSecrets {
        programs: &["sshpass"],
        separate: &["-p"],
        attached: &["-p"],
        userinfo: &[],
        after: None,
    },
    ToolSecrets {
        programs: &[
            "ldapsearch",
            "ldapadd",
            "ldapmodify",
            "ldapdelete",
            "ldappasswd",
            "ldapwhoami",
            "ldapcompare",
            "ldapmodrdn",
        ],
        separate: &["-w"],
        attached: &[],
        userinfo: &[],
        after: None,
    },
    ToolSecrets {
        programs: &[
            "docker", "podman", "nerdctl", "buildah", "skopeo", "helm", "oras", "crane", "az", "cf",
        ],
        separate: &["-p"],
        attached: &[],
        userinfo: &[],
        after: Some("login"),
    },
    ToolSecrets {
        programs: &["curl"],
        separate: &[],
        attached: &[],
        userinfo: &["-u", "--user", "-U", "--proxy-user"],
        after: None,
    },
    ToolSecrets {
        programs: &["openssl"],
        separate: &["-passin", "-passout", "-pass", "-k", "-kfile"],
        attached: &[],
        userinfo: &[],
        after: None,
    },
];

/// Hides, in one simple command's words (program first), the values of the
/// [`TOOL_SECRETS`] options and the value after a secret key given to a
/// `config`/`configure set` subcommand (`aws configure set aws_secret_access_key X`,
/// `git config user.password X`). `bare` reads a word as the shell would compare it.
fn redact_words(words: &mut [String], bare: fn(&str) -> &str) {
    let Some(first) = words.first() else {
        return;
    };
    let program = {
        let b = bare(first);
        b.rsplit('/').next().unwrap_or(b).to_owned()
    };
    let spec = TOOL_SECRETS
        .iter()
        .find(|t| t.programs.contains(&program.as_str()));
    let mut armed = spec.is_some_and(|t| t.after.is_none());
    let mut in_config = false;
    let mut hide_next = false;
    let mut userinfo_next = false;
    for w in words.iter_mut().skip(1) {
        let b = bare(w).to_owned();
        if hide_next {
            hide_next = false;
            *w = MASK.to_owned();
            continue;
        }
        if userinfo_next {
            userinfo_next = false;
            if let Some((user, _)) = b.split_once(':') {
                *w = format!("{user}:{MASK}");
            }
            continue;
        }
        if let Some(t) = spec {
            if t.after == Some(b.as_str()) {
                armed = true;
                continue;
            }
            if armed {
                if t.separate.contains(&b.as_str()) {
                    hide_next = true;
                    continue;
                }
                if t.userinfo.contains(&b.as_str()) {
                    userinfo_next = true;
                    continue;
                }
                if let Some(opt) = t
                    .attached
                    .iter()
                    .find(|o| b.len() > o.len() && b.starts_with(**o) && !b.starts_with("--"))
                {
                    *w = format!("{opt}{MASK}");
                    continue;
                }
            }
        }
        if matches!(b.as_str(), "config" | "configure") {
            in_config = true;
        } else if in_config && !b.starts_with('-') && !b.contains('=') && is_secret_name(&b) {
            hide_next = true;
        }
    }
}

fn redact_pair(c: &Captures) -> String {
    let group = |i: usize| c.get(i).or_else(|| c.get(i + 3)).map_or("", |m| m.as_str());
    let (name, sep, value) = (group(1), group(2), group(3));
    if is_secret_name(name) && !value.contains(MASK) {
        format!("{name}{sep}{MASK}")
    } else if value.contains('=') {
        // `--from-literal=db_password=hunter2`, `-e PGPASSWORD=x`: the value is a pair.
        format!("{name}{sep}{}", redact_text(value))
    } else {
        c[0].to_owned()
    }
}

/// Hides secret values in an argv. Beyond [`redact_text`] on every word, it knows
/// option/value pairs split over two words (`--password hunter2`) and mysql's `-pSECRET`.
pub fn redact_argv(argv: &[String]) -> Vec<String> {
    // The words of an argv are already what the program sees: nothing to unquote.
    let mut tool = argv.to_vec();
    redact_words(&mut tool, |w| w);
    let mut out = Vec::with_capacity(argv.len());
    let mut hide_next = false;
    for (i, (arg, by_tool)) in argv.iter().zip(tool).enumerate() {
        if hide_next {
            hide_next = false;
            out.push(MASK.to_owned());
            continue;
        }
        if by_tool != *arg {
            // `-pSECRET`, `-a SECRET`: the tool's own reading decides, and a glued
            // password that happens to contain a secret-looking word hides only itself.
            out.push(by_tool);
            continue;
        }
        if i > 0 && arg.starts_with('-') && !arg.contains('=') && is_secret_name(arg) {
            // `--password VALUE`; mysql's bare `--password` prompts instead, but hiding
            // the next word then costs little.
            hide_next = true;
            out.push(arg.clone());
            continue;
        }
        out.push(redact_text(arg));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &[&str]) -> Vec<String> {
        redact_argv(&s.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn secret_names() {
        for n in [
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_ACCESS_KEY_ID",
            "PGPASSWORD",
            "MYSQL_PWD",
            "--client-secret",
            "--password",
            "openai_api_key",
            "VAULT_TOKEN",
            "ARM_CLIENT_SECRET",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in [
            "PATH",
            "HOME",
            "KUBECONFIG",
            "--namespace",
            "AWS_PROFILE",
            "-p",
        ] {
            assert!(!is_secret_name(n), "{n}");
        }
    }

    #[test]
    fn option_values_are_hidden_in_both_spellings() {
        assert_eq!(
            argv(&["psql", "--password=hunter2", "-h", "db"]),
            ["psql", "--password=[REDACTED]", "-h", "db"]
        );
        assert_eq!(
            argv(&["docker", "login", "--password", "hunter2", "reg"]),
            ["docker", "login", "--password", "[REDACTED]", "reg"]
        );
        assert_eq!(
            argv(&["mysql", "-uroot", "-phunter2", "db"]),
            ["mysql", "-uroot", "-p[REDACTED]", "db"]
        );
        // A password that happens to contain a secret-looking word hides only itself.
        assert_eq!(
            argv(&["mysql", "-pmy-SECRET", "-e", "select 1"]),
            ["mysql", "-p[REDACTED]", "-e", "select 1"]
        );
        // psql's -p is a port.
        assert_eq!(argv(&["psql", "-p5432"]), ["psql", "-p5432"]);
    }

    #[test]
    fn assignments_urls_keys_and_tokens_are_hidden() {
        let t = redact_text(
            "PGPASSWORD=hunter2 psql postgres://app:s3cret@db/prod && curl -H 'Authorization: Bearer abcdefgh12345' x",
        );
        assert!(!t.contains("hunter2"), "{t}");
        assert!(!t.contains("s3cret"), "{t}");
        assert!(!t.contains("abcdefgh12345"), "{t}");
        assert!(t.contains("postgres://app:[REDACTED]@db/prod"), "{t}");
        let t = redact_text("aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE");
        assert!(!t.contains("AKIAIOSFODNN7EXAMPLE"), "{t}");
        let t = redact_text("gh auth login --with-token ghp_abcdefghijklmnopqrstuvwxyz0123");
        assert!(!t.contains("ghp_abc"), "{t}");
        let t = redact_text("kubectl create secret generic x --from-literal=db_password=hunter2");
        assert!(!t.contains("hunter2"), "{t}");
        let t = redact_text("docker run -e PGPASSWORD=hunter2 --namespace --token=abc img");
        assert!(!t.contains("hunter2") && !t.contains("abc"), "{t}");
        let t = redact_text("echo ok; mysql -uroot -phunter2 prod -e 'DROP TABLE t'");
        assert_eq!(
            t,
            "echo ok; mysql -uroot -p[REDACTED] prod -e 'DROP TABLE t'"
        );
        let t = redact_text("mysql -h db -p'hunter 2'");
        assert!(!t.contains("hunter"), "{t}");
        // psql's -p is a port, in text as in argv.
        assert_eq!(redact_text("psql -p5432 -h db"), "psql -p5432 -h db");
    }

    #[test]
    fn the_cheap_tests_never_skip_what_a_pattern_would_hide() {
        let samples = [
            "curl -H 'Authorization: Bearer abcdefgh12345' x",
            "curl -u x -H 'authorization: basic dXNlcjpwYXNzd29yZA==' x",
            "aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE",
            "echo ghp_abcdefghijklmnopqrstuvwxyz0123 glpat-abcdefghijklmnopqrstu",
            "psql postgres://app:s3cret@db/prod",
            "docker login --password hunter2",
            "kubectl create secret generic x --from-literal=db-password=hunter2",
            "VAULT_TOKEN=s.abc vault read x",
            "psql -c \"ALTER USER a PASSWORD 'x'\"",
            "curl -H 'Authorization: token abcdef123456' x",
            "git clone https://ghx0123456789abcdefghij@github.com/o/r",
            "my.api-key: abc",
            "jwt eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4",
        ];
        for t in samples {
            assert_eq!(redact_with(t, true), redact_with(t, false), "{t}");
            assert_ne!(redact_text(t), t, "{t}");
        }
    }

    proptest::proptest! {
        /// Command lines pieced from secret-ish and ordinary words: the screens skip
        /// only what no pattern would change.
        #[test]
        fn screens_never_change_the_result(words in proptest::collection::vec(
            proptest::sample::select(vec![
                "kubectl", "delete", "--password", "hunter2", "PGPASSWORD=x", "-e",
                "Bearer", "abcdefgh1234", "postgres://u:p@h/d", "AKIAIOSFODNN7EXAMPLE",
                "--from-literal=api-key=v", "token:", "x", "=", "@", "://", "'q w'",
                "mysql", "-psecret", ";", "|", "\n", "my.secret", "basic", "eyJ",
            ]),
            0..12,
        )) {
            let t = words.join(" ");
            proptest::prop_assert_eq!(redact_with(&t, true), redact_with(&t, false));
        }
    }

    #[test]
    fn tool_specific_password_options_are_hidden() {
        for (cmd, secret) in [
            (vec!["redis-cli", "-a", "hunter2", "FLUSHALL"], "hunter2"),
            (vec!["sqlcmd", "-S", "db", "-P", "hunter2"], "hunter2"),
            (
                vec!["mongosh", "-u", "app", "-p", "hunter2", "prod"],
                "hunter2",
            ),
            (vec!["sshpass", "-p", "hunter2", "ssh", "host"], "hunter2"),
            (
                vec!["docker", "login", "-u", "me", "-p", "hunter2"],
                "hunter2",
            ),
            (vec!["az", "login", "-u", "me", "-p", "hunter2"], "hunter2"),
            (vec!["curl", "-u", "admin:hunter2", "https://x"], "hunter2"),
            (vec!["ldapsearch", "-D", "cn=a", "-w", "hunter2"], "hunter2"),
            (
                vec![
                    "aws",
                    "configure",
                    "set",
                    "aws_secret_access_key",
                    "hunter2",
                ],
                "hunter2",
            ),
            (
                vec!["git", "config", "--global", "user.password", "hunter2"],
                "hunter2",
            ),
            (vec!["redis-cli", "--pass", "hunter2"], "hunter2"),
        ] {
            let a = argv(&cmd);
            assert!(!a.iter().any(|w| w.contains(secret)), "{cmd:?} -> {a:?}");
            let t = redact_text(&cmd.join(" "));
            assert!(!t.contains(secret), "{t}");
            // Inside a compound command line too.
            let t = redact_text(&format!("cd /tmp && {} | cat", cmd.join(" ")));
            assert!(!t.contains(secret), "{t}");
        }
        // The same short options mean something else elsewhere.
        assert_eq!(
            argv(&["docker", "run", "-p", "8080:80", "img"]),
            ["docker", "run", "-p", "8080:80", "img"]
        );
        assert_eq!(
            redact_text("curl -u admin https://x"),
            "curl -u admin https://x"
        );
        assert_eq!(
            redact_text("git config user.name alice"),
            "git config user.name alice"
        );
    }

    #[test]
    fn urls_sql_and_auth_headers_are_hidden() {
        for (text, secret) in [
            ("psql postgres://u:pa/ss@db/prod", "pa/ss"),
            (
                "git clone https://ghx0123456789abcdefghij@github.com/o/r",
                "ghx0123456789abcdefghij",
            ),
            (
                "psql -c \"ALTER USER app WITH PASSWORD 'hunter2'\"",
                "hunter2",
            ),
            (
                "mysql -e \"CREATE USER a IDENTIFIED BY 'hunter2'\"",
                "hunter2",
            ),
            (
                "curl -H 'Authorization: token abcdef123456' x",
                "abcdef123456",
            ),
            ("mysql -h db -p'hunter 2' prod", "hunter"),
        ] {
            let t = redact_text(text);
            assert!(!t.contains(secret), "{text} -> {t}");
        }
        assert!(redact_text("psql postgres://u:pa/ss@db/prod").contains("@db/prod"));
        assert_eq!(
            redact_text("mysql -h db -p'hunter 2' prod"),
            "mysql -h db -p[REDACTED] prod"
        );
        // A path holding `:` and `@` is not a URL's credentials.
        assert_eq!(
            redact_text("open https://example.com/a:b@c"),
            "open https://example.com/a:b@c"
        );
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for s in [
            "kubectl delete namespace prod",
            "git push --force origin main",
            "echo hello world",
            "terraform destroy -auto-approve",
            "https://example.com/path",
        ] {
            assert_eq!(redact_text(s), s);
        }
    }
}
