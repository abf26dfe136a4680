//! Self-protection: built-in checks that keep the agent from changing its own guard.
//! They run in the policy engine on every command, before any rule, and no rules file
//! can remove them: a project file is something the agent can write.
//!
//! Guarded routes: writing, deleting, moving, re-permissioning or editing interlock's
//! configuration, rules, state and audit log, its shims or its binary (by redirection
//! or by the usual file tools); approving interlock's own requests; changing
//! `INTERLOCK_*` variables; and running a guarded tool with the shims taken off PATH.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::env::Env;
use crate::normalize::{Command, Grammar, Scan};
use crate::parse::{Stdin, Word};
use crate::rules::glob;

mod writers;

use writers::{
    AWK, CP, CPIO, CURL, GIT, GIT_CLONE, INSTALL, LN, MOUNT, MV, PATCH, RSYNC, SCP, UNZIP, WGET,
    WRITERS, Written, ZIP, code_patterns, git_reads_only, is_write_mode,
};

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
    "kak", "hx", "code", "gedit", "sudoedit",
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
    shim_names: OnceLock<Vec<String>>,
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
            oldpwd: None,
            stack: Vec::new(),
            vars: HashMap::new(),
            path_stripped: None,
            relocated: None,
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
        let leads: [(&str, Option<&str>); 7] = [
            ("~", home),
            ("${HOME}", home),
            ("$HOME", home),
            ("${XDG_CONFIG_HOME}", config.as_deref()),
            ("$XDG_CONFIG_HOME", config.as_deref()),
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
}

impl Protected {
    fn is_shims_dir(&self, dir: &str) -> bool {
        let dir = dir.trim_end_matches('/');
        dir.ends_with("/interlock/shims")
            || self.shims.iter().any(|s| s.trim_end_matches('/') == dir)
    }

    /// The names of the tools the shims guard, read from the shims directories once.
    fn shim_names(&self) -> &[String] {
        self.shim_names.get_or_init(|| {
            let mut names: Vec<String> = self
                .shims
                .iter()
                .filter_map(|d| std::fs::read_dir(d).ok())
                .flatten()
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names.dedup();
            names
        })
    }

    /// True when `dir` holds a real program (not a shim) under the name of a tool the
    /// shims guard: put ahead of the shims on PATH, it is found instead of them.
    fn holds_a_guarded_tool(&self, dir: &str) -> bool {
        self.shim_names().iter().any(|name| {
            let p = Path::new(dir).join(name);
            let is_interlock = p
                .canonicalize()
                .ok()
                .and_then(|c| {
                    c.file_name()
                        .map(|n| n.to_string_lossy().starts_with("interlock"))
                })
                .unwrap_or(false);
            p.is_file() && !is_interlock
        })
    }
}

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

fn is_computed(t: &str) -> bool {
    t.contains('$') || t.contains('`')
}

/// A path that starts in a directory nobody can know before it runs (after
/// `cd "$(...)"`, or after a variable the script never set): does what follows look
/// like interlock's own files? Only the shapes interlock itself uses count — a component
/// named `interlock...`, and, as the whole path, `config.toml`, `rules/*.toml`,
/// `audit.log` or `approvals` (its config and state directories hold those), or `.config`
/// and `.local` removed as trees. Ordinary work in an unknown directory
/// (`cd "$(mktemp -d)" && rm -rf build`) stays allowed; globs are not matched against
/// these names, so `rm -rf *` there is left to the rules.
fn looks_like_interlocks(rel: &str, tree: bool, whole: bool) -> bool {
    let norm = normalize(rel);
    let parts: Vec<&str> = norm
        .split('/')
        .filter(|p| !p.is_empty() && *p != "..")
        .collect();
    if parts.iter().any(|p| p.starts_with("interlock")) {
        return true;
    }
    if !whole {
        return false;
    }
    match parts.as_slice() {
        ["config.toml" | "audit.log"] => true,
        ["approvals", ..] => true,
        ["rules"] => tree,
        ["rules", f] => f.ends_with(".toml"),
        [".config" | ".local"] | [".local", "state"] => tree,
        _ => false,
    }
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

/// A variable's value as the script set it.
#[derive(Clone, Debug)]
enum Value {
    /// Each value it may have (a `for` loop's list, `${X:-default}`).
    Known(Vec<String>),
    /// Read, computed or substituted at run time.
    Unknown,
}

/// How many spellings one word may expand to before the rest are not tried.
const MAX_CANDIDATES: usize = 8;

/// State carried across one script's commands: `cd` changes where relative paths
/// point, `export PATH=...` changes what later commands find, and plain assignments
/// give later `$NAME`s their values.
pub struct Walk<'a> {
    cell: &'a OnceLock<Protected>,
    /// The directory after a `cd` in the script; `Some(None)` when it is unknown.
    cwd: Option<Option<String>>,
    /// The directory before the last `cd` (for `cd -`); `None` until the script moves.
    oldpwd: Option<Option<String>>,
    /// `pushd`'s stack, top last.
    stack: Vec<Option<String>>,
    vars: HashMap<String, Value>,
    /// How the shims were taken off PATH earlier in the script.
    path_stripped: Option<String>,
    /// A variable that moves where interlock finds its user config and rules, changed
    /// earlier in the script.
    relocated: Option<String>,
}

/// Where a path points, as far as it can be told.
enum Hit {
    Known(Kind, bool),
    /// It may be interlock's: see `looks_like_interlocks`.
    Maybe,
}

/// What one command does to variables.
#[derive(Default)]
struct Changes {
    /// Names and the value text given them; `None` when computed at run time.
    assigned: Vec<(String, Option<String>)>,
    unset: Vec<String>,
    /// Ways of keeping PATH's value away from the shims that are not an assignment
    /// (`hash -p`, `export -n PATH`, a nameref), and what to call them.
    strips: Option<String>,
    /// They last past this command (a bare assignment, `export`, `read`, ...).
    persistent: bool,
}

/// File tools handled in code rather than by the `WRITERS` table.
const OTHER_WRITERS: &[&str] = &[
    "mv", "cp", "install", "ln", "rsync", "scp", "dd", "sed", "perl", "ruby", "awk", "gawk",
    "find", "tar", "curl", "wget", "unzip", "cpio", "zip", "patch", "git", "gio", "mount",
    "sqlite3",
];

/// Builtins that declare variables from `NAME=value` operands.
const DECLARES: &[&str] = &["export", "declare", "typeset", "readonly", "local"];

