//! `RunConfig::from_json` cannot be broken: arbitrary text, arbitrary JSON values and
//! structured mutations of valid configs (wrong types, huge, negative and fractional
//! numbers, unknown, missing and repeated keys, deep nesting, long and unicode strings,
//! cut or corrupted text) never panic; every refusal names a key or a line and column;
//! every accepted config passes `validate` and survives serialise → `from_json`
//! unchanged. Then the exact messages of typical mistakes.
//!
//! The long fuzz run (10⁶ inputs, outside CI) is the ignored test at the end:
//! `cargo test --release --test config_properties -- --ignored --test-threads=1`.

use infomorph::network::config::{ConfigError, HiddenBinning, FIELDS, MAX_HIDDEN};
use infomorph::network::{ModelKind, RunConfig};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Map, Value};
use std::cell::Cell;

/// The property every input must satisfy; `Err` says which part failed.
fn holds(text: &str) -> Result<(), String> {
    match RunConfig::from_json(text) {
        Ok(config) => {
            config
                .validate()
                .map_err(|e| format!("accepted but invalid: {e}"))?;
            for again in [
                serde_json::to_string(&config).unwrap(),
                serde_json::to_string_pretty(&config).unwrap(),
            ] {
                match RunConfig::from_json(&again) {
                    Ok(c) if same(&c, &config) => {}
                    other => return Err(format!("round trip of {again} gave {other:?}")),
                }
            }
            Ok(())
        }
        Err(e) => names_a_key_or_position(&e),
    }
}

/// Whether serde_json reads every float it writes back exactly (its `float_roundtrip`
/// feature). Without it serde_json parses to within one ULP: 1.6798315176212175e19
/// written as text comes back as 1.6798315176212177e19.
fn exact_floats() -> bool {
    serde_json::from_str::<f64>("1.6798315176212175e+19").unwrap() == 1.6798315176212175e19
}

/// Equal; or, where serde_json's float parsing is not exact, equal up to one ULP in
/// each float.
fn same(a: &RunConfig, b: &RunConfig) -> bool {
    if a == b {
        return true;
    }
    if exact_floats() {
        return false;
    }
    let ulp = |x: f64, y: f64| x == y || (x.to_bits() as i64 - y.to_bits() as i64).abs() <= 1;
    let floats = |c: &RunConfig| {
        let mut v = vec![
            c.lr_hidden,
            c.weight_decay_hidden,
            c.lr_output,
            c.weight_decay_output,
            c.lr_backprop,
        ];
        v.extend(c.gamma.iter().flatten());
        v
    };
    let strip = |c: &RunConfig| RunConfig {
        lr_hidden: 0.0,
        weight_decay_hidden: 0.0,
        lr_output: 0.0,
        weight_decay_output: 0.0,
        lr_backprop: 0.0,
        gamma: c.gamma.as_ref().map(|g| vec![0.0; g.len()]),
        ..c.clone()
    };
    let (fa, fb) = (floats(a), floats(b));
    strip(a) == strip(b) && fa.len() == fb.len() && fa.iter().zip(&fb).all(|(x, y)| ulp(*x, *y))
}

fn names_a_key_or_position(e: &ConfigError) -> Result<(), String> {
    let msg = e.to_string();
    let ok = match e {
        ConfigError::Syntax { line, column, .. } => {
            *line >= 1 && msg.starts_with(&format!("config line {line}, column {column}: "))
        }
        ConfigError::UnknownField { field, known } => {
            !FIELDS.contains(&field.as_str())
                && *known == FIELDS
                && msg.starts_with(&format!("unknown config key {field:?} (known: task, "))
        }
        ConfigError::WrongType { field, .. } | ConfigError::Invalid { field, .. } => {
            let base = field.split('[').next().unwrap();
            FIELDS.contains(&base) && msg.starts_with(&format!("{field}: "))
        }
    };
    if ok && e.field().is_some() != matches!(e, ConfigError::Syntax { .. }) {
        Ok(())
    } else {
        Err(format!("message names no key or position: {e:?} → {msg}"))
    }
}

