//! Every program in `samples/` prints what its `; expect:` lines say.

mod common;

use polyeval_core::CallValue;

#[test]
fn samples_print_what_they_expect() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/samples");
    let mut ran = 0;
    for entry in std::fs::read_dir(dir).expect("samples/") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("scm") {
            continue;
        }
        let src = std::fs::read_to_string(&path).expect("readable");
        let expected: String = src
            .lines()
            .filter_map(|l| {
                l.strip_prefix("; expect: ")
                    .or_else(|| (l == "; expect:").then_some(""))
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let name = format!("samples/{}", path.file_name().unwrap().to_string_lossy());
        let (mut rt, buf) = common::interp();
        let lang = rt.language("scheme").unwrap();
        let program = lang.load(rt.cx(), src.as_bytes(), &name).expect("compiles");
        rt.start(Box::new(CallValue::new(program, Vec::new())));
        if let Err(e) = rt.run() {
            panic!("{name} failed: {}", e.report());
        }
        assert_eq!(buf.text(), expected, "{name}");
        ran += 1;
    }
    assert!(ran >= 3, "only {ran} samples");
}
