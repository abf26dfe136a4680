//! Confirmation that an agent cannot answer.
//!
//! A `confirm` verdict is resolved here, in this order:
//!
//! 1. **An earlier approval** ([`grant`]): the shell mode already had this exact argv
//!    approved as part of a script (a token grant, shims only), or an agent's hook had
//!    it approved — by the host's own prompt or in the approvals queue (a host grant).
//!    Used once.
//! 2. **The terminal**: when `/dev/tty` opens, the human at it sees the command, rule,
//!    reason and context and must type a random code shown there ([`tty`]). Nothing is
//!    read from stdin, which the agent controls. Inside an agent's session only the
//!    terminal `interlock run` was started on counts: a terminal the agent opened
//!    itself (a pty it drives) is one whose screen it can read.
//! 3. **The approvals queue**: otherwise a pending request is written to the queue
//!    directory and the command waits, bounded, for `interlock approve` from a human's
//!    own terminal ([`queue`]).
//! 4. **The rule's fallback** (block or dry run) when nobody answers, when waiting is
//!    switched off (`CI=true`, `INTERLOCK_NO_WAIT=1`, `[confirm] wait = false`), or when
//!    anything on the way fails.

pub mod cli;
pub mod grant;
pub mod hook;
pub mod queue;
pub mod session;
mod tty;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::entry::act::{self, Ask, Outcome};
use crate::env::Env;

pub use session::{SESSION_VAR, TTY_VAR};

/// Any value but empty or `0` skips the approvals queue: the fallback applies at once.
pub const NO_WAIT_VAR: &str = "INTERLOCK_NO_WAIT";

const DEFAULT_TERMINAL_TIMEOUT: u64 = 60;
const DEFAULT_QUEUE_TIMEOUT: u64 = 300;
/// Upper bounds, so that a typo cannot leave an agent hanging for days.
const MAX_TERMINAL_TIMEOUT: u64 = 3600;
const MAX_QUEUE_TIMEOUT: u64 = 86_400;

/// The `[confirm]` section of `config.toml`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ConfirmSection {
    /// Seconds the terminal prompt waits for an answer.
    pub terminal_timeout: u64,
    /// Seconds a command waits in the approvals queue before its fallback applies.
    pub queue_timeout: u64,
    /// `false`: never wait in the queue; apply the rule's fallback at once.
    pub wait: bool,
    /// A shared approvals directory, for approvers who are other users. System config
    /// only ([`load`]).
    pub queue_dir: Option<PathBuf>,
    /// `false`: an approval by the user who asked does not count (the hardened recipe,
    /// where that user is the agent's). System config only.
    pub self_approval: Option<bool>,
}

impl Default for ConfirmSection {
    fn default() -> Self {
        ConfirmSection {
            terminal_timeout: DEFAULT_TERMINAL_TIMEOUT,
            queue_timeout: DEFAULT_QUEUE_TIMEOUT,
            wait: true,
            queue_dir: None,
            self_approval: None,
        }
    }
}

impl ConfirmSection {
    pub fn terminal_timeout(&self) -> Duration {
        Duration::from_secs(self.terminal_timeout.clamp(1, MAX_TERMINAL_TIMEOUT))
    }

    pub fn queue_timeout(&self) -> Duration {
        Duration::from_secs(self.queue_timeout.clamp(1, MAX_QUEUE_TIMEOUT))
    }

    pub fn self_approval(&self) -> bool {
        self.self_approval.unwrap_or(true)
    }
}

/// The config as confirmation reads it.
pub struct Loaded {
    pub config: crate::config::Config,
    pub confirm: ConfirmSection,
}

/// Loads config.toml. `queue_dir` and `self_approval` decide whose approvals count, so
/// they are honoured only from the system file: the agent can write the user's. A
/// `[confirm]` section in the system file replaces the user's as a whole, so a user
/// file that sets them is one the system file left the section to.
pub fn load(env: &Env) -> Result<Loaded, String> {
    load_paths(&crate::config::paths(env))
}