// ---- generators ----

const MODELS: [&str; 8] = [
    "context",
    "lateral",
    "trivariate",
    "trivariate-sparse",
    "random-projection",
    "feedback",
    "readout",
    "backprop",
];

/// A config that should be accepted: every key present and in range.
fn valid_config() -> impl Strategy<Value = Value> {
    let names = (
        prop::sample::select(vec![
            "mnist10k",
            "xor",
            "bars",
            "bars-2d",
            "digits8",
            "a b.csv",
            "ünïcödé",
        ]),
        0..MODELS.len(),
        prop::sample::select(vec!["heuristic", "optimized", "optimized-alt", "four-term"]),
        any::<bool>(),
    );
    let sizes = (
        1..=MAX_HIDDEN,
        2usize..=1000,
        1usize..=65536,
        0usize..=100_000,
        1usize..=MAX_HIDDEN,
    );
    let rates = prop::array::uniform5(prop_oneof![
        Just(0.0),
        0.0f64..1.0,
        (0.0f64..1e6),
        Just(1e30),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
    ]);
    let seeds = prop::array::uniform3(any::<u64>());
    let gamma = prop::collection::vec(-10.0f64..10.0, 19);
    let binning = prop::sample::select(vec![Value::Null, json!("fixed"), json!("max-abs")]);
    (names, sizes, rates, seeds, gamma, binning).prop_map(
        |((task, model, goal, custom), sizes, rates, seeds, gamma, binning)| {
            let model = MODELS[model];
            let terms = match model {
                "trivariate" | "trivariate-sparse" | "feedback" => 19,
                _ => 5,
            };
            let goal = match (terms, goal) {
                (19, "optimized-alt") => "optimized",
                (5, "four-term") => "heuristic",
                (_, g) => g,
            };
            json!({
                "task": task,
                "model": model,
                "goal": goal,
                "gamma": if custom { json!(gamma[..terms]) } else { Value::Null },
                "hidden": sizes.0,
                "bins": sizes.1,
                "hidden_binning": binning,
                "batch": sizes.2,
                "epochs": sizes.3,
                "sparse_k": sizes.4,
                "lr_hidden": rates[0],
                "weight_decay_hidden": rates[1],
                "lr_output": rates[2],
                "weight_decay_output": rates[3],
                "lr_backprop": rates[4],
                "data_seed": seeds[0],
                "init_seed": seeds[1],
                "sample_seed": seeds[2],
            })
        },
    )
}

fn any_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or ∞", |x| x.is_finite())
            .prop_map(Value::from),
        prop::sample::select(vec![
            0.0,
            -0.0,
            -1.0,
            0.5,
            1e-320,
            1e300,
            -1e300,
            u64::MAX as f64,
            9007199254740993.0,
        ])
        .prop_map(Value::from),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
    ]
}

fn any_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9_-]{0,12}",
        any::<String>(),
        Just("\u{0}\u{7f}\u{202e}\u{FEFF}".to_string()),
        (0usize..3000).prop_map(|n| "é".repeat(n)),
    ]
}

/// Any JSON value, up to a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any_number(),
        any_string().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A key: mostly the schema's, sometimes a near miss or anything.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(FIELDS.to_vec()).prop_map(String::from),
        1 => prop::sample::select(vec!["hiddne", "Hidden", "lr", "seed", "gamma ", "", "__proto__"])
            .prop_map(String::from),
        1 => any_string(),
    ]
}

