//! Captures: the invocant, positional and named arguments of one message.

use smallvec::SmallVec;

use crate::error::ScriptError;
use crate::ident::Ident;
use crate::value::Value;

/// Positional arguments: up to three live inline, without a heap
/// allocation.
pub type Args = SmallVec<[Value; 3]>;

/// The arguments of one message, SMOP style.
#[derive(Clone, Debug, Default)]
pub struct Capture {
    /// The object the message is sent to.
    pub invocant: Value,
    /// Positional arguments, in order.
    pub positional: Args,
    /// Named arguments, in source order.
    pub named: Vec<(Ident, Value)>,
}

impl Capture {
    /// A capture with an invocant and positional arguments only.
    pub fn new(invocant: Value, positional: impl IntoIterator<Item = Value>) -> Self {
        Capture {
            invocant,
            positional: positional.into_iter().collect(),
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
