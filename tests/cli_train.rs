//! `infomorph train` and `infomorph bench` end to end, including MNIST IDX files that
//! the test writes, the run file, and every refusal with exit code 2.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn infomorph(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_infomorph"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn idx_images(count: usize, seed: u8) -> Vec<u8> {
    let mut out = vec![0, 0, 8, 3];
    for d in [count as u32, 28, 28] {
        out.extend(d.to_be_bytes());
    }
    out.extend((0..count * 784).map(|i| ((i * 31 + seed as usize * 7) % 256) as u8));
    out
}

fn idx_labels(count: usize) -> Vec<u8> {
    let mut out = vec![0, 0, 8, 1];
    out.extend((count as u32).to_be_bytes());
    out.extend((0..count).map(|i| (i % 10) as u8));
    out
}

fn write_idx_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("infomorph-idx-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("train-images-idx3-ubyte"), idx_images(60, 1)).unwrap();
    std::fs::write(dir.join("train-labels-idx1-ubyte"), idx_labels(60)).unwrap();
    std::fs::write(dir.join("t10k-images-idx3-ubyte"), idx_images(20, 2)).unwrap();
    std::fs::write(dir.join("t10k-labels-idx1-ubyte"), idx_labels(20)).unwrap();
    dir
}

fn refused(out: &Output, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(2),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{what}: {err}");
}

