//! Data-parallel loops over the rows of batch-major buffers: on all cores natively and
//! in the page's threaded build (rayon; wasm with atomics, docs/architecture.md "Threads
//! in the page"), in sequence in the plain wasm build. The elementwise stages of a step (activation, θ,
//! sampling, binning, gradients, Adam) are memory-bound and were half of a step's
//! time on one core.

use ndarray::{Array2, ArrayView2};

/// Marks a kernel (a function, not a closure) to be compiled for AVX-512 and for AVX2 +
/// FMA besides the baseline (4-wide SSE2 on x86-64), with the widest one the CPU has
/// chosen at run time. Results are the same on every path: Rust never contracts
/// a·b + c into an FMA. Only code inlined into the kernel gets the wider instructions,
/// so its helpers should be `#[inline(always)]`.
macro_rules! simd_kernel {
    ($item:item) => {
        #[multiversion::multiversion(targets(
            "x86_64+avx512f+avx512vl+avx512bw+avx512dq+avx2+fma",
            "x86_64+avx2+fma"
        ))]
        $item
    };
}
pub(crate) use simd_kernel;

/// Runs `f` on one of the thread pool's workers (in place when called from one): the
/// parallel loops inside it are then split among the workers by work stealing, where
/// from any other thread each loop is handed to the pool and waited for, one wake-up
/// and one wait per loop (dozens a step). In the page's threaded build that hand-over
/// goes through the browser's Atomics.wait/notify between Web Workers, and cost more
/// than a small step's work (docs/architecture.md, "Threads in the page").
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    #[cfg(any(not(target_arch = "wasm32"), target_feature = "atomics"))]
    return rayon::scope(|_| f());
    #[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
    f()
}

/// Rows per task: small enough to balance two to a few dozen workers, large enough
/// that the scheduling overhead is negligible next to the work.
fn rows_per_task(rows: usize) -> usize {
    rows.div_ceil(32).max(16)
}

/// Calls `f(first_row, rows_chunk)` on consecutive chunks of `out`, each a whole
/// number of rows of `width` elements, in parallel where threads exist.
pub fn for_rows<T: Send>(out: &mut [T], width: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    if width == 0 || out.is_empty() {
        return;
    }
    let rows = out.len() / width;
    let per = rows_per_task(rows);
    #[cfg(any(not(target_arch = "wasm32"), target_feature = "atomics"))]
    {
        use rayon::prelude::*;
        out.par_chunks_mut(per * width)
            .enumerate()
            .for_each(|(i, chunk)| f(i * per, chunk));
    }
    #[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
    for (i, chunk) in out.chunks_mut(per * width).enumerate() {
        f(i * per, chunk);
    }
}

/// Calls `f(index, chunk)` on consecutive chunks of `len` elements of `out` (the last
/// may be shorter), each chunk one task: for few, large chunks (tiles of a batch).
pub fn for_each_chunk<T: Send>(out: &mut [T], len: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    if len == 0 {
        return;
    }
    #[cfg(any(not(target_arch = "wasm32"), target_feature = "atomics"))]
    {
        use rayon::prelude::*;
        out.par_chunks_mut(len)
            .enumerate()
            .for_each(|(i, c)| f(i, c));
    }
    #[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
    for (i, c) in out.chunks_mut(len).enumerate() {
        f(i, c);
    }
}

/// As [`for_rows`] on two buffers of the same row count (widths may differ), with at
/// least `min_rows` rows per task (but for the last): for kernels whose cost per task
/// depends little on its rows (a transpose that reads all of another buffer's rows).
pub fn for_rows2<T: Send, U: Send>(
    a: &mut [T],
    a_width: usize,
    b: &mut [U],
    b_width: usize,
    min_rows: usize,
    f: impl Fn(usize, &mut [T], &mut [U]) + Sync,
) {
    if a_width == 0 || a.is_empty() {
        return;
    }
    let rows = a.len() / a_width;
    debug_assert_eq!(b.len(), rows * b_width);
    let per = rows_per_task(rows).max(min_rows);
    let jobs = a
        .chunks_mut(per * a_width)
        .zip(b.chunks_mut((per * b_width).max(1)))
        .enumerate();
    #[cfg(any(not(target_arch = "wasm32"), target_feature = "atomics"))]
    {
        use rayon::prelude::*;
        jobs.collect::<Vec<_>>()
            .into_par_iter()
            .for_each(|(i, (x, y))| f(i * per, x, y));
    }
    #[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
    for (i, (x, y)) in jobs {
        f(i * per, x, y);
    }
}

