//! A layer as it is written to run files (`infomorph train --out`, the page's JSON
//! export): term names, every neuron's goal terms at the last step, and the weights.
//! Non-finite numbers are written as `null` (serde_json).

use super::config::RunConfig;
use super::train::EpochMetrics;
use super::{Layer, Network};
use serde::Serialize;

/// A whole run as `infomorph train --out` and `infomorph reproduce` write it: the
/// resolved config, every epoch's metrics, why it stopped early (if it did), and each
/// layer's atoms and weights.
#[derive(Serialize)]
pub struct RunFile<'a> {
    pub config: &'a RunConfig,
    pub metrics: &'a [EpochMetrics],
    pub error: Option<String>,
    pub hidden: Option<LayerDump>,
    pub output: Option<LayerDump>,
}

impl<'a> RunFile<'a> {
    /// The run of `net` (none if it could not be read back from its engine).
    pub fn new(
        config: &'a RunConfig,
        metrics: &'a [EpochMetrics],
        error: Option<String>,
        net: Option<&Network>,
    ) -> RunFile<'a> {
        RunFile {
            config,
            metrics,
            error,
            hidden: net.and_then(|n| n.hidden.as_ref()).map(LayerDump::of),
            output: net.map(|n| LayerDump::of(&n.output)),
        }
    }
}

#[derive(Serialize)]
pub struct SourceWeights {
    pub kind: String,
    pub weights: Vec<Vec<f32>>,
    pub bias: Vec<f32>,
}

#[derive(Serialize)]
pub struct LayerDump {
    pub names: Vec<String>,
    /// Goal terms of every neuron at the last step.
    pub atoms: Vec<Vec<f64>>,
    pub sources: Vec<SourceWeights>,
}

impl LayerDump {
    pub fn of(layer: &Layer) -> LayerDump {
        LayerDump {
            names: crate::pid::Lattice::new(layer.sources.len()).term_names(),
            atoms: rows(&layer.last_terms),
            sources: layer
                .sources
                .iter()
                .map(|s| SourceWeights {
                    kind: format!("{:?}", s.config.kind).to_lowercase(),
                    weights: rows(&s.weights),
                    bias: s.bias.to_vec(),
                })
                .collect(),
        }
    }
}

fn rows<T: Clone>(a: &ndarray::Array2<T>) -> Vec<Vec<T>> {
    a.rows().into_iter().map(|r| r.to_vec()).collect()
}