#[test]
fn trains_on_idx_files_and_writes_the_run() {
    let dir = write_idx_dir("ok");
    let run = dir.join("run.json");
    let out = infomorph(&[
        "train",
        "--idx",
        dir.to_str().unwrap(),
        "--model",
        "trivariate",
        "--goal",
        "heuristic",
        "--hidden",
        "6",
        "--batch",
        "16",
        "--epochs",
        "2",
        "--seed",
        "5",
        "--json",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    for key in [
        "epoch",
        "train_accuracy",
        "val_accuracy",
        "test_accuracy",
        "hidden_atoms",
        "output_atoms",
    ] {
        assert!(lines[1].get(key).is_some(), "missing {key}");
    }
    assert_eq!(lines[1]["hidden_atoms"].as_array().unwrap().len(), 19);
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&run).unwrap()).unwrap();
    assert_eq!(file["config"]["task"], "mnist");
    assert_eq!(file["config"]["hidden"], 6);
    assert_eq!(file["metrics"].as_array().unwrap().len(), 2);
    assert_eq!(file["hidden"]["atoms"].as_array().unwrap().len(), 6);
    assert_eq!(
        file["hidden"]["sources"][0]["weights"][0]
            .as_array()
            .unwrap()
            .len(),
        784
    );
    assert_eq!(
        file["hidden"]["sources"][2]["weights"][3][3], 0.0,
        "no self-lateral weight"
    );
    // The run file's config runs again unchanged and reproduces the same numbers.
    let config = dir.join("config.json");
    std::fs::write(&config, file["config"].to_string()).unwrap();
    let again = infomorph(&[
        "train",
        "--idx",
        dir.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(String::from_utf8_lossy(&again.stdout).lines().count(), 2);
    let first: serde_json::Value = serde_json::from_str(
        String::from_utf8_lossy(&again.stdout)
            .lines()
            .last()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first["test_accuracy"], lines[1]["test_accuracy"]);
    assert_eq!(first["hidden_atoms"], lines[1]["hidden_atoms"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn refuses_bad_input_with_exit_2() {
    let dir = write_idx_dir("bad");
    let d = dir.to_str().unwrap();
    refused(
        &infomorph(&["train", "--model", "perceptron"]),
        "unknown model",
    );
    refused(
        &infomorph(&["train", "--model", "lateral", "--goal", "four-term"]),
        "unknown goal",
    );
    refused(&infomorph(&["train", "--task", "cifar"]), "unknown task");
    refused(
        &infomorph(&["train", "--model", "context", "--gamma", "1,0,0"]),
        "γ length",
    );
    refused(&infomorph(&["train", "--hidden", "0"]), "hidden 0");
    refused(
        &infomorph(&["train", "--hidden", "10000000"]),
        "hidden beyond memory",
    );
    refused(
        &infomorph(&["train", "--idx", "/no/such/dir"]),
        "missing IDX",
    );
    let truncated = dir.join("t10k-images-idx3-ubyte");
    let bytes = std::fs::read(&truncated).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() - 100]).unwrap();
    refused(
        &infomorph(&["train", "--idx", d, "--epochs", "1"]),
        "corrupt IDX",
    );
    let config = dir.join("broken.json");
    std::fs::write(&config, "{\"hidden\": ").unwrap();
    refused(
        &infomorph(&["train", "--config", config.to_str().unwrap()]),
        "malformed config",
    );
    std::fs::write(&config, "{\"hiddne\": 3}").unwrap();
    refused(
        &infomorph(&["train", "--config", config.to_str().unwrap()]),
        "unknown config key",
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn blow_up_stops_with_epoch_and_layer_and_keeps_the_run_file() {
    let dir = std::env::temp_dir().join(format!("infomorph-nan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("c.json");
    std::fs::write(&config, r#"{"model":"context","goal":"heuristic","task":"xor","hidden":4,"lr_hidden":1e30,"epochs":3}"#).unwrap();
    let run = dir.join("run.json");
    let out = infomorph(&[
        "train",
        "--config",
        config.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
        "--json",
    ]);
    refused(&out, "NaN");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("hidden") && err.contains("epoch 1"), "{err}");
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(&run)).unwrap()).unwrap();
    assert!(file["error"].as_str().unwrap().contains("epoch 1"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bench_reports_a_median() {
    let out = infomorph(&[
        "bench", "--model", "context", "--hidden", "8", "--batch", "64", "--steps", "3", "--json",
        "--engine", "cpu",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["median_ms"].as_f64().unwrap() > 0.0);
    assert_eq!((&v["engine"], &v["task"]), (&"cpu".into(), &"bench".into()));
    // On a task's own images (the step the published table takes), or refused in one line.
    let out = infomorph(&[
        "bench", "--model", "context", "--hidden", "8", "--batch", "64", "--steps", "3", "--json",
        "--engine", "cpu", "--task", "mnist10k",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["task"], "mnist10k");
    assert!(v["median_ms"].as_f64().unwrap() > 0.0);
    let out = infomorph(&["bench", "--task", "no-such-task", "--steps", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim().lines().count(),
        1
    );
}

/// A neuron that copies its F bit has, under uniform inputs, exactly I^sx's published
/// UNQ decomposition: unique F 0.585, unique C −0.415, shared 0.415, synergy 0.415.
#[test]
fn neuron_copying_its_input_has_the_unq_decomposition() {
    let out = infomorph(&["neuron", "--task", "copy", "--gamma", "1,0,0,0,0", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["agreement"].as_f64().unwrap() > 0.99);
    let atoms: Vec<f64> = v["atoms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_f64().unwrap())
        .collect();
    for (got, want) in atoms.iter().zip([0.585, -0.415, 0.415, 0.415]) {
        assert!((got - want).abs() < 0.03, "{atoms:?}");
    }
    refused(&infomorph(&["neuron", "--task", "nand"]), "unknown gate");
    refused(&infomorph(&["neuron", "--gamma", "1,2"]), "γ length");
}

#[test]
fn memory_recalls_better_than_the_cue() {
    let out = infomorph(&[
        "memory",
        "--patterns",
        "5",
        "--bits",
        "64",
        "--corruption",
        "0.15",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (cue, recall) = (
        v["cue_accuracy"].as_f64().unwrap(),
        v["recall_accuracy"].as_f64().unwrap(),
    );
    assert!(recall > cue + 0.05, "cue {cue}, recall {recall}");
    refused(&infomorph(&["memory", "--corruption", "2"]), "corruption");
}

/// `--engine gpu` runs the wgpu engine (or is refused with the reason when there is no
/// adapter: a skip, unless INFOMORPH_REQUIRE_GPU=1).
#[test]
fn bench_and_train_on_the_gpu_engine() {
    let out = infomorph(&[
        "bench",
        "--model",
        "trivariate",
        "--hidden",
        "8",
        "--batch",
        "64",
        "--steps",
        "3",
        "--json",
        "--engine",
        "gpu",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && err.contains("no wgpu adapter") {
        assert_ne!(
            std::env::var("INFOMORPH_REQUIRE_GPU").as_deref(),
            Ok("1"),
            "INFOMORPH_REQUIRE_GPU=1 but: {err}"
        );
        eprintln!("SKIPPED: no wgpu adapter ({err})");
        return;
    }
    assert!(out.status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["engine"], "gpu");
    assert!(v["median_ms"].as_f64().unwrap() > 0.0);
    assert!(!v["adapter"].as_str().unwrap().is_empty());
    let out = infomorph(&[
        "train",
        "--task",
        "xor",
        "--model",
        "context",
        "--goal",
        "heuristic",
        "--hidden",
        "4",
        "--batch",
        "64",
        "--epochs",
        "2",
        "--engine",
        "gpu",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("engine: GPU engine on"), "{err}");
    assert!(err.contains("epoch 2: train"), "{err}");
}

/// The numbers the browser test holds the page to (tests/fixtures, read by
/// tests/e2e/cli_parity.mjs) are what `infomorph train` prints today for the issue's
/// shared URL `#v=1&task=mnist10k&model=context&goal=heuristic&hidden=20&batch=256&epochs=3&seed=1&engine=cpu`,
/// and for the same URL with `&hidden_binning=fixed`.
#[test]
fn the_page_fixtures_are_what_the_command_line_prints() {
    let base = [
        "train",
        "--engine",
        "cpu",
        "--task",
        "mnist10k",
        "--model",
        "context",
        "--goal",
        "heuristic",
        "--hidden",
        "20",
        "--batch",
        "256",
        "--epochs",
        "3",
        "--seed",
        "1",
        "--json",
    ];
    let cases: [(&[&str], &str); 2] = [
        (&[], "cli-mnist10k-context-h20-b256-e3-s1.jsonl"),
        (
            &["--hidden-binning", "fixed"],
            "cli-mnist10k-context-h20-b256-e3-s1-binning-fixed.jsonl",
        ),
    ];
    let mut seen = Vec::new();
    for (extra, name) in cases {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        let out = infomorph(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let fixture = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(name),
        )
        .unwrap();
        let printed: Vec<serde_json::Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                let m = v.as_object_mut().unwrap();
                m.remove("seconds");
                m.remove("steps_per_second");
                v
            })
            .collect();
        let expected: Vec<serde_json::Value> = fixture
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(printed, expected, "{name}");
        seen.push(printed);
    }
    // The binning changes the run (so the page test of the second URL tests it).
    assert_ne!(seen[0], seen[1]);
}

/// `--task mnist` without `--idx` reads full MNIST where `bash scripts/setup.sh data`
/// installs it; when it is not there, one line says how to install it (exit 2).
#[test]
fn missing_full_mnist_says_how_to_install_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_infomorph"))
        .args(["train", "--task", "mnist", "--epochs", "1"])
        .env("INFOMORPH_MNIST_DIR", "/nonexistent/infomorph-mnist")
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("bash scripts/setup.sh data"), "{err}");
    assert!(err.contains("/nonexistent/infomorph-mnist"), "{err}");
}