/// [`load`] from explicit files, the system file first.
fn load_paths(paths: &[PathBuf]) -> Result<Loaded, String> {
    let config = crate::config::load_from(paths).map_err(|e| e.to_string())?;
    let confirm = config.confirm.clone().unwrap_or_default();
    if confirm.queue_dir.is_some() || confirm.self_approval.is_some() {
        let system = paths.first().cloned().unwrap_or_default();
        let from_system = crate::config::load_from(std::slice::from_ref(&system))
            .map_err(|e| e.to_string())?
            .confirm
            .is_some();
        if !from_system {
            return Err(format!(
                "`queue_dir` and `self_approval` in `[confirm]` are read only from the system config ({}); \
                 remove them from the user's config.toml",
                system.display()
            ));
        }
    }
    Ok(Loaded { config, confirm })
}

/// Everything that can go wrong while asking or recording a decision.
#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    #[error("there is no state directory for approvals: set HOME or XDG_STATE_HOME")]
    NoStateDir,
    #[error("the approvals directory {path} cannot be used: {why}")]
    UnsafeDir { path: PathBuf, why: String },
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid approval record ({source}); remove it")]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("config.toml cannot be used: {0}")]
    Config(String),
    #[error("cannot read random bytes from /dev/urandom: {0}")]
    Random(std::io::Error),
    #[error("no pending request {0} (it was approved and used, denied, expired, or never existed)")]
    NoSuchRequest(String),
    #[error(
        "request {0} has expired; the command that asked has given up and applied its fallback"
    )]
    Expired(String),
    #[error("request {0} is no longer waiting: the command that asked has exited")]
    Abandoned(String),
    #[error("request {id} was already denied by {by}")]
    Denied { id: String, by: String },
    #[error(
        "refused: request {id} was altered after it was made: what it shows is not what was asked, so it cannot be approved. \
         Deny it (`interlock deny {id}`) and find out who changed it"
    )]
    Altered { id: String },
    #[error(
        "you ({user}) already approved request {id}; it needs {needed} different people, so someone else must approve it"
    )]
    SameApprover {
        id: String,
        user: String,
        needed: u8,
    },
    #[error(
        "refused: request {id} was made by your own user ({user}), and this install does not count approvals by the user who asked \
         (`self_approval = false`); another person must approve it"
    )]
    SelfApproval { id: String, user: String },
    #[error(
        "{path} already exists{}, so no decision of yours can be recorded under that name; ask the queue's administrator to remove it",
        made_by.as_ref().map(|u| format!(" (made by {u})")).unwrap_or_default()
    )]
    DecisionExists {
        path: PathBuf,
        made_by: Option<String>,
    },
    #[error(
        "refused: this process runs inside an interlock session ({why}), and an approval must come from a human outside the agent's session. Open a terminal of your own (not one the agent started) and run it there"
    )]
    InSession { why: String },
    #[error(
        "refused: there is no terminal (/dev/tty cannot be opened), and an approval must be typed by a human at one. Run it in your own terminal"
    )]
    NoTerminal,
    #[error("request {id} changed while you were reading it; look at it again")]
    Changed { id: String },
}

impl ConfirmError {
    fn io(what: &'static str, path: &Path, source: std::io::Error) -> ConfirmError {
        ConfirmError::Io {
            what,
            path: path.to_owned(),
            source,
        }
    }
}

/// Where the command being confirmed comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// A PATH shim: the argv is the command.
    Shim,
    /// The shell mode (or an agent's hook): the whole script is approved, and a grant
    /// lets the shims it runs through without asking again.
    Shell,
}

/// The exact thing an approval binds to.
#[derive(Clone, Debug)]
pub struct Subject {
    pub via: Via,
    /// The exact argument bytes (for the shell mode, its arguments and the script).
    pub argv: Vec<Vec<u8>>,
    /// What people are shown, secrets redacted.
    pub shown: String,
    pub cwd: PathBuf,
}

impl Subject {
    /// A shim's argv: the tool's name and the original argument bytes.
    pub fn shim(tool: &str, rest: &[std::ffi::OsString], judged: &[String]) -> Subject {
        use std::os::unix::ffi::OsStrExt;
        Subject {
            via: Via::Shim,
            argv: std::iter::once(tool.as_bytes().to_vec())
                .chain(rest.iter().map(|a| a.as_bytes().to_vec()))
                .collect(),
            shown: act::shown(judged),
            cwd: cwd(),
        }
    }

