//! The matrix products of a sparse lateral source, where every neuron reads k of the
//! layer's other neurons (the paper's sparse variant, docs/method.md): gathered over
//! those k inputs, B·N·k multiply-adds for a batch of B instead of the dense product's
//! B·N², so the step's cost grows linearly in N at a fixed k (docs/architecture.md,
//! "Cost in N"). The weights stay stored dense (N × N, zero outside the mask) for
//! Adam, the GPU engine and the exports; only the products change.
//!
//! Both products read the inputs in tiles of 64 samples, every input's 64 values
//! contiguous (a tile of N inputs is 512 KB at N = 2000 and stays in the core's cache
//! while all neurons gather from it). Each element is summed over the neuron's inputs in
//! ascending order (the gradient: a fixed tree within each tile, then the tiles in order),
//! whatever the threads.

use ndarray::{Array2, ArrayView2};

use super::par;
use crate::rng::Stream;

/// A random sparse lateral wiring: k inputs per neuron drawn from the other dim − 1
/// (a 0/1 mask, neurons × dim; never a neuron itself).
pub fn lateral_mask(neurons: usize, dim: usize, k: usize, rng: &mut Stream) -> Array2<f32> {
    let mut mask = Array2::zeros((neurons, dim));
    for i in 0..neurons {
        let mut others: Vec<usize> = (0..dim).filter(|&j| j != i).collect();
        rng.shuffle(&mut others);
        for &j in &others[..k] {
            mask[[i, j]] = 1.0;
        }
    }
    mask
}

/// Samples per tile.
const T: usize = 64;

/// The inputs every neuron reads, ascending (the non-zero columns of its mask row).
#[derive(Clone, Debug)]
pub struct Fanin {
    k: usize,
    dim: usize,
    inputs: Vec<u32>,
}

impl Fanin {
    /// The fan-in of a 0/1 mask (neurons × dim) with the same count in every row.
    pub fn from_mask(mask: &Array2<f32>) -> Self {
        let (neurons, dim) = mask.dim();
        let inputs: Vec<u32> = mask
            .rows()
            .into_iter()
            .flat_map(|row| {
                row.iter()
                    .enumerate()
                    .filter(|(_, &m)| m != 0.0)
                    .map(|(j, _)| j as u32)
                    .collect::<Vec<_>>()
            })
            .collect();
        let k = inputs.len() / neurons.max(1);
        assert_eq!(inputs.len(), k * neurons, "every mask row has k inputs");
        Fanin { k, dim, inputs }
    }

    /// x · Wᵀ (batch × neurons) for x of batch × dim and masked weights W (neurons ×
    /// dim): the dense product with the zeros skipped.
    pub fn product(&self, x: ArrayView2<f32>, weights: &Array2<f32>) -> Array2<f32> {
        let batch = x.nrows();
        let neurons = weights.nrows();
        assert_eq!(
            (x.ncols(), weights.ncols()),
            (self.dim, self.dim),
            "fan-in's input width"
        );
        if batch == 0 || neurons == 0 || self.k == 0 {
            return Array2::zeros((batch, neurons));
        }
        let xt = to_tiles(x);
        // The weights at the inputs, compact (neurons × k): in the dense rows (8 KB apart
        // at N = 2000) every weight would cost a cache line per tile.
        let w: Vec<f32> = (self.inputs.chunks_exact(self.k).enumerate())
            .flat_map(|(i, inputs)| inputs.iter().map(move |&j| weights[[i, j as usize]]))
            .collect();
        let mut out = vec![0.0f32; batch.div_ceil(T) * neurons * T];
        par::for_each_chunk(&mut out, neurons * T, |tile, out| {
            let x = &xt[tile * self.dim * T..][..self.dim * T];
            product_tile(x, &w, &self.inputs, self.k, out);
        });
        from_tiles(&out, batch, neurons)
    }

