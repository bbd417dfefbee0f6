//! Interned identifiers: method names, interrupt kinds and prelude names.
//!
//! An [`Ident`] is a `u32` index into one process-wide table, so two
//! identifiers compare in O(1) and can cross threads. Names are leaked into
//! the table and live for the whole process, which bounds the table by the
//! number of distinct names a program uses.

use std::collections::HashMap;
use std::fmt;
use std::sync::{OnceLock, RwLock};

/// An interned identifier. Equal names give equal `Ident`s.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ident(u32);

struct Interner {
    names: Vec<&'static str>,
    index: HashMap<&'static str, u32>,
}

/// Defines the well-known identifiers as constants, numbered in order, and
/// seeds the interner with them so that the constants need no lookup.
macro_rules! numbered_idents {
    ($($konst:ident = $name:literal,)*) => {
        numbered_idents!(@step 0u32; $($konst = $name,)*);
        const KNOWN: &[&str] = &[$($name,)*];
    };
    (@step $n:expr; $konst:ident = $name:literal, $($rest:tt)*) => {
        impl Ident {
            #[doc = concat!("The identifier `", $name, "`.")]
            pub const $konst: Ident = Ident($n);
        }
        numbered_idents!(@step $n + 1u32; $($rest)*);
    };
    (@step $n:expr;) => {};
}

// The arithmetic and comparison names come first: the m0ld VM's integer
// fast path matches on them, and their place in the table changed that
// benchmark's loop by a third (`cargo bench --bench smop -- loop`).
numbered_idents! {
    ADD = "infix:+",
    SUB = "infix:-",
    MUL = "infix:*",
    DIV = "infix:/",
    MOD = "infix:%",
    EQ = "infix:==",
    NE = "infix:!=",
    LT = "infix:<",
    LE = "infix:<=",
    GT = "infix:>",
    GE = "infix:>=",
    CONCAT = "infix:~",
    NEG = "prefix:-",
    FETCH = "FETCH",
    CALL = "postcircumfix:( )",
    STR = "Str",
    INT = "Int",
    NUM = "Num",
    TRUE = "true",
    DEFINED = "defined",
    BACK = "back",
    SETR = "setr",
    CATCH = "catch",
    GOTO = "goto",
    CONTINUATION = "continuation",
    WARN = "warn",
    DIE = "die",
    ELEMS = "elems",
    MESSAGE = "message",
    WARNING = "warning",
    SIGINT = "SIGINT",
    SIGTERM = "SIGTERM",
    SIGUSR1 = "SIGUSR1",
    SIGUSR2 = "SIGUSR2",
    SIGHUP = "SIGHUP",
    TIMER = "timer",
    PROBE = "probe",
    WITHOUT_INTERRUPTS = "without_interrupts",
    SLEEP = "sleep",
    CANCEL = "cancel",
    ON_INTERRUPT = "on_interrupt",
    RAISE = "raise",
    PAYLOAD = "payload",
    KIND = "kind",
    FILE = "file",
    LINE = "line",
    COLUMN = "column",
    BACKTRACE = "backtrace",
    INTERPRETER = "interpreter",
    EVAL = "eval",
}

fn interner() -> &'static RwLock<Interner> {
    static INTERNER: OnceLock<RwLock<Interner>> = OnceLock::new();
    INTERNER.get_or_init(|| {
        let names: Vec<&'static str> = KNOWN.to_vec();
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (*n, i as u32))
            .collect();
        RwLock::new(Interner { names, index })
    })
}

impl Ident {
    /// Interns `name` and returns its identifier.
    pub fn new(name: &str) -> Ident {
        let table = interner();
        {
            let read = table.read().unwrap_or_else(|p| p.into_inner());
            if let Some(&i) = read.index.get(name) {
                return Ident(i);
            }
        }
        let mut write = table.write().unwrap_or_else(|p| p.into_inner());
        if let Some(&i) = write.index.get(name) {
            return Ident(i);
        }
        let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
        let i = write.names.len() as u32;
        write.names.push(leaked);
        write.index.insert(leaked, i);
        Ident(i)
    }

    /// Interns a byte name; bytes that are not UTF-8 are replaced.
    pub fn from_bytes(name: &[u8]) -> Ident {
        Ident::new(&String::from_utf8_lossy(name))
    }

    /// Returns the identifier's name if it is already interned.
    pub fn existing(name: &str) -> Option<Ident> {
        let read = interner().read().unwrap_or_else(|p| p.into_inner());
        read.index.get(name).map(|&i| Ident(i))
    }

    /// The name this identifier was interned from.
    pub fn name(self) -> &'static str {
        let read = interner().read().unwrap_or_else(|p| p.into_inner());
        read.names
            .get(self.0 as usize)
            .copied()
            .unwrap_or("<unknown identifier>")
    }

    /// An identifier from a raw index without checking it; an index that was
    /// never interned names `<unknown identifier>`. Decoders use this.
    #[inline]
    pub const fn from_raw(i: u32) -> Ident {
        Ident(i)
    }

    /// The identifier with raw index `i`, if one was interned.
    pub fn from_index(i: u32) -> Option<Ident> {
        let read = interner().read().unwrap_or_else(|p| p.into_inner());
        ((i as usize) < read.names.len()).then_some(Ident(i))
    }

    /// The raw index, stable for the life of the process.
    pub fn index(self) -> u32 {
        self.0
    }
}

/// A well-known identifier an interpreter declares for itself, interned on
/// first use: `static EVAL: LazyIdent = LazyIdent::new("eval");` then
/// `EVAL.get()`. Core's own well-known names are the constants on
/// [`Ident`]; interpreters declare theirs this way, so core lists no
/// interpreter's vocabulary.
pub struct LazyIdent {
    name: &'static str,
    id: OnceLock<Ident>,
}

impl LazyIdent {
    /// Declares the identifier `name`.
    pub const fn new(name: &'static str) -> Self {
        LazyIdent {
            name,
            id: OnceLock::new(),
        }
    }

    /// The identifier, interned on the first call.
    #[inline]
    pub fn get(&self) -> Ident {
        *self.id.get_or_init(|| Ident::new(self.name))
    }
}

impl fmt::Debug for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ident({:?})", self.name())
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_are_seeded_in_order() {
        assert_eq!(Ident::FETCH.name(), "FETCH");
        assert_eq!(Ident::new("postcircumfix:( )"), Ident::CALL);
        assert_eq!(Ident::RAISE.name(), "raise");
    }

    #[test]
    fn interning_is_idempotent() {
        let a = Ident::new("some-fresh-name");
        let b = Ident::new("some-fresh-name");
        assert_eq!(a, b);
        assert_ne!(a, Ident::new("another-fresh-name"));
        assert_eq!(Ident::existing("some-fresh-name"), Some(a));
    }
}
