//! The binary. All the work is in the library: [`interlock::run`].
//!
//! A C `main` instead of Rust's, because Rust's start-up changes the process before
//! `main` runs, and an allowed command must reach its tool as it would without
//! interlock: Rust's start-up reopens closed standard descriptors on /dev/null (a tool
//! started with stdin closed would see an empty stdin instead) and ignores SIGPIPE.
//! It also reads /proc/self/maps to place a stack guard, a tenth of a shim's start.
#![no_main]

use std::ffi::{c_char, c_int};

#[unsafe(no_mangle)]
extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    // The arguments come from std, which reads them from the C runtime.
    let code = interlock::run(std::env::args_os().collect());
    // Rust's start-up would flush stdout at exit; without it, do it here.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    c_int::from(code)
}
