//! Self-protection: built-in checks that keep the agent from changing its own guard.
//! They run in the policy engine on every command, before any rule, and no rules file
//! can remove them: a project file is something the agent can write.
//!
//! Guarded routes: writing, deleting, moving, re-permissioning or editing interlock's
//! configuration, rules, state and audit log, its shims or its binary (by redirection
//! or by the usual file tools); approving interlock's own requests; changing
//! `INTERLOCK_*` variables; and running a guarded tool with the shims taken off PATH.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::env::Env;
use crate::normalize::Command;
use crate::parse::Word;
use crate::rules::glob;

/// What a protected path belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Config,
    State,
    Shims,
    Binary,
}

impl Kind {
    fn id(self) -> &'static str {
        match self {
            Kind::Config => "self-protect-config",
            Kind::State => "self-protect-state",
            Kind::Shims => "self-protect-shims",
            Kind::Binary => "self-protect-binary",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Kind::Config => "interlock's configuration and rules",
            Kind::State => "interlock's state and audit log",
            Kind::Shims => "interlock's shims",
            Kind::Binary => "the interlock program",
        }
    }
}

/// A self-protection check that fired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub id: &'static str,
    pub reason: String,
    /// It names interlock's own files (not a directory far above them, like `/`, where
    /// a rule's reason says more).
    pub direct: bool,
}

const PREAMBLE: &str = "the agent may not change its own guard";
const HUMAN: &str = "a human must do this in their own terminal, outside the agent session";

fn finding(id: &'static str, what: String) -> Finding {
    Finding {
        id,
        reason: format!("{PREAMBLE}: {what}. {HUMAN}"),
        direct: true,
    }
}

/// Directory shapes that are interlock's wherever they are found (another user's home,
/// another install prefix), as consecutive path components.
const SYMBOLIC: &[(&[&str], Kind)] = &[
    (&[".config", "interlock"], Kind::Config),
    (&["etc", "interlock"], Kind::Config),
    (&[".local", "state", "interlock"], Kind::State),
    (&["lib", "interlock"], Kind::Shims),
    (&["profile.d", "interlock.sh"], Kind::Shims),
];

/// Shells and build tools that run whatever PATH finds: with the shims gone from PATH,
/// everything they start goes unjudged.
const PATH_SENSITIVE: &[&str] = &[
    "sh", "bash", "zsh", "dash", "ksh", "fish", "make", "gmake", "just", "xargs",
];

/// Variables interlock finds its user config, rules and state through.
const RELOCATING: &[&str] = &["HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"];

/// Subcommands of `interlock` that answer interlock's own requests.
const APPROVING: &[&str] = &["approve", "deny", "approvals"];

/// Editors, run with a file: any edit of a protected file is a change.
const EDITORS: &[&str] = &[
    "vi", "vim", "nvim", "view", "nano", "pico", "emacs", "ed", "ex", "micro", "joe", "mcedit",
    "kak", "hx", "code", "gedit",
];

/// One protected location.
#[derive(Clone, Debug)]
struct Root {
    path: String,
    kind: Kind,
    /// Removing or moving a directory above it counts as touching it.
    ancestors: bool,
}

/// The protected locations and what is needed to resolve a word into a path.
#[derive(Clone, Debug, Default)]
pub struct Protected {
    home: Option<String>,
    xdg_config: Option<String>,
    xdg_state: Option<String>,
    cwd: Option<String>,
    roots: Vec<Root>,
    shims: Vec<String>,
}

