//! No file of `polyeval-lua` (or of `polyeval-bridge`) imports, directly or
//! through others, a file that imports it back: the crate reads bottom-up.
//!
//! The graph is read from the sources: every `crate::`, `super::` and
//! `self::` path in a file (comments and `#[cfg(test)]` code left out) is an
//! edge to the file of the longest module prefix it names. A name that a
//! module face (`mod.rs`, `lib.rs`) re-exports from a child leads to that
//! child; a face's own edges to its children (declarations and re-exports)
//! are not imports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One crate's files: module path -> (file name, source).
struct Crate {
    files: BTreeMap<Vec<String>, (String, String)>,
    /// (face module, re-exported name) -> the child module defining it.
    reexports: BTreeMap<(Vec<String>, String), Vec<String>>,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn is_face(name: &str) -> bool {
    name.ends_with("mod.rs") || name == "lib.rs"
}

/// The source without comments and without the tests that follow a
/// `#[cfg(test)]`.
fn code_of(src: &str) -> String {
    let src = src.split("#[cfg(test)]").next().unwrap_or("");
    src.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_end(s: &str) -> usize {
    s.find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len())
}

/// The `a::b::c` paths after each occurrence of `head::` in `code`,
/// including each item of a `head::{x, y::z}` group.
fn paths_after(code: &str, head: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let pat = format!("{head}::");
    let mut rest = code;
    while let Some(i) = rest.find(&pat) {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + pat.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let segs = item
                    .split("::")
                    .map(|s| s.trim().split(' ').next().unwrap_or("").to_owned())
                    .take_while(|s| !s.is_empty() && !s.starts_with('{'))
                    .collect::<Vec<_>>();
                if !segs.is_empty() {
                    out.push(segs);
                }
            }
            continue;
        }
        let mut segs = Vec::new();
        let mut s = rest;
        loop {
            let n = ident_end(s);
            if n == 0 {
                break;
            }
            segs.push(s[..n].to_owned());
            match s[n..].strip_prefix("::") {
                Some(t) => s = t,
                None => break,
            }
        }
        out.push(segs);
    }
    out
}

fn read_crate(src: &Path) -> Crate {
    let mut paths = Vec::new();
    rust_files(src, &mut paths);
    let mut files = BTreeMap::new();
    for p in paths {
        let rel = p
            .strip_prefix(src)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        let mut module: Vec<String> = rel
            .trim_end_matches(".rs")
            .split('/')
            .map(str::to_owned)
            .collect();
        if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
            module.pop();
        }
        let text = std::fs::read_to_string(&p).expect("a source file");
        files.insert(module, (rel, text));
    }
    let mut reexports = BTreeMap::new();
    for (module, (name, text)) in &files {
        if !is_face(name) {
            continue;
        }
        for line in code_of(text).lines() {
            let line = line.trim();
            let Some(rest) = line
                .strip_prefix("pub use ")
                .or_else(|| line.strip_prefix("pub(crate) use "))
            else {
                continue;
            };
            let n = ident_end(rest);
            let child: Vec<String> = module
                .iter()
                .cloned()
                .chain([rest[..n].to_owned()])
                .collect();
            if !files.contains_key(&child) {
                continue;
            }
            let names = rest[n..].trim_start_matches("::").trim_end_matches(';');
            let names = names.trim_start_matches('{').trim_end_matches('}');
            for item in names.split(',') {
                let last = item.split(" as ").last().unwrap_or("").trim();
                if !last.is_empty() {
                    reexports.insert((module.clone(), last.to_owned()), child.clone());
                }
            }
        }
    }
    Crate { files, reexports }
}

impl Crate {
    /// The file a path from the crate root leads to.
    fn resolve(&self, segs: &[String]) -> Option<Vec<String>> {
        for n in (0..=segs.len()).rev() {
            let module = segs[..n].to_vec();
            if self.files.contains_key(&module) {
                if let Some(next) = segs.get(n) {
                    if let Some(child) = self.reexports.get(&(module.clone(), next.clone())) {
                        return Some(child.clone());
                    }
                }
                return Some(module);
            }
        }
        None
    }

    fn edges(&self) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
        let mut edges = BTreeMap::new();
        for (module, (name, text)) in &self.files {
            let code = code_of(text);
            let parent = module[..module.len().saturating_sub(1)].to_vec();
            let mut to = BTreeSet::new();
            let heads: [(&str, Vec<String>); 3] = [
                ("crate", Vec::new()),
                ("super", parent),
                ("self", module.clone()),
            ];
            for (head, base) in heads {
                for segs in paths_after(&code, head) {
                    let full: Vec<String> = base.iter().cloned().chain(segs).collect();
                    if let Some(t) = self.resolve(&full) {
                        let own_child =
                            is_face(name) && t.len() > module.len() && t.starts_with(module);
                        if &t != module && !own_child {
                            to.insert(t);
                        }
                    }
                }
            }
            edges.insert(module.clone(), to);
        }
        edges
    }

    fn name(&self, module: &Vec<String>) -> String {
        self.files
            .get(module)
            .map(|f| f.0.clone())
            .unwrap_or_default()
    }
}

/// The strongly connected groups of more than one file (Tarjan).
fn cycles(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<Vec<String>>> {
    struct T<'a> {
        edges: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on: BTreeSet<&'a Vec<String>>,
        out: Vec<Vec<Vec<String>>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a Vec<String>) {
        let i = t.index.len();
        t.index.insert(v, i);
        t.low.insert(v, i);
        t.stack.push(v);
        t.on.insert(v);
        for w in t.edges.get(v).into_iter().flatten() {
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut group = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                group.push(w.clone());
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                t.out.push(group);
            }
        }
    }
    let mut t = T {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    t.out
}

fn assert_acyclic(krate: &str) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(krate)
        .join("src");
    let c = read_crate(&src);
    let edges = c.edges();
    assert!(
        edges.values().map(BTreeSet::len).sum::<usize>() > c.files.len() / 2,
        "{krate}: too few imports found; the reader is broken"
    );
    let found = cycles(&edges);
    let report: Vec<String> = found
        .iter()
        .map(|g| {
            g.iter()
                .map(|m| {
                    let to: Vec<String> = edges[m]
                        .iter()
                        .filter(|t| g.contains(t))
                        .map(|t| c.name(t))
                        .collect();
                    format!("{} -> {}", c.name(m), to.join(", "))
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .collect();
    assert!(report.is_empty(), "{krate} has import cycles: {report:#?}");
}

#[test]
fn the_lua_crate_has_no_import_cycles() {
    assert_acyclic("interp-lua");
}

#[test]
fn the_bridge_crate_has_no_import_cycles() {
    assert_acyclic("bridge");
}

#[test]
fn the_reader_finds_a_cycle_it_is_shown() {
    let mut edges = BTreeMap::new();
    let m = |s: &str| vec![s.to_owned()];
    edges.insert(m("a"), BTreeSet::from([m("b")]));
    edges.insert(m("b"), BTreeSet::from([m("c")]));
    edges.insert(m("c"), BTreeSet::from([m("a")]));
    edges.insert(m("d"), BTreeSet::from([m("a")]));
    let found = cycles(&edges);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].len(), 3);
    // The path reader sees both plain paths and groups.
    let p = paths_after("use crate::{a::b, c};\nlet x = super::d::e(1);", "crate");
    assert_eq!(
        p,
        vec![vec!["a".to_owned(), "b".to_owned()], vec!["c".to_owned()]]
    );
}
