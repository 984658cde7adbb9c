//! The JSON form of a decomposition request and its answer, shared by `infomorph pid`
//! and the page: `{"shape":[k1,…,kn,m],"p":[…]}` (C order, target last) in, one object
//! with names, terms, I(T;S), H(T) and optionally goal, gradient and pointwise values out.

use super::{Isx, JointShape};
use serde::{Deserialize, Serialize};

/// What to compute besides the terms.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// γ in term order: adds `goal` and `gradient` (∂G/∂p, flattened like p).
    pub gamma: Option<Vec<f64>>,
    /// Rescale p to sum 1 instead of refusing a sum that is off by more than 1e-9.
    pub normalize: bool,
    /// Add pointwise values of every cell with p > 0.
    pub pointwise: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    shape: Vec<usize>,
    p: Vec<f64>,
}

#[derive(Serialize)]
struct PointwiseRow {
    sources: Vec<usize>,
    target: usize,
    p: f64,
    informative: Vec<f64>,
    misinformative: Vec<f64>,
    informative_atoms: Vec<f64>,
    misinformative_atoms: Vec<f64>,
}

#[derive(Serialize)]
struct Output {
    names: Vec<String>,
    display_names: Vec<String>,
    terms: Vec<f64>,
    redundancies: Vec<f64>,
    mutual_information: f64,
    target_entropy: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    goal: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gradient: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pointwise: Option<Vec<PointwiseRow>>,
}

/// Decomposes the table in `text`; the error is a one-line reason for the user.
pub fn decompose_json(text: &str, options: &Options) -> Result<String, String> {
    let input: Input =
        serde_json::from_str(text).map_err(|e| format!("invalid JSON input: {e}"))?;
    let shape = JointShape::from_dims(&input.shape).map_err(|e| e.to_string())?;
    let p = shape
        .validate(&input.p, options.normalize)
        .map_err(|e| e.to_string())?;
    let isx = Isx::new(shape);
    let goal = options
        .gamma
        .as_deref()
        .map(|g| isx.goal_weights(g))
        .transpose()
        .map_err(|e| e.to_string())?;
    let mut ws = isx.workspace();
    let (decomposition, gradient) = match &goal {
        Some(goal) => {
            let mut grad = vec![0.0; p.len()];
            let d = isx.goal_gradient(&p, goal, &mut ws, &mut grad);
            (d, Some(grad))
        }
        None => (isx.decompose(&p, &mut ws), None),
    };
    let pointwise = options.pointwise.then(|| {
        isx.pointwise(&p, &mut ws)
            .into_iter()
            .map(|c| PointwiseRow {
                sources: c.sources,
                target: c.target,
                p: c.probability,
                informative: c.informative,
                misinformative: c.misinformative,
                informative_atoms: c.informative_atoms,
                misinformative_atoms: c.misinformative_atoms,
            })
            .collect()
    });
    let out = Output {
        names: isx.lattice().term_names(),
        display_names: isx.lattice().term_display_names(),
        terms: decomposition.terms(),
        redundancies: decomposition.redundancy.clone(),
        mutual_information: decomposition.mutual_information,
        target_entropy: decomposition.target_entropy,
        goal: goal.as_ref().map(|g| decomposition.goal(g.gamma())),
        gradient,
        pointwise,
    };
    serde_json::to_string(&out).map_err(|e| format!("cannot encode the result: {e}"))
}