/// One change to a config object, or to its text.
#[derive(Clone, Debug)]
enum Mutation {
    Set(String, Value),
    Remove(String),
    /// The key's value wrapped in this many arrays.
    Nest(String, usize),
    /// A key written twice (the second time with this value).
    Repeat(String, Value),
    /// Raw number text JSON allows but f64/u64 cannot hold exactly or at all.
    RawNumber(String, String),
    /// The text cut at a fraction of its length.
    Cut(f64),
    /// A character inserted at a fraction of the text's length.
    Insert(f64, char),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let field = || prop::sample::select(FIELDS.to_vec()).prop_map(String::from);
    prop_oneof![
        4 => (key(), any_json()).prop_map(|(k, v)| Mutation::Set(k, v)),
        2 => (field(), any_number()).prop_map(|(k, v)| Mutation::Set(k, v)),
        1 => field().prop_map(Mutation::Remove),
        1 => (field(), prop_oneof![1usize..200, Just(100_000usize)])
            .prop_map(|(k, n)| Mutation::Nest(k, n)),
        1 => (field(), any_json()).prop_map(|(k, v)| Mutation::Repeat(k, v)),
        1 => (
            field(),
            prop::sample::select(vec![
                "1e400", "-1e400", "1e-400", "18446744073709551616", "-0", "0.0", "1.0",
                "1e2", "00", "-", "1.", ".5", "+1", "0x10", "NaN", "Infinity",
                "123456789012345678901234567890",
            ])
            .prop_map(String::from),
        )
            .prop_map(|(k, n)| Mutation::RawNumber(k, n)),
        1 => (0.0f64..1.0).prop_map(Mutation::Cut),
        1 => (0.0f64..1.0, any::<char>()).prop_map(|(at, c)| Mutation::Insert(at, c)),
    ]
}

fn mutate(config: &Value, mutations: &[Mutation]) -> String {
    let mut object = config.as_object().unwrap().clone();
    let mut raw: Vec<String> = Vec::new();
    let mut text_edits = Vec::new();
    for m in mutations {
        match m {
            Mutation::Set(k, v) => {
                object.insert(k.clone(), v.clone());
            }
            Mutation::Remove(k) => {
                object.remove(k);
            }
            Mutation::Nest(k, n) => {
                let v = object.remove(k).unwrap_or(Value::Null);
                raw.push(format!(
                    "{}:{}{}{}",
                    Value::from(k.as_str()),
                    "[".repeat(*n),
                    v,
                    "]".repeat(*n)
                ));
            }
            Mutation::Repeat(k, v) => raw.push(format!("{}:{v}", Value::from(k.as_str()))),
            Mutation::RawNumber(k, n) => {
                object.remove(k);
                raw.push(format!("{}:{n}", Value::from(k.as_str())));
            }
            Mutation::Cut(_) | Mutation::Insert(..) => text_edits.push(m.clone()),
        }
    }
    let mut text = serde_json::to_string(&Value::Object(object)).unwrap();
    if !raw.is_empty() {
        text.pop(); // the closing brace
        for r in raw {
            if !text.ends_with('{') {
                text.push(',');
            }
            text.push_str(&r);
        }
        text.push('}');
    }
    for m in text_edits {
        let at = |f: f64, t: &str| {
            let mut i = (f * t.len() as f64) as usize;
            while !t.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        match m {
            Mutation::Cut(f) => text.truncate(at(f, &text)),
            Mutation::Insert(f, c) => text.insert(at(f, &text), c),
            _ => unreachable!(),
        }
    }
    text
}

/// All kinds of input: text, JSON values, valid configs, mutated configs.
fn any_input() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => any::<String>(),
        1 => "[{}\\[\\]\":, 0-9a-z_.eE+-]{0,80}",
        2 => any_json().prop_map(|v| v.to_string()),
        2 => prop::collection::vec((key(), any_json()), 0..8)
            .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>()).to_string()),
        1 => valid_config().prop_map(|v| v.to_string()),
        4 => (valid_config(), prop::collection::vec(mutation(), 1..4))
            .prop_map(|(c, m)| mutate(&c, &m)),
    ]
}

