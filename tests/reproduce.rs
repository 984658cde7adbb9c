//! `infomorph reproduce`: the published values in Rust equal the table in docs/method.md;
//! a tiny run (one cell, two epochs, on a small MNIST-format set made here under the
//! name `mnist`) writes the table with the published column, the CSV, the figure and
//! the run file, and a rerun skips the finished run; bad input is one line, exit 2.

use infomorph::reproduce::{ROWS, SIZES};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The rows of docs/method.md's "Published results" table as (label, [N=10, 100, 500, 2000]).
fn docs_table() -> Vec<(String, [f64; 4])> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/method.md");
    let text = std::fs::read_to_string(path).unwrap();
    let start = text.find("**Published results**").expect("the section");
    let mut rows = Vec::new();
    let mut in_table = false;
    for line in text[start..].lines() {
        if !line.starts_with('|') {
            if in_table {
                break;
            }
            continue;
        }
        in_table = true;
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells[0] == "model" || cells[0].starts_with("---") {
            continue;
        }
        let number = |s: &str| -> f64 {
            let end = s
                .find(|c: char| c != '.' && !c.is_ascii_digit())
                .unwrap_or(s.len());
            s[..end]
                .parse()
                .unwrap_or_else(|_| panic!("a number in '{s}'"))
        };
        if let Some((family, goals)) = cells[0].split_once(", ").filter(|(_, g)| g.contains(" / "))
        {
            // "lateral, heuristic / optimised | 64.5 / 63.9 | …": two rows.
            for (k, goal) in goals.split(" / ").enumerate() {
                let mut values = [0.0; 4];
                for (i, v) in values.iter_mut().enumerate() {
                    *v = number(cells[1 + i].split(" / ").nth(k).unwrap());
                }
                rows.push((format!("{family}, {goal}"), values));
            }
        } else if cells[2].is_empty() {
            // "readout only | 91.9 (no hidden layer, any N) | | |": any N.
            rows.push((cells[0].to_string(), [number(cells[1]); 4]));
        } else {
            let values = [1, 2, 3, 4].map(|i| number(cells[i]));
            rows.push((cells[0].to_string(), values));
        }
    }
    rows
}

#[test]
fn published_values_equal_the_table_in_docs_method() {
    let docs = docs_table();
    let ours: Vec<(String, [f64; 4])> = ROWS
        .iter()
        .map(|r| (r.label.to_string(), r.published))
        .collect();
    assert_eq!(ours, docs);
    assert_eq!(SIZES, [10, 100, 500, 2000]);
    assert!(ROWS.iter().filter(|r| r.any_n).all(|r| r.id == "readout"));
}