    /// gᵀ · x (neurons × dim) at the mask's entries, zero elsewhere, for g of batch ×
    /// neurons and x of batch × dim: the masked weights' gradient.
    pub fn weight_gradient(&self, g: ArrayView2<f32>, x: ArrayView2<f32>) -> Array2<f32> {
        let (batch, neurons) = g.dim();
        assert_eq!(x.dim(), (batch, self.dim), "fan-in's input width");
        let mut out = Array2::zeros((neurons, self.dim));
        if batch == 0 || neurons == 0 || self.k == 0 {
            return out;
        }
        let (gt, xt) = (to_tiles(g), to_tiles(x));
        let size = neurons * self.k;
        // Every tile's sums (tiles × neurons × k), then added over the tiles in order.
        let mut partial = vec![0.0f32; batch.div_ceil(T) * size];
        par::for_each_chunk(&mut partial, size, |tile, sums| {
            let g = &gt[tile * neurons * T..][..neurons * T];
            let x = &xt[tile * self.dim * T..][..self.dim * T];
            gradient_tile(g, x, &self.inputs, self.k, sums);
        });
        let (sums, rest) = partial.split_at_mut(size);
        par::for_rows(sums, self.k, |first, sums| {
            for tile in rest.chunks_exact(size) {
                let from = &tile[first * self.k..][..sums.len()];
                sums.iter_mut().zip(from).for_each(|(s, v)| *s += v);
            }
        });
        for (i, (sums, inputs)) in sums
            .chunks_exact(self.k)
            .zip(self.inputs.chunks_exact(self.k))
            .enumerate()
        {
            for (&s, &j) in sums.iter().zip(inputs) {
                out[[i, j as usize]] = s;
            }
        }
        out
    }
}

par::simd_kernel! {
/// One tile of x · Wᵀ: `out` (neurons × T) from the tile `x` (dim × T), the inputs and
/// the weights at them (neurons × k each). Each element is summed over the inputs in order.
fn product_tile(x: &[f32], w: &[f32], inputs: &[u32], k: usize, out: &mut [f32]) {
    let rows = out.chunks_exact_mut(T).zip(inputs.chunks_exact(k)).zip(w.chunks_exact(k));
    for ((out, inputs), w) in rows {
        let mut acc = [0.0f32; T];
        for (&j, &wij) in inputs.iter().zip(w) {
            let xj = &x[j as usize * T..(j as usize + 1) * T];
            for (a, x) in acc.iter_mut().zip(xj) {
                *a += wij * x;
            }
        }
        out.copy_from_slice(&acc);
    }
}
}

par::simd_kernel! {
/// One tile of gᵀ·x at the inputs: `sums` (neurons × k) from the tiles g (neurons × T)
/// and x (dim × T). Each sum is a fixed tree: the T products halved elementwise.
fn gradient_tile(g: &[f32], x: &[f32], inputs: &[u32], k: usize, sums: &mut [f32]) {
    for ((gi, sums), inputs) in g.chunks_exact(T).zip(sums.chunks_exact_mut(k)).zip(inputs.chunks_exact(k)) {
        for (s, &j) in sums.iter_mut().zip(inputs) {
            let xj = &x[j as usize * T..(j as usize + 1) * T];
            let mut acc = [0.0f32; T];
            for (a, (g, x)) in acc.iter_mut().zip(gi.iter().zip(xj)) {
                *a = g * x;
            }
            let mut width = T;
            while width > 1 {
                width /= 2;
                let (lo, hi) = acc.split_at_mut(width);
                for (a, b) in lo.iter_mut().zip(&hi[..width]) {
                    *a += b;
                }
            }
            *s = acc[0];
        }
    }
}
}

/// a (rows × cols) as tiles of T rows, each column's T values contiguous: element
/// (r, c) at ((r / T) · cols + c) · T + r % T; the last tile padded with zeros.
fn to_tiles(a: ArrayView2<f32>) -> Vec<f32> {
    let (rows, cols) = a.dim();
    let mut out = vec![0.0f32; rows.div_ceil(T) * cols * T];
    par::for_each_chunk(&mut out, (cols * T).max(1), |t, tile| {
        for dr in 0..T.min(rows - t * T) {
            for (c, &v) in a.row(t * T + dr).iter().enumerate() {
                tile[c * T + dr] = v;
            }
        }
    });
    out
}

