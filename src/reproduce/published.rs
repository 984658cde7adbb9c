//! The published MNIST test accuracies (method §5, "Published results": Schneider et al.,
//! ICLR 2025; full MNIST 48k / 12k / 10k, 100 epochs, median over seeds) and how each
//! row of that table maps onto a model and a goal preset. The one copy in Rust;
//! `tests/reproduce.rs` checks it against the table in `docs/method.md`.

use crate::network::config::ModelKind;

/// The hidden sizes N of the published table's columns.
pub const SIZES: [usize; 4] = [10, 100, 500, 2000];

/// One row of the published table: a model with its hidden goal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Row {
    /// The name `infomorph reproduce --models` takes, e.g. `context-heuristic`.
    pub id: &'static str,
    /// As the table names it.
    pub label: &'static str,
    pub model: ModelKind,
    /// The hidden goal preset (`src/goals.rs`); ignored by models without a learning
    /// hidden goal (random projection, readout, backprop).
    pub goal: &'static str,
    /// Published test accuracy in % at N = 10, 100, 500, 2000 ([`SIZES`]).
    pub published: [f64; 4],
    /// The model has no hidden layer, so N does not matter (readout only): one run per
    /// seed serves every column.
    pub any_n: bool,
}

impl Row {
    /// The published accuracy in % at hidden size `n`, if the table has that column.
    pub fn published_at(&self, n: usize) -> Option<f64> {
        SIZES
            .iter()
            .position(|&s| s == n)
            .map(|i| self.published[i])
    }
}

const fn row(
    id: &'static str,
    label: &'static str,
    model: ModelKind,
    goal: &'static str,
    published: [f64; 4],
) -> Row {
    Row {
        id,
        label,
        model,
        goal,
        published,
        any_n: false,
    }
}

/// Every cell of the published table, in its order. The table's "lateral heuristic /
/// optimised" and "context heuristic / optimised" rows are two rows each here.
pub const ROWS: [Row; 11] = [
    row(
        "lateral-heuristic",
        "lateral, heuristic",
        ModelKind::Lateral,
        "heuristic",
        [64.5, 83.8, 90.2, 94.7],
    ),
    row(
        "lateral-optimized",
        "lateral, optimised",
        ModelKind::Lateral,
        "optimized",
        [63.9, 89.0, 92.8, 95.0],
    ),
    row(
        "context-heuristic",
        "context, heuristic",
        ModelKind::Context,
        "heuristic",
        [76.7, 92.5, 93.7, 94.1],
    ),
    row(
        "context-optimized",
        "context, optimised",
        ModelKind::Context,
        "optimized",
        [79.9, 92.7, 93.7, 94.1],
    ),
    row(
        "trivariate-heuristic",
        "trivariate, heuristic",
        ModelKind::Trivariate,
        "heuristic",
        [85.5, 93.4, 94.1, 94.3],
    ),
    row(
        "trivariate-optimized",
        "trivariate, optimised (all-to-all)",
        ModelKind::Trivariate,
        "optimized",
        [84.4, 95.2, 96.5, 95.3],
    ),
    row(
        "trivariate-sparse-optimized",
        "trivariate, optimised, sparse",
        ModelKind::TrivariateSparse,
        "optimized",
        [84.4, 95.2, 96.7, 97.5],
    ),
    row(
        "feedback",
        "with feedback",
        ModelKind::Feedback,
        "optimized",
        [62.1, 90.5, 94.9, 97.0],
    ),
    row(
        "random-projection",
        "random projection",
        ModelKind::RandomProjection,
        "heuristic",
        [39.7, 80.6, 91.2, 94.6],
    ),
    row(
        "backprop",
        "backprop, same architecture",
        ModelKind::Backprop,
        "optimized",
        [86.1, 95.4, 97.4, 98.0],
    ),
    Row {
        id: "readout",
        label: "readout only",
        model: ModelKind::Readout,
        goal: "optimized",
        published: [91.9; 4],
        any_n: true,
    },
];

/// The row named `id` (also accepted: the British `optimised`).
pub fn row_by_id(id: &str) -> Result<&'static Row, String> {
    let id = id.replace("optimised", "optimized");
    ROWS.iter().find(|r| r.id == id).ok_or_else(|| {
        let known: Vec<&str> = ROWS.iter().map(|r| r.id).collect();
        format!("unknown model '{id}' (known: {})", known.join(", "))
    })
}

/// The published value that applies to a run on full MNIST, for the page's reference
/// line: the row of `model` with the goal preset `goal` (none for a custom γ, which is
/// not what the table measured) at hidden size `hidden` (a column of the table, or any
/// N for the readout). `(percent, row)`.
pub fn reference(
    model: ModelKind,
    goal: Option<&str>,
    hidden: usize,
) -> Option<(f64, &'static Row)> {
    ROWS.iter().find_map(|r| {
        // Random projection, readout and backprop learn no hidden goal: any γ is theirs.
        let learns_goal = !matches!(
            r.model,
            ModelKind::RandomProjection | ModelKind::Readout | ModelKind::Backprop
        );
        let goal_matches = !learns_goal || goal == Some(r.goal);
        if r.model != model || !goal_matches {
            return None;
        }
        let value = if r.any_n {
            Some(r.published[0])
        } else {
            r.published_at(hidden)
        };
        value.map(|v| (v, r))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_is_the_row_of_the_model_goal_and_column() {
        let (v, r) = reference(ModelKind::Trivariate, Some("optimized"), 100).unwrap();
        assert_eq!((v, r.id), (95.2, "trivariate-optimized"));
        let (v, r) = reference(ModelKind::Context, Some("heuristic"), 2000).unwrap();
        assert_eq!((v, r.id), (94.1, "context-heuristic"));
        assert_eq!(
            reference(ModelKind::Trivariate, Some("optimized"), 64),
            None
        );
        assert_eq!(reference(ModelKind::Trivariate, None, 100), None);
        assert_eq!(reference(ModelKind::Context, Some("four-term"), 100), None);
        // models that learn no hidden goal: any goal; the readout at any N
        assert_eq!(
            reference(ModelKind::RandomProjection, None, 10).unwrap().0,
            39.7
        );
        assert_eq!(reference(ModelKind::Backprop, None, 500).unwrap().0, 97.4);
        assert_eq!(
            reference(ModelKind::Readout, Some("heuristic"), 37)
                .unwrap()
                .0,
            91.9
        );
    }

    #[test]
    fn rows_are_distinct_and_their_goals_exist() {
        for (i, r) in ROWS.iter().enumerate() {
            assert!(ROWS[..i].iter().all(|o| o.id != r.id), "{}", r.id);
            if let Some(family) = r.model.goal_family() {
                crate::goals::preset(family, r.goal).unwrap();
            }
            assert_eq!(row_by_id(r.id).unwrap(), r);
        }
        assert_eq!(
            row_by_id("context-optimised").unwrap().id,
            "context-optimized"
        );
        assert!(row_by_id("context")
            .unwrap_err()
            .contains("known: lateral-heuristic"));
        assert_eq!(ROWS[2].published_at(100), Some(92.5));
        assert_eq!(ROWS[2].published_at(50), None);
    }
}
