//! `interlock log`: the audit log as a readable table, filtered, as JSON, followed,
//! or verified.

use std::fs::File;
use std::io::{BufRead, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::chain::Record;
use crate::env::Env;
use crate::exit;

/// How often `--follow` looks for new lines.
const FOLLOW_POLL: Duration = Duration::from_millis(250);

#[derive(Args, Debug)]
pub struct LogArgs {
    /// Only lines newer than this: a duration back from now (`30m`, `2h`, `7d`), an
    /// RFC 3339 time, or a date (`2026-03-08`, UTC).
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only this session (`INTERLOCK_SESSION` of an `interlock run`).
    #[arg(long)]
    pub session: Option<String>,
    /// Only this tool (`kubectl`, `terraform`, ...).
    #[arg(long)]
    pub tool: Option<String>,
    /// Only this decision: allow, dry-run, confirm or block.
    #[arg(long)]
    pub decision: Option<String>,
    /// Print the matching lines as they are stored (JSON lines).
    #[arg(long)]
    pub json: bool,
    /// Keep printing lines as they are appended.
    #[arg(long, short = 'f', conflicts_with = "verify")]
    pub follow: bool,
    /// Check the hash chain; name the first broken line. Exit 0 when whole, 1 if not.
    #[arg(long)]
    pub verify: bool,
    /// Read this log file instead of the configured one.
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
}

struct Filter {
    since: Option<jiff::Timestamp>,
    session: Option<String>,
    tool: Option<String>,
    decision: Option<String>,
}

impl Filter {
    fn keeps(&self, r: &Record) -> bool {
        if let Some(s) = self.since {
            match r.time.parse::<jiff::Timestamp>() {
                Ok(t) if t >= s => {}
                _ => return false,
            }
        }
        if self
            .session
            .as_ref()
            .is_some_and(|s| r.session.as_deref() != Some(s.as_str()))
        {
            return false;
        }
        if self
            .tool
            .as_ref()
            .is_some_and(|t| r.tool.as_deref() != Some(t.as_str()))
        {
            return false;
        }
        if self.decision.as_ref().is_some_and(|d| &r.decision != d) {
            return false;
        }
        true
    }
}

/// Reads `--since`: `30s`, `30m`, `2h`, `7d`, `1w`, an RFC 3339 time, or a date.
pub fn parse_since(s: &str, now: jiff::Timestamp) -> Result<jiff::Timestamp, String> {
    let s = s.trim();
    if let Some(unit) = s.chars().last().filter(|c| c.is_ascii_alphabetic())
        && let Ok(n) = s[..s.len() - 1].parse::<i64>()
    {
        let secs = match unit {
            's' => Some(1),
            'm' => Some(60),
            'h' => Some(3600),
            'd' => Some(86_400),
            'w' => Some(604_800),
            _ => None,
        };
        if let Some(k) = secs {
            return n
                .checked_mul(k)
                .and_then(|secs| now.checked_sub(jiff::SignedDuration::from_secs(secs)).ok())
                .ok_or_else(|| format!("--since {s}: too far back"));
        }
    }
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>()
        && let Ok(z) = d.to_zoned(jiff::tz::TimeZone::UTC)
    {
        return Ok(z.timestamp());
    }
    Err(format!(
        "--since {s}: expected a duration (30m, 2h, 7d), an RFC 3339 time or a date (2026-03-08)"
    ))
}

fn path(a: &LogArgs, env: &Env) -> Result<PathBuf, String> {
    if let Some(p) = &a.file {
        return Ok(p.clone());
    }
    let cfg = crate::config::load(env).map_err(|e| format!("config file {e}"))?;
    cfg.audit
        .unwrap_or_default()
        .log_path(env)
        .ok_or_else(|| "no audit log path: set HOME, XDG_STATE_HOME or [audit] path".to_owned())
}

pub fn run(a: &LogArgs, env: &Env) -> u8 {
    let path = match path(a, env) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("interlock: {e}");
            return exit::USAGE;
        }
    };
    let since = match a
        .since
        .as_deref()
        .map(|s| parse_since(s, jiff::Timestamp::now()))
    {
        Some(Err(e)) => {
            eprintln!("interlock: {e}");
            return exit::USAGE;
        }
        Some(Ok(t)) => Some(t),
        None => None,
    };
    let file = match File::open(&path) {
        Ok(f) => Some(f),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !a.verify => None,
        Err(e) => {
            eprintln!(
                "interlock: cannot read the audit log {}: {e}",
                path.display()
            );
            return exit::USAGE;
        }
    };
    if a.verify {
        let verdict = match super::verify::verify_log(&path) {
            Ok(v) => v,
            Err(e) => {
                eprintln!(
                    "interlock: cannot read the audit log {}: {e}",
                    path.display()
                );
                return exit::USAGE;
            }
        };
        return match verdict {
            Ok(n) => {
                println!("{}: {n} lines, chain intact", path.display());
                exit::ALLOW
            }
            Err(b) => {
                println!("{}: chain broken at {b}", path.display());
                exit::NOT_ALLOWED
            }
        };
    }
    let filter = Filter {
        since,
        session: a.session.clone(),
        tool: a.tool.clone(),
        decision: a.decision.clone(),
    };
    let mut out = Printer {
        json: a.json,
        header_done: false,
    };
    let mut offset = 0u64;
    if let Some(f) = &file {
        offset = print_from(f, 0, &filter, &mut out);
    }
    if !a.follow {
        if !out.header_done && !a.json {
            println!("no matching lines in {}", path.display());
        }
        return exit::ALLOW;
    }
    let mut file = file;
    loop {
        std::thread::sleep(FOLLOW_POLL);
        if file.is_none() {
            file = File::open(&path).ok();
        }
        if let Some(f) = &file {
            offset = print_from(f, offset, &filter, &mut out);
        }
    }
}