impl Walk<'_> {
    fn guard(&self) -> &Protected {
        self.cell.get_or_init(Protected::from_process)
    }

    /// The directory relative paths are read against; `None` when it cannot be known.
    fn cwd(&self) -> Option<String> {
        match &self.cwd {
            Some(c) => c.clone(),
            None => self.guard().cwd.clone(),
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
        if cmd.program.is_empty() || cmd.problem.is_some() {
            return None;
        }
        self.program(cmd)
    }

    // --- words into paths

    /// A variable's values, from the script, or from the environment interlock knows.
    fn lookup(&self, name: &str) -> Option<Vec<String>> {
        if let Some(v) = self.vars.get(name) {
            return match v {
                Value::Known(v) => Some(v.clone()),
                Value::Unknown => None,
            };
        }
        let g = self.guard();
        let home = g.home.clone();
        match name {
            "HOME" => home.map(|h| vec![h]),
            "XDG_CONFIG_HOME" => g
                .xdg_config
                .clone()
                .or_else(|| home.map(|h| format!("{h}/.config")))
                .map(|v| vec![v]),
            "XDG_STATE_HOME" => g
                .xdg_state
                .clone()
                .or_else(|| home.map(|h| format!("{h}/.local/state")))
                .map(|v| vec![v]),
            "PWD" => self.cwd().map(|c| vec![c]),
            "OLDPWD" => self.oldpwd.clone().flatten().map(|c| vec![c]),
            _ => None,
        }
    }

    /// The spellings `text` may expand to, with the variables the script set and the
    /// ones interlock knows put in. `${X:-default}` and `${X-default}` give both. What
    /// cannot be known stays as written (so the result still holds a `$`).
    fn candidates(&self, text: &str) -> Vec<String> {
        self.candidates_at(text, 0)
    }

    fn candidates_at(&self, text: &str, depth: usize) -> Vec<String> {
        if !text.contains('$') || depth > 3 {
            return vec![text.to_owned()];
        }
        let mut outs = vec![String::new()];
        let push = |outs: &mut Vec<String>, alts: Vec<String>| {
            let mut next = Vec::new();
            for o in outs.iter() {
                for a in &alts {
                    if next.len() < MAX_CANDIDATES {
                        next.push(format!("{o}{a}"));
                    }
                }
            }
            *outs = next;
        };
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'$' && b.get(i + 1) == Some(&b'{') {
                if let Some(end) = closing_brace(text, i + 1) {
                    let inner = &text[i + 2..end];
                    let alts = self
                        .parameter(inner, depth)
                        .unwrap_or_else(|| vec![text[i..=end].to_owned()]);
                    push(&mut outs, alts);
                    i = end + 1;
                    continue;
                }
            } else if b[i] == b'$' {
                let name: String = text[i + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) {
                    let alts = self
                        .lookup(&name)
                        .unwrap_or_else(|| vec![format!("${name}")]);
                    push(&mut outs, alts);
                    i += 1 + name.len();
                    continue;
                }
            }
            let c = text[i..].chars().next().unwrap_or('\0');
            for o in &mut outs {
                o.push(c);
            }
            i += c.len_utf8().max(1);
        }
        outs
    }

    /// The values of `${inner}` when it is a plain name or a default-value form.
    fn parameter(&self, inner: &str, depth: usize) -> Option<Vec<String>> {
        let name_len = inner
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(inner.len());
        let (name, op) = inner.split_at(name_len);
        if name.is_empty() {
            return None;
        }
        let value = self.lookup(name);
        let default = [":-", "-", ":=", "="]
            .iter()
            .find_map(|o| op.strip_prefix(o));
        match (op, default) {
            ("", _) => value,
            (_, Some(d)) => {
                let mut alts = value.unwrap_or_else(|| vec![format!("${name}")]);
                for c in self.candidates_at(d, depth + 1) {
                    if alts.len() < MAX_CANDIDATES && !alts.contains(&c) {
                        alts.push(c);
                    }
                }
                Some(alts)
            }
            _ => None,
        }
    }

    /// Where `word` points, against directory `dir` (`None`: unknown). `tree`: the
    /// operation acts on whole directories (rm -r, mv), so a directory above a protected
    /// one counts.
    fn kind(&self, word: &str, dir: Option<&str>, tree: bool) -> Option<Hit> {
        let g = self.guard();
        for c in self.candidates(word) {
            let t = g.expand(&c);
            if let Some((k, direct)) = g.classify(&t, dir, tree) {
                return Some(Hit::Known(k, direct));
            }
            if is_computed(&t) {
                // What follows the last part nobody can know.
                let tail = t
                    .rsplit_once(['$', '`'])
                    .map_or("", |(_, tail)| tail)
                    .split_once('/')
                    .map_or("", |(_, rest)| rest);
                if looks_like_interlocks(tail, tree, false) {
                    return Some(Hit::Maybe);
                }
            } else if !t.starts_with('/') && dir.is_none() && looks_like_interlocks(&t, tree, true)
            {
                return Some(Hit::Maybe);
            }
        }
        None
    }

    /// The directory `text` names, read against `from`; `None` when it cannot be known.
    fn resolve_dir(&self, text: &str, from: Option<&str>) -> Option<String> {
        let cands = self.candidates(text);
        let [c] = cands.as_slice() else {
            return None;
        };
        let t = self.guard().expand(c);
        if is_computed(&t) {
            return None;
        }
        if t.starts_with('/') {
            return Some(normalize(&t));
        }
        from.map(|f| normalize(&format!("{f}/{t}")))
    }

    fn redirects(&self, cmd: &Command) -> Option<Finding> {
        let mut cwd: Option<Option<String>> = None;
        cmd.redirects
            .iter()
            // `2>/dev/null` is everywhere; skip it before working out any path (but not
            // `/dev/../home/...`).
            .filter(|r| {
                let t = &r.target.text;
                r.kind.writes() && (!t.starts_with("/dev/") || t.contains(".."))
            })
            .find_map(|r| {
                let cwd = cwd.get_or_insert_with(|| self.cwd());
                self.hit_at(
                    [r.target.text.as_str()],
                    cwd.as_deref(),
                    false,
                    "writing to",
                    " through a redirection",
                )
            })
    }

    fn hit_at<'w>(
        &self,
        words: impl IntoIterator<Item = &'w str>,
        dir: Option<&str>,
        tree: bool,
        verb: &str,
        how: &str,
    ) -> Option<Finding> {
        words.into_iter().find_map(|w| match self.kind(w, dir, tree)? {
            Hit::Known(k, direct) => Some(Finding {
                direct,
                ..finding(k.id(), format!("{verb} {} ({w}){how}", k.what()))
            }),
            Hit::Maybe => Some(finding(
                Kind::Config.id(),
                format!(
                    "{verb} {w}{how}, which may be interlock's own files: the directory it is in is known only at run time; use a full path"
                ),
            )),
        })
    }

    // --- variables

    /// What `cmd` does to variables.
    fn changes(&self, cmd: &Command) -> Changes {
        let mut ch = Changes::default();
        let program = cmd.program.as_str();
        let computed = |v: &str| (!(v.contains("$(") || v.contains('`'))).then(|| v.to_owned());
        for (k, v) in &cmd.env {
            ch.assigned.push((k.clone(), computed(&v.text)));
        }
        ch.persistent = program.is_empty() && cmd.problem.is_none();
        let args = &cmd.args;
        match program {
            _ if DECLARES.contains(&program) => {
                ch.persistent = true;
                let nameref = has_flag(args, 'n', "--nameref") && program != "export";
                let unexport = (program == "export" && has_flag(args, 'n', ""))
                    || args
                        .iter()
                        .any(|w| w.text.starts_with('+') && w.text.contains('x'));
                if has_flag(args, 'f', "") {
                    return ch;
                }
                for w in operands(args) {
                    let t = w.text.as_str();
                    match t.split_once('=') {
                        Some((k, target)) if nameref => {
                            // `declare -n ref=PATH`: later `ref=...` sets PATH.
                            if target == "PATH" {
                                ch.strips = Some(format!("a name reference to PATH ({k})"));
                            }
                            ch.assigned.push((target.to_owned(), None));
                        }
                        Some((k, v)) => {
                            let (k, v) = match k.strip_suffix('+') {
                                Some(k) => (k, format!("${k}{v}")),
                                None => (k, v.to_owned()),
                            };
                            let v = computed(&v);
                            ch.assigned.push((k.to_owned(), v));
                        }
                        None if unexport && t == "PATH" => {
                            ch.strips = Some("PATH taken out of the environment".into());
                        }
                        None => {}
                    }
                }
            }
            "unset" => {
                ch.persistent = true;
                if !has_flag(args, 'f', "") {
                    ch.unset = operands(args).iter().map(|w| w.text.clone()).collect();
                }
            }
            "read" | "mapfile" | "readarray" | "printf" => {
                const READ: Grammar = Grammar::new("ersa:d:i:n:N:p:t:u:", &[]);
                const MAPFILE: Grammar = Grammar::new("d:n:O:s:tu:C:c:", &[]);
                const PRINTF: Grammar = Grammar::new("v:", &[]);
                ch.persistent = true;
                let names: Vec<String> = match program {
                    "read" => {
                        let s = READ.scan(args);
                        s.operands
                            .iter()
                            .map(|w| w.text.clone())
                            .chain(s.values("a").map(|w| w.text.clone()))
                            .collect()
                    }
                    "printf" => PRINTF
                        .scan(args)
                        .values("v")
                        .map(|w| w.text.clone())
                        .collect(),
                    _ => {
                        let s = MAPFILE.scan(args);
                        vec![
                            s.operands
                                .first()
                                .map_or("MAPFILE".into(), |w| w.text.clone()),
                        ]
                    }
                };
                for n in names {
                    ch.assigned.push((n, None));
                }
            }
            "hash" if has_flag(args, 'p', "") => {
                ch.persistent = true;
                ch.strips = Some(
                    "`hash -p`, which maps a command name to a program outside the shims".into(),
                );
            }
            "enable" if has_flag(args, 'f', "") => {
                ch.persistent = true;
                ch.strips = Some("`enable -f`, which loads a builtin in place of a command".into());
            }
            _ => {}
        }
        if ch.assigned.iter().any(|(k, _)| k == "BASH_CMDS") {
            ch.strips =
                Some("BASH_CMDS, which maps a command name to a program outside the shims".into());
        }
        ch
    }

    /// True when a PATH value keeps the shims first: it starts with a shims directory,
    /// or it extends `$PATH` and everything put before it is a literal directory with no
    /// program of a guarded tool's name. Anything computed strips them.
    fn keeps_shims(&self, value: &str) -> bool {
        let g = self.guard();
        let cwd = self.cwd();
        // After `read PATH`, `$PATH` itself is a value nobody can know.
        let path_known = !matches!(self.vars.get("PATH"), Some(Value::Unknown));
        self.candidates(value).iter().all(|v| {
            let comps: Vec<&str> = v.split(':').collect();
            if comps.first().is_some_and(|c| g.is_shims_dir(c)) {
                return true;
            }
            let Some(at) = comps.iter().position(|c| *c == "$PATH" || *c == "${PATH}") else {
                return false;
            };
            if !path_known {
                return false;
            }
            comps[..at].iter().all(|c| {
                let d = g.expand(c);
                let d = if d.starts_with('/') {
                    d
                } else {
                    format!("{}/{d}", cwd.as_deref().unwrap_or("."))
                };
                !is_computed(&d) && !g.holds_a_guarded_tool(&d)
            })
        })
    }

    /// `INTERLOCK_*` changes, PATH without the shims followed by a guarded tool, and
    /// the variables later commands expand.
    fn variables(&mut self, cmd: &Command, guarded: &dyn Fn(&str) -> bool) -> Option<Finding> {
        let program = cmd.program.as_str();
        let quiet = cmd.env.is_empty()
            && !program.is_empty()
            && !DECLARES.contains(&program)
            && !matches!(
                program,
                "unset" | "read" | "mapfile" | "readarray" | "printf" | "hash" | "enable"
            )
            && !cmd.default_path
            && self.path_stripped.is_none()
            && self.relocated.is_none();
        if quiet {
            return None;
        }
        let ch = self.changes(cmd);
        let interlock_var = ch
            .assigned
            .iter()
            .map(|(k, _)| k.as_str())
            .chain(ch.unset.iter().map(String::as_str))
            .find(|k| k.starts_with("INTERLOCK_"));
        if let Some(k) = interlock_var {
            return Some(finding(
                "self-protect-session",
                format!("changing {k}, which interlock's session depends on"),
            ));
        }
        let path_set = ch.assigned.iter().rev().find(|(k, _)| k == "PATH");
        let stripped_here = match (&ch.strips, path_set) {
            (Some(how), _) => Some(Some(how.clone())),
            (None, Some((_, Some(v)))) => Some(
                (!self.keeps_shims(v))
                    .then(|| "PATH set without interlock's shims first".to_owned()),
            ),
            (None, Some((_, None))) => {
                Some(Some("PATH set to a value computed at run time".to_owned()))
            }
            (None, None) => ch
                .unset
                .iter()
                .any(|k| k == "PATH")
                .then(|| Some("unset PATH".to_owned())),
        };
        let relocated_here = ch
            .assigned
            .iter()
            .map(|(k, _)| k.as_str())
            .chain(ch.unset.iter().map(String::as_str))
            .find(|k| RELOCATING.contains(k))
            .map(str::to_owned);
        if ch.persistent {
            if let Some(s) = stripped_here {
                self.path_stripped = s;
            }
            if relocated_here.is_some() {
                self.relocated = relocated_here;
            }
            self.remember(&ch);
            return None;
        }
        let stripped = match stripped_here {
            Some(s) => s,
            None => self.path_stripped.clone(),
        };
        let sensitive =
            !program.is_empty() && (guarded(program) || PATH_SENSITIVE.contains(&program));
        if let Some(var) = relocated_here.or_else(|| self.relocated.clone())
            && sensitive
        {
            return Some(finding(
                "self-protect-config",
                format!(
                    "running {program} with {var} changed, which moves where interlock reads its user config and rules"
                ),
            ));
        }
        if let Some(how) = stripped
            && sensitive
        {
            return Some(finding(
                "self-protect-path",
                format!("running {program} with {how}, so it would skip interlock's checks"),
            ));
        }
        if cmd.default_path && guarded(program) {
            return Some(finding(
                "self-protect-path",
                format!(
                    "running {program} through `command -p`, which finds it on a default PATH without interlock's shims"
                ),
            ));
        }
        None
    }

    /// Keeps what persistent assignments give later `$NAME`s. Assigning one name more
    /// than once in a command (a `for` loop's list) keeps every value.
    fn remember(&mut self, ch: &Changes) {
        let mut fresh: HashMap<String, Value> = HashMap::new();
        for (k, v) in &ch.assigned {
            let new = match v {
                Some(text) => Value::Known(self.candidates(text)),
                None => Value::Unknown,
            };
            let merged = match (fresh.remove(k), new) {
                (Some(Value::Known(mut a)), Value::Known(b)) => {
                    for x in b {
                        if a.len() < MAX_CANDIDATES && !a.contains(&x) {
                            a.push(x);
                        }
                    }
                    Value::Known(a)
                }
                (Some(_), _) | (None, Value::Unknown) => Value::Unknown,
                (None, known) => known,
            };
            fresh.insert(k.clone(), merged);
        }
        self.vars.extend(fresh);
        for k in &ch.unset {
            self.vars
                .insert(k.clone(), Value::Known(vec![String::new()]));
        }
    }

    // --- the working directory

    fn chdir(&mut self, next: Option<String>) {
        self.oldpwd = Some(self.cwd());
        self.cwd = Some(next);
    }

    /// `cd`, `pushd` and `popd`: where relative paths point afterwards.
    fn moves(&mut self, p: &str, ops: &[&Word]) {
        let target = ops.first().map(|w| w.text.as_str());
        let rotate = |t: &str| {
            (t.starts_with('+') || t.starts_with('-'))
                && t.len() > 1
                && t[1..].bytes().all(|b| b.is_ascii_digit())
        };
        let cd_to = |w: &Self, t: &str| -> Option<String> {
            // With CDPATH set by the script, a bare name may be found under any of its
            // directories.
            let searched = w.vars.contains_key("CDPATH")
                && !t.starts_with('/')
                && !t.starts_with('.')
                && !t.starts_with('~')
                && !t.starts_with('$');
            if searched {
                return None;
            }
            w.resolve_dir(t, w.cwd().as_deref())
        };
        match (p, target) {
            ("cd", None) => {
                let home = self.lookup("HOME").and_then(|h| h.into_iter().next());
                self.chdir(home);
            }
            ("cd", Some("-")) => {
                let back = self.oldpwd.clone().flatten();
                self.chdir(back);
            }
            ("cd", Some(t)) => {
                let next = cd_to(self, t);
                self.chdir(next);
            }
            ("pushd", None) => {
                if let Some(top) = self.stack.pop() {
                    let here = self.cwd();
                    self.stack.push(here);
                    self.chdir(top);
                }
            }
            ("pushd", Some(t)) if rotate(t) => self.chdir(None),
            ("pushd", Some(t)) => {
                let next = cd_to(self, t);
                let here = self.cwd();
                self.stack.push(here);
                self.chdir(next);
            }
            ("popd", Some(t)) if rotate(t) => self.chdir(None),
            ("popd", _) => {
                if let Some(top) = self.stack.pop() {
                    self.chdir(top);
                }
            }
            _ => {}
        }
    }

    // --- programs that write files

    fn program(&mut self, cmd: &Command) -> Option<Finding> {
        let p = cmd.program.as_str();
        let args = &cmd.args;
        if matches!(p, "cd" | "pushd" | "popd") {
            let ops = operands(args);
            self.moves(p, &ops);
            return None;
        }
        if p.starts_with("interlock") {
            return interlock_itself(args);
        }
        let code = crate::normalize::inline_code(p, args, &cmd.stdin);
        let writes_files = code.is_some()
            || WRITERS.iter().any(|w| w.names.contains(&p))
            || EDITORS.contains(&p)
            || OTHER_WRITERS.contains(&p);
        // Most commands write nothing: the protected locations are not even worked out.
        if !writes_files {
            return None;
        }
        // `env -C DIR`, `sudo -D DIR`: the command's own paths are read against DIR.
        let cwd = self.cwd();
        let here = match &cmd.dir {
            Some(d) => self.resolve_dir(&d.text, cwd.as_deref()),
            None => cwd,
        };
        let dir = here.as_deref();
        let hit = |words: &mut dyn Iterator<Item = &str>, tree: bool, verb: &str| {
            self.hit_at(words, dir, tree, verb, "")
        };
        if let Some(w) = WRITERS.iter().find(|w| w.names.contains(&p)) {
            let s = w.opts.scan(args);
            let tree = w.tree
                || w.recursive
                    .iter()
                    .any(|r| s.opts.iter().any(|o| o.name == *r));
            let written: Vec<&str> = match w.operands {
                Written::All => s.operands.iter().map(|w| w.text.as_str()).collect(),
                Written::Nth(n) => s
                    .operands
                    .get(n)
                    .map(|w| w.text.as_str())
                    .into_iter()
                    .collect(),
                Written::None => Vec::new(),
            };
            let from_opts = w
                .writes
                .iter()
                .flat_map(|o| s.values(o))
                .map(|w| w.text.as_str())
                .filter(|t| *t != "-");
            let defaults = w.default.filter(|_| {
                written.is_empty() && !w.writes.iter().any(|o| s.values(o).next().is_some())
            });
            let mut all = written.into_iter().chain(from_opts).chain(defaults);
            return hit(&mut all, tree, w.verb);
        }
        if let Some(code) = code
            && let Some(f) = self.code_writes(p, &code, dir)
        {
            return Some(f);
        }
        let s = |g: &Grammar| g.scan(args);
        let texts =
            |s: &Scan<'_>| -> Vec<String> { s.operands.iter().map(|w| w.text.clone()).collect() };
        match p {
            "mv" => {
                let s = s(&MV);
                let mut words = texts(&s);
                words.extend(s.values("t").map(|w| w.text.clone()));
                hit(&mut words.iter().map(String::as_str), true, "moving")
            }
            "cp" | "install" | "ln" | "rsync" | "scp" => {
                let g = match p {
                    "cp" => &CP,
                    "install" => &INSTALL,
                    "ln" => &LN,
                    "rsync" => &RSYNC,
                    _ => &SCP,
                };
                let s = s(g);
                if p == "install" && s.opts.iter().any(|o| o.name == "d") {
                    return hit(
                        &mut s.operands.iter().map(|w| w.text.as_str()),
                        false,
                        "creating files in",
                    );
                }
                if p == "rsync"
                    && s.opts.iter().any(|o| o.name == "remove-source-files")
                    && let Some(f) = hit(
                        &mut s.operands.iter().rev().skip(1).map(|w| w.text.as_str()),
                        true,
                        "moving",
                    )
                {
                    return Some(f);
                }
                let dest = s.values("t").next().map(|w| w.text.clone()).or_else(|| {
                    match (p, s.operands.as_slice()) {
                        // `ln -s TARGET` makes the link here, under the target's name.
                        ("ln", [one]) => Some(crate::normalize::basename(&one.text).to_owned()),
                        (_, [.., last]) if s.operands.len() > 1 => Some(last.text.clone()),
                        _ => None,
                    }
                });
                hit(&mut dest.iter().map(String::as_str), false, "writing to")
            }
            "dd" => hit(
                &mut args.iter().filter_map(|w| w.text.strip_prefix("of=")),
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
                    hit(
                        &mut operands(args).into_iter().map(|w| w.text.as_str()),
                        false,
                        "editing",
                    )
                } else {
                    None
                }
            }
            "awk" | "gawk" => {
                let s = s(&AWK);
                let inplace = s.opts.iter().any(|o| {
                    o.name == "i"
                        && o.value
                            .as_ref()
                            .is_some_and(|v| v.text.starts_with("inplace"))
                });
                if !inplace {
                    return None;
                }
                // The program is the first operand unless -f or -e gave it.
                let skip =
                    usize::from(!s.opts.iter().any(|o| matches!(o.name.as_str(), "f" | "e")));
                hit(
                    &mut s
                        .operands
                        .iter()
                        .skip(skip)
                        .map(|w| w.text.as_str())
                        .filter(|t| !t.contains('=')),
                    false,
                    "editing",
                )
            }
            "find" => {
                let starts: Vec<&str> = args
                    .iter()
                    .take_while(|w| !w.text.starts_with('-') && w.text != "(" && w.text != "!")
                    .map(|w| w.text.as_str())
                    .collect();
                let mut outputs = args
                    .windows(2)
                    .filter(|w| {
                        matches!(
                            w[0].text.as_str(),
                            "-fprint" | "-fprint0" | "-fprintf" | "-fls"
                        )
                    })
                    .map(|w| w[1].text.as_str());
                if let Some(f) = hit(&mut outputs, false, "writing to") {
                    return Some(f);
                }
                let acts = args.iter().any(|w| {
                    matches!(
                        w.text.as_str(),
                        "-delete" | "-exec" | "-execdir" | "-ok" | "-okdir"
                    )
                });
                if acts {
                    hit(&mut starts.into_iter(), true, "deleting or changing")
                } else {
                    None
                }
            }
            "tar" => self.tar(args, dir),
            "curl" => {
                let s = s(&CURL);
                let mut files: Vec<String> = [
                    "o",
                    "D",
                    "c",
                    "trace",
                    "trace-ascii",
                    "stderr",
                    "libcurl",
                    "etag-save",
                    "hsts",
                    "alt-svc",
                ]
                .iter()
                .flat_map(|o| s.values(o))
                .map(|w| w.text.clone())
                .filter(|t| t != "-")
                .collect();
                let remote_name = s
                    .opts
                    .iter()
                    .any(|o| matches!(o.name.as_str(), "O" | "remote-name-all" | "J"));
                if remote_name {
                    // The file is named after the URL, in --output-dir or here.
                    files.push(
                        s.values("output-dir")
                            .next()
                            .map_or(".".into(), |w| w.text.clone()),
                    );
                }
                files.extend(s.values("output-dir").map(|w| w.text.clone()));
                hit(&mut files.iter().map(String::as_str), false, "writing to")
            }
            "wget" => {
                let s = s(&WGET);
                let mut files: Vec<String> = ["o", "a"]
                    .iter()
                    .flat_map(|o| s.values(o))
                    .map(|w| w.text.clone())
                    .collect();
                let docs: Vec<String> = s
                    .values("O")
                    .map(|w| w.text.clone())
                    .filter(|t| t != "-")
                    .collect();
                if s.values("O").next().is_none() {
                    // Without -O, each download is named after its URL, in -P DIR or here.
                    files.push(s.values("P").next().map_or(".".into(), |w| w.text.clone()));
                }
                files.extend(docs);
                hit(&mut files.iter().map(String::as_str), false, "writing to")
            }
            "unzip" => {
                let s = s(&UNZIP);
                let lists = s
                    .opts
                    .iter()
                    .any(|o| matches!(o.name.as_str(), "l" | "t" | "p" | "c" | "v" | "z" | "Z"));
                if lists {
                    return None;
                }
                let into = s.values("d").next().map_or(".".into(), |w| w.text.clone());
                hit(
                    &mut std::iter::once(into.as_str()),
                    false,
                    "extracting files into",
                )
            }
            "cpio" => {
                let s = s(&CPIO);
                let has = |n: &str| s.opts.iter().any(|o| o.name == n);
                let mut files: Vec<String> = ["F", "O"]
                    .iter()
                    .flat_map(|o| s.values(o))
                    .map(|w| w.text.clone())
                    .collect();
                if has("i") && !has("t") && !has("to-stdout") {
                    files.push(s.values("D").next().map_or(".".into(), |w| w.text.clone()));
                }
                if has("p") {
                    files.extend(s.operands.first().map(|w| w.text.clone()));
                }
                hit(&mut files.iter().map(String::as_str), false, "writing to")
            }
            "zip" => {
                let s = s(&ZIP);
                let mut files: Vec<String> = s
                    .operands
                    .first()
                    .map(|w| w.text.clone())
                    .into_iter()
                    .collect();
                files.extend(s.values("O").map(|w| w.text.clone()));
                if let Some(f) = hit(&mut files.iter().map(String::as_str), false, "writing to") {
                    return Some(f);
                }
                // -m moves the files into the archive: they are deleted.
                if s.opts.iter().any(|o| o.name == "m") {
                    return hit(
                        &mut s.operands.iter().skip(1).map(|w| w.text.as_str()),
                        true,
                        "moving",
                    );
                }
                None
            }
            "patch" => self.patch(cmd, dir),
            "git" => self.git(args, dir),
            "gio" => {
                let ops = operands(args);
                let (sub, rest) = ops.split_first()?;
                let mut rest = rest.iter().map(|w| w.text.as_str());
                match sub.text.as_str() {
                    "trash" | "remove" | "rm" => hit(&mut rest, true, "deleting"),
                    "move" | "mv" | "rename" => hit(&mut rest, true, "moving"),
                    "copy" | "cp" => hit(&mut rest.next_back().into_iter(), false, "writing to"),
                    "save" | "mkdir" | "set" => hit(&mut rest, false, "writing to"),
                    _ => None,
                }
            }
            "mount" => {
                let s = s(&MOUNT);
                let point = s.operands.last().map(|w| w.text.as_str());
                hit(&mut point.into_iter(), true, "mounting over")
            }
            "sqlite3" => {
                const VALUES: &[&str] = &[
                    "cmd",
                    "init",
                    "separator",
                    "newline",
                    "nullvalue",
                    "vfs",
                    "maxsize",
                    "mmap",
                    "pagecache",
                    "lookaside",
                    "heap",
                ];
                let mut i = 0;
                while let Some(w) = args.get(i) {
                    let t = w.text.trim_start_matches('-');
                    if !w.text.starts_with('-') {
                        break;
                    }
                    if t == "readonly" {
                        return None;
                    }
                    i += if VALUES.contains(&t) { 2 } else { 1 };
                }
                hit(
                    &mut args.get(i).map(|w| w.text.as_str()).into_iter(),
                    false,
                    "writing to",
                )
            }
            _ if EDITORS.contains(&p) => hit(
                &mut operands(args).into_iter().map(|w| w.text.as_str()),
                false,
                "editing",
            ),
            _ => None,
        }
    }

    fn tar(&self, args: &[Word], dir: Option<&str>) -> Option<Finding> {
        let words = crate::normalize::tar_args(args);
        let s = crate::normalize::TAR.scan(&words);
        let has = |n: &str| s.opts.iter().any(|o| o.name == n);
        let mut files: Vec<String> = Vec::new();
        let mut tree_files: Vec<String> = Vec::new();
        if has("x") && !has("O") {
            files.push(s.values("C").last().map_or(".".into(), |w| w.text.clone()));
        }
        if has("c") || has("r") || has("u") || has("A") || has("delete") {
            files.extend(s.values("f").map(|w| w.text.clone()).filter(|t| t != "-"));
        }
        if has("remove-files") {
            tree_files.extend(s.operands.iter().map(|w| w.text.clone()));
        }
        let verb = if has("x") {
            "extracting files into"
        } else {
            "writing to"
        };
        self.hit_at(files.iter().map(String::as_str), dir, false, verb, "")
            .or_else(|| {
                self.hit_at(
                    tree_files.iter().map(String::as_str),
                    dir,
                    true,
                    "moving",
                    "",
                )
            })
    }

    /// `patch` writes the file it is given, or the files its diff names, under `-d DIR`.
    fn patch(&self, cmd: &Command, dir: Option<&str>) -> Option<Finding> {
        let s = PATCH.scan(&cmd.args);
        let base = match s.values("d").last() {
            Some(d) => self.resolve_dir(&d.text, dir),
            None => dir.map(str::to_owned),
        };
        let base = base.as_deref();
        let mut files: Vec<String> = ["o", "r"]
            .iter()
            .flat_map(|o| s.values(o))
            .map(|w| w.text.clone())
            .filter(|t| t != "-")
            .collect();
        files.extend(s.operands.first().map(|w| w.text.clone()));
        files.push(".".into());
        if let Stdin::Literal(diff) = &cmd.stdin {
            let strip = s
                .values("p")
                .last()
                .and_then(|w| w.text.parse::<usize>().ok());
            for line in diff.lines() {
                let Some(name) = line
                    .strip_prefix("+++ ")
                    .or_else(|| line.strip_prefix("--- "))
                else {
                    continue;
                };
                let name = name.split('\t').next().unwrap_or("").trim();
                if name.is_empty() || name == "/dev/null" {
                    continue;
                }
                // Without -p, patch uses the file's base name.
                let file = match strip {
                    Some(n) => name.splitn(n + 1, '/').nth(n).unwrap_or("").to_owned(),
                    None => crate::normalize::basename(name).to_owned(),
                };
                if !file.is_empty() {
                    files.push(file);
                }
            }
        }
        self.hit_at(
            files.iter().map(String::as_str),
            base,
            false,
            "patching",
            "",
        )
    }

    /// git writes under its work tree unless the subcommand only reads.
    fn git(&self, args: &[Word], dir: Option<&str>) -> Option<Finding> {
        let r = &GIT.leading(args)[0];
        let mut base = dir.map(str::to_owned);
        for o in &r.opts {
            if let ("C", Some(v)) = (o.name.as_str(), &o.value) {
                base = self.resolve_dir(&v.text, base.as_deref());
            }
        }
        let trees: Vec<&str> = ["git-dir", "work-tree"]
            .iter()
            .flat_map(|n| r.opts.iter().filter(move |o| o.name == *n))
            .filter_map(|o| o.value.as_ref().map(|v| v.text.as_str()))
            .collect();
        let rest = &args[r.rest..];
        let (sub, sub_args) = rest.split_first()?;
        let sub = sub.text.as_str();
        let ops = operands(sub_args);
        // `git -C "$(...)"` leaves `base` unknown: its paths are judged like any path in
        // an unknown directory.
        let hit = |words: &mut dyn Iterator<Item = &str>, verb: &str| {
            self.hit_at(words, base.as_deref(), false, verb, "")
        };
        let named: Vec<String> = match sub {
            "clone" => {
                let s = GIT_CLONE.scan(sub_args);
                let mut v: Vec<String> = s
                    .values("separate-git-dir")
                    .map(|w| w.text.clone())
                    .collect();
                match s.operands.as_slice() {
                    [_, d, ..] => v.push(d.text.clone()),
                    [url] => {
                        let name = url.text.trim_end_matches('/');
                        let name = name.rsplit(['/', ':']).next().unwrap_or(name);
                        v.push(name.strip_suffix(".git").unwrap_or(name).to_owned());
                    }
                    [] => {}
                }
                v
            }
            "init" => vec![ops.first().map_or(".".into(), |w| w.text.clone())],
            "worktree" if ops.first().is_some_and(|w| w.text == "add") => {
                ops.get(1).map(|w| w.text.clone()).into_iter().collect()
            }
            _ => Vec::new(),
        };
        let outputs = sub_args.iter().enumerate().filter_map(|(i, w)| {
            let t = w.text.as_str();
            if let Some(v) = t
                .strip_prefix("--output=")
                .or_else(|| t.strip_prefix("--output-directory="))
            {
                return Some(v.to_owned());
            }
            let takes = matches!(
                (sub, t),
                (
                    "archive" | "format-patch",
                    "-o" | "--output" | "--output-directory"
                )
            );
            takes
                .then(|| sub_args.get(i + 1).map(|w| w.text.clone()))
                .flatten()
        });
        let mut files: Vec<String> = named;
        files.extend(outputs);
        if sub == "bundle" && ops.first().is_some_and(|w| w.text == "create") {
            files.extend(ops.get(1).map(|w| w.text.clone()));
        }
        files.extend(trees.iter().map(|t| (*t).to_owned()));
        if let Some(f) = hit(&mut files.iter().map(String::as_str), "writing to") {
            return Some(f);
        }
        if git_reads_only(sub, sub_args) {
            return None;
        }
        hit(&mut std::iter::once("."), "changing files with git in")
    }

    /// Inline interpreter code that names one of interlock's files and writes, deletes,
    /// renames or re-permissions something.
    fn code_writes(&self, program: &str, code: &str, dir: Option<&str>) -> Option<Finding> {
        let (literals, bare) = crate::normalize::literals_and_code(code);
        let p = code_patterns();
        let writes = p.call.is_match(&bare)
            || p.redirect.is_match(&bare)
            || literals.iter().any(|l| is_write_mode(l));
        if !writes {
            return None;
        }
        // Paths are also spelled in pieces (`Path.home() / '.config' / 'interlock'`):
        // runs of neighbouring literals are tried joined.
        let pieces: Vec<String> = literals
            .iter()
            .map(|l| l.trim_start_matches(['+', '<', '>', '|', ' ']).to_owned())
            .filter(|l| !l.is_empty() && !l.contains(char::is_whitespace))
            .collect();
        let mut tries: Vec<String> = Vec::new();
        for i in 0..pieces.len() {
            for j in i..pieces.len().min(i + 4) {
                tries.push(pieces[i..=j].join("/"));
            }
        }
        tries
            .iter()
            .filter(|t| t.contains('/') || t.starts_with('~') || t.contains("interlock"))
            .find_map(|t| match self.kind(t, dir, true)? {
                Hit::Known(k, direct) => Some(Finding {
                    direct,
                    ..finding(
                        k.id(),
                        format!("changing {} ({t}) from {program} code", k.what()),
                    )
                }),
                Hit::Maybe => None,
            })
    }
}

