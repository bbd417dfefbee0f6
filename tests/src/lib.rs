//! polyeval-tests: integration tests and benchmarks live in this crate's `tests/`-style targets and `benches/`.
#![forbid(unsafe_code)]
