//! The INI dialect of `~/.aws/config` and gcloud's configuration files: `[section]`
//! headers, `key = value` lines, `#`/`;` comments. Indented lines continue a nested
//! block (`s3 =` sub-settings) and are skipped.

use std::collections::HashMap;

/// The keys of `section` (the header text between the brackets, trimmed).
pub fn section(text: &str, name: &str) -> Option<HashMap<String, String>> {
    let mut current: Option<&str> = None;
    let mut out: Option<HashMap<String, String>> = None;
    for raw in text.lines() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(h) = trimmed.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            current = Some(h.trim());
            if current == Some(name) && out.is_none() {
                out = Some(HashMap::new());
            }
            continue;
        }
        if current != Some(name) || line.starts_with([' ', '\t']) {
            continue;
        }
        if let (Some(map), Some((k, v))) = (out.as_mut(), trimmed.split_once('=')) {
            map.entry(k.trim().to_owned())
                .or_insert_with(|| v.trim().to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_section() {
        let t = "[default]\nregion = us-east-1\n\n[profile prod]\n# c\nregion=eu-west-1\ns3 =\n  max_concurrent_requests = 2\nsso_account_id = 123\n";
        let s = section(t, "profile prod").unwrap();
        assert_eq!(s["region"], "eu-west-1");
        assert_eq!(s["sso_account_id"], "123");
        assert!(!s.contains_key("max_concurrent_requests"));
        assert_eq!(section(t, "default").unwrap()["region"], "us-east-1");
        assert!(section(t, "profile x").is_none());
    }
}
