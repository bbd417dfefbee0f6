//! Which files polyeval's own code loaders may read: the policy behind
//! `--allow-read DIR`, and the one refusal the loaders give outside it.
//!
//! This module owns every file read a *script* can cause through polyeval:
//! `smop.load(path)` (Lua) and `Lua.require(path)` (m0ld, and Lua through
//! `smop.lookup("Lua")`) both read through [`FileAccess::read`]. The main
//! program file is read by the host, not through here, and is always
//! allowed.
//!
//! The rule:
//! - `--lua-stdlib sandbox`: no file loads at all, unless folders are
//!   allowed ([`FileAccess::allow_dir`]); then only files under them.
//! - `safe` and `all`: any file, unless folders are allowed; then polyeval's
//!   loaders read only files under them. Lua's own `io`, `dofile`,
//!   `loadfile` and `require` exist in these modes and are not restricted.
//!
//! A file is under an allowed folder when its canonical path (symlinks and
//! `..` resolved) starts with the folder's canonical path. A refusal says
//! only that loading is not allowed, the same text whether the file exists,
//! cannot be read, is a folder, or is a symlink that leads outside.
//! Inside allowed folders, read errors are the usual ones (`cannot read
//! PATH: No such file or directory`, ...). With no folder allowed, a
//! refusal makes no system call at all (unless the name is that of an
//! allowed file), so its timing tells nothing either; with folders
//! allowed, resolving a path outside them takes the time the file system
//! takes.

use std::io;
use std::path::{Path, PathBuf};

use polyeval_lua::Stdlib;

/// The folders (and single files) polyeval's loaders may read code from.
///
/// The default has no list: in sandbox mode nothing may be loaded, in the
/// other modes anything. Allowing a folder makes it a list: from then on,
/// in every mode, only files under the allowed folders (and the allowed
/// files) load.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileAccess {
    /// Canonical folders; `None` while none was allowed.
    dirs: Option<Vec<PathBuf>>,
    /// Canonical files allowed on their own (the main program).
    files: Vec<PathBuf>,
}

/// A folder or file that cannot be allowed.
#[derive(Debug, thiserror::Error)]
pub enum FileAccessError {
    /// The path does not resolve (it does not exist, say).
    #[error("cannot allow reading {}: {source}", path.display())]
    Resolve {
        /// The path as given.
        path: PathBuf,
        /// Why it does not resolve.
        source: io::Error,
    },
    /// [`FileAccess::allow_dir`] was given something that is not a folder.
    #[error("cannot allow reading {}: not a folder", path.display())]
    NotAFolder {
        /// The path as given.
        path: PathBuf,
    },
}

/// Why a loader got no source.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The policy does not allow this load. Says nothing about the file.
    #[error("loading files is not allowed in this sandbox")]
    NotAllowedInSandbox,
    /// The policy does not allow this load (a mode other than sandbox,
    /// with allowed folders). Says nothing about the file.
    #[error("loading files outside the allowed folders is not allowed")]
    NotAllowed,
    /// An allowed file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The path as the script gave it.
        path: String,
        /// The error.
        source: io::Error,
    },
}

fn canonical(path: &Path) -> Result<PathBuf, FileAccessError> {
    std::fs::canonicalize(path).map_err(|source| FileAccessError::Resolve {
        path: path.to_owned(),
        source,
    })
}

impl FileAccess {
    /// No list: sandbox mode loads nothing, the other modes anything.
    pub fn new() -> Self {
        Self::default()
    }

    /// Allows loading files under `dir` (after resolving symlinks and
    /// `..`), and restricts loads to the allowed folders in every mode.
    ///
    /// # Errors
    ///
    /// [`FileAccessError::Resolve`] when `dir` does not resolve,
    /// [`FileAccessError::NotAFolder`] when it is not a folder.
    pub fn allow_dir(&mut self, dir: impl AsRef<Path>) -> Result<&mut Self, FileAccessError> {
        let dir = dir.as_ref();
        let real = canonical(dir)?;
        if !real.is_dir() {
            return Err(FileAccessError::NotAFolder {
                path: dir.to_owned(),
            });
        }
        let dirs = self.dirs.get_or_insert_with(Vec::new);
        if !dirs.contains(&real) {
            dirs.push(real);
        }
        Ok(self)
    }

    /// Allows loading the one file `file` (after resolving symlinks and
    /// `..`), whatever else is allowed. The host allows the main program
    /// this way. Does not by itself restrict other loads.
    ///
    /// # Errors
    ///
    /// [`FileAccessError::Resolve`] when `file` does not resolve.
    pub fn allow_file(&mut self, file: impl AsRef<Path>) -> Result<&mut Self, FileAccessError> {
        let real = canonical(file.as_ref())?;
        if !self.files.contains(&real) {
            self.files.push(real);
        }
        Ok(self)
    }

    /// The allowed folders, canonical; `None` when no folder was allowed.
    pub fn dirs(&self) -> Option<&[PathBuf]> {
        self.dirs.as_deref()
    }

    /// Whether loads are checked at all under `stdlib`: always in sandbox
    /// mode, in the others once a folder was allowed.
    pub fn restricts(&self, stdlib: Stdlib) -> bool {
        stdlib == Stdlib::Sandbox || self.dirs.is_some()
    }

    fn under_allowed_dir(&self, real: &Path) -> bool {
        self.dirs.iter().flatten().any(|d| real.starts_with(d))
    }

