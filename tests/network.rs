//! Networks on real data: reproducibility from seeds, and the paper's MNIST-10k
//! accuracy for the context model with the heuristic goal.

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

/// The authors' code reaches 0.882 test accuracy (context model, heuristic goal,
/// hidden 100, batch 1024, 100 epochs) on this split; the issue asks for ±1.5 points.
#[test]
fn context_heuristic_reaches_the_published_mnist10k_accuracy() {
    let task = mnist10k(0);
    let config = config(ModelKind::Context, "heuristic", 100);
    let (_, metrics) = finished(train::train(&config, &task, |_, _| {}));
    let last = metrics.last().unwrap();
    eprintln!(
        "context heuristic, epoch 100: test accuracy {:.4}",
        last.test_accuracy
    );
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
}

/// The backprop baseline learns fast: after 5 epochs it is well past chance (it ends at
/// about 0.91 after 100 epochs, the authors' 0.912).
#[test]
fn backprop_baseline_learns() {
    let task = mnist10k(0);
    let (_, metrics) = finished(train::train(
        &config(ModelKind::Backprop, "heuristic", 5),
        &task,
        |_, _| {},
    ));
    let acc = metrics.last().unwrap().test_accuracy;
    assert!(acc > 0.65, "{acc}");
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
