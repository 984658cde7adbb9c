//! Browser tests: run with
//! `cargo test --target wasm32-unknown-unknown --no-default-features --test web`
//! (headless Chromium through chromedriver; see `scripts/test.sh`). On native
//! targets this file compiles to an empty test binary.
#![cfg(target_arch = "wasm32")]

use infomorph::pid::Lattice;
use wasm_bindgen_test::*;

/// A JS value from JSON text (what the page passes to a `Session`).
fn js(text: &str) -> wasm_bindgen::JsValue {
    js_sys::JSON::parse(text).unwrap_or_else(|_| panic!("JSON: {text}"))
}

/// A JS value the `Session` returned, as JSON.
fn json(value: wasm_bindgen::JsValue) -> serde_json::Value {
    serde_wasm_bindgen::from_value(value).unwrap_or_else(|e| panic!("a plain value: {e}"))
}

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn lattice_sizes_match_the_native_build() {
    assert_eq!(Lattice::new(2).len(), 4);
    assert_eq!(Lattice::new(3).len(), 18);
}

#[wasm_bindgen_test]
fn two_source_term_names() {
    assert_eq!(
        Lattice::new(2).term_names(),
        ["{1}", "{2}", "{1}{2}", "{12}", "H_res"]
    );
}

#[wasm_bindgen_test]
fn start_writes_the_version_into_the_page() {
    let document = web_sys::window().unwrap().document().unwrap();
    let element = document.create_element("p").unwrap();
    element.set_id(infomorph::web::STATUS_ELEMENT_ID);
    document
        .document_element()
        .unwrap()
        .append_child(&element)
        .unwrap();

    infomorph::web::start();

    let text = element.text_content().unwrap();
    assert!(
        text.contains(&infomorph::web::version()),
        "status text: {text}"
    );
    assert_eq!(infomorph::web::version(), env!("CARGO_PKG_VERSION"));
}

/// The same engine in the browser: a full training step of the trivariate model
/// (hidden 100, batch 1024) on random input, timed with `performance.now()`. The median
/// is printed for the record (compare with `infomorph bench` natively); the test checks
/// that the step runs and its goal terms are finite.
#[wasm_bindgen_test]
fn trivariate_training_step_in_the_browser() {
    use infomorph::network::model::{ModelKind, Network, RunConfig};
    use infomorph::network::train::view;
    let config = RunConfig {
        model: ModelKind::Trivariate,
        goal: "optimized".into(),
        ..RunConfig::default()
    };
    let mut net = Network::new(&config, 784, 10).unwrap();
    let mut rng = infomorph::rng::Stream::new(1);
    let x: Vec<f32> = (0..1024 * 784).map(|_| rng.normal() as f32).collect();
    let y: Vec<u8> = (0..1024).map(|_| rng.below(10) as u8).collect();
    let performance = web_sys::window().unwrap().performance().unwrap();
    let mut times = Vec::new();
    // The first steps also wait for the browser's optimising compiler: skip four.
    for step in 0..11 {
        let start = performance.now();
        let terms = net.train_batch(view(&x, 784), &y);
        if step >= 4 {
            times.push(performance.now() - start);
        }
        assert!(terms
            .hidden
            .iter()
            .chain(&terms.output)
            .all(|t| t.is_finite()));
    }
    times.sort_by(f64::total_cmp);
    console_log!(
        "wasm trivariate hidden 100 batch 1024: median {:.1} ms per training step",
        times[times.len() / 2]
    );
}

