//! `interlock install --claude|--codex|--gemini|--cursor|--copilot`: writes interlock's
//! hook into each agent's own settings file.
//!
//! A settings file belongs to the user and often holds much more than hooks, so it is
//! edited, never rewritten from scratch: other keys, other hooks and the order of keys
//! stay as they were; installing twice adds nothing; `--uninstall` removes exactly the
//! entries whose command is `<path>/interlock hook AGENT` (and the Claude Code shell
//! setting when it points at `interlock-bash`). A file that is not plain JSON, or whose
//! hook section has an unexpected shape, is left untouched with an error.

mod edit;

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::Value;

use crate::env::Env;
use crate::exit;
use crate::hook::Agent;

pub use edit::{Changed, add, remove};

#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("agents").required(true).multiple(true)
    .args(["claude", "codex", "gemini", "cursor", "copilot"]))]
pub struct InstallArgs {
    /// Claude Code: a PreToolUse hook, and its shell setting pointed at interlock-bash.
    #[arg(long)]
    pub claude: bool,
    /// OpenAI Codex CLI: a PreToolUse hook in hooks.json.
    #[arg(long)]
    pub codex: bool,
    /// Gemini CLI: a BeforeTool hook in settings.json.
    #[arg(long)]
    pub gemini: bool,
    /// Cursor: a beforeShellExecution hook in hooks.json.
    #[arg(long)]
    pub cursor: bool,
    /// GitHub Copilot: a preToolUse hook in ~/.copilot/hooks/interlock.json, or
    /// .github/hooks/interlock.json with --project (what the cloud agent reads).
    #[arg(long)]
    pub copilot: bool,
    /// Write into the current project (the nearest directory above with a .git).
    #[arg(long, conflicts_with = "user")]
    pub project: bool,
    /// Write into the user's home directory (the default).
    #[arg(long)]
    pub user: bool,
    /// Print the file and the snippet instead of writing anything.
    #[arg(long)]
    pub print: bool,
    /// Remove what install added, and nothing else.
    #[arg(long)]
    pub uninstall: bool,
}

impl InstallArgs {
    fn agents(&self) -> Vec<Agent> {
        let on = [
            self.claude,
            self.codex,
            self.gemini,
            self.cursor,
            self.copilot,
        ];
        Agent::ALL
            .into_iter()
            .zip(on)
            .filter_map(|(a, on)| on.then_some(a))
            .collect()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    User,
    Project,
}

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("no home directory: HOME is not set")]
    NoHome,
    #[error("no working directory: {0}")]
    NoCwd(std::io::Error),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is not plain JSON ({source}); it was left untouched. Fix it, or add the snippet from --print by hand"
    )]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "{path}: {what}; it was left untouched. Fix it by hand, or add the snippet from --print"
    )]
    Shape { path: PathBuf, what: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot find interlock's own path to put in the hook command")]
    NoSelf,
}

/// The settings file interlock's hook goes into.
pub fn settings_path(agent: Agent, scope: Scope, env: &Env) -> Result<PathBuf, InstallError> {
    let base = match scope {
        Scope::User => {
            if agent == Agent::Copilot {
                // Copilot CLI reads every `*.json` in its user hooks directory.
                let home = match std::env::var_os("COPILOT_HOME").filter(|h| !h.is_empty()) {
                    Some(h) => PathBuf::from(h),
                    None => env
                        .home
                        .clone()
                        .ok_or(InstallError::NoHome)?
                        .join(".copilot"),
                };
                return Ok(home.join("hooks/interlock.json"));
            }
            if agent == Agent::Codex {
                // Codex keeps its files under CODEX_HOME when that is set.
                if let Some(h) = std::env::var_os("CODEX_HOME").filter(|h| !h.is_empty()) {
                    return Ok(PathBuf::from(h).join("hooks.json"));
                }
            }
            env.home.clone().ok_or(InstallError::NoHome)?
        }
        Scope::Project => project_root(env)?,
    };
    Ok(base.join(match agent {
        Agent::Claude => ".claude/settings.json",
        Agent::Codex => ".codex/hooks.json",
        Agent::Gemini => ".gemini/settings.json",
        Agent::Cursor => ".cursor/hooks.json",
        Agent::Copilot => ".github/hooks/interlock.json",
    }))
}

