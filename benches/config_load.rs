//! Config loading is linear in the size of the file: each shape (valid
//! children, duplicate ids, dangling references, many YAML keys, a long
//! JSON array) is loaded at n and 4n, and the time per element at 4n is
//! reported against n (the baseline): about 1x when linear, 4x when
//! quadratic (validation copied a sibling-id list per child: 100 000
//! children took ~15 s).
//!
//! `cargo bench --bench config_load --features json,yaml`
//! (`BENCH_QUICK=1` for a smoke run).

#[path = "harness/mod.rs"]
mod harness;

use harness::{per_op, report, row, scaled, time};
use retinue::config::{Format, Kinds, Node, load_str};

fn children(n: usize, line: impl Fn(usize) -> String) -> String {
    let mut s = String::from("[supervisor]\nchildren = [\n");
    for i in 0..n {
        s.push_str(&line(i));
        s.push_str(",\n");
    }
    s.push_str("]\n");
    s
}

type Shape = (&'static str, Format, fn(usize) -> String);

const SHAPES: &[Shape] = &[
    ("valid children (TOML)", Format::Toml, |n| {
        children(n, |i| format!("{{ id = \"c{i}\", kind = \"event\" }}"))
    }),
    ("duplicate ids (TOML)", Format::Toml, |n| {
        children(n, |_| "{ id = \"same\", kind = \"event\" }".into())
    }),
    ("dangling references (TOML)", Format::Toml, |n| {
        children(n, |i| {
            format!("{{ id = \"c{i}\", kind = \"condition\", args = {{ lock = \"l{i}\" }} }}")
        })
    }),
    ("keys of one mapping (YAML)", Format::Yaml, |n| {
        let keys: String = (0..n).map(|i| format!("    k{i}: {i}\n")).collect();
        format!("supervisor:\n  x:\n{keys}")
    }),
    ("array items (JSON)", Format::Json, |n| {
        format!(
            "{{\"supervisor\": {{\"children\": [{}1]}}}}",
            "1,".repeat(n)
        )
    }),
];

fn main() {
    let kinds = Kinds::builtin();
    let n = scaled(25_000) as usize;
    for (name, format, make) in SHAPES {
        if (*format == Format::Json && !cfg!(feature = "json"))
            || (*format == Format::Yaml && !cfg!(feature = "yaml"))
        {
            continue;
        }
        let mut rows = Vec::new();
        for size in [n, 4 * n] {
            let source = make(size);
            let ns = per_op(size as u64, || {
                time(|| {
                    let _ = load_str(&source, *format, "bench", &kinds);
                })
            });
            rows.push(row(format!("{size} elements"), ns, "ns/el"));
        }
        report(&format!("config load: {name}"), &rows);
    }
    // Where the time goes for valid children: parsing alone (the TOML
    // crate and our spans) against the whole load (decode, validate, and
    // building one actor per child).
    let size = 4 * n;
    let source = (SHAPES[0].2)(size);
    let parse = per_op(size as u64, || {
        time(|| {
            let _ = Node::parse(&source, Format::Toml);
        })
    });
    let load = per_op(size as u64, || {
        time(|| {
            let _ = load_str(&source, Format::Toml, "bench", &kinds);
        })
    });
    report(
        &format!("config load: {size} valid children, parse vs whole load"),
        &[
            row("Node::parse (TOML)", parse, "ns/el"),
            row("load_str (parse, decode, validate, build)", load, "ns/el"),
        ],
    );
}
