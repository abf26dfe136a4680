//! The binary. All the work is in the library: [`interlock::run`].
//!
//! A C `main` instead of Rust's, because Rust's start-up changes the process before
//! `main` runs, and an allowed command must reach its tool as it would without
//! interlock: Rust's start-up reopens closed standard descriptors on /dev/null (a tool
//! started with stdin closed would see an empty stdin instead) and ignores SIGPIPE.
//! It also reads /proc/self/maps to place a stack guard, a tenth of a shim's start.
#![no_main]

use std::ffi::{CStr, OsString, c_char, c_int};
use std::os::unix::ffi::OsStrExt;

#[unsafe(no_mangle)]
extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    let count = usize::try_from(argc).unwrap_or(0);
    let args: Vec<OsString> = (0..count)
        // SAFETY: the C runtime passes `argc` valid pointers to NUL-terminated strings
        // that live as long as the process; a null entry (never expected) is skipped.
        .filter_map(|i| unsafe { argv.add(i).read().as_ref().map(|p| CStr::from_ptr(p)) })
        .map(|a| std::ffi::OsStr::from_bytes(a.to_bytes()).to_owned())
        .collect();
    let code = interlock::run(args);
    // Rust's start-up would flush stdout at exit; without it, do it here.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    c_int::from(code)
}