/// The page's PID explorer gets the same numbers as the command line.
#[wasm_bindgen_test]
fn decompose_xor_in_the_browser() {
    let xor = r#"{"shape":[2,2,2],"p":[0.25,0,0,0.25,0,0.25,0.25,0]}"#;
    let out: serde_json::Value = serde_json::from_str(
        &infomorph::web::decompose(xor, Some(vec![0.0, 0.0, 0.0, 1.0, 0.0]), false).unwrap(),
    )
    .unwrap();
    let terms: Vec<f64> = out["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!((terms[3] - (4.0f64 / 3.0).log2()).abs() < 1e-12);
    assert!((out["goal"].as_f64().unwrap() - terms[3]).abs() < 1e-12);
    assert!(infomorph::web::decompose("{}", None, false).is_err());
}

/// The page's training session: one epoch of XOR with the context model, then the
/// read-outs the page draws.
#[wasm_bindgen_test]
async fn a_session_trains_one_epoch_and_reports() {
    use infomorph::web::Session;
    let config = r#"{"task":"xor","model":"context","hidden":4,"batch":64,"epochs":1}"#;
    let s = Session::new(js(config)).unwrap_or_else(|_| panic!("session"));
    assert_eq!(s.engine(), "cpu");
    let steps = wasm_bindgen_futures::JsFuture::from(s.tick(60_000.0, 1_000))
        .await
        .expect("tick");
    assert_eq!(steps.as_f64(), Some(64.0), "4096 samples in batches of 64");
    assert!(s.finished(), "one epoch, evaluated");
    let stats: serde_json::Value = json(s.stats().unwrap());
    assert_eq!(stats["epoch"], 1);
    assert_eq!(stats["step"], 64);
    assert_eq!(stats["atoms"].as_array().unwrap().len(), 4);
    assert_eq!(stats["names"].as_array().unwrap().len(), 5);
    assert!(stats["accuracy"]["test"].as_f64().is_some());
    assert_eq!(stats["confusion"].as_array().unwrap().len(), 4);

    assert!(s.set_goal(vec![0.0, 0.0, 0.0, 1.0, 0.0]).is_ok());
    assert!(s.set_goal(vec![1.0]).is_err());
    let stats: serde_json::Value = json(s.stats().unwrap());
    assert_eq!(stats["gamma"][3], 1.0);

    let h: serde_json::Value = json(s.histogram(0).unwrap());
    assert_eq!(h["shape"], serde_json::json!([20, 20, 2]));
    let total: f64 = h["p"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .sum();
    assert!((total - 1.0).abs() < 1e-9);
    assert!(s.histogram(4).is_err());

    assert_eq!(s.decision_map(8).len(), 4 + 8 * 8 * 2);
    assert_eq!(s.receptive_fields().len(), 4 * 2);
    let run: serde_json::Value = json(s.export_run().unwrap());
    assert_eq!(run["config"]["hidden"], 4);
    assert_eq!(run["metrics"].as_array().unwrap().len(), 1);
    assert_eq!(
        run["hidden"]["sources"][0]["weights"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    assert!(Session::new(js(r#"{"task":"nope"}"#)).is_err());
    assert!(Session::new(js(r#"{"colour":1}"#)).is_err());
}

/// The GPU engine through the browser's real WebGPU against the CPU engine from the
/// same seeds: the upload and readback of every weight and Adam moment round-trip
/// exactly, the evaluation pass gives the CPU's accuracy, and a few full training steps
/// (every stage on the GPU, PID included) agree with the CPU's within the tolerances of
/// the native parity test (tests/gpu_engine.rs).
#[wasm_bindgen_test]
async fn gpu_engine_parity_through_webgpu() {
    use infomorph::engine::gpu::{GpuContext, GpuNetwork, Split};
    use infomorph::engine::{Engine, EnginePreference};
    use infomorph::network::model::{ModelKind, Network, RunConfig};
    use infomorph::network::train::view;
    match GpuContext::new().await {
        Ok(ctx) => console_log!("WebGPU adapter: {}", ctx.adapter_description()),
        Err(e) => {
            assert!(
                option_env!("INFOMORPH_REQUIRE_GPU") != Some("1"),
                "INFOMORPH_REQUIRE_GPU=1 but the browser has no WebGPU adapter: {e}"
            );
            console_log!("SKIPPED: no WebGPU adapter ({e})");
            return;
        }
    }
    let task = infomorph::tasks::mnist::digits8(0);
    for model in [ModelKind::Trivariate, ModelKind::Context] {
        let config = RunConfig {
            model,
            goal: "heuristic".into(),
            hidden: 16,
            batch: 128,
            ..RunConfig::default()
        };
        // Upload, readback and evaluation from weights trained on the CPU.
        let mut net = Network::new(&config, task.dim, task.classes).unwrap();
        for chunk in 0..3 {
            let rows = chunk * 128..(chunk + 1) * 128;
            let x = &task.train_x[rows.start * task.dim..rows.end * task.dim];
            net.train_batch(view(x, task.dim), &task.train_y[rows]);
        }
        let mut gpu = GpuNetwork::new(GpuContext::new().await.unwrap(), &net, &task).unwrap();
        let back = gpu.to_network().await.unwrap();
        assert_eq!(back.steps(), net.steps());
        let pairs = |a: &Network, b: &Network| {
            let mut worst = 0.0f32;
            for (la, lb) in [
                (a.hidden.as_ref().unwrap(), b.hidden.as_ref().unwrap()),
                (&a.output, &b.output),
            ] {
                for (sa, sb) in la.sources.iter().zip(&lb.sources) {
                    for (x, y) in sa
                        .weights
                        .iter()
                        .chain(&sa.bias)
                        .zip(sb.weights.iter().chain(&sb.bias))
                    {
                        worst = worst.max((x - y).abs());
                    }
                }
            }
            worst
        };
        assert_eq!(pairs(&back, &net), 0.0);
        let a_gpu = gpu.accuracy(Split::Test, 1).await.unwrap();
        let a_cpu = net.accuracy(view(&task.test_x, task.dim), &task.test_y, 1);
        assert!(
            !gpu.context().is_lost(),
            "{:?}",
            gpu.context().lost_reason()
        );
        console_log!(
            "{} evaluation: WebGPU {a_gpu:.4}, CPU {a_cpu:.4}",
            model.name()
        );
        assert!((a_gpu - a_cpu).abs() <= 0.01, "{a_gpu} vs {a_cpu}");
        // Training steps on both engines from the same seeds.
        let mut g = Engine::new(&config, task.clone(), EnginePreference::Gpu)
            .await
            .unwrap();
        let mut c = Engine::new(&config, task.clone(), EnginePreference::Cpu)
            .await
            .unwrap();
        g.queue_steps(5).unwrap();
        c.queue_steps(5).unwrap();
        let mg = g.metrics().await.unwrap();
        let mc = c.metrics().await.unwrap();
        assert_eq!((mg.engine, mg.step, mc.step), ("gpu", 5, 5));
        let terms = mg
            .hidden
            .iter()
            .zip(&mc.hidden)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        let weights = pairs(&g.network().await.unwrap(), &c.network().await.unwrap());
        let (ag, ac) = (
            g.accuracy(Split::Test, 1).await.unwrap(),
            c.accuracy(Split::Test, 1).await.unwrap(),
        );
        console_log!(
            "{} 5 steps: max |Δweight| {weights:e}, max |Δ mean hidden term| {terms:e} bit, accuracy WebGPU {ag:.4} CPU {ac:.4}",
            model.name()
        );
        assert!(weights < 2e-4 && terms < 1e-4 && (ag - ac).abs() <= 0.01);
    }
}

/// The page's session on the WebGPU engine: one epoch of XOR with the context model
/// (queued steps, metrics readbacks, the copy the views read, the evaluation at the
/// epoch's end), a live goal change, the read-outs, and a simulated device loss that
/// continues on the CPU engine. Its test accuracy matches the CPU session's.
#[wasm_bindgen_test]
async fn a_session_trains_on_the_webgpu_engine() {
    use infomorph::web::Session;
    use wasm_bindgen_futures::JsFuture;
    let config = r#"{"task":"xor","model":"context","hidden":4,"batch":64,"epochs":2}"#;
    let s = Session::new(js(config)).unwrap_or_else(|_| panic!("session"));
    // `auto` never picks a software adapter (the test browser's SwiftShader): force it.
    let engine = JsFuture::from(s.use_gpu("gpu".into()))
        .await
        .expect("useGpu");
    if engine.as_string().as_deref() != Some("webgpu") {
        assert!(
            option_env!("INFOMORPH_REQUIRE_GPU") != Some("1"),
            "INFOMORPH_REQUIRE_GPU=1 but the session stayed on {engine:?}: {}",
            json(s.stats().unwrap())
        );
        console_log!("SKIPPED: no WebGPU engine ({})", json(s.stats().unwrap()));
        return;
    }
    assert_eq!(s.engine(), "webgpu");
    console_log!("session adapter: {}", s.adapter());
    let mut steps = 0.0;
    while !s.finished() && steps < 64.0 {
        let done = JsFuture::from(s.tick(60_000.0, 64 - steps as u32)).await;
        steps += done.expect("tick").as_f64().unwrap();
    }
    assert_eq!(steps, 64.0, "4096 samples in batches of 64");
    // The epoch's evaluation runs in the next ticks.
    while json(s.stats().unwrap())["epoch"] != 1 {
        JsFuture::from(s.tick(60_000.0, 0)).await.expect("tick");
    }
    let stats: serde_json::Value = json(s.stats().unwrap());
    assert_eq!(stats["engine"], "webgpu");
    assert_eq!(stats["step"], 64);
    assert_eq!(stats["atoms"].as_array().unwrap().len(), 4);
    let test_gpu = stats["accuracy"]["test"].as_f64().unwrap();
    assert!(
        stats["metrics"][0]["hidden_atoms"]
            .as_array()
            .unwrap()
            .len()
            == 5
    );

    let cpu = Session::new(js(config)).unwrap_or_else(|_| panic!("session"));
    JsFuture::from(cpu.tick(60_000.0, 64)).await.expect("tick");
    let cpu_stats: serde_json::Value = json(cpu.stats().unwrap());
    let test_cpu = cpu_stats["accuracy"]["test"].as_f64().unwrap();
    console_log!("XOR test accuracy after one epoch: GPU {test_gpu}, CPU {test_cpu}");
    assert!(
        (test_gpu - test_cpu).abs() < 0.05,
        "GPU {test_gpu} vs CPU {test_cpu}"
    );

    assert!(s.set_goal(vec![0.0, 0.0, 0.0, 1.0, 0.0]).is_ok());
    assert!(s.set_goal(vec![1.0]).is_err());
    let done = JsFuture::from(s.tick(60_000.0, 4)).await.expect("tick");
    assert_eq!(done.as_f64(), Some(4.0));
    let stats: serde_json::Value = json(s.stats().unwrap());
    assert_eq!(stats["gamma"][3], 1.0);
    assert_eq!(stats["step"], 68);
    assert!(s.histogram(0).is_ok());
    assert_eq!(s.receptive_fields().len(), 4 * 2);
    let run: serde_json::Value = json(s.export_run().unwrap());
    assert_eq!(run["config"]["gamma"][3], 1.0);

    // An activation change rebuilds the GPU network from a copy; training goes on.
    s.set_activation(js(r#"{"k1":0.8}"#))
        .unwrap_or_else(|_| panic!("activation"));
    let done = JsFuture::from(s.tick(60_000.0, 4)).await.expect("tick");
    assert_eq!(done.as_f64(), Some(4.0));
    let stats: serde_json::Value = json(s.stats().unwrap());
    assert_eq!(stats["engine"], "webgpu", "{stats}");
    assert_eq!(stats["step"], 72);
    assert!(stats["error"].is_null(), "{stats}");

    s.simulate_device_loss();
    JsFuture::from(s.tick(60_000.0, 4)).await.expect("tick");
    let stats: serde_json::Value = json(s.stats().unwrap());
    assert_eq!(stats["engine"], "cpu");
    assert!(
        stats["notices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "device-lost"
                && n["text"].as_str().unwrap().contains("device lost")),
        "{stats}"
    );
    assert!(stats["error"].is_null(), "{stats}");
}
