//! Networks on real data: reproducibility from seeds, and the paper's MNIST-10k
//! accuracies (hidden 100, batch 1024, 100 epochs) for the context and lateral models
//! with the heuristic goal, the backprop baseline, and the trivariate model with the
//! optimised goal beating the context model.

use infomorph::network::model::{ModelKind, RunConfig};
use infomorph::network::train;
use infomorph::tasks::mnist::mnist10k;

fn finished(run: train::Run) -> (infomorph::network::Network, Vec<train::EpochMetrics>) {
    assert!(run.error.is_none(), "{:?}", run.error);
    (run.network.unwrap(), run.metrics)
}

fn config(model: ModelKind, goal: &str, epochs: usize) -> RunConfig {
    RunConfig {
        model,
        goal: goal.into(),
        epochs,
        ..RunConfig::default()
    }
}

#[test]
fn same_seeds_same_run_other_seed_other_run() {
    let task = mnist10k(3);
    let c = RunConfig {
        hidden: 20,
        ..config(ModelKind::Trivariate, "heuristic", 2)
    };
    let (a, ma) = finished(train::train(&c, &task, |_, _| {}));
    let (b, mb) = finished(train::train(&c, &task, |_, _| {}));
    let h = |n: &infomorph::network::Network| n.hidden.as_ref().unwrap().sources[0].weights.clone();
    assert_eq!(h(&a), h(&b));
    assert_eq!(
        ma.last().unwrap().test_accuracy,
        mb.last().unwrap().test_accuracy
    );
    assert_eq!(
        ma.last().unwrap().hidden_atoms,
        mb.last().unwrap().hidden_atoms
    );
    let other = RunConfig {
        sample_seed: 9,
        ..c.clone()
    };
    let (d, _) = finished(train::train(&other, &task, |_, _| {}));
    assert_ne!(h(&a), h(&d));
    // The init seed alone changes the starting weights.
    let init = RunConfig {
        init_seed: 9,
        epochs: 0,
        ..c
    };
    let (e, _) = finished(train::train(&init, &task, |_, _| {}));
    assert_ne!(h(&a), h(&e));
}

/// Final test accuracy of a 100-epoch MNIST-10k run with every seed set to `seed`.
fn accuracy_at_epoch_100(model: ModelKind, goal: &str, seed: u64) -> train::EpochMetrics {
    let c = RunConfig {
        data_seed: seed,
        init_seed: seed,
        sample_seed: seed,
        ..config(model, goal, 100)
    };
    let (_, metrics) = finished(train::train(&c, &mnist10k(seed), |_, _| {}));
    let last = metrics.last().unwrap().clone();
    assert_eq!(last.epoch, 100);
    eprintln!(
        "{} {goal}, seed {seed}, epoch 100: test accuracy {:.4}",
        model.name(),
        last.test_accuracy
    );
    last
}

/// The authors' code reaches 0.882 test accuracy (context model, heuristic goal,
/// hidden 100, batch 1024, 100 epochs) on this split; the issue asks for ±1.5 points.
/// The trivariate model with the optimised goal must beat it on the same split.
#[test]
fn context_heuristic_reaches_the_published_mnist10k_accuracy() {
    let last = accuracy_at_epoch_100(ModelKind::Context, "heuristic", 0);
    assert!(
        (last.test_accuracy - 0.882).abs() < 0.015,
        "{}",
        last.test_accuracy
    );
    // Shared information dominates the hidden goal's atoms after training.
    let atoms = &last.hidden_atoms;
    assert!(
        atoms[2] > atoms[0] && atoms[2] > atoms[1] && atoms[2] > atoms[3],
        "{atoms:?}"
    );
    let trivariate = accuracy_at_epoch_100(ModelKind::Trivariate, "optimized", 0);
    assert!(
        trivariate.test_accuracy > last.test_accuracy,
        "trivariate optimised {} vs context heuristic {}",
        trivariate.test_accuracy,
        last.test_accuracy
    );
}

/// The lateral model with the heuristic goal (unique F = 1): the authors' 0.816, ±1.5
/// points. Single runs spread by about ±1 point over seeds (seeds 1–5 gave
/// 0.812–0.820, seed 0 gave 0.838), so the median of seeds 0, 1 and 2 is compared.
#[test]
fn lateral_heuristic_reaches_the_published_mnist10k_accuracy() {
    let mut acc: Vec<f64> = (0..3)
        .map(|seed| accuracy_at_epoch_100(ModelKind::Lateral, "heuristic", seed).test_accuracy)
        .collect();
    acc.sort_by(f64::total_cmp);
    assert!(
        (acc[1] - 0.816).abs() < 0.015,
        "median {} of {acc:?}",
        acc[1]
    );
}

/// The backprop baseline of the same architecture: the authors' 0.912, ±1.5 points.
#[test]
fn backprop_baseline_reaches_the_published_mnist10k_accuracy() {
    let acc = accuracy_at_epoch_100(ModelKind::Backprop, "heuristic", 0).test_accuracy;
    assert!((acc - 0.912).abs() < 0.015, "{acc}");
}

/// Every toy task trains with every local model for an epoch (small tasks have input
/// shapes, e.g. a single column, that once gave column-major matrix products).
#[test]
fn every_toy_task_trains_with_every_local_model() {
    for name in infomorph::tasks::toy::NAMES {
        let task = infomorph::tasks::toy::by_name(name, 1).unwrap();
        for model in [
            ModelKind::Context,
            ModelKind::Lateral,
            ModelKind::Trivariate,
            ModelKind::Readout,
        ] {
            let c = RunConfig {
                hidden: 6,
                batch: 256,
                ..config(model, "heuristic", 1)
            };
            let (_, m) = finished(train::train(&c, &task, |_, _| {}));
            let acc = m.last().unwrap().test_accuracy;
            assert!((0.0..=1.0).contains(&acc), "{name} {model:?}: {acc}");
        }
    }
}
