//! polyeval-lua: Lua 5.4 as run-loop continuations, on mlua (vendored Lua
//! 5.4). Nothing is built here yet: the crate holds its place in the
//! workspace and in the layering checks until the Lua issue lands.
#![forbid(unsafe_code)]
