//! polyeval-bridge: value mapping and proxies between polyeval's
//! interpreters, and the `polyeval` command line.
//!
//! [`run`] is the library entry point the CLI and the tests share.
#![forbid(unsafe_code)]

pub mod cli;
pub mod diagram;
pub mod fsaccess;
pub mod lua_bridge;
pub mod luacli;
pub mod memory;
mod repl;
pub mod run;
pub mod verify;
