//! The language registry: every interpreter registers itself as a
//! [`Language`] (a name, file extensions, `check`, `load`, `eval` and a
//! REPL hook) on the run loop, and every language reaches every other
//! through it. Scripts see a registered language as a [`LanguageObject`]
//! (`$interpreter."lang"("lua")` in m0ld, `polyeval.lang("smop")` in Lua);
//! the command line dispatches over what is registered.

use std::rc::Rc;

use crate::error::{FrameInfo, ScriptError};
use crate::runloop::cont::{Continuation, Step};
use crate::runloop::Cx;
use crate::values::capture::Capture;
use crate::values::ident::{Ident, LazyIdent};
use crate::values::object::{answer_plain, Object, Reply};
use crate::values::value::Value;

/// Reads one line for a REPL, showing `prompt` first; `None` at the end
/// of input. It may run the loop's interrupt service while it waits.
pub type LineReader = Box<dyn FnMut(&mut Cx, &str) -> Option<String>>;

/// One interpreter as the registry sees it. `docs/bridges.md` implements
/// one in full (a toy stack language, run as this crate's doctest), and
/// `examples/scheme` is a larger one.
///
/// Values cross between languages as [`Value`]s: a language's functions
/// are objects that answer [`Ident::CALL`], so any language calls any
/// other's by sending it that method.
pub trait Language: 'static {
    /// The name scripts and the command line use (`"lua"`, `"m0ld"`).
    fn name(&self) -> &'static str;

    /// Other names it answers to (m0ld answers to `"smop"`).
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }

    /// File extensions, without the dot, of its program files.
    fn extensions(&self) -> &'static [&'static str];

    /// The name this language's programmers know `v`'s type by, for
    /// error messages (m0ld says `Undef` where Lua says `nil`). The
    /// default is the value model's [`Value::type_name`].
    fn type_name(&self, v: &Value) -> &'static str {
        v.type_name()
    }

    /// Compiles `src` without running it.
    ///
    /// # Errors
    ///
    /// A compile error with the file, line and column of every problem.
    fn check(&self, rt: &mut Cx, src: &[u8], file: &str) -> Result<(), ScriptError>;

    /// Compiles `src` into a function value: an object that runs it when
    /// sent [`Ident::CALL`] with the chunk's arguments.
    ///
    /// # Errors
    ///
    /// A compile error with positions, as [`Language::check`] reports it.
    fn load(&self, rt: &mut Cx, src: &[u8], file: &str) -> Result<Value, ScriptError>;

    /// Compiles and runs `src` with `args`, as a callee of the current
    /// continuation: [`Reply::Call`] of the continuation that runs it (its
    /// result is then `setr` into the sender), or its value at once.
    ///
    /// # Errors
    ///
    /// A compile error, or a script error raised before any hand-off.
    fn eval(
        &self,
        rt: &mut Cx,
        src: &[u8],
        file: &str,
        args: &[Value],
    ) -> Result<Reply, ScriptError> {
        let f = self.load(rt, src, file)?;
        rt.send(Ident::CALL, Capture::new(&f, args))
    }

    /// Makes `value` visible to this language's code as the global `name`
    /// (a Lua global, an m0ld prelude name, a Scheme top-level binding):
    /// how a host shares one function or object with every language. A
    /// language without globals leaves this as it is (the default does
    /// nothing), so that registering a name still reaches the others.
    ///
    /// # Errors
    ///
    /// A script error when the language cannot bind it (out of memory).
    fn define_global(&self, rt: &mut Cx, name: &str, value: Value) -> Result<(), ScriptError> {
        let _ = (rt, name, value);
        Ok(())
    }

    /// A REPL for the language as a root continuation that reads lines
    /// with `read`, or `None` when the language has none.
    ///
    /// # Errors
    ///
    /// A script error when the REPL cannot be set up.
    fn repl(
        &self,
        rt: &mut Cx,
        read: LineReader,
    ) -> Result<Option<Box<dyn Continuation>>, ScriptError> {
        let _ = (rt, read);
        Ok(None)
    }
}

/// The registered languages of one run loop, in registration order.
#[derive(Default)]
pub(crate) struct Languages {
    list: Vec<Rc<dyn Language>>,
}

impl Languages {
    pub(crate) fn register(&mut self, lang: Rc<dyn Language>) {
        let name = lang.name();
        self.list.retain(|l| l.name() != name);
        self.list.push(lang);
    }

    pub(crate) fn by_name(&self, name: &str) -> Option<Rc<dyn Language>> {
        self.list
            .iter()
            .find(|l| l.name() == name || l.aliases().contains(&name))
            .cloned()
    }

    pub(crate) fn by_extension(&self, ext: &str) -> Option<Rc<dyn Language>> {
        self.list
            .iter()
            .find(|l| l.extensions().contains(&ext))
            .cloned()
    }

    pub(crate) fn all(&self) -> Vec<Rc<dyn Language>> {
        self.list.clone()
    }
}

impl Cx {
    /// Registers `lang`, replacing a language of the same name.
    pub(crate) fn register_language(&mut self, lang: Rc<dyn Language>) {
        self.services.languages.register(lang);
    }

