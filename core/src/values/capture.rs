//! Captures: the invocant, positional and named arguments of one message.
//!
//! A [`Capture`] borrows its arguments from the sender (a VM's registers, a
//! Lua call's argument list), so sending a message copies nothing; an
//! object that keeps its arguments (a Code call's `$capture`) takes an
//! [`OwnedCapture`] with [`Capture::to_owned`].

use smallvec::SmallVec;

use crate::error::ScriptError;
use crate::values::ident::Ident;
use crate::values::value::Value;

/// Positional arguments held by value: up to three live inline, without a
/// heap allocation.
pub type Args = SmallVec<[Value; 3]>;

/// The arguments of one message, SMOP style, borrowed from the sender.
#[derive(Clone, Copy, Debug)]
pub struct Capture<'a> {
    /// The object the message is sent to.
    pub invocant: &'a Value,
    /// Positional arguments, in order.
    pub positional: &'a [Value],
    /// Named arguments, in source order.
    pub named: &'a [(Ident, Value)],
}

const NIL: &Value = &Value::Nil;

impl<'a> Capture<'a> {
    /// A capture with an invocant and positional arguments only.
    pub fn new(invocant: &'a Value, positional: &'a [Value]) -> Self {
        Capture {
            invocant,
            positional,
            named: &[],
        }
    }

    /// A capture with no invocant (undef) and these positional arguments.
    pub fn args(positional: &'a [Value]) -> Self {
        Capture::new(NIL, positional)
    }

    /// The positional argument at `i`.
    ///
    /// # Errors
    ///
    /// [`ScriptError::missing_positional`] when there is none.
    pub fn pos(&self, i: usize) -> Result<&'a Value, ScriptError> {
        self.positional
            .get(i)
            .ok_or_else(|| ScriptError::missing_positional(i, self.positional.len()))
    }

    /// The positional argument at `i`, or undef.
    pub fn pos_or_nil(&self, i: usize) -> Value {
        self.positional.get(i).cloned().unwrap_or_default()
    }

    /// The named argument `name`, if given (the last one wins).
    pub fn named(&self, name: Ident) -> Option<&'a Value> {
        self.named
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    /// Checks that at most `max` positional arguments were passed.
    ///
    /// # Errors
    ///
    /// [`ScriptError::arity`] when there are more.
    pub fn expect_at_most(&self, method: Ident, max: usize) -> Result<(), ScriptError> {
        if self.positional.len() > max {
            Err(ScriptError::arity(method, max, self.positional.len()))
        } else {
            Ok(())
        }
    }

    /// Copies the arguments into an [`OwnedCapture`].
    pub fn to_owned(&self) -> OwnedCapture {
        OwnedCapture {
            invocant: self.invocant.clone(),
            positional: self.positional.iter().cloned().collect(),
            named: self.named.to_vec(),
        }
    }
}

/// A capture that owns its arguments.
#[derive(Clone, Debug, Default)]
pub struct OwnedCapture {
    /// The object the message was sent to.
    pub invocant: Value,
    /// Positional arguments, in order.
    pub positional: Args,
    /// Named arguments, in source order.
    pub named: Vec<(Ident, Value)>,
}

impl OwnedCapture {
    /// A borrowed view of the arguments.
    pub fn view(&self) -> Capture<'_> {
        Capture {
            invocant: &self.invocant,
            positional: &self.positional,
            named: &self.named,
        }
    }
}
