//! The page's training run and the command line's, side by side: the page's own session
//! code (`web::session`, driven natively here as the page's worker drives it: small
//! ticks, one CPU step at a time, evaluation in chunks between them) gives the same
//! per-epoch metrics as `network::train::train` for the same configuration and seeds.

use infomorph::network::model::{ModelKind, RunConfig};
use infomorph::network::train::{self, EpochMetrics};
use infomorph::web::session::{loaders, tick, State};
use std::cell::RefCell;
use std::rc::Rc;

/// Trains `config` on MNIST-10k in the page's session (IDX bytes, as the page fetches
/// them) with ticks of at most `steps_per_tick` steps; returns the metrics.
fn page_run(config: &RunConfig, steps_per_tick: u32) -> Vec<EpochMetrics> {
    use infomorph::data::mnist10k::{IMAGES_IDX, LABELS_IDX};
    let task = loaders::idx_task(config, IMAGES_IDX, LABELS_IDX, None, None).unwrap();
    assert_eq!(task, infomorph::tasks::mnist::mnist10k(config.data_seed));
    let state = Rc::new(RefCell::new(State::build(config.clone(), task).unwrap()));
    let mut ticks = 0;
    while !state.borrow().finished() {
        pollster::block_on(tick(state.clone(), 1.0, steps_per_tick));
        ticks += 1;
        assert!(ticks < 100_000, "the run ends");
    }
    let s = state.borrow();
    assert_eq!(s.progress.error, None);
    s.progress.metrics.clone()
}

fn assert_same(page: &[EpochMetrics], cli: &[EpochMetrics]) {
    assert_eq!(page.len(), cli.len());
    for (p, c) in page.iter().zip(cli) {
        eprintln!(
            "epoch {}: train {:.4} / {:.4}, val {:.4} / {:.4}, test {:.4} / {:.4} (page / command line)",
            p.epoch,
            p.train_accuracy,
            c.train_accuracy,
            p.val_accuracy,
            c.val_accuracy,
            p.test_accuracy,
            c.test_accuracy
        );
        assert_eq!((p.epoch, p.steps), (c.epoch, c.steps));
        assert_eq!(p.train_accuracy, c.train_accuracy, "epoch {}", p.epoch);
        assert_eq!(p.val_accuracy, c.val_accuracy, "epoch {}", p.epoch);
        assert_eq!(p.test_accuracy, c.test_accuracy, "epoch {}", p.epoch);
        assert_eq!(p.hidden_atoms, c.hidden_atoms, "epoch {}", p.epoch);
        assert_eq!(p.output_atoms, c.output_atoms, "epoch {}", p.epoch);
    }
}

/// The configuration the issue measured: the page's shared URL
/// `#v=1&task=mnist10k&model=context&goal=heuristic&hidden=20&batch=256&epochs=3&seed=1`
/// against `infomorph train` with the same flags.
#[test]
fn page_and_command_line_agree_on_mnist10k() {
    let config = RunConfig {
        task: "mnist10k".into(),
        model: ModelKind::Context,
        goal: "heuristic".into(),
        hidden: 20,
        batch: 256,
        epochs: 3,
        data_seed: 1,
        init_seed: 1,
        sample_seed: 1,
        ..RunConfig::default()
    };
    let cli = train::train(
        &config,
        &infomorph::tasks::mnist::mnist10k(config.data_seed),
        |_, _| {},
    );
    assert_eq!(cli.error, None);
    assert_same(&page_run(&config, 1), &cli.metrics);
    // Any cut of the work gives the same run.
    assert_same(&page_run(&config, 7), &cli.metrics);
}

/// A model with lateral input and sampled recurrent steps (the draws depend on the
/// sample's index, not on how evaluation is cut).
#[test]
fn page_and_command_line_agree_with_lateral_input() {
    let config = RunConfig {
        task: "mnist10k".into(),
        model: ModelKind::Trivariate,
        goal: "optimized".into(),
        hidden: 16,
        batch: 512,
        epochs: 2,
        ..RunConfig::default()
    };
    let cli = train::train(
        &config,
        &infomorph::tasks::mnist::mnist10k(config.data_seed),
        |_, _| {},
    );
    assert_eq!(cli.error, None);
    assert_same(&page_run(&config, 3), &cli.metrics);
}
