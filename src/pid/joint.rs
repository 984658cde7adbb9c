//! Shapes and validation of joint probability tables P(s_1, …, s_n, t).
//!
//! Tables are flattened in C order with the target as the last axis, so the cell of
//! source states `s` and target state `t` sits at `flat(s) · m + t`.

use super::lattice::MAX_SOURCES;
use std::fmt;

/// Why a table or goal was refused; the message is meant for the user as it is.
#[derive(Clone, Debug, PartialEq)]
pub struct PidError(pub String);

impl fmt::Display for PidError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PidError {}

macro_rules! bail {
    ($($arg:tt)*) => { return Err(PidError(format!($($arg)*))) };
}
pub(crate) use bail;

/// States per source and of the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JointShape {
    sources: Vec<usize>,
    target: usize,
}

impl JointShape {
    /// `sources`: states of each source (1 to 4 sources); `target`: states of the target (≥ 2).
    pub fn new(sources: &[usize], target: usize) -> Result<Self, PidError> {
        if sources.is_empty() || sources.len() > MAX_SOURCES {
            bail!(
                "need 1 to {MAX_SOURCES} sources plus a target, got {} source(s)",
                sources.len()
            );
        }
        if let Some(i) = sources
            .iter()
            .position(|&k| k == 0 || k > u16::MAX as usize)
        {
            bail!(
                "source {} must have 1 to 65535 states, got {}",
                i + 1,
                sources[i]
            );
        }
        if target < 2 {
            bail!("the target needs at least 2 states, got {target}");
        }
        let cells = sources
            .iter()
            .try_fold(target, |acc, &k| acc.checked_mul(k))
            .filter(|&c| c <= u32::MAX as usize);
        if cells.is_none() {
            bail!("the table is too large: more than {} cells", u32::MAX);
        }
        Ok(JointShape {
            sources: sources.to_vec(),
            target,
        })
    }

    /// Parses `[k1, …, kn, m]`, the target last (the CLI's and the JSON files' convention).
    pub fn from_dims(dims: &[usize]) -> Result<Self, PidError> {
        match dims.split_last() {
            Some((&m, sources)) => JointShape::new(sources, m),
            None => bail!("shape is empty: give the states of each source, then of the target"),
        }
    }

    pub fn sources(&self) -> &[usize] {
        &self.sources
    }

    pub fn source_count(&self) -> usize {
        self.sources.len()
    }

    pub fn target(&self) -> usize {
        self.target
    }

    /// Number of joint source states (cells of the table divided by the target's states).
    pub fn source_cells(&self) -> usize {
        self.sources.iter().product()
    }

    /// Number of cells of the whole table.
    pub fn cells(&self) -> usize {
        self.source_cells() * self.target
    }

    /// Checks a table for this shape: right length, finite, non-negative, summing to 1
    /// within 1e-9, or rescaled to sum 1 when `normalize` is set.
    pub fn validate(&self, p: &[f64], normalize: bool) -> Result<Vec<f64>, PidError> {
        if p.len() != self.cells() {
            bail!(
                "shape {:?} × {} has {} cells but p has {} entries",
                self.sources,
                self.target,
                self.cells(),
                p.len()
            );
        }
        if let Some(i) = p.iter().position(|v| !v.is_finite()) {
            bail!("p[{i}] is not a finite number");
        }
        if let Some(i) = p.iter().position(|v| *v < 0.0) {
            bail!("p[{i}] = {} is negative", p[i]);
        }
        let sum: f64 = p.iter().sum();
        if normalize {
            if sum <= 0.0 {
                bail!("cannot normalize: p sums to {sum}");
            }
            return Ok(p.iter().map(|v| v / sum).collect());
        }
        if (sum - 1.0).abs() > 1e-9 {
            bail!("p sums to {sum}, not 1 (pass --normalize to rescale)");
        }
        Ok(p.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bad_shapes_and_tables() {
        assert!(JointShape::from_dims(&[2]).is_err());
        assert!(JointShape::from_dims(&[2, 2, 2, 2, 2, 2]).is_err());
        assert!(JointShape::from_dims(&[2, 0, 2]).is_err());
        assert!(JointShape::from_dims(&[2, 2, 1]).is_err());
        let s = JointShape::from_dims(&[2, 2]).unwrap();
        assert!(s.validate(&[0.5, 0.5], false).is_err());
        assert!(s.validate(&[0.5, 0.5, 0.0, f64::NAN], false).is_err());
        assert!(s.validate(&[0.5, 0.6, 0.0, -0.1], false).is_err());
        assert!(s.validate(&[0.5, 0.5, 0.1, 0.0], false).is_err());
        let n = s.validate(&[1.0, 1.0, 1.0, 1.0], true).unwrap();
        assert_eq!(n, vec![0.25; 4]);
    }
}