    /// The shell mode's arguments and the script it judged (which may have come from a
    /// file or stdin rather than the arguments).
    pub fn shell(args: &[std::ffi::OsString], script: &str) -> Subject {
        use std::os::unix::ffi::OsStrExt;
        Subject {
            via: Via::Shell,
            argv: args
                .iter()
                .map(|a| a.as_bytes().to_vec())
                .chain(std::iter::once(script.as_bytes().to_vec()))
                .collect(),
            shown: crate::redact::redact_text(script),
            cwd: cwd(),
        }
    }

    /// A command line an agent's hook was asked about, in the directory it runs in.
    pub fn hook(command: &str, cwd: &Path) -> Subject {
        Subject {
            via: Via::Shell,
            argv: vec![command.as_bytes().to_vec()],
            shown: crate::redact::redact_text(command),
            cwd: cwd.to_owned(),
        }
    }
}

fn cwd() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("(unknown directory)"))
}

/// Resolves a `confirm` outcome by asking (see [`resolve`]); any other passes through.
pub fn settle(outcome: Outcome, subject: impl FnOnce() -> Subject) -> Resolution {
    match outcome {
        Outcome::Confirm(ask) => resolve(&ask, &subject()),
        o => Resolution::plain(o),
    }
}

/// The outcome, and for the shell mode a grant token to hand to the real shell.
#[derive(Debug)]
pub struct Resolution {
    pub outcome: Outcome,
    pub grant: Option<String>,
    /// What the human decided, for the audit log; `None` when nobody was asked.
    pub decided: Option<crate::audit::Outcome>,
}

impl Resolution {
    fn plain(outcome: Outcome) -> Resolution {
        Resolution {
            outcome,
            grant: None,
            decided: None,
        }
    }

    fn decided(outcome: Outcome, decided: crate::audit::Outcome) -> Resolution {
        Resolution {
            outcome,
            grant: None,
            decided: Some(decided),
        }
    }
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// Why waiting in the queue is switched off, if it is.
pub(crate) fn no_wait_reason(cfg: &ConfirmSection) -> Option<&'static str> {
    if std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1") {
        Some("CI=true is set, so interlock does not wait for a human")
    } else if env_flag(NO_WAIT_VAR) {
        Some("INTERLOCK_NO_WAIT is set, so interlock does not wait for a human")
    } else if !cfg.wait {
        Some("`[confirm] wait = false` in config.toml, so interlock does not wait for a human")
    } else {
        None
    }
}

/// The device number of this process's controlling terminal, for `interlock run` to
/// record in the session ([`TTY_VAR`]).
pub fn terminal_device() -> Option<u64> {
    tty::Tty::open()?.device()
}

/// Asks for a human's approval as described in the module docs, and says what to do.
pub fn resolve(ask: &Ask, subject: &Subject) -> Resolution {
    let env = Env::from_process();
    if let Some(done) = approved_earlier(&env, ask, subject) {
        return done;
    }
    let loaded = match load(&env) {
        Ok(l) => l,
        Err(e) => {
            return Resolution::plain(act::fallback(
                ask,
                &format!(
                    "config.toml does not load ({e}), so no human can be asked safely; fix the file"
                ),
            ));
        }
    };
    let cfg = &loaded.confirm;
    let context = context_lines(ask, &env, loaded.config.context.as_ref());
    // Two people cannot be one terminal prompt: a two-person rule always uses the queue.
    let terminal = if ask.approvals <= 1 {
        prompt_terminal()
    } else {
        None
    };
    let asked = match terminal {
        Some(t) => ask_at_terminal(&t, ask, subject, &context, cfg),
        None => ask_in_queue(&env, ask, subject, &context, cfg),
    };
    let by = match asked {
        Ok(by) => by,
        Err((refused, decided)) => {
            return match decided {
                Some(d) => Resolution::decided(refused, d),
                None => Resolution::plain(refused),
            };
        }
    };
    approved(&env, ask, subject, by)
}

