//! Data-parallel loops over the rows of batch-major buffers: on all cores natively
//! (rayon), in sequence on wasm. The elementwise stages of a step (activation, θ,
//! sampling, binning, gradients, Adam) are memory-bound and were half of a step's
//! time on one core.

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
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        out.par_chunks_mut(per * width)
            .enumerate()
            .for_each(|(i, chunk)| f(i * per, chunk));
    }
    #[cfg(target_arch = "wasm32")]
    for (i, chunk) in out.chunks_mut(per * width).enumerate() {
        f(i * per, chunk);
    }
}

/// As [`for_rows`] on two buffers of the same row count (widths may differ).
pub fn for_rows2<T: Send, U: Send>(
    a: &mut [T],
    a_width: usize,
    b: &mut [U],
    b_width: usize,
    f: impl Fn(usize, &mut [T], &mut [U]) + Sync,
) {
    if a_width == 0 || a.is_empty() {
        return;
    }
    let rows = a.len() / a_width;
    debug_assert_eq!(b.len(), rows * b_width);
    let per = rows_per_task(rows);
    let jobs = a
        .chunks_mut(per * a_width)
        .zip(b.chunks_mut((per * b_width).max(1)))
        .enumerate();
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        jobs.collect::<Vec<_>>()
            .into_par_iter()
            .for_each(|(i, (x, y))| f(i * per, x, y));
    }
    #[cfg(target_arch = "wasm32")]
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
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        tasks
            .into_par_iter()
            .enumerate()
            .for_each(|(i, mut chunk)| f(i * per, &mut chunk));
    }
    #[cfg(target_arch = "wasm32")]
    for (i, mut chunk) in tasks.into_iter().enumerate() {
        f(i * per, &mut chunk);
    }
}

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
            for_rows2(&mut a, 2, &mut b, 5, |first, x, y| {
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
}
