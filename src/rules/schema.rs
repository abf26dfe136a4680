//! The TOML shape of a rules file. `docs/rules.md` is the user-facing description.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::context::EnvClass;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Every program name (or glob) the file has tools or rules for. The loader reads
    /// an embedded file only when the program being judged is listed here.
    #[serde(default)]
    pub programs: Vec<String>,
    #[serde(default)]
    pub tool: BTreeMap<String, ToolSpec>,
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleSpec>,
}

/// How a tool's command line is read, so that its verb is found behind global options.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolSpec {
    /// Other names that run the same tool (`oc` for `kubectl`, `tofu` for `terraform`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Options that take the next word as their value (`-n prod`).
    #[serde(default)]
    pub value_options: Vec<String>,
    /// With `options_take_values`, the options that do not take a value.
    #[serde(default)]
    pub flag_options: Vec<String>,
    /// Every `--long` option takes a value unless listed in `flag_options` (the AWS CLI).
    #[serde(default)]
    pub options_take_values: bool,
    /// Single-dash words are clusters of one-letter flags (`-rf`). Off for tools whose
    /// options are long names after one dash (`terraform -auto-approve`, `find -delete`).
    #[serde(default = "yes")]
    pub short_clusters: bool,
    /// Options whose values are scripts or SQL that `text` conditions read.
    #[serde(default)]
    pub text_options: Vec<String>,
    /// Operands (after the verb) are text too: `sqlite3 db 'DROP TABLE t'`, `redis-cli FLUSHALL`.
    #[serde(default)]
    pub text_operands: bool,
    /// Stdin fed by the script (heredoc, here-string, `echo ... |`) is text too.
    #[serde(default)]
    pub text_stdin: bool,
    /// Command lines this tool runs on the user's behalf, judged like any other.
    #[serde(default)]
    pub nested: Vec<NestedSpec>,
    /// Verbs that run the tool's own command named after them (`terragrunt run --all
    /// -- destroy` is `destroy` for every unit): as the first operand the verb is
    /// passed over when rules match, and a `--` after it does not end the options.
    #[serde(default)]
    pub wrapper_verbs: Vec<String>,
}

fn yes() -> bool {
    true
}

impl Default for ToolSpec {
    /// A tool with no grammar: every `-xyz` is a cluster of flags, no option takes a value.
    fn default() -> Self {
        ToolSpec {
            aliases: Vec::new(),
            value_options: Vec::new(),
            flag_options: Vec::new(),
            options_take_values: false,
            short_clusters: true,
            text_options: Vec::new(),
            text_operands: false,
            text_stdin: false,
            nested: Vec::new(),
            wrapper_verbs: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NestedSpec {
    /// The verb path that runs a command (`["exec"]`).
    pub command: Vec<String>,
    /// The command follows this word (`--`).
    #[serde(default)]
    pub after: Option<String>,
    /// Or: the command follows this many operands after the verb (`docker exec CTR cmd`).
    #[serde(default)]
    pub skip: usize,
    /// The remaining words are joined into one shell string (`ssh host 'cmd'`).
    #[serde(default)]
    pub shell: bool,
}

#[derive(
    Clone, Copy, Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Allow,
    DryRun,
    Confirm,
    Block,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::DryRun => "dry-run",
            Action::Confirm => "confirm",
            Action::Block => "block",
        }
    }
}

/// What a confirm rule does when no human can answer.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fallback {
    Block,
    DryRun,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    /// The program (canonical tool name, alternatives `a|b`, globs).
    pub program: String,
    /// Leading operands: the verb path. Each entry takes `a|b` alternatives and globs;
    /// `**` stands for any number of operands.
    #[serde(default)]
    pub command: Vec<String>,
    /// Some operand after the verb path matches one of these globs.
    #[serde(default)]
    pub args: Vec<String>,
    /// Operands matching these globs are left out when `args` is checked.
    #[serde(default)]
    pub args_ignore: Vec<String>,
    /// Any of these options is present.
    #[serde(default)]
    pub flags: Vec<String>,
    /// Every one of these is present (each entry takes `a|b` alternatives).
    #[serde(default)]
    pub all_flags: Vec<String>,
    /// The rule does not apply when any of these is present.
    #[serde(default)]
    pub unless_flags: Vec<String>,
    /// An option (`--a|-b`) whose value matches the regex.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// A statement (split at `;`) of the command's text matches this regex.
    #[serde(default)]
    pub text: Option<String>,
    /// ... and does not match this one (`UPDATE` without `WHERE`).
    #[serde(default)]
    pub text_unless: Option<String>,
    /// Globs on the program, verb and operands ignore ASCII case.
    #[serde(default)]
    pub ignore_case: bool,
    pub action: Action,
    /// For `confirm`: what happens when no human can answer. Defaults to `block`.
    #[serde(default)]
    pub fallback: Option<Fallback>,
    /// Why the command is dangerous, written for the agent and the human.
    pub reason: String,
    /// Per-environment actions: where the command points (kube context, AWS profile,
    /// terraform workspace, gcloud project) replaces `action`. An environment not
    /// listed, or one that cannot be told, keeps `action`.
    #[serde(default)]
    pub environments: Option<Environments>,
    #[serde(default)]
    pub dry_run: Option<DryRunSpec>,
    /// How many distinct humans must approve (two-person rule).
    #[serde(default)]
    pub approvals: Option<u8>,
    /// Remove the rule of this id from earlier layers (system and user files only).
    #[serde(default)]
    pub disabled: bool,
    #[serde(default, rename = "match")]
    pub must_match: Vec<String>,
    #[serde(default)]
    pub not_match: Vec<String>,
    /// Whole-command examples with the decision they must get, context included
    /// (`kubectl --context kind-dev delete ns x` is `allow`). The context comes only
    /// from the example's own flags and `NAME=value` prefixes.
    #[serde(default)]
    pub expect: Vec<ExpectSpec>,
}

/// One `expect` example.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ExpectSpec {
    pub command: String,
    pub decision: Action,
}

/// The action for each class of environment (`[context]` in config.toml says which
/// names are which).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Environments {
    #[serde(default)]
    pub production: Option<Action>,
    #[serde(default)]
    pub staging: Option<Action>,
    #[serde(default)]
    pub development: Option<Action>,
}

impl Environments {
    pub fn action(&self, class: EnvClass) -> Option<Action> {
        match class {
            EnvClass::Production => self.production,
            EnvClass::Staging => self.staging,
            EnvClass::Development => self.development,
        }
    }

    pub fn all(&self) -> impl Iterator<Item = Action> {
        [self.production, self.staging, self.development]
            .into_iter()
            .flatten()
    }
}

/// How to turn the command into the tool's own preview.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DryRunSpec {
    /// Replace the matched verb path with these words, word for word (`destroy` →
    /// `plan -destroy`: extra words follow the last verb, missing ones drop a verb).
    #[serde(default)]
    pub replace: Option<Vec<String>>,
    /// Drop these options (and the value of a value option).
    #[serde(default)]
    pub remove: Vec<String>,
    /// Add these words before any `--`, or at the end.
    #[serde(default)]
    pub append: Vec<String>,
    /// Exit statuses besides 0 that mean the preview itself ran and changed nothing
    /// (`aws ec2 ... --dry-run` exits 254 when the real call would have succeeded).
    #[serde(default)]
    pub ok_exit: Vec<u8>,
}
