//! polyeval-tests: integration tests (`tests/`, `scripts_runner.rs`) and
//! benchmarks (`benches/`). This library holds what the benchmarks share.
#![forbid(unsafe_code)]

/// m0ld source evaluating to a `Code` that calls its first argument with
/// its second, `C(f, x) = f(x)`: the other half of every Lua ↔ m0ld
/// round trip the deep tests and the Lua benchmarks make.
pub const APPLY_M0LD: &str = r#"
my $interpreter;
my $scope;
my $Code = $scope."lookup"("Code");
$Code = $Code."FETCH"();
my $body = mold {
    my $interpreter;
    my $scope;
    my $capture;
    my $f = $capture."positional"(0);
    my $x = $capture."positional"(1);
    my $r = $f."postcircumfix:( )"($x);
};
my $c = $Code."new"(:"outer"($scope), :"mold"($body));
"#;

pub mod bench {
    //! Helpers of the plain-harness benchmarks: medians of samples taken
    //! side by side with a baseline, and the process's resident memory.

    use std::time::{Duration, Instant};

    /// The median of `v` (the upper one for an even count).
    ///
    /// # Panics
    ///
    /// When `v` is empty (a benchmark always takes samples).
    pub fn median(mut v: Vec<Duration>) -> Duration {
        v.sort();
        v[v.len() / 2]
    }

    /// Runs `a` and `b` alternately `samples` times, so that machine noise
    /// hits both alike; returns both medians.
    pub fn side_by_side(
        samples: usize,
        mut a: impl FnMut(),
        mut b: impl FnMut(),
    ) -> (Duration, Duration) {
        let (mut ta, mut tb) = (Vec::new(), Vec::new());
        for _ in 0..samples {
            let t = Instant::now();
            a();
            ta.push(t.elapsed());
            let t = Instant::now();
            b();
            tb.push(t.elapsed());
        }
        (median(ta), median(tb))
    }

    /// A benchmark's command line: `quick` shrinks the sizes (CI passes
    /// it); any other word selects a section by name; flags (cargo bench
    /// passes `--bench`) are ignored.
    pub struct BenchArgs {
        /// Small sizes, for CI.
        pub quick: bool,
        only: Vec<String>,
    }

    impl BenchArgs {
        /// Reads the process's arguments.
        pub fn from_env() -> Self {
            let words: Vec<String> = std::env::args()
                .skip(1)
                .filter(|a| !a.starts_with('-'))
                .collect();
            BenchArgs {
                quick: words.iter().any(|a| a == "quick"),
                only: words.into_iter().filter(|a| a != "quick").collect(),
            }
        }

        /// Whether section `name` runs (all do when none is named).
        pub fn want(&self, name: &str) -> bool {
            self.only.is_empty() || self.only.iter().any(|o| o == name)
        }
    }

    /// The process's resident set size in bytes (Linux), if readable.
    pub fn rss_bytes() -> Option<u64> {
        let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
        let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
        Some(pages * 4096)
    }
}

pub mod programs {
    //! Benchmark programs more than one harness runs.

    /// fib(N) in m0ld, N bound in the prelude as `N`.
    pub const FIB_M0LD: &str = r#"
my $interpreter;
my $scope;
my $Code = $scope."lookup"("Code");
$Code = $Code."FETCH"();
my $body = mold {
    my $interpreter;
    my $scope;
    my $capture;
    my $n = $capture."positional"(0);
    my $small = $n."infix:<"(2);
    if $small { goto end } else { goto recurse };
    recurse: noop;
    my $fib = $scope."lookup"("&fib");
    $fib = $fib."FETCH"();
    my $a = $n."infix:-"(1);
    $a = $fib."postcircumfix:( )"($a);
    my $b = $n."infix:-"(2);
    $b = $fib."postcircumfix:( )"($b);
    $n = $a."infix:+"($b);
    end: noop;
    $n = $n."FETCH"();
};
my $fib = $Code."new"(:"outer"($scope), :"mold"($body));
my $cell = $scope."postcircumfix:{ }"("&fib");
$cell."STORE"($fib);
my $N = $scope."lookup"("N");
$N = $N."FETCH"();
my $r = $fib."postcircumfix:( )"($N);
"#;

    /// A counting loop to N in m0ld (sums 0..N).
    pub const LOOP_M0LD: &str = r#"
my $interpreter;
my $scope;
my $N = $scope."lookup"("N");
$N = $N."FETCH"();
my $i = 0;
my $s = 0;
loop: $s = $s."infix:+"($i);
$i = $i."infix:+"(1);
my $c = $i."infix:<"($N);
if $c { goto loop } else { goto done };
done: $s = $s."FETCH"();
"#;

    /// N native-method calls on a SMOP Hash holding one pair.
    pub const METHOD_POLYEVAL: &str = r#"
local n = ...
local Hash = smop.lookup("Hash")
local h = Hash:new()
h["postcircumfix:{ }"](h, "x"):STORE(5)
local s = 0
for _ = 1, n do s = s + h:elems() end
return s
"#;
}
