//! Every curated experiment's claim (src/experiments.rs), checked on its own
//! configuration trained through the one driver, and on the page's session code
//! (`web::session`, driven natively as the page's worker drives it) with the same value.
//! The MNIST-10k experiments (100 epochs each) run with `--ignored`.

use infomorph::experiments::{self, Experiment};
use infomorph::web::session::{tick, State};
use std::cell::RefCell;
use std::rc::Rc;

/// An experiment is cheap enough for every test run when it trains in a few seconds.
const CHEAP_SECONDS: f64 = 5.0;

fn assert_met(e: &Experiment) -> f64 {
    let done = experiments::run(e).unwrap();
    let o = done.outcome;
    eprintln!(
        "{}: {} {} {} ({:.1} s) → {}",
        e.name,
        o.value,
        e.claim.comparison.symbol(),
        o.threshold,
        done.seconds,
        if o.met { "met" } else { "NOT MET" }
    );
    assert!(o.value.is_finite(), "{}: no value", e.name);
    assert!(o.met, "{}: claim '{}' not met: {o:?}", e.name, e.claim.text);
    o.value
}

#[test]
fn cheap_experiments_meet_their_claims() {
    let cheap: Vec<_> = experiments::all()
        .iter()
        .filter(|e| e.seconds <= CHEAP_SECONDS)
        .collect();
    assert!(cheap.len() >= 5);
    for e in cheap {
        assert_met(e);
    }
}

#[test]
#[ignore = "MNIST-10k, 100 epochs each: about 2 minutes"]
fn mnist_experiments_meet_their_claims() {
    for e in experiments::all()
        .iter()
        .filter(|e| e.seconds > CHEAP_SECONDS)
    {
        assert_met(e);
    }
}

/// The claim fails on an untrained network: the thresholds say something about learning
/// (0 epochs: only the initial evaluation; a claim on goal terms has no value yet).
#[test]
fn claims_of_accuracy_are_not_met_before_training() {
    for e in experiments::all()
        .iter()
        .filter(|e| e.seconds <= CHEAP_SECONDS)
        .filter(|e| e.claim.comparison == experiments::Comparison::AtLeast)
    {
        let config = e.config().unwrap();
        let task = infomorph::tasks::load(&config.task, None, config.data_seed).unwrap();
        let mut untrained = config.clone();
        untrained.epochs = 1;
        untrained.lr_hidden = 0.0;
        untrained.lr_output = 0.0;
        let run = infomorph::network::train::train(&untrained, &task, |_, _| {});
        let net = run.network.unwrap();
        let o = experiments::check(
            e,
            &experiments::RunResult {
                metrics: &run.metrics,
                network: &net,
                task: &task,
            },
        );
        eprintln!("{} untrained: {}", e.name, o.value);
        assert!(!o.met, "{}: met without learning: {o:?}", e.name);
    }
}

/// The page's session (small ticks, as the worker drives it) evaluates the same claim
/// to the same value as the command line's run.
#[test]
fn page_session_checks_the_same_claim_with_the_same_value() {
    for name in ["copy-unique", "noisy-copy"] {
        let e = experiments::by_name(name).unwrap();
        let config = e.config().unwrap();
        let task =
            infomorph::web::session::loaders::task_by_name(&config.task, config.data_seed).unwrap();
        let state = Rc::new(RefCell::new(State::build(config, task).unwrap()));
        assert!(
            state.borrow().claim(name).is_err(),
            "checked only when finished"
        );
        let mut ticks = 0;
        let mut live_epochs = 0;
        while !state.borrow().finished() {
            pollster::block_on(tick(state.clone(), 1.0, 7));
            ticks += 1;
            assert!(ticks < 100_000);
            // The page's live status: the claim on the run so far.
            let live = state.borrow().claim_so_far(name).unwrap();
            assert_eq!(live.finished, state.borrow().finished());
            if !live.finished && live.epoch > 0 {
                live_epochs += 1;
                assert!(live.value.is_finite(), "{name}: {live:?}");
                assert_eq!(live.threshold, e.claim.threshold);
            }
        }
        assert!(live_epochs > 0, "{name}: no live value before the end");
        let page = state.borrow().claim(name).unwrap();
        assert_eq!(state.borrow().claim_so_far(name).unwrap().outcome(), page);
        let native = experiments::run(e).unwrap().outcome;
        assert_eq!(page, native, "{name}");
        assert!(page.met);
        // Another experiment's claim is refused on this run.
        assert!(state.borrow().claim("copy-shared").is_err());
        assert!(state.borrow().claim_so_far("copy-shared").is_err());
    }
}
