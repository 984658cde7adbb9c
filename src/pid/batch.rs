//! Many neurons at once: one [`Workspace`] per worker, reused across calls, so a
//! training step decomposes hundreds of tables without allocating.

use super::isx::{Digits, GoalWeights, Isx, Workspace};

/// Decomposes the tables of a whole layer; neurons are split across worker threads on
/// native targets and in the page's threaded build, and run in sequence in the plain
/// wasm build.
pub struct NeuronBatch {
    isx: Isx,
    workspaces: Vec<Workspace>,
}

#[cfg(any(not(target_arch = "wasm32"), target_feature = "atomics"))]
fn default_workers() -> usize {
    rayon::current_num_threads()
}

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
fn default_workers() -> usize {
    1
}

impl NeuronBatch {
    /// A batch with one workspace per available thread.
    pub fn new(isx: Isx) -> Self {
        Self::with_workers(isx, default_workers())
    }

    pub fn with_workers(isx: Isx, workers: usize) -> Self {
        let workspaces = (0..workers.max(1)).map(|_| isx.workspace()).collect();
        NeuronBatch { isx, workspaces }
    }

    pub fn isx(&self) -> &Isx {
        &self.isx
    }

    /// For N neurons with B samples each (`bins` and `theta` neuron-major, N·B long):
    /// writes every neuron's goal terms (N × terms) and ∂G/∂θ (N × B).
    pub fn goal_from_samples(
        &mut self,
        bins: &[Digits],
        theta: &[f64],
        goal: &GoalWeights,
        terms: &mut [f64],
        dtheta: &mut [f64],
    ) {
        let t = self.isx.lattice().term_count();
        let neurons = terms.len() / t;
        assert_eq!(terms.len(), neurons * t);
        assert!(neurons > 0 && bins.len().is_multiple_of(neurons));
        let b = bins.len() / neurons;
        assert_eq!(theta.len(), bins.len());
        assert_eq!(dtheta.len(), bins.len());
        let isx = &self.isx;
        let work =
            |ws: &mut Workspace, lo: usize, hi: usize, terms: &mut [f64], dtheta: &mut [f64]| {
                for k in lo..hi {
                    let j = k - lo;
                    isx.goal_from_samples(
                        &bins[k * b..(k + 1) * b],
                        &theta[k * b..(k + 1) * b],
                        goal,
                        ws,
                        &mut terms[j * t..(j + 1) * t],
                        &mut dtheta[j * b..(j + 1) * b],
                    );
                }
            };
        split(&mut self.workspaces, neurons, terms, t, dtheta, b, work);
    }

    /// For N dense tables (N × cells): writes the goal terms (N × terms) and the full
    /// ∂G/∂p (N × cells).
    pub fn goal_gradient_tables(
        &mut self,
        tables: &[f64],
        goal: &GoalWeights,
        terms: &mut [f64],
        grad: &mut [f64],
    ) {
        let t = self.isx.lattice().term_count();
        let cells = self.isx.shape().cells();
        let neurons = tables.len() / cells;
        assert_eq!(tables.len(), neurons * cells);
        assert_eq!(terms.len(), neurons * t);
        assert_eq!(grad.len(), tables.len());
        let isx = &self.isx;
        let work =
            |ws: &mut Workspace, lo: usize, hi: usize, terms: &mut [f64], grad: &mut [f64]| {
                for k in lo..hi {
                    let j = k - lo;
                    let d = isx.goal_gradient(
                        &tables[k * cells..(k + 1) * cells],
                        goal,
                        ws,
                        &mut grad[j * cells..(j + 1) * cells],
                    );
                    let out = &mut terms[j * t..(j + 1) * t];
                    out[..d.atoms.len()].copy_from_slice(&d.atoms);
                    out[d.atoms.len()] = d.residual_entropy;
                }
            };
        split(&mut self.workspaces, neurons, terms, t, grad, cells, work);
    }
}

/// Runs `work(ws, lo, hi, a[lo..hi], b[lo..hi])` on contiguous neuron ranges, one
/// range per workspace.
fn split<F>(
    workspaces: &mut [Workspace],
    neurons: usize,
    a: &mut [f64],
    a_w: usize,
    b: &mut [f64],
    b_w: usize,
    work: F,
) where
    F: Fn(&mut Workspace, usize, usize, &mut [f64], &mut [f64]) + Sync,
{
    let per = neurons.div_ceil(workspaces.len());
    let jobs = a
        .chunks_mut(per * a_w)
        .zip(b.chunks_mut(per * b_w))
        .enumerate();
    #[cfg(any(not(target_arch = "wasm32"), target_feature = "atomics"))]
    {
        use rayon::prelude::*;
        let jobs: Vec<_> = jobs.zip(workspaces.iter_mut()).collect();
        jobs.into_par_iter().for_each(|((i, (a, b)), ws)| {
            let lo = i * per;
            work(ws, lo, (lo + per).min(neurons), a, b)
        });
    }
    #[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
    for ((i, (a, b)), ws) in jobs.zip(workspaces.iter_mut()) {
        let lo = i * per;
        work(ws, lo, (lo + per).min(neurons), a, b)
    }
}
