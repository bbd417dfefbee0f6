//! Captures: the invocant, positional and named arguments of one message.

use crate::error::ScriptError;
use crate::ident::Ident;
use crate::value::Value;

/// The arguments of one message, SMOP style.
#[derive(Clone, Debug, Default)]
pub struct Capture {
    /// The object the message is sent to.
    pub invocant: Value,
    /// Positional arguments, in order.
    pub positional: Vec<Value>,
    /// Named arguments, in source order.
    pub named: Vec<(Ident, Value)>,
}

impl Capture {
    /// A capture with an invocant and positional arguments only.
    pub fn new(invocant: Value, positional: Vec<Value>) -> Self {
        Capture {
            invocant,
            positional,
            named: Vec::new(),
        }
    }

    /// The positional argument at `i`.
    ///
    /// # Errors
    ///
    /// [`ScriptError::missing_positional`] when there is none.
    pub fn pos(&self, i: usize) -> Result<&Value, ScriptError> {
        self.positional
            .get(i)
            .ok_or_else(|| ScriptError::missing_positional(i, self.positional.len()))
    }

    /// The positional argument at `i`, or undef.
    pub fn pos_or_nil(&self, i: usize) -> Value {
        self.positional.get(i).cloned().unwrap_or_default()
    }

    /// The named argument `name`, if given.
    pub fn named(&self, name: Ident) -> Option<&Value> {
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
}
