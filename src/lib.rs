//! interlock stands between an AI coding agent and the commands it runs.
//!
//! The policy core — [`parse`], [`normalize`], [`rules`], [`policy`] — is pure: it
//! reads no files beyond rules and runs nothing. Process work lives in [`entry`] (shims,
//! shell mode, `run`) and [`cli`] (the tools for people).

pub mod account;
pub mod audit;
pub mod cli;
pub mod config;
pub mod confirm;
pub mod context;
pub mod credentials;
pub mod entry;
pub mod env;
pub mod exit;
pub mod governance;
pub mod hash;
pub mod hook;
pub mod install;
pub mod normalize;
pub mod parse;
pub mod policy;
pub mod redact;
pub mod rules;

use std::ffi::OsString;

/// The whole program: dispatches on argv[0] and the arguments.
pub fn run(args: Vec<OsString>) -> u8 {
    install_panic_hook();
    entry::dispatch(args)
}

/// A parser panic on the worker thread is expected and handled (the command is not
/// run); keep it off the agent's stderr. Any other panic is reported as usual.
fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() == Some(parse::PARSER_THREAD) {
            return;
        }
        default(info);
    }));
}