struct Printer {
    json: bool,
    header_done: bool,
}

impl Printer {
    fn line(&mut self, raw: &str, r: &Record) {
        if self.json {
            println!("{raw}");
            return;
        }
        if !self.header_done {
            println!(
                "{:<20} {:<8} {:<9} {:<9} {:<10} {:<28} COMMAND",
                "TIME (UTC)", "SESSION", "DECISION", "OUTCOME", "TOOL", "RULE"
            );
            self.header_done = true;
        }
        let time = r.time.get(..19).unwrap_or(&r.time).replace('T', " ");
        let session: String = r
            .session
            .as_deref()
            .unwrap_or("-")
            .chars()
            .take(8)
            .collect();
        let mut cmd = r.command_text().replace('\n', "; ");
        if let Some(c) = &r.context {
            cmd.push_str(&format!("  [{c}]"));
        }
        if let Some(e) = &r.escalation {
            cmd.push_str(&format!("  ({e})"));
        }
        println!(
            "{:<20} {:<8} {:<9} {:<9} {:<10} {:<28} {}",
            time,
            session,
            r.decision,
            r.outcome,
            r.tool.as_deref().unwrap_or("-"),
            r.rule.as_deref().unwrap_or("-"),
            cmd
        );
    }
}

/// Prints every complete line from `offset`; returns the offset after the last one.
fn print_from(file: &File, offset: u64, filter: &Filter, out: &mut Printer) -> u64 {
    let mut f = file;
    if f.seek(SeekFrom::Start(offset)).is_err() {
        return offset;
    }
    let mut buf = Vec::new();
    if f.read_to_end(&mut buf).is_err() {
        return offset;
    }
    // A line still being written (no newline yet) waits for the next poll.
    let complete = buf.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    for raw in buf[..complete].lines() {
        let Ok(raw) = raw else { continue };
        match serde_json::from_str::<Record>(&raw) {
            Ok(r) if filter.keeps(&r) => out.line(&raw, &r),
            Ok(_) => {}
            Err(_) if out.json => {}
            Err(_) => {
                eprintln!("interlock: skipping a line that is not a log record (see --verify)")
            }
        }
    }
    offset + complete as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_durations_times_and_dates() {
        let now: jiff::Timestamp = "2026-03-08T12:00:00Z".parse().unwrap();
        assert_eq!(
            parse_since("2h", now).unwrap().to_string(),
            "2026-03-08T10:00:00Z"
        );
        assert_eq!(
            parse_since("1d", now).unwrap().to_string(),
            "2026-03-07T12:00:00Z"
        );
        assert_eq!(
            parse_since("2026-03-01", now).unwrap().to_string(),
            "2026-03-01T00:00:00Z"
        );
        assert_eq!(
            parse_since("2026-03-01T05:00:00+01:00", now)
                .unwrap()
                .to_string(),
            "2026-03-01T04:00:00Z"
        );
        assert!(parse_since("yesterday", now).is_err());
    }
}