    /// The language registered under `name` or one of its aliases.
    pub fn language(&self, name: &str) -> Option<Rc<dyn Language>> {
        self.services.languages.by_name(name)
    }

    /// The language whose files end in `.ext`.
    pub fn language_for_extension(&self, ext: &str) -> Option<Rc<dyn Language>> {
        self.services.languages.by_extension(ext)
    }

    /// The name of `v`'s type in the language of the running step (see
    /// [`Language::type_name`]), for a message that step's script reads.
    /// Outside any language's step it is [`Value::type_name`].
    #[cold]
    pub fn type_name(&self, v: &Value) -> &'static str {
        let lang = self
            .continuation()
            .and_then(|k| self.interpreter_of(k))
            .and_then(|name| self.language(name));
        match lang {
            Some(lang) => lang.type_name(v),
            None => v.type_name(),
        }
    }

    /// Every registered language, in registration order.
    pub fn languages(&self) -> Vec<Rc<dyn Language>> {
        self.services.languages.all()
    }
}

/// A registered language as scripts see it. Methods: `eval(src [, name,
/// args...])` runs code and answers its result, `load(src [, name])`
/// answers a function, `check(src [, name])` answers `true` or fails with
/// the compile error, `name` answers the language's name.
pub struct LanguageObject {
    lang: Rc<dyn Language>,
}

impl LanguageObject {
    /// The script value for `lang`.
    pub fn value(lang: Rc<dyn Language>) -> Value {
        Value::obj(LanguageObject { lang })
    }

    /// The value for the language named `name` in `rt`.
    ///
    /// # Errors
    ///
    /// A runtime error naming the registered languages when none is called
    /// `name`.
    pub fn lookup(rt: &Cx, name: &[u8]) -> Result<Value, ScriptError> {
        let name = String::from_utf8_lossy(name);
        match rt.language(&name) {
            Some(lang) => Ok(Self::value(lang)),
            None => Err(no_language(rt, &name)),
        }
    }
}

#[cold]
fn no_language(rt: &Cx, name: &str) -> ScriptError {
    let known: Vec<&str> = rt.languages().iter().map(|l| l.name()).collect();
    ScriptError::runtime(format!(
        "no language named '{name}' (registered: {})",
        known.join(", ")
    ))
}

fn source_arg<'a>(cap: &Capture<'a>, what: &str) -> Result<&'a [u8], ScriptError> {
    let v = cap.pos(0)?;
    v.as_bytes()
        .ok_or_else(|| ScriptError::wrong_type(what, "a string", v.type_name()))
}

fn chunk_name(cap: &Capture<'_>, lang: &dyn Language, method: &str) -> String {
    match cap.positional.get(1).and_then(Value::as_bytes) {
        Some(b) => String::from_utf8_lossy(b).into_owned(),
        None => format!("<{}.{method}>", lang.name()),
    }
}

static LOAD: LazyIdent = LazyIdent::new("load");
static CHECK: LazyIdent = LazyIdent::new("check");
static NAME: LazyIdent = LazyIdent::new("name");

impl Object for LanguageObject {
    fn type_name(&self) -> &'static str {
        "Language"
    }

    fn send(&self, rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        let lang = &*self.lang;
        if method == Ident::EVAL {
            let src = source_arg(&cap, "eval's source")?;
            let file = chunk_name(&cap, lang, "eval");
            let args = cap.positional.get(2..).unwrap_or(&[]);
            lang.eval(rt, src, &file, args)
        } else if method == LOAD.get() {
            let src = source_arg(&cap, "load's source")?;
            let file = chunk_name(&cap, lang, "load");
            lang.load(rt, src, &file).map(Reply::Value)
        } else if method == CHECK.get() {
            let src = source_arg(&cap, "check's source")?;
            let file = chunk_name(&cap, lang, "check");
            lang.check(rt, src, &file)
                .map(|()| Reply::Value(Value::Bool(true)))
        } else if method == NAME.get() || method == Ident::STR {
            Ok(Reply::Value(Value::str(lang.name())))
        } else {
            answer_plain("Language", method, cap)
        }
    }
}

/// A root continuation that calls a function value with arguments and is
/// done with its result: how a host runs a loaded program.
pub struct CallValue {
    f: Value,
    args: Vec<Value>,
    state: CallState,
}

enum CallState {
    Start,
    Waiting,
    Got(Value),
}

impl CallValue {
    /// A continuation that calls `f` with `args`.
    pub fn new(f: Value, args: Vec<Value>) -> Self {
        CallValue {
            f,
            args,
            state: CallState::Start,
        }
    }
}

impl Continuation for CallValue {
    fn interpreter(&self) -> &'static str {
        "native"
    }

    fn eval(&mut self, rt: &mut Cx) -> Step {
        match std::mem::replace(&mut self.state, CallState::Waiting) {
            CallState::Start => {
                Step::from_reply(rt.send(Ident::CALL, Capture::new(&self.f, &self.args)))
            }
            CallState::Got(v) => Step::Done(v),
            CallState::Waiting => Step::Done(Value::Nil),
        }
    }

    fn setr(&mut self, value: Value) {
        if matches!(self.state, CallState::Waiting) {
            self.state = CallState::Got(value);
        }
    }

    fn frames(&self, _out: &mut Vec<FrameInfo>) {}
}
