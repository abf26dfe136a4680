//! Reading rules files strictly: unknown keys, bad patterns and impossible combinations
//! are errors that point at file:line:column.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use super::schema::{Action, Fallback, RuleFile};
use super::{Layer, LoadedFile, Rule};

/// A rules file that could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The offending source line and a caret under the column, when known.
    pub excerpt: Option<String>,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )?;
        if let Some(ex) = &self.excerpt {
            write!(f, "\n{ex}")?;
        }
        Ok(())
    }
}

impl LoadError {
    pub(crate) fn at(file: &str, src: &str, offset: usize, message: String) -> LoadError {
        let offset = offset.min(src.len());
        let before = &src[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        let text = src[line_start..].lines().next().unwrap_or("");
        let gutter = line.to_string();
        let excerpt = format!(
            "{pad} |\n{gutter} | {text}\n{pad} | {caret}^",
            pad = " ".repeat(gutter.len()),
            caret = " ".repeat(column - 1)
        );
        LoadError {
            file: file.to_owned(),
            line,
            column,
            message,
            excerpt: Some(excerpt),
        }
    }

    pub(crate) fn whole(file: &str, message: String) -> LoadError {
        LoadError {
            file: file.to_owned(),
            line: 1,
            column: 1,
            message,
            excerpt: None,
        }
    }
}

/// Loads every `*.toml` in `dir`, sorted by name. A missing directory is no error.
pub(super) fn dir(
    dir: &Path,
    layer: Layer,
    out: &mut Vec<Arc<LoadedFile>>,
    errors: &mut Vec<LoadError>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => return,
        Err(e) => {
            errors.push(LoadError::whole(
                &dir.display().to_string(),
                format!("cannot read rules directory: {e}"),
            ));
            return;
        }
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    for p in paths {
        file(&p, layer, out, errors);
    }
}

pub(super) fn file(
    path: &Path,
    layer: Layer,
    out: &mut Vec<Arc<LoadedFile>>,
    errors: &mut Vec<LoadError>,
) {
    let name = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(src) => match parse(&name, &src, layer) {
            Ok(f) => out.push(Arc::new(f)),
            Err(e) => errors.push(e),
        },
        Err(e) => errors.push(LoadError::whole(
            &name,
            format!("cannot read rules file: {e}"),
        )),
    }
}

/// Parses and validates one file, compiling every pattern once to check it.
pub(crate) fn parse(name: &str, src: &str, layer: Layer) -> Result<LoadedFile, LoadError> {
    let parsed: RuleFile = toml::from_str(src).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        LoadError::at(name, src, offset, e.message().trim().to_owned())
    })?;
    let locations = super::embed::rule_locations(src);
    validate(name, src, parsed, &locations, layer)
}

/// Loads an embedded file from the JSON build.rs made of it. Errors still point into
/// the TOML as written.
pub(crate) fn parse_prepared(source: &super::EmbeddedSource) -> Result<LoadedFile, LoadError> {
    let parsed: RuleFile = serde_json::from_str(source.json).map_err(|e| {
        LoadError::whole(
            source.name,
            format!("the embedded copy does not load ({e}); this is a bug in the build"),
        )
    })?;
    validate(
        source.name,
        source.full,
        parsed,
        source.rule_locations,
        Layer::Embedded,
    )
}

