//! The page's `Session` class: a handle on a shared [`State`], so that the page can
//! read the views while a GPU `tick` awaits its readback.

use super::{loaders, state};
use crate::engine::EngineKind;
use crate::network::RunConfig;
use crate::tasks::TaskData;
use state::{ActivationParams, State};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

pub(crate) fn err(message: impl std::fmt::Display) -> JsError {
    JsError::new(&message.to_string())
}

/// A Rust value as a plain JS value (objects for maps and structs, as JSON would give).
pub(crate) fn to_js(value: &impl serde::Serialize) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(err)
}

/// A run config from a JS object in the `infomorph train --config` schema, checked by
/// the one parser (`RunConfig::from_json`, whose refusals name the field).
fn config_from_js(config: JsValue) -> Result<RunConfig, JsError> {
    let value: serde_json::Value =
        serde_wasm_bindgen::from_value(config).map_err(|e| err(format!("invalid config: {e}")))?;
    RunConfig::from_json(&value.to_string()).map_err(|e| err(format!("invalid config: {e}")))
}

/// A training run in the page: a task, a network on the CPU or WebGPU engine, and
/// where training stands. A handle on shared state, so that the page can read the
/// views while a GPU `tick` awaits its readback.
#[wasm_bindgen]
pub struct Session {
    state: Rc<RefCell<State>>,
}

impl Session {
    fn start(
        config: JsValue,
        task: impl FnOnce(&RunConfig) -> Result<TaskData, String>,
    ) -> Result<Session, JsError> {
        let config = config_from_js(config)?;
        let task = task(&config).map_err(err)?;
        let state = State::build(config, task).map_err(err)?;
        Ok(Session {
            state: Rc::new(RefCell::new(state)),
        })
    }
}

