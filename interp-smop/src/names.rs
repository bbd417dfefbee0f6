//! The method and named-argument names that only SMOP's prelude objects
//! answer to. Core's shared names (`FETCH`, `postcircumfix:( )`, the
//! arithmetic infixes, ...) are the constants on [`polyeval_core::Ident`];
//! these are SMOP's own, interned on first use.

use polyeval_core::LazyIdent;

macro_rules! smop_names {
    ($($konst:ident = $name:literal,)*) => {
        $(
            #[doc = concat!("The identifier `", $name, "`.")]
            pub static $konst: LazyIdent = LazyIdent::new($name);
        )*
    };
}

smop_names! {
    STORE = "STORE",
    AT_POS = "postcircumfix:[ ]",
    AT_KEY = "postcircumfix:{ }",
    NEW = "new",
    LOOKUP = "lookup",
    OUTER = "outer",
    MOLD = "mold",
    POSITIONAL = "positional",
    NAMED = "named",
    PRINT = "print",
    SAY = "say",
    EXISTS = "exists",
    DELETE = "delete",
    KEYS = "keys",
    PUSH = "push",
    POP = "pop",
    SHIFT = "shift",
    UNSHIFT = "unshift",
    CLONE = "clone",
    INVOCANT = "invocant",
}