fn text(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

impl Protected {
    /// From the process: `HOME`, the XDG directories, the shims directory and this binary.
    pub fn from_process() -> Protected {
        let exe = std::env::current_exe().ok();
        Protected::new(&Env::from_process(), crate::entry::exec::shims_dir(), exe)
    }

    pub fn new(env: &Env, shims: Option<PathBuf>, exe: Option<PathBuf>) -> Protected {
        let mut p = Protected {
            home: env.home.as_deref().map(text),
            xdg_config: env.xdg_config_home.as_deref().map(text),
            xdg_state: env.xdg_state_home.as_deref().map(text),
            cwd: env.cwd.as_deref().map(text),
            ..Default::default()
        };
        let mut add = |path: PathBuf, kind: Kind, ancestors: bool| {
            let path = normalize(&text(&path));
            if !path.is_empty() && path != "/" {
                p.roots.push(Root {
                    path,
                    kind,
                    ancestors,
                });
            }
        };
        add(env.system_dir(), Kind::Config, true);
        if let Some(d) = env.user_config_dir() {
            add(d, Kind::Config, true);
        }
        if let Some(d) = env.user_state_dir() {
            add(d, Kind::State, true);
        }
        if let Some(h) = &env.home {
            add(h.join(".config/interlock"), Kind::Config, true);
            add(h.join(".local/state/interlock"), Kind::State, true);
        }
        if let Some(s) = &shims {
            add(s.clone(), Kind::Shims, true);
            if let Ok(c) = s.canonicalize() {
                add(c, Kind::Shims, true);
            }
        }
        // The binary itself, not its directory: `rm -rf target` in a checkout that
        // holds a build of interlock is ordinary work.
        for e in exe
            .iter()
            .flat_map(|e| [Some(e.clone()), e.canonicalize().ok()])
            .flatten()
        {
            // The shell names installed next to it are interlock too.
            if let Some(dir) = e.parent() {
                for name in crate::entry::SHELL_NAMES {
                    add(dir.join(name), Kind::Binary, false);
                }
            }
            add(e, Kind::Binary, false);
        }
        p.shims = shims.iter().map(|s| text(s)).collect();
        p
    }

    /// A file an agent's own editing tool (a hook's Write, Edit, apply_patch, ...) is
    /// about to write: the finding when it is one of interlock's files. A relative
    /// path is read against `cwd`, the directory the host reports.
    pub fn file_write(&self, path: &str, cwd: Option<&str>) -> Option<Finding> {
        let cwd = cwd.or(self.cwd.as_deref());
        let (k, _) = self.classify(path, cwd, false)?;
        Some(finding(
            k.id(),
            format!(
                "writing {} ({path}) with the agent's own file tool",
                k.what()
            ),
        ))
    }

    /// A fresh walk over one script's commands, in order. `cell` holds the protected
    /// locations, worked out from the process only when a command touches files.
    pub fn walk(cell: &OnceLock<Protected>) -> Walk<'_> {
        Walk {
            cell,
            cwd: None,
            path_stripped: None,
            relocated: None,
            oldpwd: None,
            dirs: Vec::new(),
            vars: Vec::new(),
        }
    }

    /// Replaces a leading `~`, `$HOME` or XDG variable with its value.
    fn expand(&self, t: &str) -> String {
        let home = self.home.as_deref();
        let config = self
            .xdg_config
            .clone()
            .or_else(|| home.map(|h| format!("{h}/.config")));
        let state = self
            .xdg_state
            .clone()
            .or_else(|| home.map(|h| format!("{h}/.local/state")));
        // `${${NAME}}` is how an expansion with an operator reads
        // (`${XDG_CONFIG_HOME:-$HOME/.config}`): its value is still most likely the
        // variable's own.
        let leads: [(&str, Option<&str>); 10] = [
            ("~", home),
            ("${${HOME}}", home),
            ("${HOME}", home),
            ("$HOME", home),
            ("${${XDG_CONFIG_HOME}}", config.as_deref()),
            ("${XDG_CONFIG_HOME}", config.as_deref()),
            ("$XDG_CONFIG_HOME", config.as_deref()),
            ("${${XDG_STATE_HOME}}", state.as_deref()),
            ("${XDG_STATE_HOME}", state.as_deref()),
            ("$XDG_STATE_HOME", state.as_deref()),
        ];
        for (lead, value) in leads {
            if let Some(rest) = t.strip_prefix(lead)
                && (rest.is_empty() || rest.starts_with('/'))
                && let Some(v) = value
            {
                return format!("{v}{rest}");
            }
        }
        t.to_owned()
    }

    /// Which protected location `word` names, if any. `tree`: the operation acts on
    /// whole directories (rm -r, mv), so a directory above a protected one counts.
    fn classify(&self, word: &str, cwd: Option<&str>, tree: bool) -> Option<(Kind, bool)> {
        if word.is_empty() {
            return None;
        }
        let mut t = self.expand(word);
        if !t.starts_with('/')
            && let Some(c) = cwd
        {
            t = format!("{c}/{t}");
        }
        let path = normalize(&t);
        // Component by component, so a glob (`~/.config/inter*`) names what it matches.
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        let same = |pat: &[&str], names: &[&str]| {
            pat.iter()
                .zip(names)
                .all(|(p, n)| p == n || glob::matches(p, n, false))
        };
        for r in &self.roots {
            let root: Vec<&str> = r.path.split('/').filter(|p| !p.is_empty()).collect();
            let inside = parts.len() >= root.len() && same(&parts, &root);
            let above = tree && r.ancestors && parts.len() < root.len() && same(&parts, &root);
            if inside || above {
                return Some((r.kind, inside));
            }
        }
        for (seq, kind) in SYMBOLIC {
            if parts.windows(seq.len()).any(|w| same(w, seq)) {
                return Some((*kind, true));
            }
        }
        None
    }

    /// True when a PATH value keeps the shims ahead of the real tools: a directory
    /// searched before `$PATH` (or before a shims directory) may hold a real `kubectl`,
    /// so a system bin directory there, or one known only at run time, strips them.
    fn keeps_shims(&self, value: &str) -> bool {
        for d in value.split(':') {
            let d = d.trim_end_matches('/');
            if d == "$PATH"
                || d == "${PATH}"
                || d.contains("/interlock/shims")
                || self.shims.iter().any(|s| d == s.trim_end_matches('/'))
            {
                return true;
            }
            let known_user_dir = ["$HOME/", "${HOME}/", "~/", "$PWD/", "${PWD}/"]
                .iter()
                .any(|lead| d.starts_with(lead))
                && !d[1..].contains('$');
            if SYSTEM_BIN_DIRS.contains(&d) || (d.contains('$') && !known_user_dir) {
                return false;
            }
        }
        false
    }
}

/// Where distributions install the real tools.
const SYSTEM_BIN_DIRS: &[&str] = &[
    "/bin",
    "/sbin",
    "/usr/bin",
    "/usr/sbin",
    "/usr/local/bin",
    "/usr/local/sbin",
    "/snap/bin",
    "/opt/homebrew/bin",
    "/home/linuxbrew/.linuxbrew/bin",
];

/// Launchers that start their command with a PATH of their own (a service manager's,
/// polkit's): the shims are not on it.
const PATH_RESETTING: &[&str] = &["run0", "pkexec", "systemd-run", "machinectl"];