fn infomorph(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_infomorph"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("infomorph-reproduce-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Four IDX files of `train` + `test` 28×28 images: class k has a bright k-th row band.
fn write_idx_set(dir: &Path, train: usize, test: usize) {
    let header = |magic: u32, dims: &[u32]| -> Vec<u8> {
        let mut out = magic.to_be_bytes().to_vec();
        dims.iter().for_each(|d| out.extend(d.to_be_bytes()));
        out
    };
    let set = |n: usize, offset: usize| -> (Vec<u8>, Vec<u8>) {
        let mut images = header(0x0803, &[n as u32, 28, 28]);
        let mut labels = header(0x0801, &[n as u32]);
        for i in 0..n {
            let class = (i * 7 + offset) % 10;
            labels.push(class as u8);
            for p in 0..784 {
                let band = (p / 28) / 3 == class;
                images.push(if band {
                    200 + (p % 50) as u8
                } else {
                    ((i * 13 + p) % 40) as u8
                });
            }
        }
        (images, labels)
    };
    let (ti, tl) = set(train, 0);
    let (vi, vl) = set(test, 3);
    for (name, bytes) in [
        ("train-images-idx3-ubyte", ti),
        ("train-labels-idx1-ubyte", tl),
        ("t10k-images-idx3-ubyte", vi),
        ("t10k-labels-idx1-ubyte", vl),
    ] {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

#[test]
fn a_tiny_reproduction_writes_the_table_and_skips_what_is_done() {
    let data = temp_dir("data");
    write_idx_set(&data, 400, 100);
    let out = temp_dir("out");
    let args = [
        "reproduce",
        "--task",
        "mnist",
        "--idx",
        data.to_str().unwrap(),
        "--sizes",
        "10",
        "--models",
        "context-heuristic",
        "--seeds",
        "1",
        "--epochs",
        "2",
        "--engine",
        "cpu",
        "--out",
        out.to_str().unwrap(),
    ];
    let first = infomorph(&args);
    let err = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{err}");
    assert!(
        err.contains("done    context-heuristic N=10 seed 0"),
        "{err}"
    );
    let md = std::fs::read_to_string(out.join("table.md")).unwrap();
    assert!(
        md.contains("| model | N=10 published | N=10 ours | N=10 Δ |"),
        "{md}"
    );
    assert!(md.contains("| context, heuristic | 76.7 | "), "{md}");
    let csv = std::fs::read_to_string(out.join("table.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[0].starts_with("task,model,label,n,epochs,published,median"),
        "{csv}"
    );
    assert!(
        lines[1].starts_with("mnist,context-heuristic,\"context, heuristic\",10,2,76.70,"),
        "{csv}"
    );
    let svg = std::fs::read_to_string(out.join("figure.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("context, heuristic"),
        "{svg}"
    );
    let png = std::fs::read(out.join("figure.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 1000);
    let run = out.join("runs/mnist_e2_context-heuristic_n10_s0.json");
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(&run).unwrap()).unwrap();
    assert_eq!(file["config"]["hidden"], 10);
    assert_eq!(file["metrics"].as_array().unwrap().len(), 2);
    assert!(
        file["output"]["sources"].is_array(),
        "the weights are in the run file"
    );
    let written = std::fs::metadata(&run).unwrap().modified().unwrap();

    let again = infomorph(&args);
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{err}");
    assert!(
        err.contains("skipped context-heuristic N=10 seed 0"),
        "{err}"
    );
    assert!(!err.contains("done    "), "{err}");
    assert_eq!(
        std::fs::metadata(&run).unwrap().modified().unwrap(),
        written
    );
    assert_eq!(std::fs::read_to_string(out.join("table.md")).unwrap(), md);

    // The binning variant: its runs are kept apart, bin the bivariate hidden layer on
    // the fixed range (so they learn other weights), and the table says so.
    let mut variant = args.to_vec();
    variant.extend(["--hidden-binning", "fixed"]);
    let third = infomorph(&variant);
    let err = String::from_utf8_lossy(&third.stderr);
    assert!(third.status.success(), "{err}");
    assert!(
        err.contains("done    context-heuristic N=10 seed 0"),
        "{err}"
    );
    let fixed_run = out.join("runs/mnist_e2_context-heuristic_n10_s0_binning-fixed.json");
    let fixed: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&fixed_run).unwrap()).unwrap();
    assert_eq!(file["config"]["hidden_binning"], serde_json::Value::Null);
    assert_eq!(fixed["config"]["hidden_binning"], "fixed");
    let weights = |f: &serde_json::Value| f["hidden"]["sources"][0]["weights"].clone();
    assert!(weights(&file).is_array());
    assert_ne!(weights(&fixed), weights(&file));
    let md = std::fs::read_to_string(out.join("table.md")).unwrap();
    assert!(
        md.starts_with(
            "# Test accuracy (%) on mnist: 2 epochs, median [min–max] over 1 seed(s), \
             every hidden layer binned fixed (not each model's own rule)"
        ),
        "{md}"
    );
    std::fs::remove_dir_all(&data).unwrap();
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let out = temp_dir("bad");
    let blocker = out.join("a-file");
    std::fs::write(&blocker, b"").unwrap();
    let unwritable = blocker.join("sub");
    let dir = out.to_str().unwrap();
    let cases: [(Vec<&str>, &str); 8] = [
        (
            vec!["--models", "context,backprop"],
            "unknown model 'context'",
        ),
        (vec!["--sizes", "10,0"], "--sizes"),
        (vec!["--seeds", "0"], "--seeds must be at least 1"),
        (vec!["--jobs", "0"], "--jobs must be at least 1"),
        (vec!["--engine", "tpu"], "unknown engine 'tpu'"),
        (vec!["--task", "cifar"], "unknown task 'cifar'"),
        (
            vec!["--hidden-binning", "adaptive"],
            "unknown hidden binning 'adaptive' (known: fixed, max-abs)",
        ),
        (
            vec!["--seeds", "three"],
            "invalid value 'three' for '--seeds",
        ),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["reproduce", "--out", dir, "--epochs", "1"];
        args.extend(&extra);
        let o = infomorph(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{extra:?}: {err}");
        assert!(err.contains(expected), "{extra:?}: {err}");
    }
    let o = infomorph(&["reproduce", "--out", unwritable.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("cannot create"), "{err}");
    std::fs::remove_dir_all(&out).unwrap();
}