/// As [`for_rows`] on several `f32` buffers of the same shape at once: `f(first_row,
/// chunks)` gets the same rows of every buffer.
pub fn for_rows_many(
    outs: &mut [&mut [f32]],
    width: usize,
    f: impl Fn(usize, &mut [&mut [f32]]) + Sync,
) {
    let Some(first) = outs.first() else { return };
    if width == 0 || first.is_empty() {
        return;
    }
    let rows = first.len() / width;
    let per = rows_per_task(rows);
    let mut iters: Vec<_> = outs.iter_mut().map(|o| o.chunks_mut(per * width)).collect();
    let mut tasks = Vec::new();
    'chunks: loop {
        let mut chunk = Vec::with_capacity(iters.len());
        for it in iters.iter_mut() {
            match it.next() {
                Some(c) => chunk.push(c),
                None => break 'chunks,
            }
        }
        tasks.push(chunk);
    }
    #[cfg(any(not(target_arch = "wasm32"), target_feature = "atomics"))]
    {
        use rayon::prelude::*;
        tasks
            .into_par_iter()
            .enumerate()
            .for_each(|(i, mut chunk)| f(i * per, &mut chunk));
    }
    #[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
    for (i, mut chunk) in tasks.into_iter().enumerate() {
        f(i * per, &mut chunk);
    }
}

/// a · b for `f32` matrices of any strides, as a new standard-layout array: the matrix
/// products of a step (aggregates x·Wᵀ, weight gradients gᵀ·x).
///
/// Natively the product is cut into panels, rows of the result (columns when it is
/// wider than tall, so that the operand every panel packs again is the smaller one),
/// that rayon's workers take one at a time, each a single-threaded matrixmultiply call.
/// matrixmultiply's own threads cut a product once, evenly: on a machine whose cores
/// also run other work, the whole product then waits for the slowest core. Every
/// element is the same sum in the same order whatever the cut, so the result does not
/// depend on the threads. In the plain wasm build it is ndarray's product
/// (matrixmultiply, one thread), the same sums as every panel's.
pub fn matmul(a: ArrayView2<f32>, b: ArrayView2<f32>) -> Array2<f32> {
    assert_eq!(a.ncols(), b.nrows(), "inner dimensions of a matrix product");
    #[cfg(any(not(target_arch = "wasm32"), target_feature = "atomics"))]
    {
        let ((m, k), n) = (a.dim(), b.ncols());
        use rayon::prelude::*;
        if m == 0 || n == 0 || k == 0 {
            return Array2::zeros((m, n));
        }
        // Two panels per thread (of at least 2^21 multiply-adds, ≈ 30 µs): a panel
        // packs the shared operand again and reuses it for its rows only, so smaller
        // panels (64 rows) made the products 20 % slower.
        let threads = rayon::current_num_threads();
        let tasks = ((m * n * k) >> 21).clamp(1, 2 * threads);
        let split_rows = m >= n;
        let len = if split_rows { m } else { n };
        let per = len.div_ceil(tasks).next_multiple_of(16);
        let [rsa, csa] = [a.strides()[0], a.strides()[1]];
        let [rsb, csb] = [b.strides()[0], b.strides()[1]];
        let (pa, pb) = (Ptr(a.as_ptr() as *mut f32), Ptr(b.as_ptr() as *mut f32));
        let mut out: Vec<f32> = Vec::with_capacity(m * n);
        let pc = Ptr(out.as_mut_ptr());
        (0..len.div_ceil(per)).into_par_iter().for_each(|i| {
            let (lo, hi) = (i * per, ((i + 1) * per).min(len));
            let (pa, pb, pc) = (&pa, &pb, &pc);
            // SAFETY: the views are valid for their dims and strides; the panels
            // write disjoint parts of `out` (rows lo..hi, or columns lo..hi), whose
            // capacity is m·n; with β = 0 sgemm writes C without reading it.
            unsafe {
                if split_rows {
                    let a = pa.0.offset(lo as isize * rsa);
                    let c = pc.0.add(lo * n);
                    matrixmultiply::sgemm(
                        hi - lo,
                        k,
                        n,
                        1.0,
                        a,
                        rsa,
                        csa,
                        pb.0,
                        rsb,
                        csb,
                        0.0,
                        c,
                        n as isize,
                        1,
                    );
                } else {
                    let b = pb.0.offset(lo as isize * csb);
                    let c = pc.0.add(lo);
                    matrixmultiply::sgemm(
                        m,
                        k,
                        hi - lo,
                        1.0,
                        pa.0,
                        rsa,
                        csa,
                        b,
                        rsb,
                        csb,
                        0.0,
                        c,
                        n as isize,
                        1,
                    );
                }
            }
        });
        // SAFETY: the panels above wrote all m·n elements.
        unsafe { out.set_len(m * n) };
        Array2::from_shape_vec((m, n), out).expect("m × n")
    }
    #[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
    {
        let c = a.dot(&b);
        if c.is_standard_layout() {
            c
        } else {
            // ndarray returns column-major products for some input layouts (e.g. one
            // input column).
            c.as_standard_layout().into_owned()
        }
    }
}

