//! "Did you mean" hints for misspelt names (Jaro-Winkler similarity).
//!
//! Invariant: a hint is only given for a candidate close enough to be a
//! plausible typo (similarity ≥ 0.8), and ties go to the first candidate.

/// `Some("did you mean `x`?")` for the candidate closest to `word`.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    did_you_mean_name(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// The candidate closest to `word`, if it is close enough.
pub(crate) fn did_you_mean_name<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let score = strsim::jaro_winkler(word, candidate);
        if score >= 0.8 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn close_names_are_suggested_and_far_ones_are_not() {
        let names = ["strategy", "max_restarts", "within"];
        assert_eq!(
            did_you_mean("stratgy", names).as_deref(),
            Some("did you mean `strategy`?")
        );
        assert_eq!(did_you_mean("colour", names), None);
    }
}
