//! `cargo +nightly fuzz run judge_script`: the parser, normalizer and engine on any
//! input must answer without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        thread_local! {
            static ENGINE: interlock::policy::Engine = interlock::policy::Engine::new(
                interlock::rules::RuleSet::load(&interlock::rules::Sources::embedded_only()),
            );
        }
        ENGINE.with(|e| {
            let _ = e.judge_script(s);
        });
    }
});