// ---- properties (CI: a few hundred cases each) ----

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        prop_assert_eq!(holds(&text), Ok(()));
    }

    #[test]
    fn json_like_text_never_panics(text in "[{}\\[\\]\":, 0-9a-z_.eE+-]{0,80}") {
        prop_assert_eq!(holds(&text), Ok(()));
    }

    #[test]
    fn arbitrary_json_values(value in any_json()) {
        prop_assert_eq!(holds(&value.to_string()), Ok(()));
    }

    #[test]
    fn arbitrary_objects_of_schema_keys(kv in prop::collection::vec((key(), any_json()), 0..8)) {
        let text = Value::Object(kv.into_iter().collect()).to_string();
        prop_assert_eq!(holds(&text), Ok(()));
    }

    #[test]
    fn valid_configs_are_accepted_and_round_trip(config in valid_config()) {
        let text = config.to_string();
        let parsed = RunConfig::from_json(&text);
        prop_assert!(parsed.is_ok(), "{} refused: {}", text, parsed.unwrap_err());
        prop_assert_eq!(holds(&text), Ok(()));
    }

    #[test]
    fn mutated_configs(config in valid_config(), m in prop::collection::vec(mutation(), 1..4)) {
        prop_assert_eq!(holds(&mutate(&config, &m)), Ok(()));
    }
}

// ---- exact messages of typical mistakes ----

fn err(text: &str) -> String {
    RunConfig::from_json(text).unwrap_err().to_string()
}

#[test]
fn empty_object_is_the_default_and_fields_lists_every_key() {
    assert_eq!(RunConfig::from_json("{}").unwrap(), RunConfig::default());
    assert_eq!(
        RunConfig::from_json(" {\n} \n").unwrap(),
        RunConfig::default()
    );
    let keys: Vec<String> = serde_json::to_value(RunConfig::default())
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let mut fields: Vec<String> = FIELDS.iter().map(|s| s.to_string()).collect();
    fields.sort();
    assert_eq!(keys, fields);
}

#[test]
fn syntax_errors_give_line_and_column() {
    assert_eq!(
        err("{\"hidden\": "),
        "config line 1, column 11: EOF while parsing a value (in hidden)"
    );
    assert_eq!(
        err("{\n  \"hidden\": 3,\n}"),
        "config line 3, column 1: trailing comma"
    );
    assert_eq!(
        err("{\"hidden\": 3} x"),
        "config line 1, column 15: trailing characters after the config object"
    );
    assert_eq!(
        err(""),
        "config line 1, column 0: EOF while parsing a value"
    );
    let keys = "a config is a JSON object of keys (task, model, goal, gamma, hidden, bins, \
                hidden_binning, batch, epochs, lr_hidden, weight_decay_hidden, lr_output, weight_decay_output, \
                sparse_k, lr_backprop, data_seed, init_seed, sample_seed)";
    assert_eq!(
        err("\n  [1, 2]"),
        format!("config line 2, column 3: {keys}, not an array")
    );
    assert_eq!(
        err("5"),
        format!("config line 1, column 1: {keys}, got integer `5`")
    );
    assert_eq!(
        err("\"xor\""),
        format!("config line 1, column 5: {keys}, got string \"xor\"")
    );
    assert_eq!(
        err("{\"lr_hidden\": 1e400}"),
        "config line 1, column 19: number out of range (in lr_hidden)"
    );
}

#[test]
fn unknown_keys_are_named_with_the_known_ones() {
    let e = RunConfig::from_json("{\"hiddne\": 3}").unwrap_err();
    assert_eq!(
        e,
        ConfigError::UnknownField {
            field: "hiddne".into(),
            known: FIELDS
        }
    );
    assert_eq!(
        e.to_string(),
        "unknown config key \"hiddne\" (known: task, model, goal, gamma, hidden, bins, \
         hidden_binning, batch, epochs, lr_hidden, weight_decay_hidden, lr_output, weight_decay_output, sparse_k, \
         lr_backprop, data_seed, init_seed, sample_seed)"
    );
    // A key with a backtick and serde's own wording inside is still named whole.
    assert_eq!(
        RunConfig::from_json("{\"a`, expected b\": 1}")
            .unwrap_err()
            .field(),
        Some("a`, expected b")
    );
}

