//! `infomorph search` end to end: JSON lines, a study that resumes, parallel trials
//! that give the same study every time, and refusals with exit code 2 that write nothing.

use std::path::PathBuf;
use std::process::{Command, Output};

fn infomorph(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_infomorph"))
        .args(args)
        .output()
        .expect("the binary runs")
}

const TOY: [&str; 12] = [
    "search", "--task", "and", "--model", "context", "--hidden", "4", "--batch", "64", "--epochs",
    "2", "--json",
];

fn search(extra: &[&str]) -> Output {
    let mut args = TOY.to_vec();
    args.extend_from_slice(extra);
    infomorph(&args)
}

fn lines(out: &Output) -> Vec<serde_json::Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// The trial lines in trial order (parallel trials print as they finish), then the rest.
fn by_trial(mut out: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
    out.sort_by_key(|l| l.get("trial").and_then(|t| t.as_u64()).unwrap_or(u64::MAX));
    out
}

fn temp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("infomorph-search-{name}-{}", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn prints_a_line_per_trial_and_the_best_last() {
    let out = lines(&search(&["--trials", "6", "--startup", "3"]));
    assert_eq!(out.len(), 7);
    let values: Vec<f64> = out[..6]
        .iter()
        .enumerate()
        .map(|(k, t)| {
            assert_eq!(t["trial"], k);
            assert_eq!(t["state"], "complete");
            assert_eq!(t["gamma"].as_array().unwrap().len(), 5);
            assert!(t["seconds"].as_f64().unwrap() > 0.0);
            t["value"].as_f64().unwrap()
        })
        .collect();
    let best = &out[6]["best"];
    let max = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(best["value"].as_f64().unwrap(), max);
    assert_eq!(
        best["gamma"],
        out[best["trial"].as_u64().unwrap() as usize]["gamma"]
    );
    // only the named terms move; the others keep the goal (context heuristic: shared = 1)
    let out = lines(&search(&[
        "--trials",
        "3",
        "--goal",
        "heuristic",
        "--terms",
        "(F),{12}",
    ]));
    for t in &out[..3] {
        let g: Vec<f64> = serde_json::from_value(t["gamma"].clone()).unwrap();
        assert_eq!((g[1], g[2], g[4]), (0.0, 1.0, 0.0));
        assert!(g[0] != 0.0 && g[3] != 0.0);
    }
}

#[test]
fn a_study_file_resumes_and_matches_an_uninterrupted_search() {
    let whole = by_trial(lines(&search(&[
        "--trials",
        "6",
        "--startup",
        "2",
        "--jobs",
        "2",
    ])));
    let file = temp("resume");
    let f = file.to_str().unwrap();
    let first = lines(&search(&[
        "--trials",
        "4",
        "--startup",
        "2",
        "--jobs",
        "2",
        "--study",
        f,
    ]));
    assert_eq!(first.len(), 5);
    // --trials is the study's total: the rerun runs trials 4 and 5 only
    let second = by_trial(lines(&search(&[
        "--trials",
        "6",
        "--startup",
        "2",
        "--jobs",
        "2",
        "--study",
        f,
    ])));
    assert_eq!(second.len(), 7, "the stored trials, the new ones, the best");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 7, "the header and six trials");
    for k in 0..6 {
        assert_eq!(second[k]["gamma"], whole[k]["gamma"], "trial {k}");
        assert_eq!(second[k]["value"], whole[k]["value"], "trial {k}");
        assert_eq!(second[k]["batch"], 2);
    }
    // a third run has nothing left to do and reports the same best
    let third = lines(&search(&[
        "--trials",
        "6",
        "--startup",
        "2",
        "--jobs",
        "2",
        "--study",
        f,
    ]));
    assert_eq!(third.last(), whole.last());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    // --report reads it back
    let report = lines(&infomorph(&["search", "--report", "--study", f, "--json"]));
    assert_eq!(report.last(), whole.last());
    let _ = std::fs::remove_file(&file);
}

