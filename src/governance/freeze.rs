//! Change-freeze windows: weekly off-hours and dated freezes, in a named time zone,
//! during which every command a rule matched is blocked.
//!
//! Times are civil times in the window's zone, turned into instants per occurrence
//! with the zone's rules (jiff, the system tz database), so a window keeps its wall
//! clock hours across a daylight-saving change: `22:00`–`06:00` on the night clocks
//! spring forward lasts seven hours, not eight. A civil time that does not exist (in
//! the gap) is read forward, one that happens twice is read as its first occurrence.
//!
//! Zones come from the system's files at fixed paths (the zoneinfo directory and
//! `/etc/localtime`), never from `TZ` or `TZDIR`: those belong to the caller, and
//! `TZ=Etc/GMT+6 kubectl delete ...` must not move a freeze. A zone that cannot be
//! loaded keeps its window in effect, with a message saying why.

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use serde::Deserialize;

use crate::context::EnvClass;

/// How many adjacent occurrences are merged when saying when a freeze ends (a
/// weekday-evening window next to a weekend one).
const MAX_CHAINED: usize = 16;

/// One `[[freeze]]` entry as written.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Freeze {
    pub name: String,
    /// An IANA zone (`Europe/Berlin`). Default: the system's local zone.
    #[serde(default)]
    pub tz: Option<String>,
    /// Weekly: the days a window starts on (`mon`..`sun`, or full names).
    #[serde(default)]
    pub days: Vec<String>,
    /// Weekly: `HH:MM` start and end. An end at or before the start ends the next day;
    /// `24:00` is the end of the day.
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
    /// Dated: from and until (exclusive), `2026-12-20T18:00` in the zone, a date, or an
    /// RFC 3339 time with an offset.
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub until: Option<String>,
    /// Only commands pointing at these environments (`production`, ...). A command
    /// whose environment cannot be told is frozen too. Default: every command.
    #[serde(default)]
    pub environments: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("[[freeze]] {name:?}: {message}")]
pub struct FreezeError {
    pub name: String,
    pub message: String,
}

/// Where systems keep the IANA zone files, most common first.
const ZONEINFO_DIRS: &[&str] = &[
    "/usr/share/zoneinfo",
    "/usr/lib/zoneinfo",
    "/usr/share/lib/zoneinfo",
];

/// The system's own zone: a TZif file, usually a link into the zoneinfo directory.
const LOCALTIME: &str = "/etc/localtime";

/// Why a zone could not be used.
enum ZoneError {
    /// The name is not a zone the system knows: a mistake in the config.
    Unknown(String),
    /// The zone files cannot be read: the window stays in effect.
    Unavailable(String),
}

/// A zone name as a relative path inside the zoneinfo directory, or `None` when it
/// could point anywhere else (`..`, an absolute path, odd characters).
fn zone_path(name: &str) -> Option<&str> {
    let ok = !name.is_empty()
        && !name.starts_with('/')
        && name.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        });
    ok.then_some(name)
}