/// Checks a parsed file and turns it into rules. `locations` gives each rule's byte
/// offset and line in `src`, for messages and `rules list`; when it does not match the
/// rules one to one (rules written as an inline array), rules point at the file's top.
fn validate(
    name: &str,
    src: &str,
    parsed: RuleFile,
    locations: &[(usize, usize)],
    layer: Layer,
) -> Result<LoadedFile, LoadError> {
    let path: Arc<str> = Arc::from(name);
    if layer == Layer::Project && !parsed.tool.is_empty() {
        let off = src.find("[tool").unwrap_or(0);
        return Err(LoadError::at(
            name,
            src,
            off,
            "project rules files may not define [tool] grammars (they could hide a verb); \
             put tool grammars in the user or system rules directory"
                .into(),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    let mut rules = Vec::with_capacity(parsed.rules.len());
    let located = locations.len() == parsed.rules.len();
    for (i, spec) in parsed.rules.into_iter().enumerate() {
        let (offset, line) = if located { locations[i] } else { (0, 1) };
        let err =
            |msg: String| LoadError::at(name, src, offset, format!("rule {:?}: {msg}", spec.id));
        if spec.id.is_empty()
            || !spec
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(err(
                "id must be non-empty ASCII letters, digits, '-' or '_'".into(),
            ));
        }
        if !seen.insert(spec.id.clone()) {
            return Err(err("the same id is defined twice in this file".into()));
        }
        if spec.disabled && layer == Layer::Project {
            return Err(err(
                "project rules may not disable rules; they can only add them".into(),
            ));
        }
        if !spec.disabled && spec.reason.trim().is_empty() {
            return Err(err("`reason` must say why the command is dangerous".into()));
        }
        if spec.action == Action::DryRun && spec.dry_run.is_none() {
            return Err(err("action \"dry-run\" needs a `dry_run` transform: a tool with no preview is never a dry run".into()));
        }
        if spec
            .environments
            .as_ref()
            .is_some_and(|e| e.all().any(|a| a == Action::DryRun))
            && spec.dry_run.is_none()
        {
            return Err(err(
                "an environment's action \"dry-run\" needs a `dry_run` transform".into(),
            ));
        }
        if spec.fallback == Some(Fallback::DryRun) && spec.dry_run.is_none() {
            return Err(err(
                "fallback \"dry-run\" needs a `dry_run` transform".into()
            ));
        }
        if let Some(bad) = spec.unless_flags.iter().find(|e| !exact_options(e)) {
            return Err(err(format!(
                "unless_flags entry {bad:?} must name options exactly (`--dry-run=server`, \
                 `-n|--dry-run`): a wildcard or a missing dash could exempt a value that is \
                 not a preview, such as `--dry-run=none`"
            )));
        }
        if spec.approvals.is_some_and(|n| n == 0 || n > 2) {
            return Err(err("approvals must be 1 or 2".into()));
        }
        // Embedded patterns are checked by the test `embedded_patterns_compile`; compiling
        // them here would cost every shim call a third of its time.
        let check_patterns = layer != Layer::Embedded;
        for (key, pattern) in spec
            .options
            .iter()
            .map(|(k, v)| (k.as_str(), v))
            .chain(
                [
                    ("text", spec.text.as_ref()),
                    ("text_unless", spec.text_unless.as_ref()),
                ]
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v))),
            )
            .filter(|_| check_patterns)
        {
            if let Err(e) = regex::Regex::new(pattern) {
                let msg = e
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or("invalid regex")
                    .trim()
                    .to_owned();
                return Err(LoadError::at(
                    name,
                    src,
                    pattern_offset(src, offset, key, pattern),
                    format!("rule {:?}: bad pattern for {key}: {msg}", spec.id),
                ));
            }
        }
        if !parsed.programs.is_empty()
            && !spec.disabled
            && !parsed.programs.iter().any(|p| {
                spec.program
                    .split('|')
                    .any(|alt| p == alt || super::glob::matches(p, alt, false))
            })
        {
            return Err(err(format!(
                "program {:?} is not listed in this file's `programs`",
                spec.program
            )));
        }
        rules.push(Arc::new(Rule {
            spec,
            file: path.clone(),
            line,
            layer,
            compiled: OnceLock::new(),
        }));
    }
    let tools = parsed
        .tool
        .into_iter()
        .map(|(k, v)| (k, Arc::new(v)))
        .collect();
    Ok(LoadedFile { tools, rules })
}

/// An `unless_flags` entry: `|`-separated options, each `-name` or `-name=value`,
/// with no wildcards.
fn exact_options(entry: &str) -> bool {
    entry.split('|').all(|alt| {
        let name = alt.split_once('=').map_or(alt, |(n, _)| n);
        name.len() > 1 && name.starts_with('-') && !alt.contains(['*', '?', '[', ' '])
    })
}