/// Lexical normalization: no empty or `.` components, `..` applied.
fn normalize(p: &str) -> String {
    let abs = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !abs {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    let joined = out.join("/");
    if abs { format!("/{joined}") } else { joined }
}

/// Words that are not options, with `--` ending the options.
fn operands(args: &[Word]) -> Vec<&Word> {
    let mut out = Vec::new();
    let mut options_done = false;
    for w in args {
        if !options_done && w.text == "--" {
            options_done = true;
            continue;
        }
        if !options_done && w.text.len() > 1 && w.text.starts_with('-') {
            continue;
        }
        out.push(w);
    }
    out
}

fn has_flag(args: &[Word], short: char, long: &str) -> bool {
    args.iter().any(|w| {
        let t = w.text.as_str();
        t == long || (t.starts_with('-') && !t.starts_with("--") && t[1..].contains(short))
    })
}

/// The value of `-t DIR`, `--target-directory DIR` or `--target-directory=DIR`.
fn target_dir(args: &[Word]) -> Option<&str> {
    let mut it = args.iter();
    while let Some(w) = it.next() {
        let t = w.text.as_str();
        if t == "-t" || t == "--target-directory" {
            return it.next().map(|w| w.text.as_str());
        }
        if let Some(v) = t.strip_prefix("--target-directory=") {
            return Some(v);
        }
        if let Some(v) = t.strip_prefix("-t")
            && !t.starts_with("--")
            && !v.is_empty()
        {
            return Some(v);
        }
    }
    None
}

/// State carried across one script's commands: `cd` changes where relative paths
/// point, and `export PATH=...` changes what later commands find.
pub struct Walk<'a> {
    cell: &'a OnceLock<Protected>,
    /// The directory after a `cd` in the script; `Some(None)` when it is unknown.
    cwd: Option<Option<String>>,
    /// How the shims were taken off PATH earlier in the script.
    path_stripped: Option<String>,
    /// A variable that moves where interlock finds its user config and rules, changed
    /// earlier in the script.
    relocated: Option<String>,
    /// The directory before the last `cd` (`cd -`), and `pushd`'s stack.
    oldpwd: Option<Option<String>>,
    dirs: Vec<Option<String>>,
    /// Shell variables assigned earlier in the script: their value when it could be
    /// worked out (`D=~/.config/interlock`), `None` when not.
    vars: Vec<(String, Option<String>)>,
}