/// `interlock approve|deny|approvals`, `install --uninstall`, and any subcommand that is
/// not a literal word.
fn interlock_itself(args: &[Word]) -> Option<Finding> {
    let ops = operands(args);
    let first = ops.first()?;
    if first.is_dynamic() {
        return Some(finding(
            "self-protect-approve",
            format!(
                "`interlock {}` names its subcommand only at run time, and it could answer interlock's own requests",
                first.text
            ),
        ));
    }
    let sub = first.text.as_str();
    if sub == "install" && args.iter().any(|w| w.text == "--uninstall") {
        return Some(finding(
            "self-protect-uninstall",
            "`interlock install --uninstall` removes interlock's hook from an agent's settings"
                .into(),
        ));
    }
    APPROVING.contains(&sub).then(|| {
        finding(
            "self-protect-approve",
            format!("`interlock {sub}` answers interlock's own requests, and an approval may never come from the agent"),
        )
    })
}

/// The index of the `}` closing the `{` at `open`, counting nested braces.
fn closing_brace(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
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
        ] {
            assert_eq!(judge(s), None, "blocked: {s}");
        }
    }

    fn assert_blocked(scripts: &[&str]) {
        for s in scripts {
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

    fn assert_allowed(scripts: &[&str]) {
        for s in scripts {
            assert_eq!(judge(s), None, "blocked: {s}");
        }
    }

    #[test]
    fn path_values_computed_at_run_time_strip_the_shims() {
        assert_blocked(&[
            "export PATH=${PATH#*:}; kubectl get pods",
            "PATH=${PATH#*:} make deploy",
            "PATH=${PATH:40} kubectl get pods",
            "PATH=${PATH//interlock/x} kubectl get pods",
            "PATH=$(echo $PATH | cut -d: -f2-) kubectl get pods",
            "export PATH=`echo /usr/bin`; kubectl get pods",
            "printf -v PATH %s /usr/bin; kubectl get pods",
            "read PATH <<< /usr/bin; kubectl get pods",
            "read PATH <<< /usr/bin; PATH=$PATH:/opt/x; kubectl get pods",
            "mapfile -t PATH < dirs; make deploy",
            "declare PATH=/usr/bin; kubectl get pods",
            "typeset -x PATH=/bin; aws s3 ls",
            "f() { local PATH=/usr/bin; kubectl get pods; }",
            "declare -n p=PATH; p=/usr/bin; kubectl get pods",
            "export -n PATH; kubectl get pods",
            "hash -p /usr/bin/kubectl kubectl; kubectl delete ns prod",
            "BASH_CMDS[kubectl]=/usr/bin/kubectl; kubectl get pods",
            "enable -f ./kubectl.so kubectl; kubectl get pods",
            "for PATH in /usr/bin; do kubectl get pods; done",
            "command -p kubectl get pods",
            "PATH=/opt/x:${UNSET_DIR}:$PATH kubectl get pods",
            "PATH=/usr/bin:/opt/il/lib/interlock/shims kubectl get pods",
        ]);
        assert_allowed(&[
            "export PATH=$HOME/.cargo/bin:$PATH; kubectl get pods",
            "PATH=$PATH:/opt/x kubectl get pods",
            "PATH=\"${PATH}:/opt/x\" kubectl get pods",
            "PATH+=:/opt/x; kubectl get pods",
            "export PATH=/usr/local/go/bin:$PATH; export PATH=$PATH:$HOME/go/bin; terraform plan",
            "command -p ls",
            "command -v kubectl",
            "hash -r; kubectl get pods",
            "read -r name; echo $name",
        ]);
    }

    #[test]
    fn a_directory_holding_a_real_guarded_tool_ahead_of_path_strips_the_shims() {
        let root = std::env::temp_dir().join(format!("il-guard-{}", std::process::id()));
        let shims = root.join("lib/interlock/shims");
        let real = root.join("real");
        let other = root.join("other");
        for d in [&shims, &real, &other] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(shims.join("kubectl"), "shim").unwrap();
        std::fs::write(real.join("kubectl"), "real").unwrap();
        let env = Env {
            home: Some("/home/dev".into()),
            cwd: Some("/home/dev/project".into()),
            xdg_config_home: None,
            xdg_state_home: None,
        };
        let cell = OnceLock::new();
        let _ = cell.set(Protected::new(&env, Some(shims), None));
        let run = |script: String| {
            let mut walk = Protected::walk(&cell);
            analyze_script(&script)
                .iter()
                .find_map(|c| walk.check(c, &|p: &str| p == "kubectl"))
        };
        let f = run(format!("PATH={}:$PATH make deploy", real.display()));
        assert_eq!(f.map(|f| f.id), Some("self-protect-path"));
        assert_eq!(
            run(format!("PATH={}:$PATH make deploy", other.display())),
            None
        );
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn working_directory_and_variables_are_followed_through_the_script() {
        assert_blocked(&[
            "cd ~/.config && cd /tmp && cd - && echo x > interlock/config.toml",
            "D=~/.config/interlock; echo x > $D/config.toml",
            "H=$HOME; cd $H/.config/interlock && rm config.toml",
            "echo x > ${XDG_CONFIG_HOME:-$HOME/.config}/interlock/config.toml",
            "echo x > ${NOT_SET-/home/dev/.config}/interlock/config.toml",
            "export D=$HOME/.config; rm -rf $D/interlock",
            "A=~/.config; B=$A/interlock; rm -rf ${B}",
            "cd ~/.config; echo x > $PWD/interlock/config.toml",
            "pushd ~/.config/interlock && rm config.toml",
            "pushd ~/.config && pushd /tmp && popd && rm -rf interlock",
            "for d in /tmp ~/.config/interlock; do rm -rf $d/rules; done",
            "env -C ~/.config/interlock rm config.toml",
            "sudo -D ~/.config/interlock rm config.toml",
            "cd \"$(mktemp -d)\" && echo x > interlock/config.toml",
            "cd $(cat saved-dir) && rm config.toml",
            "cd \"$UNKNOWN\" && echo x > rules/local.toml",
            "cd - && rm audit.log",
            "CDPATH=~/.config; cd interlock && rm config.toml",
            "rm -rf $SOMEWHERE/interlock",
            "echo x > \"$(dirname x)/interlock/config.toml\"",
        ]);
        assert_allowed(&[
            "cd -",
            "cd \"$(mktemp -d)\" && rm -rf build && echo x > notes.txt",
            "cd $(mktemp -d) && echo x > out.toml",
            "D=/tmp/x; echo x > $D/config.toml",
            "cd /tmp && echo x > config.toml",
            "echo x > ${OUT:-/tmp}/config.toml",
            "rm -rf $BUILD_DIR/config.toml",
            "for f in a b; do rm -f $f.o; done",
            "cd ~/.config && rm -rf other-tool",
        ]);
    }

    #[test]
    fn file_writers_named_in_the_table_are_checked() {
        assert_blocked(&[
            "sort -o ~/.config/interlock/config.toml x",
            "sort -uo ~/.config/interlock/config.toml x",
            "curl -o ~/.config/interlock/config.toml https://x",
            "curl -sSLo ~/.config/interlock/rules/x.toml https://x",
            "curl --output=/etc/interlock/config.toml https://x",
            "cd ~/.config/interlock && curl -O https://x/config.toml",
            "curl --output-dir ~/.config/interlock -O https://x/config.toml",
            "wget -O ~/.config/interlock/config.toml https://x",
            "wget -P ~/.config/interlock/rules https://x/a.toml",
            "cd ~/.config/interlock/rules && wget https://x/a.toml",
            "gawk -i inplace '{print}' ~/.config/interlock/config.toml",
            "awk -i inplace -v x=1 '{print}' ~/.config/interlock/config.toml",
            "echo x | sponge ~/.config/interlock/config.toml",
            "patch ~/.config/interlock/config.toml fix.diff",
            "patch -o ~/.config/interlock/config.toml a b",
            "patch -d ~/.config/interlock -p1 < fix.diff",
            "patch -p1 <<'EOF'\n--- a/.config/interlock/config.toml\n+++ b/.config/interlock/config.toml\nEOF",
            "unzip x.zip -d ~/.config/interlock",
            "tar -x -C ~/.config/interlock -f r.tar",
            "tar xf r.tar -C ~/.config/interlock",
            "tar -cf ~/.config/interlock/config.toml src",
            "tar czf /etc/interlock/config.toml src",
            "zip ~/.config/interlock/config.toml a",
            "cpio -i -D ~/.config/interlock < a.cpio",
            "cd ~/.config/interlock && cpio -idm < a.cpio",
            "git clone https://x/rules ~/.config/interlock/rules",
            "cd ~/.config && git clone https://x/interlock.git",
            "git -C ~/.config/interlock checkout -- config.toml",
            "git -C ~/.config -C interlock pull",
            "cd ~/.config/interlock && git reset --hard",
            "find . -name x -fprint ~/.config/interlock/config.toml",
            "split -l 1 in.txt ~/.config/interlock/rules/x",
            "script ~/.config/interlock/config.toml",
            "gio trash ~/.config/interlock",
            "gio move ~/.config/interlock /tmp/x",
            "trash-put ~/.config/interlock",
            "shred -n 3 ~/.local/state/interlock/audit.log",
            "srm -r ~/.config/interlock",
            "mount --bind /tmp/empty ~/.config/interlock",
            "mount -t tmpfs none ~/.config",
            "rsync -a --delete /tmp/empty/ ~/.config/interlock/",
            "rsync -e ssh -av /tmp/x ~/.config/interlock/rules/",
            "rsync -a --remove-source-files ~/.config/interlock/ /tmp/x/",
            "cd ~/.config/interlock && ln -s /tmp/evil.toml",
            "install -D x ~/.config/interlock/rules/x.toml",
            "dd if=x of=~/.config/interlock/config.toml",
            "tee -a ~/.config/interlock/config.toml",
            "mv -t ~/.config/interlock/rules x.toml",
            "truncate -s0 ~/.config/interlock/config.toml",
            "touch -d now ~/.config/interlock/config.toml",
            "chattr -i ~/.config/interlock/config.toml",
            "setfacl -m u:agent:rw ~/.config/interlock/config.toml",
            "sqlite3 ~/.local/state/interlock/x.db 'delete from t'",
            "sudo -e /etc/interlock/config.toml",
            "sudoedit /etc/interlock/config.toml",
        ]);
        assert_allowed(&[
            "sort -o out.txt in.txt",
            "curl -o /tmp/x https://x",
            "curl -fsSLO https://x/file.tgz",
            "wget https://x/file.tgz",
            "wget -qO- https://x",
            "unzip x.zip -d /tmp/x",
            "tar czf out.tgz ~/.config/interlock",
            "tar -tf x.tar",
            "git -C ~/.config/interlock status",
            "git -C ~/.config/interlock log -p",
            "git -C ~/.config/interlock diff",
            "git clone https://x/repo",
            "sqlite3 -readonly ~/.local/state/interlock/x.db 'select 1'",
            "zip out.zip ~/.config/interlock/config.toml",
            "find . -fprint out.txt",
            "script -q /dev/null",
            "patch -p1 < fix.diff",
            "mount",
            "split -l 100 big.txt part-",
            "gio list ~/.config/interlock",
        ]);
    }

    #[test]
    fn interpreter_code_that_writes_interlocks_files_is_blocked() {
        assert_blocked(&[
            r#"python3 -c "open('/root/.config/interlock/config.toml','w').write('x')""#,
            r#"python3 -c "import os; os.remove('/home/dev/.config/interlock/config.toml')""#,
            r#"perl -e 'unlink "/home/dev/.config/interlock/config.toml"'"#,
            r#"node -e 'require("fs").rmSync("/home/dev/.config/interlock", {recursive: true})'"#,
            r#"ruby -e 'File.delete("/home/dev/.config/interlock/config.toml")'"#,
            r#"python3 -c "from pathlib import Path; (Path.home() / '.config' / 'interlock' / 'config.toml').write_text('x')""#,
            r#"python3 -c "import os; os.rename(os.path.expanduser('~/.config/interlock'), '/tmp/x')""#,
            r#"perl -e 'open(F, ">/home/dev/.config/interlock/config.toml"); print F "x"'"#,
            r#"awk 'BEGIN{print "x" > "/home/dev/.config/interlock/config.toml"}'"#,
            "python3 <<'EOF'\nopen('/etc/interlock/config.toml', 'a').write('x')\nEOF",
            r#"node -e 'require("fs").writeFileSync(require("os").homedir() + "/.config/interlock/config.toml", "x")'"#,
            r#"php -r 'file_put_contents("/etc/interlock/config.toml", "x");'"#,
            r#"python3 -c "import os; os.chmod('/etc/interlock/config.toml', 0o777)""#,
        ]);
        assert_allowed(&[
            r#"python3 -c "print(open('/home/dev/.config/interlock/config.toml').read())""#,
            r#"python3 -c "open('/tmp/x', 'w').write('x')""#,
            r#"perl -e 'print "hello"'"#,
            r#"node -e 'console.log(require("fs").readFileSync("/etc/interlock/config.toml", "utf8"))'"#,
            r#"python3 -c "import json; d = json.load(open('/etc/interlock/x.json')); print(d['replace'])""#,
        ]);
    }

    #[test]
    fn an_interlock_subcommand_known_only_at_run_time_is_refused() {
        assert_blocked(&[
            "x=approve; interlock $x 3f2a",
            "interlock \"$(echo approve)\" 3f2a",
            "interlock $SUB",
            "interlock-bash $SUB",
            "interlock appr* 3f2a",
        ]);
        assert_allowed(&["interlock check -- kubectl get pods", "interlock log"]);
    }

    #[test]
    fn paths_normalize_lexically() {
        assert_eq!(normalize("/a/./b//c/../d"), "/a/b/d");
        assert_eq!(normalize("/.."), "/");
        assert_eq!(normalize("../x"), "../x");
    }
}
