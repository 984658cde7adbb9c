//! `infomorph experiments`: the curated experiments (`src/experiments.rs`): list them,
//! or train some and check their claims.

use crate::experiments::{self, Experiment};
use clap::Args;
use serde_json::json;

#[derive(Args)]
pub struct ExperimentsArgs {
    /// Experiments to train and check (default with --check: all).
    names: Vec<String>,
    /// Train the experiments (all, or the named ones) and check their claims; exit
    /// status 1 when a claim is not met.
    #[arg(long)]
    check: bool,
    /// One JSON object per experiment.
    #[arg(long)]
    json: bool,
}

fn describe(e: &Experiment) -> serde_json::Value {
    json!({
        "name": e.name,
        "title": e.title,
        "text": e.text,
        "claim": e.claim,
        "config": e.config().ok(),
        "hash": e.hash(),
    })
}

/// Runs the subcommand; `Ok(false)` when a checked claim is not met.
pub fn run_experiments(args: ExperimentsArgs) -> Result<bool, String> {
    let picked: Vec<&Experiment> = if args.names.is_empty() {
        experiments::all().iter().collect()
    } else {
        args.names
            .iter()
            .map(|n| experiments::by_name(n).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?
    };
    if !args.check && args.names.is_empty() {
        for e in &picked {
            if args.json {
                println!("{}", describe(e));
            } else {
                let c = &e.claim;
                println!("{:<24} {}", e.name, e.title);
                println!(
                    "{:<24} claim: {} ({} {})",
                    "",
                    c.text,
                    c.comparison.symbol(),
                    c.threshold
                );
            }
        }
        return Ok(true);
    }
    if !args.check {
        for e in &picked {
            println!(
                "{}",
                serde_json::to_string_pretty(&describe(e)).unwrap_or_default()
            );
        }
        return Ok(true);
    }
    let mut all_met = true;
    for e in picked {
        let done = experiments::run(e).map_err(|e| e.to_string())?;
        let o = done.outcome;
        all_met &= o.met;
        if args.json {
            println!(
                "{}",
                json!({"name": e.name, "met": o.met, "value": o.value, "threshold": o.threshold,
                       "comparison": e.claim.comparison, "seconds": done.seconds})
            );
        } else {
            println!(
                "{:<24} {} {:.4} {} {} ({:.1} s): {}",
                e.name,
                if o.met { "met    " } else { "NOT MET" },
                o.value,
                e.claim.comparison.symbol(),
                o.threshold,
                done.seconds,
                e.claim.text
            );
        }
    }
    Ok(all_met)
}
