//! Fuzzes the config loader over all formats: the first byte picks the
//! format (TOML, JSON, YAML), the rest is the file. Checks: no panic, no
//! abort, every diagnostic lies within the source, rendering and JSON
//! lines never fail, and a file that loads has a normal form that loads
//! again to the same normal form.

#![no_main]

use libfuzzer_sys::fuzz_target;
use retinue::config::{Format, Kinds, load_str};

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let format = match first % 3 {
        0 => Format::Toml,
        1 => Format::Json,
        _ => Format::Yaml,
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let kinds = Kinds::builtin();
    match load_str(text, format, "fuzz", &kinds) {
        Ok(tree) => {
            let normal = tree.to_normalized_json();
            let again = load_str(&normal, Format::Json, "normal", &kinds)
                .unwrap_or_else(|e| panic!("the normal form does not load:\n{e}\n{normal}"));
            assert_eq!(again.to_normalized_json(), normal);
            let _ = tree.render_warnings(false);
        }
        Err(e) => {
            for d in e.diagnostics() {
                assert!(
                    d.span.start <= d.span.end && d.span.end <= text.len(),
                    "span {:?} outside a source of {} bytes: {}",
                    d.span,
                    text.len(),
                    d.message
                );
            }
            let _ = e.render();
            let _ = e.to_json_lines();
        }
    }
});
