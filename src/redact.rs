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
    SECRET_NAMES.contains(&n.as_str()) || SECRET_WORDS.iter().any(|w| n.contains(w))
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
static URL_CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)([^@\s/]+)@").expect("url regex compiles")
});

/// `Authorization: Bearer xyz`, `Basic xyz`.
static AUTH_SCHEMES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(bearer|basic)(\s+)([A-Za-z0-9._~+/=-]{8,})").expect("auth regex compiles")
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
        lower.contains("bearer") || lower.contains("basic"),
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
    apply(may_name_a_secret(text), &PAIRS, &redact_pair);
    redact_attached_p(&out)
}

/// mysql's `-pSECRET` inside a command line: every `-p...` word after a mysql-family
/// program word, up to the end of that command (`;`, `|`, `&`, a newline).
fn redact_attached_p(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_mysql = false;
    let mut rest = text;
    while !rest.is_empty() {
        let start = rest
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(rest.len());
        let (space, tail) = rest.split_at(start);
        if space.contains('\n') {
            in_mysql = false;
        }
        out.push_str(space);
        let end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        let (word, after) = tail.split_at(end);
        let bare = word.trim_matches(|c| c == '"' || c == '\'');
        let program = bare.rsplit('/').next().unwrap_or(bare);
        if ATTACHED_P_PASSWORD.contains(&program) {
            in_mysql = true;
            out.push_str(word);
        } else if in_mysql && bare.len() > 2 && bare.starts_with("-p") && !bare.starts_with("--") {
            out.push_str(&format!("-p{MASK}"));
        } else {
            out.push_str(word);
        }
        if word.ends_with([';', '|', '&']) || matches!(word, ";" | "|" | "&&" | "||" | "&") {
            in_mysql = false;
        }
        rest = after;
    }
    out
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

/// Programs whose `-pVALUE` (attached) is a password rather than a port or path.
const ATTACHED_P_PASSWORD: &[&str] = &[
    "mysql",
    "mariadb",
    "mysqldump",
    "mysqladmin",
    "mariadb-dump",
];

/// Hides secret values in an argv. Beyond [`redact_text`] on every word, it knows
/// option/value pairs split over two words (`--password hunter2`) and mysql's `-pSECRET`.
pub fn redact_argv(argv: &[String]) -> Vec<String> {
    let program = argv
        .first()
        .map(|p| p.rsplit('/').next().unwrap_or(p))
        .unwrap_or("");
    let attached_p = ATTACHED_P_PASSWORD.contains(&program);
    let mut out = Vec::with_capacity(argv.len());
    let mut hide_next = false;
    for (i, arg) in argv.iter().enumerate() {
        if hide_next {
            hide_next = false;
            out.push(MASK.to_owned());
            continue;
        }
        if attached_p && arg.len() > 2 && arg.starts_with("-p") && !arg.starts_with("--") {
            out.push(format!("-p{MASK}"));
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