    fn allows(&self, real: &Path) -> bool {
        self.files.iter().any(|f| f == real) || self.under_allowed_dir(real)
    }

    /// Whether `path` names nothing at all (not even a dangling symlink)
    /// in a folder that is itself allowed: then "no such file" tells
    /// nothing about anything outside.
    fn absent_from_allowed_dir(&self, path: &Path) -> bool {
        if path.file_name().is_none() {
            return false;
        }
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        std::fs::canonicalize(parent).is_ok_and(|p| self.under_allowed_dir(&p))
            && matches!(std::fs::symlink_metadata(path),
                Err(e) if e.kind() == io::ErrorKind::NotFound)
    }

    /// Reads the code file `path` (relative to the working directory) for
    /// a loader running under `stdlib`, if the policy allows it.
    ///
    /// # Errors
    ///
    /// [`LoadError::NotAllowedInSandbox`] or [`LoadError::NotAllowed`] when
    /// the policy refuses the load, whatever the file is (missing,
    /// unreadable, a folder, a symlink leading outside);
    /// [`LoadError::Read`] when an allowed file cannot be read.
    pub fn read(&self, stdlib: Stdlib, path: &str) -> Result<Vec<u8>, LoadError> {
        let read_error = |source| LoadError::Read {
            path: path.to_owned(),
            source,
        };
        if !self.restricts(stdlib) {
            return std::fs::read(path).map_err(read_error);
        }
        let refused = if stdlib == Stdlib::Sandbox {
            LoadError::NotAllowedInSandbox
        } else {
            LoadError::NotAllowed
        };
        let p = Path::new(path);
        // With no folder allowed, only a file named like an allowed one
        // can be it: refuse anything else without touching the file
        // system, so that not even the time a refusal takes depends on
        // the file.
        if self.dirs.is_none() && !self.files.iter().any(|f| f.file_name() == p.file_name()) {
            return Err(refused);
        }
        match std::fs::canonicalize(p) {
            // Read what was checked, not the path again.
            Ok(real) if self.allows(&real) => std::fs::read(&real).map_err(read_error),
            Ok(_) => Err(refused),
            Err(e) if self.absent_from_allowed_dir(p) => Err(read_error(e)),
            Err(_) => Err(refused),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dir(PathBuf);

    impl Dir {
        fn new(tag: &str) -> Dir {
            let d = std::env::temp_dir()
                .join(format!("polyeval-fsaccess-{}-{tag}", std::process::id()));
            let _ = std::fs::remove_dir_all(&d);
            std::fs::create_dir_all(d.join("ok")).expect("temp dir");
            std::fs::write(d.join("ok/a.m0ld"), "noop;").expect("write");
            std::fs::write(d.join("secret.conf"), "x").expect("write");
            Dir(d)
        }
        fn s(&self, rel: &str) -> String {
            self.0.join(rel).display().to_string()
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn default_refuses_everything_in_sandbox_and_nothing_elsewhere() {
        let d = Dir::new("default");
        let fa = FileAccess::new();
        for p in ["ok/a.m0ld", "secret.conf", "missing", "ok", ""] {
            let e = fa.read(Stdlib::Sandbox, &d.s(p)).unwrap_err();
            assert!(matches!(e, LoadError::NotAllowedInSandbox), "{p}: {e}");
        }
        assert!(fa.read(Stdlib::Safe, &d.s("secret.conf")).is_ok());
        assert!(fa.read(Stdlib::All, &d.s("secret.conf")).is_ok());
    }

    #[test]
    fn allowed_dirs_resolve_dot_dot_and_restrict_every_mode() {
        let d = Dir::new("dirs");
        let mut fa = FileAccess::new();
        fa.allow_dir(d.0.join("ok")).expect("allow");
        for mode in [Stdlib::Sandbox, Stdlib::Safe, Stdlib::All] {
            assert_eq!(fa.read(mode, &d.s("ok/a.m0ld")).expect("read"), b"noop;");
            assert!(fa.read(mode, &d.s("ok/../ok/a.m0ld")).is_ok());
            for p in ["ok/../secret.conf", "secret.conf", "missing/x", "ok/.."] {
                let e = fa.read(mode, &d.s(p)).unwrap_err();
                assert!(
                    matches!(e, LoadError::NotAllowed | LoadError::NotAllowedInSandbox),
                    "{p}: {e}"
                );
            }
            // Inside an allowed folder, errors are the usual ones.
            let e = fa.read(mode, &d.s("ok/missing.m0ld")).unwrap_err();
            assert!(e.to_string().contains("No such file"), "{e}");
        }
    }

    #[test]
    fn single_files_and_bad_folders() {
        let d = Dir::new("files");
        let mut fa = FileAccess::new();
        fa.allow_file(d.0.join("ok/a.m0ld")).expect("allow");
        assert!(!fa.restricts(Stdlib::Safe));
        assert!(fa.read(Stdlib::Sandbox, &d.s("ok/a.m0ld")).is_ok());
        assert!(fa.read(Stdlib::Sandbox, &d.s("secret.conf")).is_err());
        assert!(matches!(
            FileAccess::new().allow_dir(d.0.join("secret.conf")),
            Err(FileAccessError::NotAFolder { .. })
        ));
        assert!(matches!(
            FileAccess::new().allow_dir(d.0.join("nope")),
            Err(FileAccessError::Resolve { .. })
        ));
    }
}