/// A raw matrix pointer shared by the panels of [`matmul`], which touch disjoint parts.
#[cfg(any(not(target_arch = "wasm32"), target_feature = "atomics"))]
struct Ptr(*mut f32);
// SAFETY: see `matmul`: reads only of the operands, disjoint writes of the result.
#[cfg(any(not(target_arch = "wasm32"), target_feature = "atomics"))]
unsafe impl Sync for Ptr {}
#[cfg(any(not(target_arch = "wasm32"), target_feature = "atomics"))]
unsafe impl Send for Ptr {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_visited_once_with_its_index() {
        for rows in [0usize, 1, 15, 16, 17, 1000, 1024] {
            let mut out = vec![0usize; rows * 3];
            for_rows(&mut out, 3, |first, chunk| {
                for (r, row) in chunk.chunks_mut(3).enumerate() {
                    row.iter_mut().for_each(|v| *v += first + r + 1);
                }
            });
            let want: Vec<usize> = (0..rows).flat_map(|r| [r + 1; 3]).collect();
            assert_eq!(out, want);
            let mut a = vec![0usize; rows * 2];
            let mut b = vec![0usize; rows * 5];
            for_rows2(&mut a, 2, &mut b, 5, rows % 7, |first, x, y| {
                assert_eq!(x.len() / 2, y.len() / 5);
                x.iter_mut().for_each(|v| *v = first);
                y.iter_mut().for_each(|v| *v = first);
            });
            let (mut p, mut q) = (vec![0f32; rows * 2], vec![0f32; rows * 2]);
            for_rows_many(&mut [&mut p, &mut q], 2, |first, c| {
                assert_eq!(c[0].len(), c[1].len());
                c[0].iter_mut().for_each(|v| *v = first as f32);
                c[1].iter_mut().for_each(|v| *v = 1.0 + first as f32);
            });
            assert!(p.iter().zip(&q).all(|(a, b)| b - a == 1.0));
        }
    }

    /// The panelled product against ndarray's, bit for bit, for transposed operands,
    /// shapes cut by rows and by columns, sizes not multiples of a panel, and empty ones.
    #[test]
    fn matmul_matches_ndarray_exactly() {
        let mut rng = crate::rng::Stream::new(7);
        for (m, k, n) in [
            (1, 1, 1),
            (3, 0, 4),
            (0, 5, 2),
            (37, 19, 5),
            (300, 257, 90),
            (90, 700, 333),
        ] {
            let a = Array2::from_shape_fn((m, k), |_| rng.normal() as f32);
            let b = Array2::from_shape_fn((n, k), |_| rng.normal() as f32);
            let want = a.dot(&b.t());
            assert_eq!(matmul(a.view(), b.t()), want);
            let at = a.t().as_standard_layout().into_owned();
            assert_eq!(matmul(at.t(), b.t()), want);
        }
    }
}