impl Walk<'_> {
    fn guard(&self) -> &Protected {
        self.cell.get_or_init(Protected::from_process)
    }

    fn cwd(&self) -> Option<&str> {
        match &self.cwd {
            Some(c) => c.as_deref(),
            None => self.guard().cwd.as_deref(),
        }
    }

    /// Checks one command. `guarded` says whether a program has interlock rules.
    pub fn check(&mut self, cmd: &Command, guarded: &dyn Fn(&str) -> bool) -> Option<Finding> {
        if let Some(f) = self.redirects(cmd) {
            return Some(f);
        }
        if let Some(f) = self.variables(cmd, guarded) {
            return Some(f);
        }
        if cmd.problem.is_some() || cmd.program.is_empty() {
            return None;
        }
        self.program(cmd)
    }

    fn kind(&self, word: &str, tree: bool) -> Option<(Kind, bool)> {
        let word = self.substitute(word);
        let unknown_cwd = matches!(self.cwd, Some(None));
        if unknown_cwd && !word.starts_with(['/', '~', '$']) {
            // After `cd` to a directory known only at run time, a relative path can be
            // anywhere; one that goes through a directory named `interlock` is taken
            // to be interlock's.
            if word.split('/').any(|c| c == "interlock") {
                return Some((Kind::Config, true));
            }
            return None;
        }
        self.guard().classify(&word, self.cwd(), tree)
    }

    /// `$NAME` and `${NAME}` replaced by values assigned earlier in the script.
    fn substitute(&self, word: &str) -> String {
        if !word.contains('$') || self.vars.is_empty() {
            return word.to_owned();
        }
        let mut out = word.to_owned();
        for (name, value) in self.vars.iter().rev() {
            let Some(v) = value else { continue };
            for pat in [format!("${{{name}}}"), format!("${{${{{name}}}}}")] {
                out = out.replace(&pat, v);
            }
            // `$NAME` only where the name ends (`$D/x`, not `$DIR`).
            let plain = format!("${name}");
            let mut rebuilt = String::with_capacity(out.len());
            let mut rest = out.as_str();
            while let Some(at) = rest.find(&plain) {
                let after = &rest[at + plain.len()..];
                rebuilt.push_str(&rest[..at]);
                if after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                    rebuilt.push_str(&plain);
                } else {
                    rebuilt.push_str(v);
                }
                rest = after;
            }
            rebuilt.push_str(rest);
            out = rebuilt;
        }
        out
    }

    /// Records `NAME=value` assignments that persist in the shell (`D=x;`, `export`,
    /// `declare`, `local`, `readonly`).
    fn remember(&mut self, assigned: &[(String, String, bool)]) {
        for (name, text, literal) in assigned {
            let value = self.substitute(text);
            let value = self.guard().expand(&value);
            let known = *literal || !value.contains(['$', '`']);
            self.vars.retain(|(n, _)| n != name);
            self.vars.push((name.clone(), known.then_some(value)));
        }
    }

    fn redirects(&self, cmd: &Command) -> Option<Finding> {
        cmd.redirects
            .iter()
            // `2>/dev/null` is everywhere; skip it before working out any path.
            .filter(|r| r.kind.writes() && !r.target.text.starts_with("/dev/"))
            .find_map(|r| {
                let (k, _) = self.kind(&r.target.text, false)?;
                Some(finding(
                    k.id(),
                    format!(
                        "writing to {} ({}) through a redirection",
                        k.what(),
                        r.target.text
                    ),
                ))
            })
    }

    /// `INTERLOCK_*` changes, and PATH without the shims followed by a guarded tool.
    fn variables(&mut self, cmd: &Command, guarded: &dyn Fn(&str) -> bool) -> Option<Finding> {
        let declares = matches!(
            cmd.program.as_str(),
            "" | "export" | "declare" | "typeset" | "readonly" | "local" | "unset"
        );
        // Variables a builtin fills from input the script does not show.
        let filled: Vec<&str> = match cmd.program.as_str() {
            "read" | "mapfile" | "readarray" => operands(&cmd.args)
                .iter()
                .map(|w| w.text.as_str())
                .collect(),
            "printf" => cmd
                .args
                .windows(2)
                .filter(|w| w[0].text == "-v")
                .map(|w| w[1].text.as_str())
                .collect(),
            _ => Vec::new(),
        };
        if let Some(k) = filled.iter().find(|k| k.starts_with("INTERLOCK_")) {
            return Some(finding(
                "self-protect-session",
                format!("changing {k}, which interlock's session depends on"),
            ));
        }
        if filled.contains(&"PATH") {
            self.path_stripped = Some(format!("PATH set by {}", cmd.program));
            return None;
        }
        if cmd.program == "hash" && has_flag(&cmd.args, 'p', "") {
            return Some(finding(
                "self-protect-path",
                "`hash -p` points a command at a program directly, so it would skip interlock's shims".into(),
            ));
        }
        let resets_path = cmd.via.iter().any(|v| PATH_RESETTING.contains(&v.as_str()));
        if resets_path && PATH_SENSITIVE.contains(&cmd.program.as_str()) {
            let via = cmd
                .via
                .iter()
                .find(|v| PATH_RESETTING.contains(&v.as_str()))
                .cloned()
                .unwrap_or_default();
            return Some(finding(
                "self-protect-path",
                format!(
                    "running {} through {via}, which starts it with a PATH of its own, without interlock's shims",
                    cmd.program
                ),
            ));
        }
        if declares || !cmd.env.is_empty() {
            let mut seen: Vec<(String, String, bool)> = Vec::new();
            if cmd.program.is_empty() || (cmd.program != "unset" && declares) {
                seen.extend(
                    cmd.env
                        .iter()
                        .filter(|_| cmd.program.is_empty())
                        .map(|(k, v)| (k.clone(), v.text.clone(), v.literal)),
                );
                if !cmd.program.is_empty() {
                    for w in operands(&cmd.args) {
                        if let Some((k, v)) = w.text.split_once('=') {
                            seen.push((k.to_owned(), v.to_owned(), w.literal));
                        }
                    }
                }
            }
            self.remember(&seen);
        }
        if cmd.env.is_empty()
            && !declares
            && self.path_stripped.is_none()
            && self.relocated.is_none()
        {
            return None;
        }
        let mut assigned: Vec<(&str, &str)> = cmd
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.text.as_str()))
            .collect();
        let persistent = declares;
        if matches!(
            cmd.program.as_str(),
            "export" | "declare" | "typeset" | "readonly" | "local"
        ) {
            for w in operands(&cmd.args) {
                if let Some((k, v)) = w.text.split_once('=') {
                    assigned.push((k, v));
                }
            }
        }
        let unset: Vec<&str> = if cmd.program == "unset" {
            operands(&cmd.args)
                .iter()
                .map(|w| w.text.as_str())
                .collect()
        } else {
            Vec::new()
        };
        let interlock_var = assigned
            .iter()
            .map(|(k, _)| *k)
            .chain(unset.iter().copied())
            .find(|k| k.starts_with("INTERLOCK_"));
        if let Some(k) = interlock_var {
            return Some(finding(
                "self-protect-session",
                format!("changing {k}, which interlock's session depends on"),
            ));
        }
        let stripped_here = assigned
            .iter()
            .rev()
            .find(|(k, _)| *k == "PATH")
            .map(|(_, v)| !self.guard().keeps_shims(v))
            .or_else(|| unset.contains(&"PATH").then_some(true));
        let how = if cmd.program == "unset" {
            "unset PATH".to_owned()
        } else {
            "PATH set without interlock's shims".to_owned()
        };
        let relocated_here = assigned
            .iter()
            .map(|(k, _)| *k)
            .chain(unset.iter().copied())
            .find(|k| RELOCATING.contains(k))
            .map(str::to_owned);
        if persistent {
            match stripped_here {
                Some(true) => self.path_stripped = Some(how),
                Some(false) => self.path_stripped = None,
                None => {}
            }
            if relocated_here.is_some() {
                self.relocated = relocated_here;
            }
            return None;
        }
        let stripped = match stripped_here {
            Some(true) => Some(how),
            Some(false) => None,
            None => self.path_stripped.clone(),
        };
        let program = cmd.program.as_str();
        if let Some(var) = relocated_here.or_else(|| self.relocated.clone())
            && !program.is_empty()
            && (guarded(program) || PATH_SENSITIVE.contains(&program))
        {
            return Some(finding(
                "self-protect-config",
                format!(
                    "running {program} with {var} changed, which moves where interlock reads its user config and rules"
                ),
            ));
        }
        if let Some(how) = stripped
            && !program.is_empty()
            && (guarded(program) || PATH_SENSITIVE.contains(&program))
        {
            return Some(finding(
                "self-protect-path",
                format!("running {program} with {how}, so it would skip interlock's checks"),
            ));
        }
        None
    }

    fn hit<'w>(
        &self,
        words: impl IntoIterator<Item = &'w str>,
        tree: bool,
        verb: &str,
    ) -> Option<Finding> {
        words.into_iter().find_map(|w| {
            let (k, direct) = self.kind(w, tree)?;
            Some(Finding {
                direct,
                ..finding(k.id(), format!("{verb} {} ({w})", k.what()))
            })
        })
    }

    /// Inline interpreter code that names one of interlock's files and can write,
    /// delete, move or re-permission a file (`open(PATH, 'w')`, `os.remove`,
    /// `unlink`, `fs.rmSync`, perl's `open(F, ">PATH")`, ...).
    fn interpreter_writes(&self, code: &str) -> Option<Finding> {
        static WRITES: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(
                r"(?x)\b(?: unlink\w* | remove\w* | rmtree | rmdir\w* | rename\w* | replace
                    | chmod\w* | chown\w* | truncate\w* | write\w* | append\w* | rm(?:Sync)?
                    | copy\w* | symlink\w* | delete\w* | touch | move | sysopen | dump
                  )\b",
            )
            .expect("write-call pattern")
        });
        let literals = crate::normalize::string_literals(code);
        // A mode argument that writes (`'w'`, `"a+"`), or perl's `">PATH"`.
        let write_mode = literals.iter().any(|l| {
            (l.len() <= 3
                && !l.is_empty()
                && l.chars().all(|c| "rwabxt+".contains(c))
                && l.contains(['w', 'a', 'x', '+']))
                || l.starts_with('>')
                || l.starts_with("+<")
        });
        if !write_mode && !WRITES.is_match(code) {
            return None;
        }
        let paths = literals
            .iter()
            .map(|l| l.trim_start_matches(['>', '+', '<', ' ']));
        self.hit(paths, true, "changing (from interpreter code)")
    }

    fn program(&mut self, cmd: &Command) -> Option<Finding> {
        let p = cmd.program.as_str();
        let args = &cmd.args;
        let ops = operands(args);
        let texts = || ops.iter().map(|w| w.text.as_str());
        match p {
            "cd" | "pushd" | "popd" => {
                let before = self
                    .cwd
                    .clone()
                    .unwrap_or_else(|| self.cwd().map(str::to_owned));
                let next = match (p, ops.first()) {
                    ("popd", _) => self.dirs.pop().unwrap_or(None),
                    (_, None) if p == "pushd" => self.dirs.pop().unwrap_or(None),
                    (_, None) => self.guard().home.clone(),
                    (_, Some(w)) if w.text == "-" && p == "cd" => {
                        self.oldpwd.clone().unwrap_or(None)
                    }
                    (_, Some(w)) => {
                        let t = self.guard().expand(&self.substitute(&w.text));
                        let unknown_base = before.is_none() && !t.starts_with('/');
                        if t.contains(['$', '`'])
                            || (w.is_dynamic() && !t.starts_with('/'))
                            || unknown_base
                        {
                            None
                        } else {
                            Some(match (before.as_deref(), t.starts_with('/')) {
                                (_, true) => normalize(&t),
                                (Some(c), false) => normalize(&format!("{c}/{t}")),
                                (None, false) => t,
                            })
                        }
                    }
                };
                if p == "pushd" {
                    self.dirs.push(before.clone());
                }
                self.oldpwd = Some(before);
                self.cwd = Some(next);
                None
            }
            _ if p.starts_with("interlock") => {
                let first = ops.first()?;
                if first.is_dynamic() {
                    return Some(finding(
                        "self-protect-approve",
                        format!(
                            "`{p} {}` runs a subcommand known only at run time, which could answer interlock's own requests",
                            first.text
                        ),
                    ));
                }
                let sub = first.text.as_str();
                if sub == "install" && args.iter().any(|w| w.text == "--uninstall") {
                    return Some(finding(
                        "self-protect-uninstall",
                        "`interlock install --uninstall` removes interlock's hook from an agent's settings".into(),
                    ));
                }
                APPROVING.contains(&sub).then(|| {
                    finding(
                        "self-protect-approve",
                        format!("`interlock {sub}` answers interlock's own requests, and an approval may never come from the agent"),
                    )
                })
            }
            "rm" | "rmdir" | "unlink" | "shred" | "srm" | "trash" | "trash-put" => {
                self.hit(texts(), true, "deleting")
            }
            "mv" => {
                let dest = target_dir(args).map(str::to_owned);
                let sources = texts().filter(|t| dest.as_deref() != Some(*t));
                self.hit(sources.chain(dest.as_deref()), true, "moving")
            }
            "cp" | "ln" | "install" | "rsync" | "scp" => {
                if p == "install" && has_flag(args, 'd', "--directory") {
                    return self.hit(texts(), false, "creating files in");
                }
                let dest = target_dir(args).or_else(|| ops.last().map(|w| w.text.as_str()));
                self.hit(dest, false, "writing to")
            }
            "chmod" | "chown" | "chgrp" | "chattr" | "setfacl" => {
                let tree = has_flag(args, 'R', "--recursive");
                self.hit(texts(), tree, "changing the permissions of")
            }
            "touch" | "truncate" | "tee" => self.hit(texts(), false, "writing to"),
            "dd" => self.hit(
                args.iter().filter_map(|w| w.text.strip_prefix("of=")),
                false,
                "writing to",
            ),
            "sed" | "perl" | "ruby" => {
                let in_place = args.iter().any(|w| {
                    let t = w.text.as_str();
                    t.starts_with("--in-place")
                        || (t.starts_with('-') && !t.starts_with("--") && t.contains('i'))
                });
                if in_place {
                    self.hit(texts(), false, "editing")
                } else if p != "sed" {
                    let code = crate::normalize::inline_code(p, args)?;
                    self.interpreter_writes(&code.text)
                } else {
                    None
                }
            }
            "find" => {
                let acts = args.iter().any(|w| {
                    matches!(
                        w.text.as_str(),
                        "-delete" | "-exec" | "-execdir" | "-ok" | "-okdir"
                    )
                });
                let starts = args
                    .iter()
                    .take_while(|w| !w.text.starts_with('-') && w.text != "(" && w.text != "!")
                    .map(|w| w.text.as_str());
                if acts {
                    self.hit(starts, true, "deleting or changing")
                } else {
                    self.hit(
                        option_values(args, &["-fprint", "-fprint0", "-fprintf", "-fls"]),
                        false,
                        "writing to",
                    )
                }
            }
            "tar" => {
                let extracting = args.first().is_some_and(|w| {
                    let t = w.text.trim_start_matches('-');
                    !w.text.starts_with("--") && t.contains('x')
                }) || args
                    .iter()
                    .any(|w| matches!(w.text.as_str(), "--extract" | "--get"));
                if !extracting {
                    // `tar -cf FILE ...`: the archive is written over FILE.
                    let mut file = option_values(args, &["--file"]);
                    if let Some(at) = args.iter().position(|w| {
                        let t = w.text.as_str();
                        !t.starts_with("--")
                            && t.trim_start_matches('-').ends_with('f')
                            && t.trim_start_matches('-')
                                .chars()
                                .all(|c| c.is_ascii_alphabetic())
                    }) && let Some(v) = args.get(at + 1)
                    {
                        file.push(v.text.as_str());
                    }
                    return self.hit(file, false, "writing an archive to");
                }
                let mut dirs = Vec::new();
                let mut it = args.iter();
                while let Some(w) = it.next() {
                    if w.text == "-C" || w.text == "--directory" {
                        dirs.extend(it.next().map(|w| w.text.as_str()));
                    } else if let Some(v) = w.text.strip_prefix("--directory=") {
                        dirs.push(v);
                    }
                }
                if dirs.is_empty() {
                    dirs.push(".");
                }
                self.hit(dirs, false, "extracting files into")
            }
            _ if EDITORS.contains(&p) => self.hit(texts(), false, "editing"),
            "awk" | "gawk" if args.iter().any(|w| w.text == "inplace") => {
                // `gawk -i inplace PROGRAM FILE...`: every file after the program.
                self.hit(texts().skip(1), false, "editing")
            }
            _ if crate::normalize::is_interpreter(p) => {
                let code = match (crate::normalize::inline_code(p, args), &cmd.stdin) {
                    (Some(w), _) => w.text,
                    (None, crate::parse::Stdin::Literal(text)) => text.clone(),
                    _ => return None,
                };
                self.interpreter_writes(&code)
            }
            "sponge" | "script" => self.hit(texts().next_back(), false, "writing to"),
            "zip" | "sqlite3" | "sqlite" => self.hit(texts().take(1), false, "writing to"),
            "gio" | "kioclient" | "kioclient5" => {
                let writes = ops.first().is_some_and(|w| {
                    matches!(
                        w.text.as_str(),
                        "trash"
                            | "remove"
                            | "rm"
                            | "move"
                            | "mv"
                            | "copy"
                            | "cp"
                            | "save"
                            | "rename"
                            | "set"
                            | "mkdir"
                    )
                });
                if writes {
                    self.hit(texts().skip(1), true, "deleting or changing")
                } else {
                    None
                }
            }
            "patch" => {
                let out = option_values(args, &["-o", "--output", "-d", "--directory"]);
                let files = texts().take(1);
                let cwd = self.cwd().map(str::to_owned);
                self.hit(out.into_iter().chain(files), false, "patching")
                    .or_else(|| {
                        cwd.and_then(|c| self.hit([c.as_str()], false, "patching files in"))
                    })
            }
            "mount"
                if has_flag(args, 'B', "--bind")
                    || args
                        .iter()
                        .any(|w| w.text.starts_with("--rbind") || w.text == "--bind") =>
            {
                self.hit(texts().skip(1), true, "mounting over")
            }
            "git" => {
                let dir = option_values(args, &["-C"]);
                let sub = ops
                    .iter()
                    .map(|w| w.text.as_str())
                    .find(|t| !dir.contains(t));
                let writes_dir = dir.into_iter().filter(|_| {
                    sub.is_some_and(|s| {
                        !matches!(
                            s,
                            "status"
                                | "log"
                                | "diff"
                                | "show"
                                | "blame"
                                | "grep"
                                | "ls-files"
                                | "rev-parse"
                                | "describe"
                                | "branch"
                                | "remote"
                                | "config"
                        )
                    })
                });
                let clone_dest = (sub == Some("clone"))
                    .then(|| {
                        ops.iter()
                            .map(|w| w.text.as_str())
                            .filter(|t| *t != "clone")
                            .nth(1)
                    })
                    .flatten();
                self.hit(writes_dir.chain(clone_dest), true, "changing files in")
            }
            _ => {
                // Tools that write where an option says.
                let written = WRITE_OPTIONS
                    .iter()
                    .find(|(names, _)| names.contains(&p))
                    .map(|(_, opts)| option_values(args, opts))?;
                self.hit(written, false, "writing to")
            }
        }
    }
}