/// Where a rule's pattern is written, for pointing at it: the pattern's own text after
/// the rule's header when it is written without escapes, else its key.
fn pattern_offset(src: &str, rule_offset: usize, key: &str, pattern: &str) -> usize {
    let rest = &src[rule_offset.min(src.len())..];
    if let Some(p) = rest.find(pattern).filter(|_| !pattern.is_empty()) {
        let at = rule_offset + p;
        // Point at the opening quote, where the value starts.
        return if at > 0 && matches!(src.as_bytes()[at - 1], b'"' | b'\'') {
            at - 1
        } else {
            at
        };
    }
    rest.find(key).map_or(rule_offset, |p| rule_offset + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_point_at_line_and_column() {
        let src = "programs = [\"x\"]\n[[rule]]\nid = \"a\"\nprogram = \"x\"\nacton = \"block\"\n";
        let e = parse("t.toml", src, Layer::User).unwrap_err();
        assert_eq!((e.line, e.column), (5, 1), "{e}");
        assert!(e.message.contains("acton"), "{e}");
        assert!(e.to_string().contains("5 | acton"), "{e}");
    }

    #[test]
    fn each_rule_knows_its_line() {
        let rule = |id: &str| {
            format!(
                "[[rule]]\nid = \"{id}\"\nprogram = \"x\"\naction = \"block\"\nreason = \"r\"\n"
            )
        };
        let src = format!("# a comment\n\n{}\n\n{}{}", rule("a"), rule("b"), rule("c"));
        let f = parse("t.toml", &src, Layer::User).unwrap();
        let lines: Vec<usize> = f.rules.iter().map(|r| r.line).collect();
        assert_eq!(lines, [3, 10, 15]);
    }

    #[test]
    fn embedded_text_patterns_are_not_compiled_at_load() {
        // A bad pattern in an embedded file is the test `embedded_patterns_compile`'s to
        // find; loading must not pay for compiling patterns on every shim call.
        let src = "[[rule]]\nid = \"a\"\nprogram = \"psql\"\naction = \"block\"\nreason = \"r\"\ntext = \"(unclosed\"\n";
        assert!(parse("t.toml", src, Layer::Embedded).is_ok());
    }

    #[test]
    fn bad_regex_points_at_the_pattern() {
        let src = "[[rule]]\nid = \"a\"\nprogram = \"psql\"\naction = \"block\"\nreason = \"r\"\ntext = \"(unclosed\"\n";
        let e = parse("t.toml", src, Layer::User).unwrap_err();
        assert_eq!(e.line, 6, "{e}");
        assert_eq!(e.column, 8, "{e}");
    }

    #[test]
    fn dry_run_without_transform_is_refused() {
        let src = "[[rule]]\nid = \"a\"\nprogram = \"x\"\naction = \"dry-run\"\nreason = \"r\"\n";
        assert!(
            parse("t.toml", src, Layer::User)
                .unwrap_err()
                .message
                .contains("no preview")
        );
    }

    #[test]
    fn unless_flags_with_wildcards_are_refused() {
        // `--dry-run*` would count `--dry-run=none` as a preview.
        for entry in [
            "--dry-run*",
            "dry-run",
            "-n|--dry-run=*",
            "--dry-run=ser?er",
        ] {
            let src = format!(
                "[[rule]]\nid = \"a\"\nprogram = \"x\"\naction = \"block\"\nreason = \"r\"\nunless_flags = [{entry:?}]\n"
            );
            let e = parse("t.toml", &src, Layer::User).unwrap_err();
            assert!(e.message.contains("exactly"), "{entry}: {e}");
        }
        let src = "[[rule]]\nid = \"a\"\nprogram = \"x\"\naction = \"block\"\nreason = \"r\"\nunless_flags = [\"-n|--dry-run\", \"--dry-run=server\"]\n";
        assert!(parse("t.toml", src, Layer::User).is_ok());
    }

    #[test]
    fn project_files_cannot_disable_or_define_tools() {
        let src = "[[rule]]\nid = \"a\"\nprogram = \"x\"\naction = \"allow\"\nreason = \"\"\ndisabled = true\n";
        assert!(parse("p.toml", src, Layer::Project).is_err());
        let src = "[tool.kubectl]\nvalue_options = [\"delete\"]\n";
        assert!(parse("p.toml", src, Layer::Project).is_err());
    }

    #[test]
    fn embedded_patterns_compile() {
        for (name, src) in super::super::embedded() {
            if let Err(e) = parse(name, src, Layer::System) {
                panic!("{e}");
            }
        }
    }
}
