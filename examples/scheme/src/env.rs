//! Environments: the frames of local variables a closure captures, the
//! global cells of one run loop ([`Globals`], kept with `Interp::set_ext`),
//! and the marker of a variable that is bound but not yet assigned.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use polyeval_core::{drop_values, Cx, Ident, Value};

/// A frame of local variables.
pub(crate) struct EnvFrame {
    pub slots: RefCell<Vec<Value>>,
    pub parent: Option<Env>,
}

/// A shared environment frame; `None` in an `Option<Env>` is the global
/// environment.
pub(crate) type Env = Rc<EnvFrame>;

impl EnvFrame {
    /// A frame holding `slots` under `parent`.
    pub fn new(slots: Vec<Value>, parent: Option<Env>) -> Env {
        Rc::new(EnvFrame {
            slots: RefCell::new(slots),
            parent,
        })
    }
}

impl Drop for EnvFrame {
    fn drop(&mut self) {
        drop_values(self.slots.get_mut().drain(..));
    }
}

/// The frame `depth` levels up from `env`.
pub(crate) fn frame_at(env: &Option<Env>, depth: u32) -> Option<&Env> {
    let mut e = env.as_ref()?;
    for _ in 0..depth {
        e = e.parent.as_ref()?;
    }
    Some(e)
}

/// A global variable: unbound until defined.
pub(crate) struct GlobalCell {
    pub name: Ident,
    pub value: RefCell<Option<Value>>,
}

/// The global environment of one run loop.
#[derive(Default)]
pub(crate) struct Globals {
    cells: RefCell<HashMap<Ident, Rc<GlobalCell>>>,
}

impl Globals {
    /// The cell of `name`, made unbound on first use.
    pub fn cell(&self, name: Ident) -> Rc<GlobalCell> {
        self.cells
            .borrow_mut()
            .entry(name)
            .or_insert_with(|| {
                Rc::new(GlobalCell {
                    name,
                    value: RefCell::new(None),
                })
            })
            .clone()
    }

    /// Binds `name` to `value`.
    pub fn define(&self, name: &str, value: Value) {
        *self.cell(Ident::new(name)).value.borrow_mut() = Some(value);
    }

    /// The run loop's globals, made (with the builtins and the prelude)
    /// on first use.
    pub fn of(rt: &mut Cx) -> Rc<Globals> {
        if let Some(g) = rt.ext::<Globals>() {
            return g;
        }
        let g = Rc::new(Globals::default());
        crate::builtins::install(&g);
        crate::lang::load_prelude(&g);
        rt.set_ext(g.clone());
        g
    }
}

impl Drop for Globals {
    fn drop(&mut self) {
        // A recursive procedure's code refers to its own cell: emptying
        // the cells breaks those cycles when the run loop goes away.
        let values: Vec<Value> = self
            .cells
            .get_mut()
            .values()
            .filter_map(|c| c.value.borrow_mut().take())
            .collect();
        drop_values(values);
    }
}

/// The value of a variable bound by an internal define or `letrec`
/// before its initialiser has run.
struct Unassigned;

impl polyeval_core::Object for Unassigned {
    fn type_name(&self) -> &'static str {
        "Unassigned"
    }

    fn send(
        &self,
        _rt: &mut Cx,
        method: Ident,
        _cap: polyeval_core::Capture<'_>,
    ) -> Result<polyeval_core::Reply, polyeval_core::ScriptError> {
        Err(polyeval_core::ScriptError::unknown_method(
            "Unassigned",
            method,
        ))
    }
}

thread_local! {
    static UNASSIGNED: Value = Value::obj(Unassigned);
}

/// The unassigned marker.
pub(crate) fn unassigned() -> Value {
    UNASSIGNED.with(Value::clone)
}

/// Whether `v` is the unassigned marker.
pub(crate) fn is_unassigned(v: &Value) -> bool {
    v.downcast::<Unassigned>().is_some()
}