#[test]
fn wrong_types_name_the_key_and_what_it_takes() {
    assert_eq!(
        err("{\"hidden\": \"100\"}"),
        "hidden: expected a whole number ≥ 0, got string \"100\""
    );
    assert_eq!(
        err("{\"hidden\": 2.5}"),
        "hidden: expected a whole number ≥ 0, got floating point `2.5`"
    );
    assert_eq!(
        err("{\"batch\": -1}"),
        "batch: expected a whole number ≥ 0, got integer `-1`"
    );
    assert_eq!(
        err("{\"model\": \"mlp\"}"),
        "model: expected one of \"context\", \"lateral\", \"trivariate\", \"trivariate-sparse\", \
         \"random-projection\", \"feedback\", \"readout\", \"backprop\", got unknown model `mlp`"
    );
    let models = err("{\"model\": 3}");
    assert!(models.starts_with("model: expected one of "), "{models}");
    assert!(models.ends_with(", got integer `3`"), "{models}");
    for m in ModelKind::ALL {
        assert!(models.contains(&format!("\"{}\"", m.name())), "{models}");
    }
    assert!(err("{\n\"task\": \"é\", \"model\": [1]}").ends_with(", got sequence"));
    assert!(err("{\"model\": {\"context\": null}}").ends_with(", got map"));
    assert_eq!(
        err("{\"model\": }"),
        "config line 1, column 11: expected value (in model)"
    );
    assert_eq!(
        err("{\"model\": \"context\", \"gamma\": [1, 0, 0, 0, \"x\"]}"),
        "gamma[4]: expected a number, got string \"x\""
    );
    assert_eq!(
        err("{\"gamma\": 1}"),
        "gamma: expected null or a list of numbers, got integer `1`"
    );
    assert_eq!(err("{\"task\": null}"), "task: expected a string, got null");
    assert_eq!(
        err("{\"hidden_binning\": \"adaptive\"}"),
        "hidden_binning: expected null, \"fixed\" or \"max-abs\", got unknown value `adaptive`"
    );
    assert_eq!(
        err("{\"hidden_binning\": 20}"),
        "hidden_binning: expected null, \"fixed\" or \"max-abs\", got integer `20`"
    );
    let fixed = RunConfig::from_json("{\"hidden_binning\": \"fixed\"}").unwrap();
    assert_eq!(fixed.hidden_binning, Some(HiddenBinning::Fixed));
    assert_eq!(
        serde_json::to_value(&fixed).unwrap()["hidden_binning"],
        json!("fixed")
    );
    assert_eq!(
        err("{\"data_seed\": 18446744073709551616}"),
        "data_seed: expected a whole number from 0 to 18446744073709551615, \
         got floating point `1.8446744073709552e+19`"
    );
    assert_eq!(
        RunConfig::from_json("{\"data_seed\": 18446744073709551615}")
            .unwrap()
            .data_seed,
        u64::MAX
    );
}

