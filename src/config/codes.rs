//! Stable codes for every kind of config diagnostic (`R0001` ...), and the
//! paragraph that explains each ([`explain`]).
//!
//! Invariants: a code, once published, keeps its meaning and is never
//! reused; errors are `R00xx`, warnings `R01xx`; every `code` name a
//! [`Diagnostic`](super::Diagnostic) carries has an entry here (a test
//! checks the names the loader uses).

/// One kind of diagnostic: its stable code, its short name (the
/// `Diagnostic::code` field) and what it means.
struct Code {
    id: &'static str,
    name: &'static str,
    text: &'static str,
}

const CODES: &[Code] = &[
    Code {
        id: "R0001",
        name: "syntax",
        text: "The file is not valid TOML, JSON or YAML (the format comes from the file's extension). The caret shows where the text stopped making sense: a missing quote, comma or bracket, a trailing comma in JSON, a tab used for indentation in YAML. Fix the syntax first; the other checks run on a file that parses.",
    },
    Code {
        id: "R0002",
        name: "nesting",
        text: "Tables and lists nest deeper than the limit of 64 levels (retinue::config::NESTING_LIMIT), counting the root table as level 1. Every format has the same limit; it keeps a hostile or broken file from exhausting the stack. A tree needs three levels per nested supervisor (`supervisor`, `children`, the child's table), so the limit allows about 20 supervisor levels: flatten deeper structures.",
    },
    Code {
        id: "R0003",
        name: "duplicate-key",
        text: "A key is written twice in the same table. JSON and YAML parsers usually keep the last one silently; retinue refuses the file so that the value in effect is the one you see. Remove one of the two.",
    },
    Code {
        id: "R0004",
        name: "io",
        text: "The file could not be read: it does not exist, is a directory, is not readable by this user, or is not UTF-8 text (a binary file). The message names the cause.",
    },
    Code {
        id: "R0005",
        name: "format",
        text: "The file's format is not compiled into this build: JSON needs retinue's `json` cargo feature and YAML its `yaml` feature. TOML is always available.",
    },
    Code {
        id: "R0010",
        name: "unknown-field",
        text: "A table has a key that is not one of its fields (a typo, or a field of another kind). The help line suggests the nearest field name or lists them all. Unknown fields are errors, never ignored, so a misspelt setting cannot silently fall back to its default.",
    },
    Code {
        id: "R0011",
        name: "missing-field",
        text: "A required field is absent: every child needs an `id` and either a `kind` or a nested `supervisor`, the file needs a root `supervisor`, and some kinds have required args (a `condition` needs its `lock`).",
    },
    Code {
        id: "R0012",
        name: "wrong-type",
        text: "A value has the wrong shape: a table where a list is expected (`children` is a list of tables), a number where a name is expected (`kind` is a string), and so on.",
    },
    Code {
        id: "R0013",
        name: "bad-value",
        text: "A field has a value it does not accept: an unknown strategy or restart name, a negative or fractional number where a count is expected, a capacity of 0, a child id with a `/` in it. The label says what the field wants and what it found.",
    },
    Code {
        id: "R0014",
        name: "bad-duration",
        text: "A duration is not readable. Durations are strings such as \"250ms\", \"5s\" or \"1m 30s\" (units ns, us, ms, s, m, h, d), or integer milliseconds; they cannot be negative.",
    },
    Code {
        id: "R0015",
        name: "bad-args",
        text: "A kind's `args` table does not fit the kind's args type: a field has the wrong type or an out-of-range value. Every independent problem in one table is reported; see the kind's documentation for its args (the built-in kinds take the options of their primitive, e.g. `queue` takes QueueOptions).",
    },
    Code {
        id: "R0016",
        name: "unknown-kind",
        text: "No kind of this name is registered. The built-in kinds are the primitives (lock, rwlock, event, condition, semaphore, rate_limiter, barrier, queue, circuit_breaker) and `pool` (a pool of workers of another kind, whose `worker.kind` must be registered too); an application registers its own with Kinds::register or register_fn and passes that registry to the loader (and to its own operator command built from retinue-cli).",
    },
    Code {
        id: "R0017",
        name: "duplicate-id",
        text: "Two children of the same supervisor have the same id. Ids name children in paths (`workers/fetcher`), references and diagnostics, so they must be unique among siblings (the same id under different supervisors is fine).",
    },
    Code {
        id: "R0018",
        name: "invalid-combination",
        text: "Settings that are each valid do not work together: a significant child that is permanent, `significant` under `auto_shutdown = \"never\"`, a child with both `kind` and `supervisor`, a backoff whose `initial` exceeds its `max` or whose multiplier is below 1, a restart intensity with a zero `within`.",
    },
    Code {
        id: "R0020",
        name: "forward-ref",
        text: "A child's args refer to a child that starts after it (or to itself, or to its own supervisor). Children start in order and a reference is resolved when the child is built, so a reference may only name an earlier sibling or an earlier sibling of an ancestor. Move the referenced child before the one that uses it.",
    },
    Code {
        id: "R0021",
        name: "dangling-ref",
        text: "A child's args name a child that does not exist where the reference can see it: a typo, or a child under another supervisor branch. A reference names an earlier sibling or an earlier sibling of an ancestor.",
    },
    Code {
        id: "R0022",
        name: "ref-type",
        text: "A reference names a child of the wrong kind: the args want, say, a semaphore but the child is a queue. The message names both kinds.",
    },
    Code {
        id: "R0023",
        name: "build-failed",
        text: "The kind's build function rejected its args (for example a rate limiter with a zero rate); the message is the kind's own reason. Nothing was started.",
    },
    Code {
        id: "R0030",
        name: "not-exportable",
        text: "A child says `export = \"...\"` but its kind has no remote message types registered, so a node could not decode anything sent to it. Register them with `Kinds::exportable::<Actor, _>(kind, |e| e.message::<M>())` (feature `nats`), or drop the `export`.",
    },
    Code {
        id: "R0031",
        name: "export-needs-node",
        text: "A child is exported but the file has no `[node]` table, so there is no deployment to export it to. Add `[node]` with `name` and `url` (feature `nats`).",
    },
    Code {
        id: "R0032",
        name: "duplicate-export",
        text: "Two children are exported under the same name. An export name is unique in a whole deployment (a second export of a live name is refused at start); give each a name of its own.",
    },
    Code {
        id: "R0101",
        name: "intensity-never-trips",
        text: "Warning: the restart backoff spaces restarts so far apart that `max_restarts` + 1 restarts can never fall within `within`; a crash loop then restarts forever instead of escalating to the parent. Lengthen `within`, lower `max_restarts`, or shorten the backoff.",
    },
    Code {
        id: "R0102",
        name: "breaker-never-trips",
        text: "Warning: a circuit breaker is configured so that it can never open: a failure-rate or slow-call policy over a count window smaller than `minimum_calls` (no rate is ever computed), or a failure-rate threshold above 100 %. Raise the window, lower `minimum_calls`, or fix the threshold.",
    },
];

/// The paragraph that explains a diagnostic code, by its stable code
/// (`"R0010"`, case-insensitive) or its short name (`"unknown-field"`).
///
/// ```
/// let text = retinue::config::explain("R0010").unwrap();
/// assert!(text.contains("not one of its fields"));
/// assert_eq!(retinue::config::explain("unknown-field"), Some(text));
/// assert_eq!(retinue::config::explain("R9999"), None);
/// ```
pub fn explain(code: &str) -> Option<&'static str> {
    find(code).map(|c| c.text)
}

/// Every stable code with its short name, in order.
pub fn codes() -> impl Iterator<Item = (&'static str, &'static str)> {
    CODES.iter().map(|c| (c.id, c.name))
}

fn find(code: &str) -> Option<&'static Code> {
    let code = code.trim();
    CODES
        .iter()
        .find(|c| c.id.eq_ignore_ascii_case(code) || c.name == code)
}

/// The stable code of a short name (`"R0000"` for a name without one,
/// which a test rules out).
pub(crate) fn id_of(name: &str) -> &'static str {
    find(name).map_or("R0000", |c| c.id)
}
