//! The native command line. Every subcommand prints a one-line reason to stderr and
//! exits 2 on bad input, so scripts can tell misuse from success.

mod experiments;
mod optuna;
mod pid;
mod reproduce;
mod search;
mod sensitivity;
mod train;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "infomorph",
    version,
    about = "Infomorphic neurons and I^sx partial information decomposition"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decompose a joint distribution: PID atoms, H_res, I(T;S), H(T) and, with --gamma, ∂G/∂p.
    Pid(pid::PidArgs),
    /// Train a network (progress bar, or --json per epoch; --out writes the run).
    Train(train::TrainArgs),
    /// Search goals: which γ makes the network learn best (TPE, CMA-ES or random).
    Search(search::SearchArgs),
    /// Which terms of a goal matter: Δ validation accuracy when each γ_i changes.
    Sensitivity(sensitivity::SensitivityArgs),
    /// The published MNIST table, cell by cell (resumable): table.md, table.csv, figure.
    Reproduce(reproduce::ReproduceArgs),
    /// Time full training steps on random input.
    Bench(train::BenchArgs),
    /// One neuron on two input bits (a logic gate): what its goal makes it carry.
    Neuron(train::NeuronArgs),
    /// Associative memory: store ±1 patterns, recall them from corrupted cues.
    Memory(train::MemoryArgs),
    /// The curated experiments: list them, or train them and check their claims (--check).
    Experiments(experiments::ExperimentsArgs),
}

/// A usage error of clap's (several lines: the error, tips, usage, "For more
/// information…") as one line: the error and its tips, then where help is.
fn usage_error_line(text: &str) -> String {
    // The first paragraph is the error (a missing argument is named on its own line).
    let mut paragraphs = text.split("\n\n");
    let error: Vec<&str> = paragraphs
        .next()
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut line = error.join(" ");
    if let Some(rest) = line.strip_prefix("error: ") {
        line = rest.to_string();
    }
    for tip in text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("tip: "))
    {
        if !line.contains(tip) {
            line.push_str("; ");
            line.push_str(tip);
        }
    }
    line.push_str(" (see --help)");
    line
}

/// Runs the command line and returns the process exit code.
pub fn run() -> i32 {
    crate::engine::gpu::context::quiet_mesa_runtime_dir();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            eprintln!("infomorph: {}", usage_error_line(&e.to_string()));
            return 2;
        }
        Err(e) => {
            // --help and --version.
            let _ = e.print();
            return 0;
        }
    };
    let result = match cli.command {
        Command::Pid(args) => pid::run(args),
        Command::Train(args) => train::run_train(args),
        Command::Search(args) => search::run_search(args),
        Command::Sensitivity(args) => sensitivity::run_sensitivity(args),
        Command::Reproduce(args) => reproduce::run_reproduce(args),
        Command::Bench(args) => train::run_bench(args),
        Command::Neuron(args) => train::run_neuron(args),
        Command::Memory(args) => train::run_memory(args),
        Command::Experiments(args) => match experiments::run_experiments(args) {
            Ok(true) => Ok(()),
            Ok(false) => return 1,
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("infomorph: {message}");
            2
        }
    }
}
