//! What a goal search varies: which γ entries (terms) it samples, their range, and the
//! γ every other term keeps (docs/method.md §8).

use super::SearchError;
use crate::goals::GoalFamily;
use crate::network::config::RunConfig;

/// The searched terms of a model's hidden goal and the γ the others keep.
#[derive(Clone, Debug, PartialEq)]
pub struct Space {
    family: GoalFamily,
    /// The goal the unsearched terms keep (the run's `gamma`/`goal`).
    base: Vec<f64>,
    terms: Vec<usize>,
    low: f64,
    high: f64,
}

impl Space {
    pub fn new(
        config: &RunConfig,
        terms: &[usize],
        low: f64,
        high: f64,
    ) -> Result<Space, SearchError> {
        let family = config.model.goal_family().ok_or_else(|| {
            SearchError::Space(format!(
                "the {} model has no hidden goal to search",
                config.model.name()
            ))
        })?;
        let base = config
            .hidden_gamma()
            .map_err(|e| SearchError::Config(e.to_string()))?
            .expect("a model with a goal family has a hidden γ");
        if terms.is_empty() {
            return Err(SearchError::Space(
                "the search space is empty: name at least one term".into(),
            ));
        }
        if let Some(&t) = terms.iter().find(|&&t| t >= base.len()) {
            return Err(SearchError::Space(format!(
                "term {t} is out of range: the {} model's goal has {} terms (0 to {})",
                config.model.name(),
                base.len(),
                base.len() - 1
            )));
        }
        if !(low.is_finite() && high.is_finite() && low < high) {
            return Err(SearchError::Space(format!(
                "the range must be two finite numbers, low < high (got {low} to {high})"
            )));
        }
        let mut sorted = terms.to_vec();
        crate::order::sort(&mut sorted);
        sorted.dedup();
        Ok(Space {
            family,
            base,
            terms: sorted,
            low,
            high,
        })
    }

    /// The searched terms (γ indices, ascending).
    pub fn terms(&self) -> &[usize] {
        &self.terms
    }

    pub fn range(&self) -> (f64, f64) {
        (self.low, self.high)
    }

    /// The display names of the searched terms.
    pub fn names(&self) -> Vec<String> {
        let all = self.family.term_display_names();
        self.terms.iter().map(|&t| all[t].clone()).collect()
    }

    /// The whole γ for sampled values of the searched terms.
    pub fn gamma(&self, params: &[f64]) -> Vec<f64> {
        let mut g = self.base.clone();
        for (&t, &v) in self.terms.iter().zip(params) {
            g[t] = v;
        }
        g
    }

    /// The searched terms' values in a whole γ.
    pub fn params(&self, gamma: &[f64]) -> Vec<f64> {
        self.terms.iter().map(|&t| gamma[t]).collect()
    }
}

/// Reads a term list: `all` (every term, H_res included), `atoms` (all but H_res: the
/// paper's trivariate search), or a comma-separated list of indices (paper order, from
/// 0) and names — machine (`{1}{2}`) or display (`(F)(C)`, `(F)(L)` for a lateral
/// neuron), `H_res`.
pub fn parse_terms(family: GoalFamily, spec: &str) -> Result<Vec<usize>, SearchError> {
    let display = family.term_display_names();
    let machine = crate::pid::Lattice::new(family.source_letters().len()).term_names();
    let n = display.len();
    let spec = spec.trim();
    match spec {
        "all" => return Ok((0..n).collect()),
        "atoms" => return Ok((0..n - 1).collect()),
        _ => {}
    }
    let mut terms = Vec::new();
    for item in split_terms(spec) {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let index = if let Ok(i) = item.parse::<usize>() {
            if i >= n {
                return Err(SearchError::Space(format!(
                    "term {i} is out of range: this goal has {n} terms (0 to {})",
                    n - 1
                )));
            }
            i
        } else {
            display
                .iter()
                .position(|d| d.eq_ignore_ascii_case(item))
                .or_else(|| machine.iter().position(|m| m.eq_ignore_ascii_case(item)))
                .ok_or_else(|| {
                    SearchError::Space(format!(
                        "unknown term '{item}' (known: {}, or 0 to {})",
                        display.join(" "),
                        n - 1
                    ))
                })?
        };
        if !terms.contains(&index) {
            terms.push(index);
        }
    }
    if terms.is_empty() {
        return Err(SearchError::Space(
            "the search space is empty: name at least one term".into(),
        ));
    }
    crate::order::sort(&mut terms);
    Ok(terms)
}

/// Splits on commas outside braces and parentheses: `{1}{2},(F)(C)` is two terms, and a
/// display name never holds a comma.
fn split_terms(spec: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in spec.char_indices() {
        match c {
            '(' | '{' => depth += 1,
            ')' | '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&spec[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&spec[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_indices_and_sets_read_the_same_terms() {
        let t = GoalFamily::Trivariate;
        assert_eq!(parse_terms(t, "all").unwrap(), (0..19).collect::<Vec<_>>());
        assert_eq!(
            parse_terms(t, "atoms").unwrap(),
            (0..18).collect::<Vec<_>>()
        );
        assert_eq!(parse_terms(t, "(F)(C)(L),1").unwrap(), vec![0, 1]);
        assert_eq!(parse_terms(t, "{1}{2}{3},h_res").unwrap(), vec![0, 18]);
        let l = GoalFamily::Lateral;
        assert_eq!(parse_terms(l, "(F)(L), (F)").unwrap(), vec![0, 2]);
        assert!(parse_terms(l, "(F)(C)").is_err());
        assert!(parse_terms(l, "5").is_err());
        assert!(parse_terms(l, " , ").is_err());
    }
}
