//! The samplers of a goal search: TPE from the `tpe` crate (Optuna's Parzen
//! estimators, with the prior and the bandwidth clip), the multivariate TPE the paper
//! used (the project's own, [`super::parzen`]), CMA-ES from the `optimizer` crate, and
//! uniform random sampling as the baseline. None uses threads or clocks, so the page
//! runs them too (CMA-ES excepted: `optimizer` reads the clock).
//!
//! `tpe` is Optuna's default independent (per-term) TPE; `tpe-multivariate` is
//! `TPESampler(multivariate=True)`. `optimizer`'s multivariate TPE has no prior, its
//! kernels shrink onto the first good trials, and on a smooth 5-term test objective it
//! did worse than random search (tests/search.rs measures the samplers), hence
//! [`super::parzen`].
//! Failed trials are left out of TPE's history (as Optuna does) and count as the worst
//! value for CMA-ES, whose generations wait for every candidate they handed out.

use super::study::{Trial, TrialState};
use super::SearchError;
use crate::rng::Stream;
#[cfg(not(target_arch = "wasm32"))]
use optimizer::{
    distribution::{Distribution, FloatDistribution},
    param::ParamValue,
    parameter::ParamId,
    sampler::{CmaEsSampler, CompletedTrial, Sampler as _},
};
use serde::{Deserialize, Serialize};
#[cfg(not(target_arch = "wasm32"))]
use std::collections::HashMap;

/// Which algorithm proposes the next γ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SamplerKind {
    Tpe,
    #[serde(rename = "tpe-multivariate")]
    TpeMultivariate,
    Cmaes,
    Random,
}

