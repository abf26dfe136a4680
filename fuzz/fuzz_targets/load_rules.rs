//! `cargo +nightly fuzz run load_rules`: any rules file either loads or fails with a
//! located error; it never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("interlock-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("fuzz.toml");
    if std::fs::write(&path, data).is_ok() {
        let sources = interlock::rules::Sources { extra: vec![path], ..Default::default() };
        let set = interlock::rules::RuleSet::load(&sources);
        let _ = set.errors();
        let _ = set.for_program("kubectl");
    }
});
