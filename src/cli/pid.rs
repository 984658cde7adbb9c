//! `infomorph pid`: decompose a joint table given as JSON.

use crate::pid::json::{decompose_json, Options};
use clap::Args;
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
    let options = Options {
        gamma: args.gamma,
        normalize: args.normalize,
        pointwise: args.pointwise,
    };
    println!("{}", decompose_json(&text, &options)?);
    Ok(())
}
