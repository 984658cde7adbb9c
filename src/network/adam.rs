//! Adam with PyTorch semantics (`torch.optim.Adam`): weight decay is added to the
//! gradient (L2, not decoupled), bias-corrected moments, ε = 1e-8 outside the root.

/// PyTorch's defaults; the GPU engine's Adam kernel uses the same.
pub(crate) const BETA1: f64 = 0.9;
pub(crate) const BETA2: f64 = 0.999;
pub(crate) const EPS: f64 = 1e-8;

/// The bias corrections of step `t` (1-based): the step size lr / (1 − β1^t) and
/// √(1 − β2^t), which divides √v.
pub(crate) fn bias_corrections(lr: f64, t: i32) -> (f32, f32) {
    let step_size = (lr / (1.0 - BETA1.powi(t))) as f32;
    let root_correction = (1.0 - BETA2.powi(t)).sqrt() as f32;
    (step_size, root_correction)
}

#[derive(Clone, Debug)]
pub struct Adam {
    pub lr: f64,
    pub weight_decay: f64,
    steps: i32,
    m: Vec<f32>,
    v: Vec<f32>,
}

impl Adam {
    pub fn new(len: usize, lr: f64, weight_decay: f64) -> Self {
        Adam {
            lr,
            weight_decay,
            steps: 0,
            m: vec![0.0; len],
            v: vec![0.0; len],
        }
    }

    /// Steps taken and the first and second moments (the GPU engine's upload/readback).
    pub(crate) fn state(&self) -> (i32, &[f32], &[f32]) {
        (self.steps, &self.m, &self.v)
    }

    /// Restores a state read back from the GPU engine.
    pub(crate) fn set_state(&mut self, steps: i32, m: &[f32], v: &[f32]) {
        assert_eq!(m.len(), self.m.len());
        assert_eq!(v.len(), self.v.len());
        self.steps = steps;
        self.m.copy_from_slice(m);
        self.v.copy_from_slice(v);
    }

    /// One descent step on `params` along `grads` (the gradient of the loss).
    pub fn step(&mut self, params: &mut [f32], grads: &[f32]) {
        if self.lr == 0.0 {
            return;
        }
        assert_eq!(params.len(), self.m.len());
        assert_eq!(grads.len(), self.m.len());
        self.steps += 1;
        let (b1, b2) = (BETA1 as f32, BETA2 as f32);
        let (step_size, root_correction) = bias_corrections(self.lr, self.steps);
        let (wd, eps) = (self.weight_decay as f32, EPS as f32);
        let (m, v) = (&mut self.m, &mut self.v);
        let h = Hyper {
            b1,
            b2,
            wd,
            eps,
            step_size,
            root_correction,
        };
        super::par::for_rows_many(&mut [params, m, v], 1, |first, c| {
            adam_rows(&h, &grads[first..first + c[0].len()], c)
        });
    }
}

/// The scalars of one Adam step.
struct Hyper {
    b1: f32,
    b2: f32,
    wd: f32,
    eps: f32,
    step_size: f32,
    root_correction: f32,
}

super::par::simd_kernel! {
/// Updates a run of parameters (`c` = params, m, v) from their gradients.
fn adam_rows(h: &Hyper, grads: &[f32], c: &mut [&mut [f32]]) {
    let (p, rest) = c.split_at_mut(1);
    let (m, v) = rest.split_at_mut(1);
    for (((p, &g), m), v) in p[0]
        .iter_mut()
        .zip(grads)
        .zip(m[0].iter_mut())
        .zip(v[0].iter_mut())
    {
        let g = g + h.wd * *p;
        *m = h.b1 * *m + (1.0 - h.b1) * g;
        *v = h.b2 * *v + (1.0 - h.b2) * g * g;
        *p -= h.step_size * *m / (v.sqrt() / h.root_correction + h.eps);
    }
}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_pytorch_reference_steps() {
        // torch.optim.Adam([p], lr=0.1, weight_decay=0.01) on loss = p², p0 = 1:
        // steps computed by hand from the PyTorch update rule.
        let mut adam = Adam::new(1, 0.1, 0.01);
        let mut p = [1.0f32];
        let mut expected = 1.0f64;
        let (mut m, mut v) = (0.0f64, 0.0f64);
        for t in 1..=5 {
            let g = 2.0 * expected + 0.01 * expected;
            m = 0.9 * m + 0.1 * g;
            v = 0.999 * v + 0.001 * g * g;
            let mhat = m / (1.0 - 0.9f64.powi(t));
            let vhat = v / (1.0 - 0.999f64.powi(t));
            expected -= 0.1 * mhat / (vhat.sqrt() + 1e-8);
            let grad = [2.0 * p[0]];
            adam.step(&mut p, &grad);
            assert!(
                (p[0] as f64 - expected).abs() < 1e-5,
                "step {t}: {} vs {expected}",
                p[0]
            );
        }
        // The first step moves by lr whatever the gradient's scale.
        let mut adam = Adam::new(1, 0.1, 0.0);
        let mut q = [3.0f32];
        adam.step(&mut q, &[600.0]);
        assert!((q[0] - 2.9).abs() < 1e-6);
    }
}