/// Approved: runs, and for the shell mode hands its shims a grant.
fn approved(env: &Env, ask: &Ask, subject: &Subject, by: Vec<String>) -> Resolution {
    let mut res = Resolution::decided(Outcome::Run, crate::audit::Outcome::Approved { by });
    if subject.via == Via::Shell && !ask.covered.is_empty() {
        match grant::dir(env).and_then(|d| grant::create(&d, &ask.covered)) {
            Ok(token) => res.grant = Some(token),
            // Without a grant the shims ask again: slower for the human, never looser.
            Err(e) => eprintln!(
                "interlock: approved, but the tools in it may ask again: cannot record the approval for them ({e})"
            ),
        }
    }
    res
}

/// An approval given before this command got here ([`grant`]), used up now.
fn approved_earlier(env: &Env, ask: &Ask, subject: &Subject) -> Option<Resolution> {
    let dir = grant::existing_dir(env)?;
    let checked = |r: Result<Option<grant::Earlier>, ConfirmError>| match r {
        Ok(found) => found,
        Err(e) => {
            eprintln!("interlock: an earlier approval could not be checked ({e})");
            None
        }
    };
    match subject.via {
        Via::Shim => {
            let argv = ask.command.as_ref().map(|c| c.command.argv())?;
            if let Some(token) = std::env::var_os(grant::GRANT_VAR) {
                match grant::consume(&dir, &token, &argv) {
                    Ok(true) => return Some(Resolution::plain(Outcome::Run)),
                    Ok(false) => {}
                    Err(e) => {
                        eprintln!("interlock: an earlier approval could not be checked ({e})")
                    }
                }
            }
            let earlier = checked(grant::take_for_shim(&dir, &subject.cwd, &argv))?;
            Some(Resolution::decided(
                Outcome::Run,
                crate::audit::Outcome::Approved { by: earlier.by },
            ))
        }
        Via::Shell if ask.covered.is_empty() => None,
        Via::Shell => {
            let earlier = checked(grant::take_for_shell(
                &dir,
                &subject.cwd,
                &ask.covered,
                ask.approvals,
            ))?;
            Some(approved(env, ask, subject, earlier.by))
        }
    }
}

/// The terminal to ask at, if any. Inside an agent's session, only the one the session
/// was started on: the agent could run the command in a pseudo-terminal of its own and
/// read the code off it.
fn prompt_terminal() -> Option<tty::Tty> {
    let t = tty::Tty::open_foreground()?;
    let Some(inside) = session::inside() else {
        return Some(t);
    };
    if inside.tty.is_some() && inside.tty == t.device() {
        return Some(t);
    }
    eprintln!(
        "interlock: not asking at this terminal: inside an agent's session only the terminal `interlock run` was started on is a human's ({}), \
         so the question goes to the approvals queue",
        if inside.tty.is_some() {
            "this is another one"
        } else {
            "it was started without one"
        }
    );
    None
}

/// Where the deciding command points, as label and value pairs for the prompt and the
/// queue (`kube context: prod-eu`), secrets redacted.
pub(crate) type ContextLines = Vec<(String, String)>;

/// The deciding command's context as the engine detected it, or (for a verdict judged
/// without detection) detected now by the same module.
pub(crate) fn context_lines(
    ask: &Ask,
    env: &Env,
    cfg: Option<&crate::context::ContextConfig>,
) -> ContextLines {
    let Some(c) = &ask.command else {
        return Vec::new();
    };
    let detected = c.context.clone().or_else(|| {
        use crate::context::ContextSource;
        if !crate::context::TOOLS.contains(&c.tool.as_str()) {
            return None;
        }
        let rules = crate::rules::RuleSet::load(&crate::rules::Sources::standard(env));
        let pr = rules.for_program(&c.command.program);
        let view = crate::policy::args::parse(&c.command.args, &pr.spec);
        crate::context::Detector::from_process(env, cfg).context(
            &pr.tool,
            &c.command,
            &view,
            &crate::context::Changes::default(),
        )
    });
    let Some(detected) = detected else {
        return Vec::new();
    };
    let mut lines: ContextLines = detected
        .items
        .iter()
        .map(|(k, v)| (k.replace('-', " "), crate::redact::redact_text(v)))
        .collect();
    if let Some(class) = detected.class {
        lines.push(("environment".into(), class.as_str().into()));
    }
    lines
}

