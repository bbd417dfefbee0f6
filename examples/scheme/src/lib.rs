//! A small Scheme for polyeval (work in progress).
#![forbid(unsafe_code)]
