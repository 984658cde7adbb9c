//! `infomorph pid` end to end: JSON in, JSON out, exit code 2 with a one-line reason
//! on bad input.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn pid(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_infomorph"))
        .arg("pid")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

const XOR: &str = r#"{"shape":[2,2,2],"p":[0.25,0,0,0.25,0,0.25,0.25,0]}"#;

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

fn numbers(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn decomposes_xor_from_stdin() {
    let v = json(&pid(&[], XOR));
    let names: Vec<&str> = v["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(names, ["{1}", "{2}", "{1}{2}", "{12}", "H_res"]);
    let l = f64::log2;
    let want = [l(1.5), l(1.5), l(2.0 / 3.0), l(4.0 / 3.0), 0.0];
    for (g, w) in numbers(&v["terms"]).iter().zip(want) {
        assert!((g - w).abs() < 1e-12, "{g} vs {w}");
    }
    assert!((v["mutual_information"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    assert!((v["target_entropy"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    assert!(v.get("gradient").is_none());
}

#[test]
fn gamma_adds_goal_and_gradient_of_the_table_shape() {
    let v = json(&pid(&["--gamma", "0,0,1,-0.5,0"], XOR));
    let terms = numbers(&v["terms"]);
    let goal = v["goal"].as_f64().unwrap();
    assert!((goal - (terms[2] - 0.5 * terms[3])).abs() < 1e-12);
    let grad = numbers(&v["gradient"]);
    assert_eq!(grad.len(), 8);
    assert!(grad.iter().all(|g| g.is_finite()));
}

#[test]
fn reads_a_file_and_normalizes_on_request() {
    let path = std::env::temp_dir().join(format!("infomorph-cli-{}.json", std::process::id()));
    std::fs::write(&path, r#"{"shape":[2,2,2],"p":[1,0,0,1,0,1,1,0]}"#).unwrap();
    let refused = pid(&[path.to_str().unwrap()], "");
    assert_eq!(refused.status.code(), Some(2));
    let v = json(&pid(&["--normalize", path.to_str().unwrap()], ""));
    assert!((v["mutual_information"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    let _ = std::fs::remove_file(path);
}

#[test]
fn pointwise_values_for_every_nonzero_cell() {
    let v = json(&pid(&["--pointwise", "-"], XOR));
    let cells = v["pointwise"].as_array().unwrap();
    assert_eq!(cells.len(), 4);
    // XOR cell (0,0,t=0): i⁺ of {1}{2} = −log2 P(S1=0 or S2=0) = log2(4/3).
    let first = &cells[0];
    assert_eq!(first["sources"], serde_json::json!([0, 0]));
    let shared = numbers(&first["informative"])[2];
    assert!((shared - (4.0f64 / 3.0).log2()).abs() < 1e-12);
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let cases = [
        ("not json", vec![]),
        (r#"{"shape":[2,2,2],"p":[0.5,0.5]}"#, vec![]),
        (
            r#"{"shape":[2,2,2],"p":[0.5,0.5,0,0,0,0,0.5,-0.5]}"#,
            vec![],
        ),
        (r#"{"shape":[2,2,2],"p":[0.5,0.5,0,0,0,0,0,0.1]}"#, vec![]),
        (r#"{"shape":[2,2,2],"p":[1e999,0,0,0,0,0,0,0]}"#, vec![]),
        (r#"{"shape":[2,2,2,2,2,2],"p":[]}"#, vec![]),
        (r#"{"shape":[2,2,1],"p":[0.5,0.5,0,0]}"#, vec![]),
        (XOR, vec!["--gamma", "1,2,3"]),
        (XOR, vec!["--gamma", "1,2,x,4,5"]),
    ];
    for (input, args) in cases {
        let out = pid(&args, input);
        assert_eq!(out.status.code(), Some(2), "{input} {args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.stdout.is_empty(), "{input}");
        assert!(!err.trim().is_empty(), "{input}: no reason given");
        if args.is_empty() {
            assert_eq!(err.trim().lines().count(), 1, "{input}: {err}");
        }
    }
}