/// The nearest directory at or above the working directory that holds `.git`, else the
/// working directory: project settings belong at the repository's root.
fn project_root(env: &Env) -> Result<PathBuf, InstallError> {
    let cwd = match &env.cwd {
        Some(c) => c.clone(),
        None => std::env::current_dir().map_err(InstallError::NoCwd)?,
    };
    Ok(cwd
        .ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(&cwd)
        .to_path_buf())
}

/// What goes into the files: the hook command and, for Claude Code, the shell.
#[derive(Clone, Debug)]
pub struct Plan {
    /// `<path>/interlock hook`, to which the agent's name is appended.
    pub interlock: String,
    /// `interlock-bash` next to the binary, when it is there.
    pub shell: Option<String>,
}

impl Plan {
    pub fn from_process() -> Result<Plan, InstallError> {
        let exe = invoked_path()
            .or_else(|| std::env::current_exe().ok())
            .ok_or(InstallError::NoSelf)?;
        let shell = exe
            .parent()
            .map(|d| d.join("interlock-bash"))
            .filter(|p| p.exists())
            .map(|p| p.display().to_string());
        Ok(Plan {
            interlock: exe.display().to_string(),
            shell,
        })
    }

    pub fn command(&self, agent: Agent) -> String {
        format!(
            "{} hook {}",
            shell_words::quote(&self.interlock),
            agent.name()
        )
    }
}

/// The path interlock was started by, when argv[0] names one: the installed name
/// (`/usr/local/bin/interlock`, with `interlock-bash` beside it) rather than where a
/// symlink leads, which is what the kernel reports as the executable.
fn invoked_path() -> Option<PathBuf> {
    let arg0 = PathBuf::from(std::env::args_os().next()?);
    if arg0.components().count() < 2 {
        return None;
    }
    let abs = if arg0.is_absolute() {
        arg0
    } else {
        std::env::current_dir().ok()?.join(arg0)
    };
    let dir = abs.parent()?.canonicalize().ok()?;
    let path = dir.join(abs.file_name()?);
    path.exists().then_some(path)
}

fn read_doc(path: &Path) -> Result<Option<Value>, InstallError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(InstallError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if text.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|source| InstallError::Parse {
            path: path.to_path_buf(),
            source,
        })
}

/// Writes through a temporary file in the same directory and a rename, so the agent
/// never reads half a settings file; an existing file keeps its permissions.
fn write_doc(path: &Path, doc: &Value) -> Result<(), InstallError> {
    let err = |source| InstallError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let mut text = serde_json::to_string_pretty(doc).expect("a JSON value serializes");
    text.push('\n');
    let tmp = path.with_extension("json.interlock-tmp");
    std::fs::write(&tmp, text).map_err(err)?;
    if let Ok(meta) = std::fs::metadata(path) {
        std::fs::set_permissions(&tmp, meta.permissions()).map_err(err)?;
    }
    std::fs::rename(&tmp, path).map_err(err)
}

/// Whether nothing is left in a document but what install itself puts around hooks.
fn is_empty_doc(doc: &Value) -> bool {
    doc.as_object()
        .is_some_and(|m| m.keys().all(|k| k == "version"))
}

