//! `infomorph pid`: decompose a joint table given as JSON.

use crate::pid::{Isx, JointShape};
use clap::Args;
use serde::{Deserialize, Serialize};
use std::io::Read;

#[derive(Args)]
pub struct PidArgs {
    /// Goal weights γ in term order (comma separated); adds "goal" and "gradient" (∂G/∂p).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    gamma: Option<Vec<f64>>,
    /// Rescale p to sum 1 instead of refusing a table whose sum is off.
    #[arg(long)]
    normalize: bool,
    /// Also print pointwise values for every cell with p > 0.
    #[arg(long)]
    pointwise: bool,
    /// JSON file {"shape":[k1,…,kn,m],"p":[…]} (C order, target last); "-" or nothing reads stdin.
    file: Option<String>,
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

fn read_input(file: Option<&str>) -> Result<String, String> {
    match file {
        None | Some("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| format!("cannot read stdin: {e}"))?;
            Ok(text)
        }
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}")),
    }
}

pub fn run(args: PidArgs) -> Result<(), String> {
    let text = read_input(args.file.as_deref())?;
    let input: Input =
        serde_json::from_str(&text).map_err(|e| format!("invalid JSON input: {e}"))?;
    let shape = JointShape::from_dims(&input.shape).map_err(|e| e.to_string())?;
    let p = shape
        .validate(&input.p, args.normalize)
        .map_err(|e| e.to_string())?;
    let isx = Isx::new(shape);
    let goal = args
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
    let pointwise = args.pointwise.then(|| {
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
    println!(
        "{}",
        serde_json::to_string(&out).expect("numbers are finite")
    );
    Ok(())
}
