//! Goal vectors γ by name (method §5): the paper's heuristic and optimised goals for
//! each model, and the fixed goal of the output layer. Bivariate order: unique F,
//! unique C/L, shared, synergy, H_res; trivariate: the 19-term order of `pid::Lattice`.

/// The output layer's goal (paper): −0.2·unique F + 0.1·unique C + shared + 0.1·synergy.
pub const OUTPUT: [f64; 5] = [-0.2, 0.1, 1.0, 0.1, 0.0];

const CONTEXT_OPTIMIZED: [f64; 5] = [0.0379, 0.3185, 0.7755, 0.1536, 0.0076];
const CONTEXT_OPTIMIZED_ALT: [f64; 5] = [-0.0990, 0.3916, 0.5118, 0.5942, 0.0885];
const LATERAL_OPTIMIZED: [f64; 5] = [0.8051, -0.4079, 0.5380, 0.5634, -0.0097];
const LATERAL_OPTIMIZED_ALT: [f64; 5] = [0.8281, -0.2038, 0.9030, 0.5267, 0.1350];
const TRIVARIATE_OPTIMIZED: [f64; 19] = [
    0.3307, 0.9781, -0.9935, 0.4017, 0.2428, 0.6255, 0.4713, 0.0212, 0.0605, -0.9470, -0.0199,
    -0.9677, -0.6924, 0.4270, 0.9736, 0.7370, -0.1218, -0.2151, 0.0350,
];

/// Which family of hidden goal a model uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GoalFamily {
    /// Bivariate F + C (label or feedback context).
    Context,
    /// Bivariate F + L.
    Lateral,
    /// Trivariate F, C, L.
    Trivariate,
}

impl GoalFamily {
    /// The letters of the family's sources, in term order (F first).
    pub fn source_letters(self) -> &'static [&'static str] {
        match self {
            GoalFamily::Context => &["F", "C"],
            GoalFamily::Lateral => &["F", "L"],
            GoalFamily::Trivariate => &["F", "C", "L"],
        }
    }

    /// The display names of the family's goal terms in γ order, such as `(F)(L)` for
    /// the lateral model's shared information, then `H_res`.
    pub fn term_display_names(self) -> Vec<String> {
        let letters = self.source_letters();
        crate::pid::Lattice::new(letters.len()).term_display_names_with(letters)
    }

    /// The number of goal terms (γ entries).
    pub fn terms(self) -> usize {
        if self == GoalFamily::Trivariate {
            19
        } else {
            5
        }
    }
}

/// Preset names accepted by [`preset`].
pub const PRESETS: &[&str] = &["heuristic", "optimized", "optimized-alt", "four-term"];

fn unit(len: usize, index: usize) -> Vec<f64> {
    let mut g = vec![0.0; len];
    g[index] = 1.0;
    g
}

/// The γ of a named preset for a goal family.
pub fn preset(family: GoalFamily, name: &str) -> Result<Vec<f64>, String> {
    use GoalFamily::*;
    let goal = match (family, name) {
        (Context, "heuristic") => unit(5, 2),
        (Context, "optimized") => CONTEXT_OPTIMIZED.to_vec(),
        (Context, "optimized-alt") => CONTEXT_OPTIMIZED_ALT.to_vec(),
        (Lateral, "heuristic") => unit(5, 0),
        (Lateral, "optimized") => LATERAL_OPTIMIZED.to_vec(),
        (Lateral, "optimized-alt") => LATERAL_OPTIMIZED_ALT.to_vec(),
        (Trivariate, "heuristic") => unit(19, 1),
        (Trivariate, "optimized") => TRIVARIATE_OPTIMIZED.to_vec(),
        (Trivariate, "four-term") => {
            // 0.33·(F)(C)(L) + (F)(C) − (F)(L) − (FC)(FL)
            let mut g = vec![0.0; 19];
            g[0] = 0.33;
            g[1] = 1.0;
            g[2] = -1.0;
            g[11] = -1.0;
            g
        }
        _ => {
            return Err(format!(
                "unknown goal '{name}' for this model (known: {})",
                match family {
                    Trivariate => "heuristic, optimized, four-term",
                    _ => "heuristic, optimized, optimized-alt",
                }
            ))
        }
    };
    Ok(goal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pid::Lattice;

    #[test]
    fn presets_point_at_the_named_atoms() {
        let names = Lattice::new(3).term_names();
        let h = preset(GoalFamily::Trivariate, "heuristic").unwrap();
        assert_eq!(names[h.iter().position(|g| *g == 1.0).unwrap()], "{1}{2}");
        let four = preset(GoalFamily::Trivariate, "four-term").unwrap();
        let picked: Vec<&str> = four
            .iter()
            .zip(&names)
            .filter(|(g, _)| **g != 0.0)
            .map(|(_, n)| n.as_str())
            .collect();
        assert_eq!(picked, ["{1}{2}{3}", "{1}{2}", "{1}{3}", "{12}{13}"]);
        let names2 = Lattice::new(2).term_names();
        let shared = preset(GoalFamily::Context, "heuristic").unwrap();
        assert_eq!(
            names2[shared.iter().position(|g| *g == 1.0).unwrap()],
            "{1}{2}"
        );
        assert!(preset(GoalFamily::Lateral, "four-term").is_err());
    }
}