fn refused(out: &Output, what: &str, says: &str) {
    assert_eq!(
        out.status.code(),
        Some(2),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{what}: {err}");
    assert!(err.contains(says), "{what}: {err}");
    assert!(out.stdout.is_empty(), "{what}");
}

#[test]
fn bad_searches_exit_2_with_one_line_and_write_nothing() {
    let file = temp("refused");
    let f = file.to_str().unwrap();
    refused(
        &search(&["--trials", "2", "--terms", "(F)(Z)", "--study", f]),
        "unknown term",
        "unknown term '(F)(Z)'",
    );
    refused(
        &search(&["--trials", "2", "--terms", "7"]),
        "term index",
        "term 7 is out of range",
    );
    refused(
        &search(&["--trials", "2", "--terms", ","]),
        "empty space",
        "search space is empty",
    );
    refused(
        &search(&["--trials", "0", "--study", f]),
        "no trials",
        "trials must be 1",
    );
    refused(&search(&[]), "no --trials", "--trials");
    refused(
        &search(&["--trials", "2", "--jobs", "0"]),
        "no jobs",
        "--jobs",
    );
    refused(
        &search(&["--trials", "2", "--sampler", "grid"]),
        "sampler",
        "unknown sampler 'grid'",
    );
    refused(
        &search(&["--trials", "2", "--range", "1,-1"]),
        "range",
        "low < high",
    );
    refused(
        &infomorph(&[
            "search", "--task", "and", "--model", "readout", "--trials", "2",
        ]),
        "readout",
        "no hidden goal",
    );
    assert!(!file.exists(), "nothing written for a refused search");
    // a study of another search is refused and left as it was
    lines(&search(&["--trials", "2", "--study", f]));
    let before = std::fs::read_to_string(&file).unwrap();
    refused(
        &search(&["--trials", "3", "--seed", "5", "--study", f]),
        "other search",
        "another search",
    );
    std::fs::write(&file, "not json\n{}\n").unwrap();
    refused(
        &search(&["--trials", "3", "--study", f]),
        "broken study",
        "line 1",
    );
    std::fs::write(&file, &before).unwrap();
    refused(&infomorph(&["search", "--report"]), "report", "--study");
    let _ = std::fs::remove_file(&file);
}

#[test]
fn a_failed_trial_is_recorded_with_its_reason_and_the_search_goes_on() {
    // Rates this large blow the weights up: every trial stops on a non-finite number.
    let config = temp("config.json");
    std::fs::write(
        &config,
        r#"{"task":"and","model":"context","hidden":4,"batch":64,"lr_hidden":1e300,"lr_output":1e300}"#,
    )
    .unwrap();
    let out = lines(&infomorph(&[
        "search",
        "--config",
        config.to_str().unwrap(),
        "--epochs",
        "2",
        "--json",
        "--trials",
        "2",
    ]));
    assert_eq!(out.len(), 3);
    for t in &out[..2] {
        assert_eq!(t["state"], "failed");
        assert!(t["value"].is_null());
        assert!(t["reason"].as_str().unwrap().contains("not finite"), "{t}");
    }
    assert!(out[2]["best"].is_null());
    let _ = std::fs::remove_file(&config);
}

#[test]
fn an_unsupervised_task_is_searched_by_its_goal_only() {
    let args = [
        "search", "--task", "bars", "--model", "lateral", "--hidden", "4", "--batch", "64",
        "--epochs", "1", "--json", "--trials", "2",
    ];
    refused(&infomorph(&args), "bars by accuracy", "unsupervised");
    let mut with_goal = args.to_vec();
    with_goal.extend(["--objective", "goal"]);
    let out = lines(&infomorph(&with_goal));
    assert!(out[..2].iter().all(|t| t["state"] == "complete"));
}

#[test]
fn sensitivity_reports_every_term_and_change_and_the_cumulative_zeroing() {
    let out = lines(&infomorph(&[
        "sensitivity",
        "--task",
        "and",
        "--model",
        "context",
        "--hidden",
        "4",
        "--batch",
        "64",
        "--epochs",
        "2",
        "--seeds",
        "2",
        "--cumulative",
        "--json",
    ]));
    // baseline, 5 terms × 5 changes, 5 cumulative steps
    assert_eq!(out.len(), 1 + 25 + 5);
    let base = &out[0]["baseline"];
    let values: Vec<f64> = serde_json::from_value(base["values"].clone()).unwrap();
    assert_eq!(values.len(), 2);
    for line in &out[1..26] {
        let deltas: Vec<f64> = serde_json::from_value(line["deltas"].clone()).unwrap();
        assert_eq!(deltas.len(), 2);
        let mean = deltas.iter().sum::<f64>() / 2.0;
        assert!((line["delta_mean"].as_f64().unwrap() - mean).abs() < 1e-12);
    }
    // The page's analysis of the same configuration (tests/e2e/search.mjs writes the
    // fixture from `infomorph.sensitivity()`): the same runs, the same numbers.
    let page: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("tests/fixtures/page-sensitivity-and-context.json").unwrap(),
    )
    .unwrap();
    let floats = |v: &serde_json::Value| -> Vec<f64> { serde_json::from_value(v.clone()).unwrap() };
    assert_eq!(floats(&base["values"]), floats(&page["baseline"]["values"]));
    let rows = page["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 25);
    for (line, row) in out[1..26].iter().zip(rows) {
        assert_eq!(
            (&line["term"], &line["change"]),
            (&row["term"], &row["change"])
        );
        assert_eq!(floats(&line["deltas"]), floats(&row["deltas"]), "{line}");
    }
    let steps = page["cumulative"].as_array().unwrap();
    assert_eq!(steps.len(), 5);
    for (line, step) in out[26..].iter().zip(steps) {
        assert_eq!(line["zeroed"], step["zeroed"]);
        assert_eq!(floats(&line["values"]), floats(&step["values"]));
    }
    // The cumulative zeroing takes the terms from the least to the most harmful single
    // zeroing (measured here, ties by term order): the term whose zeroing hurts most goes last.
    let zero_rows: Vec<(usize, f64)> = out[1..26]
        .iter()
        .filter(|l| l["change"] == "0")
        .map(|l| {
            (
                l["term"].as_u64().unwrap() as usize,
                l["delta_mean"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(zero_rows.len(), 5);
    let mut want: Vec<usize> = (0..5).collect();
    want.sort_by(|&a, &b| zero_rows[b].1.total_cmp(&zero_rows[a].1).then(a.cmp(&b)));
    let last = &out[30];
    assert_eq!(last["cumulative"], 5);
    let zeroed: Vec<usize> = serde_json::from_value(last["zeroed"].clone()).unwrap();
    assert_eq!(zeroed, want, "{last}");
    // The context goal's shared term (γ = 0.7755) matters: zeroing it costs validation
    // accuracy on both seeds.
    let shared: Vec<f64> = serde_json::from_value(out[1 + 2 * 5 + 4]["deltas"].clone()).unwrap();
    assert_eq!(out[1 + 2 * 5 + 4]["change"], "0");
    assert!(shared.iter().all(|&d| d < 0.0), "{shared:?}");
    // everything zeroed is the goal γ = 0: the same run as --gamma 0,0,0,0,0
    let zero = lines(&infomorph(&[
        "train",
        "--task",
        "and",
        "--model",
        "context",
        "--hidden",
        "4",
        "--batch",
        "64",
        "--epochs",
        "2",
        "--seed",
        "0",
        "--gamma",
        "0,0,0,0,0",
        "--json",
    ]));
    assert_eq!(
        last["values"][0].as_f64().unwrap(),
        zero.last().unwrap()["val_accuracy"].as_f64().unwrap()
    );
    refused(
        &infomorph(&["sensitivity", "--task", "and", "--model", "readout"]),
        "readout",
        "no hidden goal",
    );
    refused(
        &infomorph(&[
            "sensitivity",
            "--task",
            "and",
            "--model",
            "context",
            "--seeds",
            "0",
        ]),
        "no seeds",
        "at least 1",
    );
}

/// The study the page's goal search made (tests/e2e/search.mjs checks that the page
/// still makes it): the command line continues it to the same trials.
#[test]
fn the_command_line_continues_a_study_the_page_made() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/page-search-and-context-t12-b2.jsonl"
    );
    let page: Vec<String> = std::fs::read_to_string(fixture)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(page.len(), 13);
    let trial = |l: &str| -> serde_json::Value { serde_json::from_str(l).unwrap() };
    for keep in [0, 6] {
        let file = temp(&format!("page-{keep}"));
        std::fs::write(&file, page[..1 + keep].join("\n") + "\n").unwrap();
        let f = file.to_str().unwrap();
        let out = by_trial(lines(&infomorph(&[
            "search", "--study", f, "--resume", "--trials", "12", "--jobs", "2", "--engine", "cpu",
            "--json",
        ])));
        assert_eq!(out.len(), 13);
        // The same up to the last bits of the libm functions TPE uses (wasm and native
        // round ln/exp/erf differently: 2e-16 measured).
        let close = |a: &serde_json::Value, b: &serde_json::Value| {
            (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() <= 1e-12
        };
        for k in 0..12 {
            let want = trial(&page[1 + k]);
            let (a, b) = (
                out[k]["gamma"].as_array().unwrap(),
                want["gamma"].as_array().unwrap(),
            );
            assert!(
                a.iter().zip(b).all(|(x, y)| close(x, y)),
                "kept {keep}: trial {k}'s γ {a:?} vs {b:?}"
            );
            assert!(
                close(&out[k]["value"], &want["value"]),
                "kept {keep}: trial {k}'s value"
            );
        }
        let _ = std::fs::remove_file(&file);
    }
    refused(
        &infomorph(&["search", "--resume", "--study", "/nonexistent/study.jsonl"]),
        "resume without a study",
        "--resume needs an existing --study",
    );
}