/// Tools and the options whose value is a file or directory they write.
const WRITE_OPTIONS: &[(&[&str], &[&str])] = &[
    (&["sort"], &["-o", "--output"]),
    (
        &["curl"],
        &[
            "-o",
            "--output",
            "--output-dir",
            "-D",
            "--dump-header",
            "-c",
            "--cookie-jar",
            "--trace",
            "--trace-ascii",
            "--stderr",
        ],
    ),
    (
        &["wget"],
        &[
            "-O",
            "--output-document",
            "-P",
            "--directory-prefix",
            "-o",
            "--output-file",
            "-a",
            "--append-output",
        ],
    ),
    (&["unzip"], &["-d"]),
    (&["cpio"], &["-D", "--directory", "-F", "--file", "-O"]),
    (&["split", "csplit"], &["--prefix", "-f"]),
    (&["bsdtar"], &["-f", "--file"]),
    (&["rsync"], &["--backup-dir", "--log-file", "--write-batch"]),
    (&["openssl"], &["-out"]),
    (&["ssh-keygen"], &["-f"]),
    (&["gpg"], &["-o", "--output"]),
    (&["base64", "xxd", "uniq", "iconv"], &["-o", "--output"]),
    (&["jq", "yq"], &["--output-file"]),
    (&["pandoc", "convert"], &["-o", "--output"]),
];