/// The rows × cols matrix laid out as tiles in `tiles` (see [`to_tiles`]).
fn from_tiles(tiles: &[f32], rows: usize, cols: usize) -> Array2<f32> {
    let mut out = vec![0.0f32; rows * cols];
    par::for_each_chunk(&mut out, T * cols, |t, out| {
        let tile = &tiles[t * cols * T..][..cols * T];
        for (c, from) in tile.chunks_exact(T).enumerate() {
            for (dr, &v) in from[..out.len() / cols].iter().enumerate() {
                out[dr * cols + c] = v;
            }
        }
    });
    Array2::from_shape_vec((rows, cols), out).expect("rows × cols")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random(rows: usize, cols: usize, rng: &mut Stream) -> Array2<f32> {
        Array2::from_shape_fn((rows, cols), |_| rng.uniform(-1.0, 1.0) as f32)
    }

    /// Equal up to f32 summation order over a few hundred terms of magnitude ≤ 1.
    fn assert_close(a: &Array2<f32>, b: &Array2<f32>) {
        assert_eq!(a.dim(), b.dim());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= 5e-5, "{x} vs {y}");
        }
    }

    /// Both products equal the dense ones with the masked weights, for batches that are
    /// and are not a whole number of tiles and lanes.
    #[test]
    fn gathered_products_equal_the_dense_masked_ones() {
        let mut rng = Stream::new(7);
        for (neurons, k, batch) in [(40, 5, 300), (64, 12, 256), (9, 3, 17)] {
            let m = lateral_mask(neurons, neurons, k, &mut rng);
            let w = random(neurons, neurons, &mut rng) * &m;
            let x = random(batch, neurons, &mut rng);
            let g = random(batch, neurons, &mut rng);
            let fanin = Fanin::from_mask(&m);
            assert_close(&fanin.product(x.view(), &w), &x.dot(&w.t()));
            let dense = g.t().dot(&x) * &m;
            let gathered = fanin.weight_gradient(g.view(), x.view());
            assert_close(&gathered, &dense);
            // Outside the mask the gradient is exactly zero (the weights stay zero).
            assert!(gathered.iter().zip(&m).all(|(v, m)| *m != 0.0 || *v == 0.0));
        }
    }

    /// The same floats on one thread as on three (the tiles' sums have a fixed order).
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn products_do_not_depend_on_the_threads() {
        let mut rng = Stream::new(3);
        let (neurons, k, batch) = (150, 20, 700);
        let m = lateral_mask(neurons, neurons, k, &mut rng);
        let w = random(neurons, neurons, &mut rng) * &m;
        let x = random(batch, neurons, &mut rng);
        let g = random(batch, neurons, &mut rng);
        let fanin = Fanin::from_mask(&m);
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                (
                    fanin.product(x.view(), &w),
                    fanin.weight_gradient(g.view(), x.view()),
                )
            })
        };
        let (one, three) = (run(1), run(3));
        let bits = |a: &Array2<f32>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&one.0), bits(&three.0));
        assert_eq!(bits(&one.1), bits(&three.1));
    }

    #[test]
    fn tiles_round_trip_and_pad_the_last_tile() {
        let a = Array2::from_shape_fn((150, 33), |(r, c)| (r * 100 + c) as f32);
        let tiles = to_tiles(a.view());
        assert_eq!(tiles.len(), 3 * 33 * T);
        assert_eq!(tiles[(2 * 33 + 5) * T + 150 % T - 1], a[[149, 5]]);
        assert_eq!(tiles[(2 * 33 + 5) * T + 150 % T], 0.0, "padding");
        for ((r, c), &v) in a.indexed_iter() {
            assert_eq!(tiles[((r / T) * 33 + c) * T + r % T], v);
        }
        assert_eq!(from_tiles(&tiles, 150, 33), a);
    }
}