/// The zone `name` from the system's zoneinfo files.
fn named_zone(name: &str) -> Result<TimeZone, ZoneError> {
    let rel = zone_path(name).ok_or_else(|| {
        ZoneError::Unknown(format!(
            "{name:?} is not a time zone name (like Europe/Berlin)"
        ))
    })?;
    let mut found_dir = false;
    for dir in ZONEINFO_DIRS {
        let dir = std::path::Path::new(dir);
        if !dir.is_dir() {
            continue;
        }
        found_dir = true;
        match std::fs::read(dir.join(rel)) {
            Ok(data) => {
                return TimeZone::tzif(name, &data).map_err(|e| {
                    ZoneError::Unavailable(format!(
                        "{} is not a valid zone file: {e}",
                        dir.join(rel).display()
                    ))
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(ZoneError::Unavailable(format!(
                    "cannot read {}: {e}",
                    dir.join(rel).display()
                )));
            }
        }
    }
    if matches!(name, "UTC" | "Etc/UTC") {
        // UTC needs no data; a system without zone files still has it.
        return Ok(TimeZone::UTC);
    }
    if found_dir {
        Err(ZoneError::Unknown(format!(
            "unknown time zone {name:?} (not in {})",
            ZONEINFO_DIRS[0]
        )))
    } else {
        Err(ZoneError::Unavailable(format!(
            "no time zone files to read {name:?} from (looked in {})",
            ZONEINFO_DIRS.join(", ")
        )))
    }
}

/// The system's zone, from `/etc/localtime`. Without that file the C library uses
/// UTC, and so does this.
fn system_zone() -> Result<TimeZone, ZoneError> {
    let unavailable = |e: String| ZoneError::Unavailable(format!("{LOCALTIME}: {e}"));
    match std::fs::symlink_metadata(LOCALTIME) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(TimeZone::UTC),
        Err(e) => return Err(unavailable(e.to_string())),
        Ok(_) => {}
    }
    // The link's target names the zone, for messages (`CET` rather than an offset).
    let name = std::fs::read_link(LOCALTIME)
        .ok()
        .and_then(|t| {
            let t = t.to_str()?.to_owned();
            let at = t.rfind("zoneinfo/")? + "zoneinfo/".len();
            Some(t[at..].to_owned())
        })
        .unwrap_or_else(|| "localtime".to_owned());
    let data = std::fs::read(LOCALTIME).map_err(|e| unavailable(e.to_string()))?;
    TimeZone::tzif(&name, &data).map_err(|e| unavailable(format!("not a valid zone file: {e}")))
}

#[derive(Clone, Debug)]
enum When {
    Weekly {
        days: Vec<Weekday>,
        start: Time,
        /// `None`: midnight at the end of the day.
        end: Option<Time>,
    },
    Dated {
        from: Timestamp,
        until: Timestamp,
    },
}

/// A freeze ready to be checked.
#[derive(Clone, Debug)]
pub struct Window {
    pub name: String,
    tz: TimeZone,
    /// Why the zone could not be loaded: the window is then always in effect.
    unavailable: Option<String>,
    when: When,
    environments: Vec<EnvClass>,
}

fn weekday(s: &str) -> Option<Weekday> {
    let s = s.to_ascii_lowercase();
    let d = match s.get(..3)? {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        _ => return None,
    };
    let full = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    (s.len() == 3 || full.contains(&s.as_str())).then_some(d)
}

fn clock(s: &str) -> Result<Option<Time>, String> {
    if s == "24:00" {
        return Ok(None);
    }
    let (h, m) = s
        .split_once(':')
        .ok_or_else(|| format!("{s:?} is not HH:MM"))?;
    let h: i8 = h.parse().map_err(|_| format!("{s:?} is not HH:MM"))?;
    let m: i8 = m.parse().map_err(|_| format!("{s:?} is not HH:MM"))?;
    Time::new(h, m, 0, 0)
        .map(Some)
        .map_err(|_| format!("{s:?} is not a time of day"))
}

fn instant(s: &str, tz: &TimeZone) -> Result<Timestamp, String> {
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    let dt = s
        .parse::<DateTime>()
        .or_else(|_| s.parse::<Date>().map(|d| d.to_datetime(Time::midnight())))
        .map_err(|_| {
            format!("{s:?} is not a date (2026-12-20), a date and time (2026-12-20T18:00) or an RFC 3339 time")
        })?;
    civil(dt, tz)
}

/// A civil time in `tz` as an instant: a time in a DST gap is read forward, one in a
/// fold as its earlier occurrence.
fn civil(dt: DateTime, tz: &TimeZone) -> Result<Timestamp, String> {
    tz.to_ambiguous_zoned(dt)
        .compatible()
        .map(|z| z.timestamp())
        .map_err(|e| e.to_string())
}

fn env_class(s: &str) -> Option<EnvClass> {
    match s {
        "production" => Some(EnvClass::Production),
        "staging" => Some(EnvClass::Staging),
        "development" => Some(EnvClass::Development),
        _ => None,
    }
}

impl Freeze {
    pub fn compile(&self) -> Result<Window, FreezeError> {
        let err = |message: String| FreezeError {
            name: self.name.clone(),
            message,
        };
        let zone = match &self.tz {
            Some(name) => named_zone(name),
            None => system_zone(),
        };
        let (tz, unavailable) = match zone {
            Ok(tz) => (tz, None),
            Err(ZoneError::Unknown(m)) => return Err(err(m)),
            // A dated window's times are read in UTC here; it is in effect anyway.
            Err(ZoneError::Unavailable(m)) => (TimeZone::UTC, Some(m)),
        };
        let weekly = !self.days.is_empty() || self.start.is_some() || self.end.is_some();
        let dated = self.from.is_some() || self.until.is_some();
        let when = match (weekly, dated) {
            (true, true) => {
                return Err(err(
                    "give either days/start/end (weekly) or from/until (dated), not both".into(),
                ));
            }
            (false, false) => {
                return Err(err(
                    "give days/start/end (weekly) or from/until (dated)".into()
                ));
            }
            (true, false) => {
                let days = self
                    .days
                    .iter()
                    .map(|d| {
                        weekday(d).ok_or_else(|| err(format!("{d:?} is not a day of the week")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if days.is_empty() {
                    return Err(err("a weekly freeze needs `days`".into()));
                }
                let start = clock(self.start.as_deref().unwrap_or("00:00"))
                    .map_err(err)?
                    .ok_or_else(|| err("start cannot be 24:00".into()))?;
                let end = clock(self.end.as_deref().unwrap_or("24:00")).map_err(err)?;
                When::Weekly { days, start, end }
            }
            (false, true) => {
                let (Some(f), Some(u)) = (&self.from, &self.until) else {
                    return Err(err("a dated freeze needs both `from` and `until`".into()));
                };
                let from = instant(f, &tz).map_err(err)?;
                let until = instant(u, &tz).map_err(err)?;
                if until <= from {
                    return Err(err("`until` must be after `from`".into()));
                }
                When::Dated { from, until }
            }
        };
        let environments = self
            .environments
            .iter()
            .map(|e| {
                env_class(e).ok_or_else(|| {
                    err(format!(
                        "{e:?} is not an environment (production, staging, development)"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Window {
            name: self.name.clone(),
            tz,
            unavailable,
            when,
            environments,
        })
    }
}

impl Window {
    /// The end of the occurrence that contains `now`, if one does.
    fn occurrence_end(&self, now: Timestamp) -> Option<Timestamp> {
        match &self.when {
            When::Dated { from, until } => (*from <= now && now < *until).then_some(*until),
            When::Weekly { days, start, end } => {
                let today = now.to_zoned(self.tz.clone()).date();
                let yesterday = today.yesterday().ok()?;
                for day in [yesterday, today] {
                    if !days.contains(&day.weekday()) {
                        continue;
                    }
                    let s = civil(day.to_datetime(*start), &self.tz).ok()?;
                    let e = match end {
                        Some(e) if e > start => civil(day.to_datetime(*e), &self.tz).ok()?,
                        Some(e) => civil(day.tomorrow().ok()?.to_datetime(*e), &self.tz).ok()?,
                        None => civil(day.tomorrow().ok()?.to_datetime(Time::midnight()), &self.tz)
                            .ok()?,
                    };
                    if s <= now && now < e {
                        return Some(e);
                    }
                }
                None
            }
        }
    }

    /// When the freeze that contains `now` ends, following back-to-back occurrences.
    /// A window whose zone cannot be loaded is in effect with no known end.
    pub fn active_until(&self, now: Timestamp) -> Option<Timestamp> {
        if self.unavailable.is_some() {
            return Some(Timestamp::MAX);
        }
        let mut end = self.occurrence_end(now)?;
        for _ in 0..MAX_CHAINED {
            match self.occurrence_end(end) {
                Some(next) if next > end => end = next,
                _ => break,
            }
        }
        Some(end)
    }

    /// Whether the window covers a command pointing at `class`.
    pub fn covers(&self, class: Option<EnvClass>) -> bool {
        self.environments.is_empty() || class.is_none_or(|c| self.environments.contains(&c))
    }

    /// `2026-03-09 08:00 CET`: the end, in the window's own zone.
    pub fn describe_end(&self, end: Timestamp) -> String {
        if let Some(why) = &self.unavailable {
            return format!(
                "further notice (its time zone cannot be loaded: {why}; a freeze whose \
                 time cannot be told is kept in effect. Fix the system's time zone files, \
                 or set `tz` on the freeze to a zone that loads)"
            );
        }
        let z: Zoned = end.to_zoned(self.tz.clone());
        z.strftime("%Y-%m-%d %H:%M %Z").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn weekly(tz: &str, days: &[&str], start: &str, end: &str) -> Window {
        Freeze {
            name: "w".into(),
            tz: Some(tz.into()),
            days: days.iter().map(|d| d.to_string()).collect(),
            start: Some(start.into()),
            end: Some(end.into()),
            from: None,
            until: None,
            environments: vec![],
        }
        .compile()
        .unwrap()
    }

    #[test]
    fn off_hours_across_spring_forward_in_new_york() {
        // 2026-03-08: clocks go from 02:00 EST to 03:00 EDT. Saturday 22:00 EST is
        // 03:00Z; Sunday 06:00 EDT is 10:00Z: seven hours, not eight.
        let w = weekly("America/New_York", &["sat"], "22:00", "06:00");
        assert_eq!(w.active_until(ts("2026-03-08T02:59:59Z")), None);
        assert_eq!(
            w.active_until(ts("2026-03-08T03:00:00Z")),
            Some(ts("2026-03-08T10:00:00Z"))
        );
        assert_eq!(
            w.active_until(ts("2026-03-08T09:59:59Z")),
            Some(ts("2026-03-08T10:00:00Z"))
        );
        // A fixed -05:00 offset would still be frozen here (06:00 EST = 11:00Z).
        assert_eq!(w.active_until(ts("2026-03-08T10:30:00Z")), None);
    }

    #[test]
    fn a_window_ending_inside_the_gap_ends_at_the_jump() {
        // 02:30 does not exist on 2026-03-08 in New York; it is read forward, as 03:30 EDT.
        let w = weekly("America/New_York", &["sun"], "01:00", "02:30");
        assert_eq!(
            w.active_until(ts("2026-03-08T06:30:00Z")),
            Some(ts("2026-03-08T07:30:00Z"))
        );
    }

    #[test]
    fn off_hours_across_fall_back_in_berlin() {
        // 2026-10-25: 03:00 CEST becomes 02:00 CET. Saturday 20:00 CEST = 18:00Z; Sunday
        // 08:00 CET = 07:00Z: thirteen hours.
        let w = weekly("Europe/Berlin", &["saturday"], "20:00", "08:00");
        assert_eq!(w.active_until(ts("2026-10-24T17:59:00Z")), None);
        assert_eq!(
            w.active_until(ts("2026-10-24T18:00:00Z")),
            Some(ts("2026-10-25T07:00:00Z"))
        );
        assert!(w.active_until(ts("2026-10-25T06:30:00Z")).is_some());
        assert_eq!(w.active_until(ts("2026-10-25T07:00:00Z")), None);
        assert_eq!(
            w.describe_end(ts("2026-10-25T07:00:00Z")),
            "2026-10-25 08:00 CET"
        );
    }

    #[test]
    fn back_to_back_days_say_when_the_whole_freeze_ends() {
        let w = weekly("UTC", &["sat", "sun"], "00:00", "24:00");
        assert_eq!(
            w.active_until(ts("2026-11-21T13:00:00Z")),
            Some(ts("2026-11-23T00:00:00Z"))
        );
        assert_eq!(w.active_until(ts("2026-11-23T00:00:00Z")), None);
    }

    #[test]
    fn dated_freezes_in_a_zone() {
        let w = Freeze {
            name: "year-end".into(),
            tz: Some("Europe/Berlin".into()),
            days: vec![],
            start: None,
            end: None,
            from: Some("2026-12-20".into()),
            until: Some("2027-01-04T08:00".into()),
            environments: vec!["production".into()],
        }
        .compile()
        .unwrap();
        assert_eq!(w.active_until(ts("2026-12-19T22:59:59Z")), None);
        assert_eq!(
            w.active_until(ts("2026-12-19T23:00:00Z")),
            Some(ts("2027-01-04T07:00:00Z"))
        );
        assert!(w.covers(Some(EnvClass::Production)));
        assert!(w.covers(None));
        assert!(!w.covers(Some(EnvClass::Development)));
    }

    #[test]
    fn bad_entries_are_named() {
        let mut f = Freeze {
            name: "x".into(),
            tz: Some("Mars/Olympus".into()),
            days: vec!["sat".into()],
            start: None,
            end: None,
            from: None,
            until: None,
            environments: vec![],
        };
        assert!(
            f.compile()
                .unwrap_err()
                .to_string()
                .contains("Mars/Olympus")
        );
        f.tz = None;
        f.days = vec!["caturday".into()];
        assert!(f.compile().unwrap_err().message.contains("caturday"));
        f.days = vec!["sat".into()];
        f.from = Some("2026-01-01".into());
        assert!(f.compile().is_err());
    }

    #[test]
    fn zone_names_cannot_leave_the_zoneinfo_directory() {
        for bad in [
            "../../tmp/x",
            "/etc/localtime",
            "America/../../x",
            "",
            "a//b",
            "x y",
        ] {
            assert!(zone_path(bad).is_none(), "{bad}");
            assert!(
                matches!(named_zone(bad), Err(ZoneError::Unknown(_))),
                "{bad}"
            );
        }
        for good in [
            "America/Port-au-Prince",
            "Etc/GMT+6",
            "America/Argentina/Buenos_Aires",
        ] {
            assert_eq!(zone_path(good), Some(good));
        }
    }

    #[test]
    fn a_window_whose_zone_cannot_be_loaded_stays_in_effect() {
        let mut w = weekly("UTC", &["sat"], "22:00", "06:00");
        w.unavailable = Some("/etc/localtime: Permission denied".into());
        // A Tuesday noon, far outside the window.
        let end = w.active_until(ts("2026-03-10T12:00:00Z")).unwrap();
        let said = w.describe_end(end);
        assert!(said.contains("Permission denied"), "{said}");
        assert!(said.contains("kept in effect"), "{said}");
    }
}
