//! Randomness that is a pure function of seeds, identical on every platform.
//!
//! - [`Stream`]: a sequential generator (SplitMix64) for initialisation, shuffles and
//!   synthetic data, seeded by the init or data seed.
//! - [`counter_uniform`]: the counter-based draw that decides each stochastic neuron
//!   output, a pure function of (seed, stream, step, sample, neuron) built from 32-bit
//!   operations only, so the WGSL engine computes the very same numbers.

/// SplitMix64: tiny, fast, and good enough for initialisation and shuffling.
#[derive(Clone, Debug)]
pub struct Stream {
    state: u64,
}

impl Stream {
    pub fn new(seed: u64) -> Self {
        Stream {
            state: seed ^ 0x5851_F42D_4C95_7F2D,
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next_f64()
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.next_f64();
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Uniform integer in 0..n (n > 0), by rejection so every value is equally likely.
    pub fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next_u64();
            if x < zone {
                return (x % n) as usize;
            }
        }
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// A 32-bit avalanche hash (Wellons' "lowbias32"): a few multiplies and shifts, the
/// same in Rust and WGSL.
#[inline(always)]
pub fn hash32(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7FEB_352D);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846C_A68B);
    x ^= x >> 16;
    x
}

/// The part of a counter draw shared by a whole step: hash of (seed, stream, step).
#[inline]
pub fn counter_key(seed: u64, stream: u32, step: u32) -> u32 {
    let mut h = hash32(seed as u32 ^ 0x9E37_79B9);
    h = hash32(h ^ (seed >> 32) as u32);
    h = hash32(h ^ stream);
    hash32(h ^ step)
}

/// Uniform in [0, 1) with 24 bits, for `sample` and `neuron` under a step's key.
#[inline(always)]
pub fn counter_uniform(key: u32, sample: u32, neuron: u32) -> f32 {
    counter_uniform_in_row(counter_row_key(key, sample), neuron)
}

/// The part of a draw shared by one sample's neurons (hoisted out of the neuron loop).
#[inline(always)]
pub fn counter_row_key(key: u32, sample: u32) -> u32 {
    hash32(key ^ sample)
}

/// The draw for `neuron` given its sample's row key.
#[inline(always)]
pub fn counter_uniform_in_row(row_key: u32, neuron: u32) -> f32 {
    let h = hash32(row_key ^ neuron.wrapping_mul(0x9E37_79B9));
    (h >> 8) as f32 * (1.0 / 16_777_216.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_repeat_and_differ() {
        let a: Vec<u64> = (0..5)
            .map({
                let mut s = Stream::new(1);
                move |_| s.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..5)
            .map({
                let mut s = Stream::new(1);
                move |_| s.next_u64()
            })
            .collect();
        let c = Stream::new(2).next_u64();
        assert_eq!(a, b);
        assert_ne!(a[0], c);
    }

    #[test]
    fn counter_draws_are_uniform_and_independent_of_order() {
        let key = counter_key(42, 1, 7);
        let n = 200_000u32;
        let mean: f64 = (0..n)
            .map(|i| counter_uniform(key, i / 100, i % 100) as f64)
            .sum::<f64>()
            / n as f64;
        assert!((mean - 0.5).abs() < 0.005, "mean {mean}");
        let below_tenth =
            (0..n).filter(|&i| counter_uniform(key, i, 3) < 0.1).count() as f64 / n as f64;
        assert!((below_tenth - 0.1).abs() < 0.005);
        // Neighbouring counters are not correlated.
        let pairs: f64 = (0..n)
            .map(|i| {
                (counter_uniform(key, i, 0) as f64 - 0.5)
                    * (counter_uniform(key, i, 1) as f64 - 0.5)
            })
            .sum::<f64>()
            / n as f64;
        assert!(pairs.abs() < 0.002, "{pairs}");
        assert_eq!(
            counter_uniform(key, 5, 9),
            counter_uniform(counter_key(42, 1, 7), 5, 9)
        );
        assert_ne!(counter_key(42, 1, 7), counter_key(42, 2, 7));
    }

    #[test]
    fn normal_has_unit_variance() {
        let mut s = Stream::new(3);
        let xs: Vec<f64> = (0..100_000).map(|_| s.normal()).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(mean.abs() < 0.02 && (var - 1.0).abs() < 0.02);
    }
}
