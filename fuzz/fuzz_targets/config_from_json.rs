//! Coverage-guided fuzzing of `RunConfig::from_json` (see ../Cargo.toml for how to run
//! it): any UTF-8 input must not panic; a refusal must name a key (its message starts
//! with `KEY: ` or is an unknown-key message naming it) or a line and column; an
//! accepted config must pass `validate` and come back from its own JSON unchanged (up
//! to one ULP per float: serde_json without `float_roundtrip` parses to within one).
#![no_main]
#![allow(dead_code)]

#[path = "../../src/network/config.rs"]
mod config;
#[path = "../../src/goals.rs"]
mod goals;

use config::{ConfigError, RunConfig, FIELDS};
use libfuzzer_sys::fuzz_target;

fn floats(c: &RunConfig) -> Vec<f64> {
    let mut v = vec![
        c.lr_hidden,
        c.weight_decay_hidden,
        c.lr_output,
        c.weight_decay_output,
        c.lr_backprop,
    ];
    v.extend(c.gamma.iter().flatten());
    v
}

fn same(a: &RunConfig, b: &RunConfig) -> bool {
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
    a == b
        || (strip(a) == strip(b)
            && fa.len() == fb.len()
            && fa
                .iter()
                .zip(&fb)
                .all(|(x, y)| (x.to_bits() as i64 - y.to_bits() as i64).abs() <= 1))
}

fn names_a_key_or_position(e: &ConfigError) -> bool {
    let msg = e.to_string();
    match e {
        ConfigError::Syntax { line, column, .. } => {
            *line >= 1 && msg.starts_with(&format!("config line {line}, column {column}: "))
        }
        ConfigError::UnknownField { field, .. } => {
            !FIELDS.contains(&field.as_str())
                && msg.starts_with(&format!("unknown config key {field:?} (known: "))
        }
        ConfigError::WrongType { field, .. } | ConfigError::Invalid { field, .. } => {
            FIELDS.contains(&field.split('[').next().unwrap())
                && msg.starts_with(&format!("{field}: "))
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match RunConfig::from_json(text) {
        Ok(c) => {
            assert!(c.validate().is_ok(), "accepted but invalid: {text}");
            let again = serde_json::to_string(&c).unwrap();
            match RunConfig::from_json(&again) {
                Ok(d) => assert!(same(&c, &d), "round trip changed {text} → {again}"),
                Err(e) => panic!("round trip of {again} refused: {e}"),
            }
        }
        Err(e) => assert!(names_a_key_or_position(&e), "{e:?}: {e}"),
    }
});
