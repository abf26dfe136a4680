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
    for spanned in parsed.rules {
        let offset = spanned.span().start;
        let spec = spanned.into_inner();
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
        if spec.approvals.is_some_and(|n| n == 0 || n > 2) {
            return Err(err("approvals must be 1 or 2".into()));
        }
        // Embedded patterns are checked by the test `embedded_patterns_compile`; compiling
        // them here would cost every shim call a third of its time.
        let patterns_to_check = if layer == Layer::Embedded {
            None
        } else {
            Some(())
        };
        for (key, pattern) in patterns_to_check
            .iter()
            .flat_map(|_| spec.options.iter())
            .map(|(k, v)| (k.as_str(), v))
            .chain(
                [
                    ("text", spec.text.as_ref()),
                    ("text_unless", spec.text_unless.as_ref()),
                ]
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v))),
            )
        {
            if let Err(e) = regex::Regex::new(pattern.get_ref()) {
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
                    pattern.span().start,
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
        let line = src[..offset.min(src.len())].matches('\n').count() + 1;
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

/// Reads the `programs = [...]` line without parsing the TOML, so files for other
/// programs cost nothing. An empty result means "always load this file".
pub(super) fn scan_programs(src: &str) -> Vec<String> {
    let Some(start) = src
        .lines()
        .position(|l| l.trim_start().starts_with("programs"))
    else {
        return Vec::new();
    };
    let text: String = src
        .lines()
        .skip(start)
        .take_while(|l| !l.trim_start().starts_with('['))
        .collect::<Vec<_>>()
        .join("\n");
    let Some(open) = text.find('[') else {
        return Vec::new();
    };
    let Some(close) = text[open..].find(']') else {
        return Vec::new();
    };
    text[open + 1..open + close]
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_owned())
        .filter(|s| !s.is_empty())
        .collect()
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
    fn project_files_cannot_disable_or_define_tools() {
        let src = "[[rule]]\nid = \"a\"\nprogram = \"x\"\naction = \"allow\"\nreason = \"\"\ndisabled = true\n";
        assert!(parse("p.toml", src, Layer::Project).is_err());
        let src = "[tool.kubectl]\nvalue_options = [\"delete\"]\n";
        assert!(parse("p.toml", src, Layer::Project).is_err());
    }

    #[test]
    fn embedded_patterns_compile() {
        for (name, src) in super::super::EMBEDDED {
            if let Err(e) = parse(name, src, Layer::System) {
                panic!("{e}");
            }
        }
    }

    #[test]
    fn programs_line_is_scanned_without_parsing() {
        assert_eq!(
            scan_programs("# c\nprograms = [\"aws\", \"mkfs.*\"]\n[tool.aws]\n"),
            ["aws", "mkfs.*"]
        );
        assert_eq!(
            scan_programs("programs = [\n  \"a\",\n  \"b\",\n]\n"),
            ["a", "b"]
        );
        assert!(scan_programs("[[rule]]\n").is_empty());
    }
}