impl SamplerKind {
    pub const NAMES: [&'static str; 4] = ["tpe", "tpe-multivariate", "cmaes", "random"];

    pub fn from_name(name: &str) -> Result<SamplerKind, SearchError> {
        match name.to_ascii_lowercase().as_str() {
            "tpe" => Ok(SamplerKind::Tpe),
            "tpe-multivariate" | "multivariate-tpe" | "mtpe" => Ok(SamplerKind::TpeMultivariate),
            "cmaes" | "cma-es" => Ok(SamplerKind::Cmaes),
            "random" => Ok(SamplerKind::Random),
            _ => Err(SearchError::Spec(format!(
                "unknown sampler '{name}' (known: {})",
                Self::NAMES.join(", ")
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SamplerKind::Tpe => "tpe",
            SamplerKind::TpeMultivariate => "tpe-multivariate",
            SamplerKind::Cmaes => "cmaes",
            SamplerKind::Random => "random",
        }
    }
}

enum Inner {
    /// Independent TPE per term (Optuna's default; `tpe`'s estimators, rebuilt from the
    /// history at every ask), uniform for the first `startup` complete trials.
    Tpe(TpeSettings),
    /// Joint TPE over all terms ([`super::parzen`]), uniform for the first `startup`.
    TpeMultivariate(TpeSettings),
    #[cfg(not(target_arch = "wasm32"))]
    Cmaes(CmaEsSampler),
    Random,
}

/// The project's random stream ([`crate::rng::Stream`]) as the generator `tpe` draws
/// candidates from (a generator of `rand`'s would add its code to the page's wasm).
struct SearchRng(Stream);

impl rand_core_010::TryRng for SearchRng {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok((self.0.next_u64() >> 32) as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(self.0.next_u64())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(8) {
            let bytes = self.0.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        Ok(())
    }
}

/// A seeded sampler over `dims` parameters in [low, high].
pub struct Sampler {
    inner: Inner,
    rng: SearchRng,
    range: (f64, f64),
    dims: usize,
    #[cfg(not(target_arch = "wasm32"))]
    ids: Vec<ParamId>,
    #[cfg(not(target_arch = "wasm32"))]
    distribution: Distribution,
}

/// TPE settings (Optuna's defaults unless given; the paper used 100 and 100).
#[derive(Clone, Copy, Debug)]
pub struct TpeSettings {
    pub startup: usize,
    pub ei_candidates: usize,
}

impl Sampler {
    pub fn new(
        kind: SamplerKind,
        dims: usize,
        (low, high): (f64, f64),
        seed: u64,
        tpe: TpeSettings,
    ) -> Result<Sampler, SearchError> {
        let inner = match kind {
            SamplerKind::Tpe => Inner::Tpe(tpe),
            SamplerKind::TpeMultivariate => Inner::TpeMultivariate(tpe),
            #[cfg(not(target_arch = "wasm32"))]
            SamplerKind::Cmaes => Inner::Cmaes(CmaEsSampler::with_seed(seed)),
            #[cfg(target_arch = "wasm32")]
            SamplerKind::Cmaes => {
                return Err(SearchError::Spec(
                    "CMA-ES runs on the command line (infomorph search --sampler cmaes); \
                     the page offers tpe and random"
                        .into(),
                ))
            }
            SamplerKind::Random => Inner::Random,
        };
        Ok(Sampler {
            inner,
            rng: SearchRng(Stream::new(seed)),
            range: (low, high),
            dims,
            #[cfg(not(target_arch = "wasm32"))]
            ids: (0..dims).map(|_| ParamId::new()).collect(),
            #[cfg(not(target_arch = "wasm32"))]
            distribution: Distribution::Float(FloatDistribution {
                low,
                high,
                log_scale: false,
                step: None,
            }),
        })
    }

    /// Parameters for the trials numbered `numbers`, all asked with the same history
    /// (the search's finished trials, `params` of each given by `params_of`).
    pub fn ask(
        &mut self,
        numbers: std::ops::Range<usize>,
        history: &[Trial],
        params_of: impl Fn(&Trial) -> Vec<f64>,
    ) -> Vec<Vec<f64>> {
        // Every sampler minimises: it sees −value.
        let complete: Vec<(Vec<f64>, f64)> = history
            .iter()
            .filter_map(|t| match (t.state, t.value) {
                (TrialState::Complete, Some(v)) => Some((params_of(t), -v)),
                _ => None,
            })
            .collect();
        match self.inner {
            Inner::Random => numbers.map(|_| self.uniform()).collect(),
            Inner::Tpe(settings) | Inner::TpeMultivariate(settings) => {
                let joint = matches!(self.inner, Inner::TpeMultivariate(_));
                numbers
                    .map(|_| {
                        if complete.len() < settings.startup.max(1) {
                            self.uniform()
                        } else if joint {
                            super::parzen::propose(
                                &complete,
                                self.dims,
                                self.range,
                                settings.ei_candidates,
                                &mut self.rng.0,
                            )
                        } else {
                            self.tpe(&complete, settings.ei_candidates)
                        }
                    })
                    .collect()
            }
            #[cfg(not(target_arch = "wasm32"))]
            Inner::Cmaes(_) => {
                let worst = complete.iter().fold(0.0f64, |w, (_, v)| w.max(*v));
                let completed: Vec<CompletedTrial> = history
                    .iter()
                    .map(|t| {
                        let value = match (t.state, t.value) {
                            (TrialState::Complete, Some(v)) => -v,
                            _ => worst + 1.0,
                        };
                        self.completed(t.trial as u64, &params_of(t), value)
                    })
                    .collect();
                numbers
                    .map(|number| self.cmaes(number as u64, &completed))
                    .collect()
            }
        }
    }

    fn uniform(&mut self) -> Vec<f64> {
        let (low, high) = self.range;
        (0..self.dims)
            .map(|_| low + (high - low) * self.rng.0.next_f64())
            .collect()
    }

    /// One TPE proposal: per term, Parzen estimators of the best ⌈0.1·n⌉ (at most 25)
    /// complete trials and of the rest, the candidate of the largest l(x)/g(x).
    fn tpe(&mut self, complete: &[(Vec<f64>, f64)], candidates: usize) -> Vec<f64> {
        let n = complete.len();
        let good = super::parzen::good_count(n) as f64;
        let (low, high) = self.range;
        (0..self.dims)
            .map(|d| {
                let mut opt = tpe::TpeOptimizerBuilder::new()
                    .gamma(good / n as f64)
                    .candidates(candidates.max(1))
                    .build(
                        tpe::parzen_estimator(),
                        tpe::range(low, high).expect("low < high"),
                    )
                    .expect("γ fraction in [0, 1] and candidates ≥ 1");
                for (params, value) in complete {
                    opt.tell(params[d].clamp(low, high), *value)
                        .expect("finite values in range");
                }
                match opt.ask(&mut self.rng) {
                    Ok(v) => v.clamp(low, high),
                    Err(_) => low + (high - low) * self.rng.0.next_f64(),
                }
            })
            .collect()
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn completed(&self, id: u64, params: &[f64], value: f64) -> CompletedTrial {
        let params = self
            .ids
            .iter()
            .zip(params)
            .map(|(&id, &v)| (id, ParamValue::Float(v)))
            .collect();
        let distributions = self
            .ids
            .iter()
            .map(|&id| (id, self.distribution.clone()))
            .collect();
        CompletedTrial::new(id, params, distributions, HashMap::new(), value)
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn cmaes(&self, number: u64, history: &[CompletedTrial]) -> Vec<f64> {
        let Inner::Cmaes(s) = &self.inner else {
            unreachable!("called for CMA-ES only")
        };
        self.ids
            .iter()
            .map(|_| match s.sample(&self.distribution, number, history) {
                ParamValue::Float(x) => x,
                ParamValue::Int(i) => i as f64,
                ParamValue::Categorical(_) => unreachable!("γ parameters are floats"),
            })
            .collect()
    }
}