/// How asking ended: `Ok` with who approved, or what to do instead and, when a human
/// decided (or let the time run out), what to record of it.
type Asked = Result<Vec<String>, (Outcome, Option<crate::audit::Outcome>)>;

fn ask_at_terminal(
    t: &tty::Tty,
    ask: &Ask,
    subject: &Subject,
    context: &ContextLines,
    cfg: &ConfirmSection,
) -> Asked {
    match tty::confirm(t, ask, subject, context, cfg.terminal_timeout()) {
        Ok(()) => Ok(vec![format!(
            "{} (at the terminal)",
            queue::Person::current().name
        )]),
        Err(why) => Err((
            act::not_approved(
                ask,
                &why,
                "the human at the terminal did not approve it; do not retry it in another form. Ask them what to do instead",
            ),
            Some(crate::audit::Outcome::Denied),
        )),
    }
}

fn ask_in_queue(
    env: &Env,
    ask: &Ask,
    subject: &Subject,
    context: &ContextLines,
    cfg: &ConfirmSection,
) -> Asked {
    if let Some(why) = no_wait_reason(cfg) {
        let why = if ask.approvals > 1 {
            format!("it needs {} approvers; {why}", ask.approvals)
        } else {
            format!("there is no terminal to ask at, and {why}")
        };
        return Err((act::fallback(ask, &why), None));
    }
    let draft = queue::Draft {
        ask,
        subject,
        context,
    };
    let waited = queue::dir(env, cfg).and_then(|dir| {
        queue::ask_and_wait(&dir, &draft, cfg.self_approval(), cfg.queue_timeout())
    });
    match waited {
        Ok(queue::Waited::Approved(by)) => Ok(by),
        Ok(queue::Waited::Denied(by)) => Err((
            act::not_approved(
                ask,
                &format!("{by} denied it"),
                "a human decided against it; do not retry it in another form. Ask them what to do instead",
            ),
            Some(crate::audit::Outcome::Denied),
        )),
        Ok(queue::Waited::Expired(after)) => Err((
            act::fallback(
                ask,
                &format!("nobody approved it within {} s", after.as_secs()),
            ),
            Some(crate::audit::Outcome::TimedOut),
        )),
        Ok(queue::Waited::Refused(why)) => Err((act::not_approved(ask, &why, ""), None)),
        Err(e) => Err((
            act::fallback(ask, &format!("the approvals queue cannot be used: {e}")),
            None,
        )),
    }
}

/// A short code for a human to type: unambiguous letters and digits.
pub(crate) fn random_code(len: usize) -> Result<String, ConfirmError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let bytes = random_bytes(len)?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect())
}

pub(crate) fn random_bytes(n: usize) -> Result<Vec<u8>, ConfirmError> {
    use std::io::Read;
    let mut b = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .map_err(ConfirmError::Random)?;
    Ok(b)
}

pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A length-prefixed encoding, so that no two different lists hash alike.
pub(crate) fn encode(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(&(p.len() as u64).to_be_bytes());
        out.extend_from_slice(p);
    }
    out
}