#[wasm_bindgen]
impl Session {
    /// A session on a built-in task (every toy task), from a config
    /// object in the schema of `infomorph train --config`. It starts on the CPU engine;
    /// `useGpu` moves it to the WebGPU engine.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<Session, JsError> {
        Session::start(config, |c| loaders::task_by_name(&c.task, c.data_seed))
    }

    /// A session on images in IDX files (MNIST-10k fetched from the page's origin, or
    /// the user's own): square images of any size and labels 0..=9. Without test files
    /// the first 80 % of each class form the training pool and the rest the test set
    /// (the MNIST-10k split); 20 % of the pool is held out for validation.
    #[wasm_bindgen(js_name = withIdx)]
    pub fn with_idx(
        config: JsValue,
        images: &[u8],
        labels: &[u8],
        test_images: Option<Vec<u8>>,
        test_labels: Option<Vec<u8>>,
    ) -> Result<Session, JsError> {
        Session::start(config, |c| {
            loaders::idx_task(c, images, labels, test_images, test_labels)
        })
    }

    /// A session on the digits8 task from its file (`digits8x8/digits.bin`, fetched
    /// from the page's origin): the same task as `infomorph train --task digits8`.
    #[wasm_bindgen(js_name = withDigits8)]
    pub fn with_digits8(config: JsValue, records: &[u8]) -> Result<Session, JsError> {
        Session::start(config, |c| match c.task.as_str() {
            "digits8" => crate::tasks::mnist::digits8_from(records, c.data_seed),
            other => Err(format!(
                "withDigits8 is for the digits8 task, not '{other}'"
            )),
        })
    }

    /// A session on a table of numbers (the user's CSV): `x` holds `dim` features per
    /// row, `y` one class 0..=255 per row. Rows are shuffled by the data seed and split
    /// 60/20/20 into training, validation and test; features are standardised with the
    /// training part's mean and standard deviation.
    #[wasm_bindgen(js_name = withTable)]
    pub fn with_table(
        config: JsValue,
        x: Vec<f32>,
        y: Vec<u8>,
        dim: usize,
    ) -> Result<Session, JsError> {
        Session::start(config, |c| loaders::table_task(c, x, y, dim))
    }

    /// Moves training to the WebGPU engine if `preference` allows: `"auto"` when an
    /// adapter exists and the model runs there, `"gpu"` or an error, `"cpu"` never.
    /// Resolves to the engine that runs (`"webgpu"` or `"cpu"`); why the CPU engine
    /// runs is in the stats' `notices`. Call before training.
    #[wasm_bindgen(js_name = useGpu)]
    pub fn use_gpu(&self, preference: String) -> js_sys::Promise {
        let state = self.state.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            state::use_gpu(state.clone(), preference)
                .await
                .map_err(|e| JsValue::from(JsError::new(&e)))?;
            let engine = state.borrow().engine_name();
            Ok(JsValue::from(engine))
        })
    }

    /// `"cpu"` or `"webgpu"`.
    #[wasm_bindgen(getter)]
    pub fn engine(&self) -> String {
        self.state.borrow().engine_name().to_owned()
    }

    /// The GPU adapter's description (or the one the page detected); may be empty.
    #[wasm_bindgen(getter)]
    pub fn adapter(&self) -> String {
        self.state.borrow().adapter.clone()
    }

    /// Steps completed so far.
    #[wasm_bindgen(getter)]
    pub fn step(&self) -> u32 {
        self.state.borrow().progress.step
    }

    /// Works for about `budget_ms` milliseconds (at least one unit of work): training
    /// steps, and at the end of each epoch the evaluation, in chunks. Stops early after
    /// `max_steps` training steps or when the run ends (epochs reached, or an error).
    /// Resolves to the number of training steps taken. On the GPU several steps are
    /// queued, then their metrics read back asynchronously; other methods may be called
    /// meanwhile (they read the CPU copy).
    pub fn tick(&self, budget_ms: f64, max_steps: u32) -> js_sys::Promise {
        let state = self.state.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            Ok(JsValue::from(
                state::tick(state, budget_ms, max_steps).await,
            ))
        })
    }

    /// Whether training has ended: `epochs` reached (0 = no limit) or an error.
    pub fn finished(&self) -> bool {
        self.state.borrow().finished()
    }

    /// Replaces the hidden layer's γ (term order) while training runs.
    #[wasm_bindgen(js_name = setGoal)]
    pub fn set_goal(&self, gamma: Vec<f64>) -> Result<(), JsError> {
        self.state.borrow_mut().set_goal(gamma).map_err(err)
    }

    /// Sets the hidden layer's activation parameters (`{k1,k2,c1,c2,w1,w2}`, any
    /// subset) while training runs (on the GPU: from the next tick, which rebuilds it).
    #[wasm_bindgen(js_name = setActivation)]
    pub fn set_activation(&self, activation: JsValue) -> Result<(), JsError> {
        let a: ActivationParams = serde_wasm_bindgen::from_value(activation)
            .map_err(|e| err(format!("activation: {e}")))?;
        for (name, v) in [
            ("k1", a.k1),
            ("k2", a.k2),
            ("c1", a.c1),
            ("c2", a.c2),
            ("w1", a.w1),
            ("w2", a.w2),
        ] {
            if !v.is_finite() {
                return Err(err(format!("activation {name} is not a finite number")));
            }
        }
        self.state.borrow_mut().set_activation(a);
        Ok(())
    }

    /// Records the WebGPU adapter the page detected (shown with the engine).
    #[wasm_bindgen(js_name = setAdapter)]
    pub fn set_adapter(&self, adapter: String) {
        let mut s = self.state.borrow_mut();
        if s.engine == EngineKind::Cpu {
            s.adapter = adapter;
        }
    }

    /// The resolved config (the `infomorph train --config` schema).
    pub fn config(&self) -> Result<JsValue, JsError> {
        to_js(&self.state.borrow().config)
    }

    /// Where training stands: step, epoch, accuracies, the atoms of every shown neuron,
    /// term names, the epoch history, the confusion matrix, the engine, its adapter and
    /// notices (`{kind, text}`), …
    pub fn stats(&self) -> Result<JsValue, JsError> {
        to_js(&self.state.borrow().stats())
    }

    /// An experiment's claim on this run so far: `{met, value, threshold, finished,
    /// epoch}` (`met`: the value meets the threshold at the last finished epoch; the
    /// claim's verdict once `finished`); an error when the run is not the experiment's
    /// configuration or stopped.
    pub fn claim(&self, experiment: String) -> Result<JsValue, JsError> {
        let live = self.state.borrow().claim_so_far(&experiment).map_err(err)?;
        to_js(&live)
    }

    #[wasm_bindgen(js_name = receptiveFields)]
    pub fn receptive_fields(&self) -> Vec<f32> {
        self.state.borrow().receptive_fields()
    }

    /// The binned joint pmf p(sources…, y) of one shown neuron on up to 1024 training
    /// samples, in the form `decompose` takes: `{shape: [k,…,2], p: […]}` (target last,
    /// index 0 = output −1, 1 = output +1), plus `sources` with the source letters.
    pub fn histogram(&self, neuron: usize) -> Result<JsValue, JsError> {
        let table = self.state.borrow_mut().histogram(neuron).map_err(err)?;
        to_js(&table)
    }

    /// For 2-D tasks: the class probabilities over a `res`×`res` grid covering the
    /// data (rows from the top, x1 decreasing), `res·res·classes` values, preceded by
    /// the bounds x0min, x0max, x1min, x1max. Empty for other tasks.
    #[wasm_bindgen(js_name = decisionMap)]
    pub fn decision_map(&self, res: usize) -> Vec<f32> {
        self.state.borrow_mut().decision_map(res)
    }

    /// Up to `max` test samples of a 2-D task as (x0, x1, label) triples.
    pub fn points(&self, max: usize) -> Vec<f32> {
        self.state.borrow().points(max)
    }

    /// The run in the format of `infomorph train --out` (config, metrics,
    /// error, hidden and output layers with atoms and weights) plus the page's
    /// activation parameters.
    #[wasm_bindgen(js_name = exportRun)]
    pub fn export_run(&self) -> Result<JsValue, JsError> {
        to_js(&self.state.borrow().export())
    }

    /// Test hook: destroys the GPU device as a real loss would; the run continues on
    /// the CPU engine and says so. Nothing on the CPU engine.
    #[wasm_bindgen(js_name = simulateDeviceLoss)]
    pub fn simulate_device_loss(&self) {
        if let Some(t) = self.state.borrow_mut().trainer.as_mut() {
            t.backend_mut().simulate_device_loss();
        }
    }
}
