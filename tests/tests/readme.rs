//! The README's m0ld tour is a program that runs: this test extracts it,
//! appends a line that prints the result it computes, and runs it.

use polyeval_bridge::run::{execute, Options, SharedBuf};

#[test]
fn the_readme_tour_runs() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md is readable");
    let tour = readme
        .split("## A short m0ld tour")
        .nth(1)
        .and_then(|rest| rest.split("```\n").nth(1))
        .expect("the tour has a code block");
    let dir = std::env::temp_dir().join(format!("polyeval-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("tour.m0ld");
    std::fs::write(&file, format!("{tour}$OUT.\"say\"(\"y = \", $y);\n")).expect("write");
    let (out, err) = (SharedBuf::default(), SharedBuf::default());
    let code = execute(
        &Options::new(&file),
        Box::new(out.clone()),
        Box::new(err.clone()),
    );
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.contents()).into_owned();
    let stderr = String::from_utf8_lossy(&err.contents()).into_owned();
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(stdout, "1 + 2 = 3\ny = 42\n", "{stderr}");
}

/// The README's first command: the mixed Lua/m0ld word-frequency example.
#[test]
fn the_main_example_runs() {
    let main = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/wordfreq/main.lua");
    let (out, err) = (SharedBuf::default(), SharedBuf::default());
    let code = execute(
        &Options::new(main),
        Box::new(out.clone()),
        Box::new(err.clone()),
    );
    let stdout = String::from_utf8_lossy(&out.contents()).into_owned();
    let stderr = String::from_utf8_lossy(&err.contents()).into_owned();
    assert_eq!(code, 0, "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some("284 words, 108 distinct after normalizing; top 10:"),
        "{stdout}"
    );
    assert_eq!(lines.len(), 11, "{stdout}");
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["8", "interpreter"]
    );
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md is readable");
    assert!(
        readme.contains("cargo run --release --bin polyeval -- run examples/wordfreq/main.lua"),
        "the README's first command is the example tested here"
    );
}
