//! Rules as data: TOML files, embedded as the default and layered with system, user and
//! project files.
//!
//! Loading is lazy per program: judging `kubectl get pods` reads and compiles only the
//! files that list `kubectl`, so the cost of a rule set grows with what is run, not with
//! how many tools have rules.

mod embed;
pub mod glob;
mod load;
pub mod schema;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

pub use load::LoadError;
pub use schema::{Action, DryRunSpec, Environments, Fallback, NestedSpec, RuleSpec, ToolSpec};

/// One embedded default rules file, prepared by build.rs.
pub(crate) struct EmbeddedSource {
    pub name: &'static str,
    /// The file as written, examples included (for `rules test` and `rules list`).
    pub full: &'static str,
    /// The file as JSON without its examples (for judging: it parses many times
    /// faster than TOML, and a shim parses its tool's file on every call).
    pub json: &'static str,
    /// Where each `[[rule]]` starts in `full`: byte offset and line.
    pub rule_locations: &'static [(usize, usize)],
    /// Its `programs = [...]` line, read at build time.
    pub programs: &'static [&'static str],
}

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// The default rules as written, compiled into the binary so a bare binary works with
/// no files: `(name, text)`.
pub fn embedded() -> impl Iterator<Item = (&'static str, &'static str)> {
    EMBEDDED_FILES.iter().map(|f| (f.name, f.full))
}

/// Where a rule came from. Later layers override earlier ones by id, except that the
/// project layer (which the agent can write) may only add rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    Embedded,
    System,
    User,
    /// Files named with `--rules`: trusted like the user's own.
    Extra,
    Project,
}

impl Layer {
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Embedded => "embedded",
            Layer::System => "system",
            Layer::User => "user",
            Layer::Extra => "extra",
            Layer::Project => "project",
        }
    }
}

/// One loaded rule.
#[derive(Debug)]
pub struct Rule {
    pub spec: RuleSpec,
    pub file: Arc<str>,
    pub line: usize,
    pub layer: Layer,
    compiled: OnceLock<Compiled>,
}

#[derive(Debug)]
struct Compiled {
    options: Vec<(String, regex::Regex)>,
    text: Option<regex::Regex>,
    text_unless: Option<regex::Regex>,
}

impl Rule {
    fn compiled(&self) -> &Compiled {
        // Patterns were validated when the file loaded (and by the rules tests for the
        // embedded files); a pattern that still fails to build matches everything, so a
        // fault can only make the rule stricter.
        self.compiled.get_or_init(|| {
            let build = |p: &str| {
                regex::Regex::new(p).unwrap_or_else(|_| regex::Regex::new("").expect("empty regex"))
            };
            Compiled {
                options: self
                    .spec
                    .options
                    .iter()
                    .map(|(k, v)| (k.clone(), build(v)))
                    .collect(),
                text: self.spec.text.as_ref().map(|t| build(t)),
                text_unless: self.spec.text_unless.as_ref().map(|t| build(t)),
            }
        })
    }

    pub fn option_patterns(&self) -> &[(String, regex::Regex)] {
        &self.compiled().options
    }

    pub fn text_regex(&self) -> Option<&regex::Regex> {
        self.compiled().text.as_ref()
    }

    pub fn text_unless_regex(&self) -> Option<&regex::Regex> {
        self.compiled().text_unless.as_ref()
    }

    pub fn fallback(&self) -> Fallback {
        self.spec.fallback.unwrap_or(Fallback::Block)
    }

    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// The tool grammar and rules that apply to one program.
#[derive(Debug, Default)]
pub struct ProgramRules {
    /// The canonical tool name (`kubectl` for `oc`).
    pub tool: String,
    pub spec: Arc<ToolSpec>,
    pub rules: Vec<Arc<Rule>>,
}

/// A parsed rules file.
#[derive(Debug)]
pub(crate) struct LoadedFile {
    pub tools: Vec<(String, Arc<ToolSpec>)>,
    pub rules: Vec<Arc<Rule>>,
}

struct EmbeddedFile {
    source: &'static EmbeddedSource,
    loaded: OnceLock<Result<Arc<LoadedFile>, LoadError>>,
}

/// Where to look for rules beyond the embedded default.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// Use the embedded default rules (off only in tests of single files).
    pub embedded: bool,
    pub system: Option<PathBuf>,
    pub user: Option<PathBuf>,
    pub project: Option<PathBuf>,
    pub extra: Vec<PathBuf>,
}

