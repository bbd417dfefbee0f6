//! polyeval-bridge: value mapping and proxies between polyeval's
//! interpreters, and the `polyeval` command line.
//!
//! Embedders start at [`Runtime`] ([`embed`]; `docs/embedding.md` shows
//! it by example), which needs none of the command line's dependencies:
//! depend on this crate with `default-features = false`. With the default
//! `cli` feature, `run` is the entry point the CLI and the tests share.
#![forbid(unsafe_code)]

#[cfg(feature = "cli")]
pub mod cli;
pub mod diagram;
pub mod embed;
pub mod fsaccess;
pub mod lua_bridge;
#[cfg(feature = "cli")]
pub mod luacli;
pub mod memory;
#[cfg(feature = "cli")]
mod repl;
#[cfg(feature = "cli")]
pub mod run;
#[cfg(feature = "cli")]
pub mod verify;

pub use embed::{Builder, FromValue, IntoArgs, IntoValue, Runtime};

/// `docs/embedding.md`, whose examples run as this crate's doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/embedding.md")]
pub struct EmbeddingGuide;
