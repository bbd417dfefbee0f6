//! The conformance kit (work in progress).