impl Sources {
    /// The standard layers: `/etc/interlock/rules`, the user's config dir, and the
    /// nearest `.interlock/rules` above the working directory.
    pub fn standard(env: &crate::env::Env) -> Sources {
        Sources {
            embedded: true,
            system: Some(env.system_dir().join("rules")),
            // Off when the system config says `[layers] user = false` (hardened installs):
            // the user's directory is found through variables the agent controls.
            user: env
                .user_config_dir()
                .filter(|_| crate::config::user_layer(env))
                .map(|d| d.join("rules")),
            project: env
                .cwd
                .as_deref()
                .and_then(find_project_dir)
                .map(|d| d.join("rules")),
            extra: Vec::new(),
        }
    }

    /// Only the embedded default: what a bare binary knows.
    pub fn embedded_only() -> Sources {
        Sources {
            embedded: true,
            ..Default::default()
        }
    }
}

/// The nearest `.interlock` directory at or above `start`.
pub fn find_project_dir(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let candidate = d.join(".interlock");
        if candidate.is_dir() {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

/// All rules, loaded lazily per program.
pub struct RuleSet {
    embedded: Vec<EmbeddedFile>,
    layers: Vec<Arc<LoadedFile>>,
    errors: Vec<LoadError>,
    cache: Mutex<HashMap<String, Arc<ProgramRules>>>,
}

impl RuleSet {
    /// Loads the non-embedded layers now (they are small, and a broken one must be
    /// reported before anything is judged) and indexes the embedded files.
    pub fn load(sources: &Sources) -> RuleSet {
        let mut errors = Vec::new();
        let mut layers = Vec::new();
        let dirs = [
            (Layer::System, sources.system.as_ref()),
            (Layer::User, sources.user.as_ref()),
        ];
        for (layer, dir) in dirs {
            if let Some(dir) = dir {
                load::dir(dir, layer, &mut layers, &mut errors);
            }
        }
        for path in &sources.extra {
            if path.is_dir() {
                load::dir(path, Layer::Extra, &mut layers, &mut errors);
            } else {
                load::file(path, Layer::Extra, &mut layers, &mut errors);
            }
        }
        if let Some(dir) = &sources.project {
            load::dir(dir, Layer::Project, &mut layers, &mut errors);
        }
        let embedded = if sources.embedded {
            EMBEDDED_FILES
                .iter()
                .map(|source| EmbeddedFile {
                    source,
                    loaded: OnceLock::new(),
                })
                .collect()
        } else {
            Vec::new()
        };
        RuleSet {
            embedded,
            layers,
            errors,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Errors from the files loaded so far. Non-empty means the rule set cannot be
    /// trusted to allow anything risky.
    pub fn errors(&self) -> Vec<LoadError> {
        let mut all = self.errors.clone();
        for e in &self.embedded {
            if let Some(Err(err)) = e.loaded.get() {
                all.push(err.clone());
            }
        }
        all
    }

    /// Loads every embedded file with its examples (for `rules list` and `rules test`).
    /// Call it before judging anything: a file already loaded for judging keeps the
    /// copy without examples.
    pub fn load_all(&self) {
        for e in &self.embedded {
            e.loaded.get_or_init(|| {
                load::parse(e.source.name, e.source.full, Layer::Embedded).map(Arc::new)
            });
        }
    }

    fn embedded_file(&self, e: &EmbeddedFile) -> Option<Arc<LoadedFile>> {
        e.loaded
            .get_or_init(|| load::parse_prepared(e.source).map(Arc::new))
            .as_ref()
            .ok()
            .cloned()
    }

    /// Every loaded file, embedded first, in layer order.
    pub(crate) fn files(&self) -> Vec<Arc<LoadedFile>> {
        let mut v: Vec<_> = self
            .embedded
            .iter()
            .filter_map(|e| e.loaded.get()?.as_ref().ok().cloned())
            .collect();
        v.extend(self.layers.iter().cloned());
        v
    }

    /// Every rule in effect across all programs (after `load_all`).
    pub fn all_rules(&self) -> Vec<Arc<Rule>> {
        let mut out: Vec<Arc<Rule>> = Vec::new();
        for f in self.files() {
            for r in &f.rules {
                apply_layer_rule(&mut out, r);
            }
        }
        out
    }

    /// The effective tool grammar and rules for `program` (a basename).
    pub fn for_program(&self, program: &str) -> Arc<ProgramRules> {
        if let Some(hit) = self.cache.lock().ok().and_then(|c| c.get(program).cloned()) {
            return hit;
        }
        let mut files: Vec<Arc<LoadedFile>> = Vec::new();
        for e in &self.embedded {
            let programs = e.source.programs;
            if programs.is_empty() || programs.iter().any(|p| glob::matches(p, program, false)) {
                files.extend(self.embedded_file(e));
            }
        }
        files.extend(self.layers.iter().cloned());

        // Resolve aliases first: `oc` is judged by kubectl's grammar and rules.
        let mut tool = program.to_owned();
        let mut spec: Option<Arc<ToolSpec>> = None;
        for f in &files {
            for (name, s) in &f.tools {
                if name == program || s.aliases.iter().any(|a| a == program) {
                    tool = name.clone();
                    spec = Some(s.clone());
                }
            }
        }
        let mut rules: Vec<Arc<Rule>> = Vec::new();
        for f in &files {
            for r in &f.rules {
                let p = &r.spec.program;
                if glob::matches(p, &tool, r.spec.ignore_case)
                    || glob::matches(p, program, r.spec.ignore_case)
                {
                    apply_layer_rule(&mut rules, r);
                }
            }
        }
        let pr = Arc::new(ProgramRules {
            tool,
            spec: spec.unwrap_or_default(),
            rules,
        });
        if let Ok(mut c) = self.cache.lock() {
            c.insert(program.to_owned(), pr.clone());
        }
        pr
    }
}

/// Adds a rule from a later layer: system, user and `--rules` files replace or disable
/// a rule of the same id; project rules are only ever added, so they cannot loosen.
fn apply_layer_rule(rules: &mut Vec<Arc<Rule>>, r: &Arc<Rule>) {
    if r.layer != Layer::Project
        && let Some(pos) = rules.iter().position(|x| x.spec.id == r.spec.id)
    {
        if r.spec.disabled {
            rules.remove(pos);
        } else {
            rules[pos] = r.clone();
        }
        return;
    }
    if !r.spec.disabled {
        rules.push(r.clone());
    }
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("layers", &self.layers.len())
            .finish()
    }
}

/// Fixed tool names shimmed in addition to the programs the embedded rules name.
const SHIM_TOOLS: &str = include_str!("../../shims/tools.txt");

/// Every program name that gets a PATH shim: the literal names on the embedded files'
/// `programs = [...]` lines (globs such as `mkfs.*` cannot be shimmed) plus
/// `shims/tools.txt`. Cheap: it scans lines and parses no TOML.
pub fn shimmed_programs() -> Vec<String> {
    let from_rules = EMBEDDED_FILES
        .iter()
        .flat_map(|f| f.programs.iter().map(|p| (*p).to_owned()));
    let fixed = SHIM_TOOLS
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_owned());
    let mut out: Vec<String> = from_rules
        .chain(fixed)
        .filter(|p| {
            !p.is_empty()
                && !p.contains(['*', '?', '[', '/', '|'])
                // Files still being written list a `NAME-placeholder`; it names no tool.
                && !p.ends_with("-placeholder")
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wildcard program names no list of shims can cover: `terraform-*` is the
    /// versioned binaries version managers install (`terraform-1.9.5`), reached through
    /// the `terraform` shim they put first; a direct call by its versioned name is
    /// judged only in the shell layer.
    const UNSHIMMABLE: &[&str] = &["terraform-*"];

    #[test]
    fn every_wildcard_program_has_a_shim_or_is_a_named_exception() {
        let shims = shimmed_programs();
        for f in EMBEDDED_FILES {
            for p in f.programs.iter().filter(|p| p.contains(['*', '?', '['])) {
                let covered = shims.iter().any(|s| glob::matches(p, s, false));
                assert!(
                    covered || UNSHIMMABLE.contains(p),
                    "{}: `{p}` matches no shim name; add the names people have to shims/tools.txt",
                    f.name
                );
            }
        }
    }

    /// The copy judged on every call must hold the same rules, on the same lines, as
    /// the file as written; only the examples may be missing.
    #[test]
    fn lean_embedded_files_hold_the_same_rules() {
        for f in EMBEDDED_FILES {
            let full = load::parse(f.name, f.full, Layer::Embedded).unwrap();
            let lean = load::parse_prepared(f).unwrap();
            assert_eq!(full.rules.len(), lean.rules.len(), "{}", f.name);
            assert_eq!(full.tools.len(), lean.tools.len(), "{}", f.name);
            for (a, b) in full.rules.iter().zip(&lean.rules) {
                assert_eq!((&a.spec.id, a.line), (&b.spec.id, b.line), "{}", f.name);
                assert_eq!(a.spec.action, b.spec.action);
                assert_eq!(a.spec.reason, b.spec.reason);
                assert_eq!(a.spec.command, b.spec.command);
                assert_eq!(a.spec.dry_run, b.spec.dry_run);
                assert_eq!(a.spec.environments, b.spec.environments);
                assert!(b.spec.must_match.is_empty() && b.spec.not_match.is_empty());
                assert!(b.spec.expect.is_empty());
            }
            assert_eq!(f.programs, embed::scan_programs(f.full).as_slice());
        }
    }
}
