//! Snapshot files for rendered diagnostics: `<file>.expected` beside each
//! input. `UPDATE_SNAPSHOTS=1` rewrites them instead of comparing.

use std::path::Path;

/// Whether this run rewrites the snapshots.
pub fn updating() -> bool {
    std::env::var_os("UPDATE_SNAPSHOTS").is_some()
}

/// Compares `rendered` with the snapshot beside `input` (or writes it when
/// updating); a difference is added to `mismatches`, so one run reports
/// every file that changed.
pub fn check(input: &Path, rendered: &str, mismatches: &mut Vec<String>) {
    let file_name = input.file_name().unwrap().to_string_lossy();
    let expected_path = input.with_file_name(format!("{file_name}.expected"));
    if updating() {
        std::fs::write(&expected_path, rendered).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&expected_path)
        .unwrap_or_else(|_| panic!("no snapshot {}", expected_path.display()));
    if expected != rendered {
        mismatches.push(format!(
            "--- {file_name}: expected\n{expected}\n--- got\n{rendered}"
        ));
    }
}
