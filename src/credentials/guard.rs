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

    /// True when a PATH value keeps the shims: it extends `$PATH`, or names the shims
    /// directory (or any interlock shims directory).
    fn keeps_shims(&self, value: &str) -> bool {
        value.contains("$PATH")
            || value.contains("${PATH}")
            || value.contains("/interlock/shims")
            || self
                .shims
                .iter()
                .any(|s| value.split(':').any(|d| d.trim_end_matches('/') == s))
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
        self.guard().classify(word, self.cwd(), tree)
    }

    fn redirects(&self, cmd: &Command) -> Option<Finding> {
        cmd.redirects
            .iter()
            // `2>/dev/null` is everywhere; skip it before working out any path (but not
            // `/dev/../home/...`).
            .filter(|r| {
                let t = &r.target.text;
                r.kind.writes() && (!t.starts_with("/dev/") || t.contains(".."))
            })
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

    fn program(&mut self, cmd: &Command) -> Option<Finding> {
        let p = cmd.program.as_str();
        let args = &cmd.args;
        let ops = operands(args);
        let texts = || ops.iter().map(|w| w.text.as_str());
        match p {
            "cd" | "pushd" => {
                let next = match ops.first() {
                    None => self.guard().home.clone(),
                    Some(w)
                        if !w.is_dynamic()
                            || w.text.starts_with('~')
                            || w.text.starts_with("$HOME") =>
                    {
                        let t = self.guard().expand(&w.text);
                        Some(match (self.cwd(), t.starts_with('/')) {
                            (_, true) => normalize(&t),
                            (Some(c), false) => normalize(&format!("{c}/{t}")),
                            (None, false) => t,
                        })
                    }
                    Some(_) => None,
                };
                self.cwd = Some(next);
                None
            }
            _ if p.starts_with("interlock") => {
                let sub = ops.first().map(|w| w.text.as_str())?;
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
                    None
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
                    return None;
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
            _ => None,
        }
    }
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

    #[test]
    fn paths_normalize_lexically() {
        assert_eq!(normalize("/a/./b//c/../d"), "/a/b/d");
        assert_eq!(normalize("/.."), "/");
        assert_eq!(normalize("../x"), "../x");
    }
}