/// The values of the named options, in both `-o VALUE`/`--opt VALUE` and
/// `-oVALUE`/`--opt=VALUE` spellings.
fn option_values<'a>(args: &'a [Word], names: &[&str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut it = args.iter().peekable();
    while let Some(w) = it.next() {
        let t = w.text.as_str();
        for n in names {
            if t == *n {
                if let Some(v) = it.peek() {
                    out.push(v.text.as_str());
                }
            } else if let Some(v) = t.strip_prefix(n) {
                let glued = if n.starts_with("--") {
                    v.strip_prefix('=')
                } else if n.len() == 2 {
                    Some(v)
                } else {
                    // `-fprint FILE` style single-dash long options take no glued value.
                    None
                };
                if let Some(v) = glued.filter(|v| !v.is_empty()) {
                    out.push(v);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::analyze_script;

    fn guard() -> Protected {
        let env = Env {
            home: Some("/home/dev".into()),
            cwd: Some("/home/dev/project".into()),
            xdg_config_home: None,
            xdg_state_home: None,
        };
        Protected::new(
            &env,
            Some("/opt/il/lib/interlock/shims".into()),
            Some("/opt/il/bin/interlock".into()),
        )
    }

    fn judge(script: &str) -> Option<Finding> {
        let cell = OnceLock::new();
        let _ = cell.set(guard());
        let mut walk = Protected::walk(&cell);
        let guarded = |p: &str| matches!(p, "kubectl" | "aws" | "terraform");
        analyze_script(script)
            .iter()
            .find_map(|c| walk.check(c, &guarded))
    }

    #[test]
    fn every_route_into_interlocks_files_is_blocked() {
        for s in [
            "echo x > ~/.config/interlock/config.toml",
            "echo x >> $HOME/.config/interlock/rules/local.toml",
            "echo x >| \"$HOME\"/.local/state/interlock/audit.log",
            "cat rules.toml > ${XDG_CONFIG_HOME}/interlock/rules/x.toml",
            "> /etc/interlock/config.toml",
            "rm -rf ~/.config/interlock",
            "rm ~/.local/state/interlock/audit.log",
            "rm -rf ~/.config",
            "rm -rf ~/.config/inter*",
            "rm -rf ../.local/state",
            "mv ~/.config/interlock /tmp/x",
            "mv /tmp/evil.toml ~/.config/interlock/rules/",
            "cp /tmp/evil.toml /etc/interlock/rules/",
            "cp -t ~/.config/interlock/rules /tmp/evil.toml",
            "ln -sf /dev/null ~/.config/interlock/config.toml",
            "chmod 777 ~/.config/interlock/config.toml",
            "chmod -R a+w ~/.config",
            "chown -R agent /etc/interlock",
            "sed -i s/block/allow/ ~/.config/interlock/rules/x.toml",
            "perl -pi -e s/block/allow/ /etc/interlock/rules/x.toml",
            "tee ~/.config/interlock/config.toml < /tmp/x",
            "echo x | tee -a /home/dev/.config/interlock/rules/a.toml",
            "truncate -s 0 ~/.local/state/interlock/audit.log",
            "dd if=/dev/zero of=/home/dev/.local/state/interlock/audit.log",
            "install -m 644 x.toml ~/.config/interlock/rules/x.toml",
            "vim ~/.config/interlock/config.toml",
            "nano /etc/interlock/config.toml",
            "find ~/.local/state/interlock -delete",
            "tar -xf rules.tar -C ~/.config/interlock",
            "rm -rf /opt/il/lib/interlock/shims",
            "rm /opt/il/lib/interlock/shims/kubectl",
            "ln -sf /usr/bin/kubectl /opt/il/lib/interlock/shims/kubectl",
            "rm -rf /opt/il/lib",
            "cp /tmp/fake /opt/il/bin/interlock",
            "ln -sf /bin/bash /opt/il/bin/interlock-bash",
            "rm /etc/profile.d/interlock.sh",
            "rm -rf /home/other/.config/interlock",
            "cd ~/.config/interlock && rm -rf rules",
            "cd ~/.config && rm -rf interlock",
            "sudo rm -rf /etc/interlock",
            "sudo tee /etc/interlock/config.toml",
            "bash -c 'rm -rf ~/.config/interlock'",
            "echo 'rm -rf ~/.local/state/interlock' | sh",
            "interlock approve 3f2a",
            "/usr/local/bin/interlock deny 3f2a",
            "interlock approvals",
            "unset INTERLOCK_SESSION",
            "export INTERLOCK_SHIMS_DIR=/tmp/empty",
            "INTERLOCK_SESSION= kubectl delete ns prod",
            "PATH=/usr/bin kubectl delete ns prod",
            "env PATH=/usr/bin:/bin kubectl get pods",
            "export PATH=/usr/bin:/bin; kubectl get pods",
            "export PATH=/usr/bin:/bin\naws s3 ls",
            "PATH=/usr/bin; terraform plan",
            "unset PATH; kubectl get pods",
            "PATH=/usr/bin make deploy",
            "PATH=/bin bash -c 'kubectl get pods'",
            "XDG_CONFIG_HOME=/tmp/evil kubectl delete ns prod",
            "export XDG_CONFIG_HOME=/tmp/evil; kubectl delete ns prod",
            "HOME=/tmp/evil terraform destroy",
            "env HOME=/tmp aws s3 ls",
            "env -i kubectl delete ns prod",
            "env -u PATH kubectl get pods",
            "env -u INTERLOCK_SESSION kubectl get pods",
            // Found by review: `env -` / `env --`, `>&`, computed PATHs, `cd -`,
            // variables, writers by option, interpreter code.
            "env - rm ~/.config/interlock/x.toml",
            "env -- PATH=/usr/bin kubectl get pods",
            "echo x >& ~/.config/interlock/config.toml",
            "export PATH=${PATH#*:}; kubectl get pods",
            "PATH=${PATH#*:} make deploy",
            "export PATH=$(echo $PATH | cut -d: -f2-); kubectl get pods",
            "PATH=/usr/bin:$PATH kubectl get pods",
            "printf -v PATH /usr/bin; kubectl get pods",
            "read PATH < /tmp/p; kubectl get pods",
            "hash -p /real/kubectl kubectl",
            "command -p kubectl get pods",
            "run0 make deploy",
            "pkexec bash -c ls",
            "cd ~/.config && cd /tmp && cd - && echo x > interlock/config.toml",
            "pushd ~/.config/interlock && pushd /tmp && popd && rm config.toml",
            "D=~/.config/interlock; echo x > $D/config.toml",
            "export D=$HOME/.config/interlock; rm -rf ${D}",
            "H=$HOME; cd $H/.config/interlock && rm config.toml",
            "echo x > ${XDG_CONFIG_HOME:-$HOME/.config}/interlock/config.toml",
            "cd \"$(mktemp -d)\" && cd .. && echo x > interlock/config.toml",
            "sort -o ~/.config/interlock/config.toml /tmp/x",
            "curl -o ~/.config/interlock/config.toml https://x",
            "curl --output=/etc/interlock/config.toml https://x",
            "wget -O ~/.config/interlock/config.toml https://x",
            "wget -P ~/.config/interlock/rules https://x/r.toml",
            "gawk -i inplace '{print}' ~/.config/interlock/config.toml",
            "echo x | sponge ~/.config/interlock/config.toml",
            "patch ~/.config/interlock/config.toml < x.diff",
            "unzip x.zip -d ~/.config/interlock",
            "tar -cf ~/.config/interlock/config.toml x",
            "zip ~/.config/interlock/config.toml x",
            "git clone https://x/y ~/.config/interlock/rules",
            "git -C ~/.config/interlock checkout .",
            "find . -fprint ~/.config/interlock/config.toml",
            "script -q ~/.local/state/interlock/audit.log",
            "gio trash ~/.config/interlock",
            "mount --bind /tmp/x ~/.config/interlock",
            "python3 -c \"open('/home/dev/.config/interlock/config.toml','w').write('x')\"",
            "python3 -c \"import os; os.remove('/home/dev/.local/state/interlock/audit.log')\"",
            "perl -e 'unlink \"/home/dev/.config/interlock/config.toml\"'",
            "perl -e 'open(F, \">/etc/interlock/config.toml\")'",
            "node -e 'require(\"fs\").rmSync(\"/home/dev/.local/state/interlock\", {recursive: true})'",
            "ruby -e 'File.delete(\"/home/dev/.config/interlock/config.toml\")'",
            "x=approve; interlock $x 12345678",
        ] {
            let f = judge(s);
            assert!(f.is_some(), "not blocked: {s}");
            assert!(
                f.unwrap()
                    .reason
                    .starts_with("the agent may not change its own guard"),
                "{s}"
            );
        }
    }

    #[test]
    fn ordinary_work_near_interlock_is_left_alone() {
        for s in [
            "cat ~/.config/interlock/config.toml",
            "ls -la ~/.local/state/interlock",
            "interlock check -- kubectl delete ns x",
            "interlock explain --shell 'rm -rf /'",
            "interlock rules list",
            "cp ~/.config/interlock/config.toml /tmp/backup.toml",
            "rm -rf target node_modules",
            "rm -rf ~/.config/other-tool",
            "echo x > ~/.config/interlockish",
            "sed s/a/b/ ~/.config/interlock/config.toml",
            "export PATH=$HOME/.cargo/bin:$PATH; kubectl get pods",
            "PATH=\"/opt/tools/bin:${PATH}\" kubectl get pods",
            "export PATH=/opt/il/lib/interlock/shims:/usr/bin; kubectl get pods",
            "PATH=/usr/bin ls",
            "export EDITOR=vim",
            "HOME=/tmp/x npm install",
            "export XDG_CONFIG_HOME=/tmp/x; ls",
            "tar -xf x.tar -C /tmp",
            "find . -name '*.tmp' -delete",
            "chmod +x script.sh",
            "vim src/main.rs",
            "rm -rf /opt/il/bin",
            "rm -f *.pyc",
            "rm -rf ~/.cache/*",
            "env - true",
            "cd /tmp && cd - && ls",
            "export PATH=\"$HOME/.local/bin:$PATH\"; aws s3 ls",
            "export PATH=./node_modules/.bin:$PATH; kubectl get pods",
            "sort -o out.txt in.txt",
            "curl -o /tmp/x https://x",
            "wget -O - https://x",
            "git -C ~/.config/interlock status",
            "git -C ~/.config/interlock log",
            "gio cat ~/.config/interlock/config.toml",
            "tar -czf /tmp/backup.tgz ~/.config/interlock",
            "cd $(mktemp -d) && echo hi > notes.txt",
            "awk '{print $1}' ~/.config/interlock/config.toml",
            "python3 -c \"print(open('/home/dev/.config/interlock/config.toml').read())\"",
            "D=/tmp/build; echo x > $D/log",
            "read -r answer",
            "printf -v now '%s' x",
        ] {
            assert_eq!(judge(s), None, "blocked: {s}");
        }
    }

    #[test]
    fn paths_normalize_lexically() {
        assert_eq!(normalize("/a/./b//c/../d"), "/a/b/d");
        assert_eq!(normalize("/.."), "/");
        assert_eq!(normalize("../x"), "../x");
    }
}