/// Installs (or removes) one agent's hook in `path`. Returns what was done, in words.
pub fn apply(
    agent: Agent,
    path: &Path,
    plan: &Plan,
    uninstall: bool,
) -> Result<Vec<String>, InstallError> {
    let shape = |what: String| InstallError::Shape {
        path: path.to_path_buf(),
        what,
    };
    let existing = read_doc(path)?;
    let mut notes = Vec::new();
    if uninstall {
        let Some(mut doc) = existing else {
            notes.push(format!("{}: nothing to remove", path.display()));
            return Ok(notes);
        };
        let changed = remove(agent, &mut doc).map_err(shape)?;
        if changed == Changed::No {
            notes.push(format!(
                "{}: no interlock hook found, left untouched",
                path.display()
            ));
        } else if is_empty_doc(&doc) {
            std::fs::remove_file(path).map_err(|source| InstallError::Write {
                path: path.to_path_buf(),
                source,
            })?;
            notes.push(format!(
                "{}: removed the interlock hook; nothing else was in the file, so it was deleted",
                path.display()
            ));
        } else {
            write_doc(path, &doc)?;
            notes.push(format!(
                "{}: removed the interlock hook, kept everything else",
                path.display()
            ));
        }
        return Ok(notes);
    }
    let mut doc = existing.unwrap_or_else(|| Value::Object(Default::default()));
    let (changed, warnings) = add(agent, &mut doc, plan).map_err(shape)?;
    notes.extend(warnings);
    if changed == Changed::No {
        notes.push(format!(
            "{}: the interlock hook is already there",
            path.display()
        ));
    } else {
        write_doc(path, &doc)?;
        notes.push(format!(
            "{}: added `{}`",
            path.display(),
            plan.command(agent)
        ));
    }
    Ok(notes)
}

/// What each agent needs beyond the hook, said once after installing.
fn advice(agent: Agent) -> &'static str {
    match agent {
        Agent::Claude => {
            "Claude Code: restart it to load the hook; its Bash tool now runs through interlock-bash as well"
        }
        Agent::Codex => {
            "Codex: hooks are on by default in current builds (older ones need `[features] hooks = true` in ~/.codex/config.toml); start it as `interlock run -- codex` so the tools its login shell starts meet the shims (keep them first on PATH in login shells: /etc/profile.d/interlock.sh, or the PATH line in ~/.profile)"
        }
        Agent::Gemini => {
            "Gemini CLI: restart it to load the hook; start it as `interlock run -- gemini` so the tools its shell runs go through the shims"
        }
        Agent::Cursor => {
            "Cursor: restart Cursor to load hooks.json; terminal commands the agent runs are judged before they start"
        }
        Agent::Copilot => {
            "Copilot: the CLI loads ~/.copilot/hooks/*.json and the repository's .github/hooks/*.json; for the cloud agent, install with --project and commit .github/hooks/interlock.json (it reads the default branch)"
        }
    }
}

pub fn run(a: &InstallArgs, env: &Env) -> u8 {
    let scope = if a.project {
        Scope::Project
    } else {
        Scope::User
    };
    let plan = match Plan::from_process() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("interlock install: {e}; nothing was written");
            return exit::INTERNAL;
        }
    };
    let mut failed = false;
    for agent in a.agents() {
        let path = match settings_path(agent, scope, env) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("interlock install --{}: {e}", agent.name());
                failed = true;
                continue;
            }
        };
        if a.print {
            let mut doc = Value::Object(Default::default());
            if !a.uninstall {
                let _ = add(agent, &mut doc, &plan);
            }
            println!("# {} ({})", path.display(), agent.name());
            if a.uninstall {
                println!(
                    "# --uninstall would remove the entries whose command is `{}`",
                    plan.command(agent)
                );
            } else {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&doc).expect("a JSON value serializes")
                );
            }
            continue;
        }
        match apply(agent, &path, &plan, a.uninstall) {
            Ok(notes) => {
                for n in notes {
                    println!("{n}");
                }
                if !a.uninstall {
                    println!("  {}", advice(agent));
                }
            }
            Err(e) => {
                eprintln!("interlock install --{}: {e}", agent.name());
                failed = true;
            }
        }
    }
    if failed { exit::USAGE } else { exit::ALLOW }
}
