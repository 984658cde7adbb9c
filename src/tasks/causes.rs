//! The hidden causes of the toy tasks that have them (method §9): which bars are on
//! (`bars`, `bars-2d`), the signs of the two unmixed sources (`mixtures`), which stored
//! pattern was shown (`patterns`). The code read-out (`network::code`) measures how many
//! bits about them a layer's code carries.

use super::toy::{bar_components, MIXING};
use super::{Split, TaskData};
use std::collections::HashMap;

/// The causes of the rows of one part of a task: `features` binary cause features per
/// row (a bar, a source's sign, "pattern j shown") and the joint cause of each row as
/// a state index (rows with the same feature vector share a state).
#[derive(Clone, Debug, PartialEq)]
pub struct Causes {
    /// A name per cause feature ("row 3", "column 1", "s0 > 0", "pattern 7").
    pub names: Vec<String>,
    /// Rows × features, row-major.
    pub features: Vec<bool>,
    /// The joint cause of each row, `0..states`.
    pub state: Vec<u32>,
    /// Number of distinct joint causes among the rows.
    pub states: usize,
    /// Whether the causes fix the input (bars, patterns: rows with the same cause are
    /// the same image), or the input varies within a cause (mixtures).
    pub determine_input: bool,
}

impl Causes {
    /// Causes from per-row feature vectors (each `names.len()` long); the joint state
    /// of a row is its whole feature vector.
    pub fn from_features(names: Vec<String>, features: Vec<bool>, determine_input: bool) -> Causes {
        let m = names.len().max(1);
        let mut ids: HashMap<&[bool], u32> = HashMap::new();
        let state: Vec<u32> = features
            .chunks_exact(m)
            .map(|row| {
                let next = ids.len() as u32;
                *ids.entry(row).or_insert(next)
            })
            .collect();
        let states = ids.len();
        Causes {
            names,
            features,
            state,
            states,
            determine_input,
        }
    }

    pub fn rows(&self) -> usize {
        self.state.len()
    }
}

/// Whether `task` has known hidden causes (`bars`, `bars-2d`, `mixtures`, `patterns`).
pub fn has_causes(task: &TaskData) -> bool {
    kind(task).is_some()
}

enum Kind {
    Bars { side: usize, columns: bool },
    Mixtures,
    Patterns,
}

fn kind(task: &TaskData) -> Option<Kind> {
    match task.name.as_str() {
        "bars" | "bars-2d" => {
            let (side, cols) = task.image?;
            (side == cols && side * side == task.dim).then_some(Kind::Bars {
                side,
                columns: task.name == "bars-2d",
            })
        }
        "mixtures" if task.dim == 2 && task.classes == 2 => Some(Kind::Mixtures),
        "patterns" if task.classes >= 2 => Some(Kind::Patterns),
        _ => None,
    }
}

/// The causes of the rows of `split`, or `None` for a task without known causes.
///
/// - bars: one feature per bar (rows top to bottom, then columns left to right),
///   recovered from the image by [`bar_components`];
/// - mixtures: the signs of the two unmixed sources, s0 > 0 (the label) and s1 > 0
///   (s1 = (x1 − 0.4·x0) / det A, from the mixing matrix [`MIXING`]);
/// - patterns: "pattern j shown" for each stored pattern j (the label).
pub fn causes(task: &TaskData, split: Split) -> Option<Causes> {
    let (x, y) = task.part(split);
    let dim = task.dim;
    Some(match kind(task)? {
        Kind::Bars { side, columns } => {
            let mut names: Vec<String> = (1..=side).map(|r| format!("row {r}")).collect();
            if columns {
                names.extend((1..=side).map(|c| format!("column {c}")));
            }
            let features = x
                .chunks_exact(dim)
                .flat_map(|row| bar_components(row, side, columns))
                .collect();
            Causes::from_features(names, features, true)
        }
        Kind::Mixtures => {
            // A⁻¹'s second row is (−A10, A00) / det A; det A > 0 keeps the sign.
            let features = x
                .chunks_exact(2)
                .zip(y)
                .flat_map(|(row, &label)| {
                    let s1 = MIXING[0][0] * row[1] as f64 - MIXING[1][0] * row[0] as f64;
                    [label == 1, s1 > 0.0]
                })
                .collect();
            Causes::from_features(vec!["s0 > 0".into(), "s1 > 0".into()], features, false)
        }
        Kind::Patterns => {
            let k = task.classes;
            let names = (1..=k).map(|j| format!("pattern {j}")).collect();
            let features = y
                .iter()
                .flat_map(|&label| (0..k).map(move |j| j == label as usize))
                .collect();
            Causes::from_features(names, features, true)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::toy;

    #[test]
    fn bars_causes_invert_the_generator() {
        let t = toy::by_name("bars", 3).unwrap();
        let c = causes(&t, Split::Val).unwrap();
        assert_eq!(c.names.len(), 8);
        assert_eq!(c.rows(), t.val_len());
        // 1024 draws of 256 equally likely patterns: nearly all appear.
        assert!(c.states > 240 && c.states <= 256, "{} states", c.states);
        // Each bar is on in about half of the rows.
        for k in 0..8 {
            let on = (0..c.rows()).filter(|&r| c.features[r * 8 + k]).count();
            assert!(
                (on as f64 / c.rows() as f64 - 0.5).abs() < 0.06,
                "bar {k}: {on}"
            );
        }
        // Rows with the same state have the same image.
        let dim = t.dim;
        let (a, b) = (0..c.rows())
            .flat_map(|i| (i + 1..c.rows()).map(move |j| (i, j)))
            .find(|&(i, j)| c.state[i] == c.state[j])
            .unwrap();
        assert_eq!(
            t.val_x[a * dim..(a + 1) * dim],
            t.val_x[b * dim..(b + 1) * dim]
        );
    }

    #[test]
    fn bars_2d_has_sixteen_causes() {
        let t = toy::by_name("bars-2d", 3).unwrap();
        let c = causes(&t, Split::Test).unwrap();
        assert_eq!(c.names.len(), 16);
        assert_eq!(c.names[8], "column 1");
        // 2^16 possible cause vectors, 1024 rows: almost all distinct.
        assert!(c.states > 1000, "{} states", c.states);
    }

    #[test]
    fn mixtures_signs_match_the_sources() {
        let t = toy::by_name("mixtures", 5).unwrap();
        let c = causes(&t, Split::Val).unwrap();
        assert_eq!(c.states, 4);
        for (r, &label) in t.val_y.iter().enumerate() {
            assert_eq!(c.features[2 * r], label == 1);
        }
        // s1 is symmetric around 0: about half positive.
        let pos = (0..c.rows()).filter(|&r| c.features[2 * r + 1]).count();
        assert!((pos as f64 / c.rows() as f64 - 0.5).abs() < 0.06);
    }

    #[test]
    fn patterns_causes_are_the_shown_pattern() {
        let t = toy::by_name("patterns", 5).unwrap();
        let c = causes(&t, Split::Val).unwrap();
        assert_eq!(c.names.len(), 10);
        assert_eq!(c.states, 10);
        for (r, &label) in t.val_y.iter().enumerate() {
            let on: Vec<usize> = (0..10).filter(|&j| c.features[r * 10 + j]).collect();
            assert_eq!(on, vec![label as usize]);
        }
    }

    #[test]
    fn other_tasks_have_none() {
        for name in ["xor", "gaussian", "noisy-copy"] {
            let t = toy::by_name(name, 1).unwrap();
            assert!(causes(&t, Split::Val).is_none(), "{name}");
            assert!(!has_causes(&t));
        }
    }
}