#[test]
fn out_of_range_values_name_the_key_and_the_range() {
    for (text, want) in [
        ("{\"hidden\": 0}", "hidden: must be 1 to 10000, got 0"),
        ("{\"hidden\": 10001}", "hidden: must be 1 to 10000, got 10001"),
        ("{\"batch\": 0}", "batch: must be 1 to 65536, got 0"),
        ("{\"batch\": 100000}", "batch: must be 1 to 65536, got 100000"),
        ("{\"bins\": 1}", "bins: must be 2 to 1000, got 1"),
        ("{\"epochs\": 100001}", "epochs: must be 0 to 100000, got 100001"),
        ("{\"sparse_k\": 10001}", "sparse_k: must be 0 to 10000, got 10001"),
        (
            "{\"model\": \"trivariate-sparse\", \"sparse_k\": 0}",
            "sparse_k: must be at least 1 for the trivariate-sparse model, got 0",
        ),
        ("{\"lr_hidden\": -0.1}", "lr_hidden: must be a finite number ≥ 0, got -0.1"),
        ("{\"lr_backprop\": -1}", "lr_backprop: must be a finite number ≥ 0, got -1"),
        ("{\"task\": \"\"}", "task: must not be empty"),
        ("{\"task\": \"a\\nb\"}", "task: must not contain control characters"),
        (
            "{\"model\": \"context\", \"gamma\": [1, 0, 0]}",
            "gamma: γ for the context model needs 5 entries, got 3",
        ),
        (
            "{\"model\": \"readout\", \"gamma\": [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}",
            "gamma: must have at most 19 entries, got 20",
        ),
        (
            "{\"model\": \"lateral\", \"goal\": \"four-term\"}",
            "goal: unknown goal 'four-term' for this model (known: heuristic, optimized, optimized-alt)",
        ),
        ("{\"hidden\": 3, \"hidden\": 4}", "hidden: given twice"),
    ] {
        assert_eq!(err(text), want, "{text}");
    }
    assert!(err(&format!("{{\"task\": \"{}\"}}", "a".repeat(257)))
        .starts_with("task: must be at most 256 characters, got 257"));
    // Readout has no hidden layer: hidden 0 is fine there; sparse_k 0 outside the
    // sparse model is ignored; a large learning rate is the user's business.
    let c = RunConfig::from_json(
        "{\"model\": \"readout\", \"hidden\": 0, \"sparse_k\": 0, \"lr_output\": 1e30}",
    )
    .unwrap();
    assert_eq!((c.model, c.hidden), (ModelKind::Readout, 0));
}

#[test]
fn validation_errors_convert_to_the_callers_strings() {
    let bad = RunConfig {
        bins: 1,
        ..RunConfig::default()
    };
    let as_string: Result<(), String> = (|| {
        bad.validate()?;
        Ok(())
    })();
    assert_eq!(as_string.unwrap_err(), "bins: must be 2 to 1000, got 1");
    let huge = RunConfig {
        hidden: MAX_HIDDEN,
        batch: 65536,
        ..RunConfig::default()
    };
    let e = huge.check_memory(784, 10).unwrap_err();
    assert_eq!(e.field(), Some("hidden"));
    assert!(e
        .to_string()
        .starts_with("hidden: 10000 neurons with batch 65536 need about"));
}

#[test]
fn deep_nesting_and_long_input_are_refused_quickly() {
    let deep = format!(
        "{{\"gamma\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(err(&deep), "gamma[0]: expected a number, got sequence");
    let deep_object = "{\"task\":".repeat(10_000);
    assert_eq!(err(&deep_object), "task: expected a string, got map");
    let long = format!("{{\"task\": \"{}\"}}", "ü".repeat(1_000_000));
    assert!(err(&long).starts_with("task: must be at most 256 characters, got 1000000"));
}

// ---- the long fuzz run (outside CI) ----

/// The long fuzz run, outside CI: `INFOMORPH_FUZZ_CASES` inputs (default 1 000 000) of
/// every kind above from a fixed seed (`INFOMORPH_FUZZ_SEED`, default 0), each checked
/// with the same property. Run it with
/// `nice -n 10 cargo test --release --test config_properties -- --ignored --test-threads=1 --nocapture`.
#[test]
#[ignore = "the long fuzz run: cargo test --release --test config_properties -- --ignored"]
fn long_fuzz_run() {
    let cases: u32 = std::env::var("INFOMORPH_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = std::env::var("INFOMORPH_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 10_000,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, rng);
    let start = std::time::Instant::now();
    let (accepted, refused) = (Cell::new(0u64), Cell::new(0u64));
    let result = runner.run(&any_input(), |text| {
        let counter = if RunConfig::from_json(&text).is_ok() {
            &accepted
        } else {
            &refused
        };
        counter.set(counter.get() + 1);
        holds(&text).map_err(TestCaseError::fail)
    });
    let (accepted, refused) = (accepted.get(), refused.get());
    println!(
        "long fuzz run: {cases} cases (seed {seed}), {accepted} accepted, {refused} refused \
         (counts include shrinking), {:.1} s",
        start.elapsed().as_secs_f64()
    );
    result.unwrap();
}