/// UTC time as `YYYY-MM-DD HH:MM:SS UTC`: the same for every reader, whatever their zone.
pub(crate) fn format_time(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map_or_else(
            // Beyond year 9999: no record written by this program, but still say something.
            || format!("{secs} s after 1970-01-01 00:00:00 UTC"),
            |t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(engine: crate::policy::Engine, argv: &[&str]) -> Ask {
        let argv: Vec<String> = argv.iter().map(|s| (*s).to_owned()).collect();
        match act::decide(&engine.judge_argv(&argv)) {
            Outcome::Confirm(a) => *a,
            o => panic!("not a confirm: {o:?}"),
        }
    }

    #[test]
    fn the_prompt_shows_the_engines_context_or_detects_it() {
        use crate::context::Detector;
        use crate::rules::{RuleSet, Sources};
        let argv = [
            "kubectl",
            "--context",
            "prod-eu",
            "-n",
            "web",
            "drain",
            "node-1",
        ];
        let env = Env {
            home: None,
            cwd: None,
            xdg_config_home: None,
            xdg_state_home: None,
        };
        let engine = || crate::policy::Engine::new(RuleSet::load(&Sources::embedded_only()));
        let hermetic = Detector::fixed(Default::default(), None, None, None);
        let lines = context_lines(
            &ask(engine().with_context(Box::new(hermetic)), &argv),
            &env,
            None,
        );
        let get = |lines: &ContextLines, k: &str| {
            lines.iter().find(|(l, _)| l == k).map(|(_, v)| v.clone())
        };
        assert_eq!(get(&lines, "kube context").as_deref(), Some("prod-eu"));
        assert_eq!(get(&lines, "namespace").as_deref(), Some("web"));
        assert_eq!(get(&lines, "environment").as_deref(), Some("production"));
        // Judged without detection: the same module detects it now.
        let lines = context_lines(&ask(engine(), &argv), &env, None);
        assert_eq!(get(&lines, "kube context").as_deref(), Some("prod-eu"));
    }

    #[test]
    fn times_are_shown_in_utc() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_time(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_time(1_795_000_000), "2026-11-18 11:06:40 UTC");
        assert_eq!(
            format_time(u64::MAX),
            "18446744073709551615 s after 1970-01-01 00:00:00 UTC"
        );
    }

    #[test]
    fn codes_use_the_unambiguous_alphabet() {
        let c = random_code(32).unwrap();
        assert_eq!(c.len(), 32);
        assert!(c.chars().all(|ch| !"il01o".contains(ch)), "{c}");
    }

    #[test]
    fn encoding_keeps_boundaries() {
        assert_ne!(encode(&[b"ab", b"c"]), encode(&[b"a", b"bc"]));
    }

    #[test]
    fn who_approves_is_set_only_in_the_system_config() {
        let dir = tempfile::tempdir().unwrap();
        let (system, user) = (dir.path().join("system.toml"), dir.path().join("user.toml"));
        let paths = [system.clone(), user.clone()];
        std::fs::write(&user, "[confirm]\nqueue_dir = \"/tmp/q\"\n").unwrap();
        let e = load_paths(&paths).err().unwrap();
        assert!(e.contains("read only from the system config"), "{e}");
        std::fs::write(&user, "[confirm]\nself_approval = true\n").unwrap();
        assert!(load_paths(&paths).is_err());
        // In the system file they hold, and the user's section is not read at all.
        std::fs::write(
            &system,
            "[confirm]\nqueue_dir = \"/var/lib/interlock/approvals\"\nself_approval = false\n",
        )
        .unwrap();
        let c = load_paths(&paths).unwrap().confirm;
        assert_eq!(
            c.queue_dir.as_deref(),
            Some(Path::new("/var/lib/interlock/approvals"))
        );
        assert!(!c.self_approval());
        // Without them the user's section is used as before.
        std::fs::write(&system, "").unwrap();
        std::fs::write(&user, "[confirm]\nqueue_timeout = 7\n").unwrap();
        let c = load_paths(&paths).unwrap().confirm;
        assert_eq!((c.queue_timeout, c.self_approval()), (7, true));
    }

    #[test]
    fn config_section_is_strict_and_defaults() {
        let c: ConfirmSection = toml::from_str("queue_timeout = 5").unwrap();
        assert_eq!(c.queue_timeout, 5);
        assert_eq!(c.terminal_timeout, DEFAULT_TERMINAL_TIMEOUT);
        assert!(c.wait);
        assert!(toml::from_str::<ConfirmSection>("bogus = 1").is_err());
        let zero = ConfirmSection {
            queue_timeout: 0,
            ..Default::default()
        };
        assert_eq!(zero.queue_timeout(), Duration::from_secs(1));
    }
}
