//! The C library's own `stdout`, as a Rust writer.
//!
//! On a terminal, the program's output goes through C's `stdout` stream,
//! the one stock `lua` writes to: it is line-buffered there, and the C
//! library flushes it before it reads a line-buffered input stream (a
//! terminal on stdin), so that a prompt written before `io.read()` shows,
//! exactly as under `lua`. Only Linux's C library (glibc or musl) is known
//! to name its stream `stdout`; elsewhere there is no such writer.

#[cfg(target_os = "linux")]
mod imp {
    use std::io::{self, Write};

    extern "C" {
        /// The C library's standard output stream.
        static mut stdout: *mut libc::FILE;
    }

    /// A writer onto C's `stdout`.
    pub struct CStdout(());

    impl CStdout {
        /// The writer.
        pub fn new() -> Self {
            CStdout(())
        }
    }

    impl Default for CStdout {
        fn default() -> Self {
            Self::new()
        }
    }

    impl Write for CStdout {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if buf.is_empty() {
                return Ok(0);
            }
            // SAFETY: `stdout` is the C library's stream, valid for the
            // process's life; `fwrite` reads `buf.len()` bytes of `buf`.
            let (n, failed) = unsafe {
                let f = stdout;
                let n = libc::fwrite(buf.as_ptr().cast(), 1, buf.len(), f);
                (n, n < buf.len() && libc::ferror(f) != 0)
            };
            if failed {
                return Err(io::Error::last_os_error());
            }
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            // SAFETY: as in `write`.
            if unsafe { libc::fflush(stdout) } != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        }
    }
}

#[cfg(target_os = "linux")]
pub use imp::CStdout;
