//! The I^sx redundancy of every antichain, the atoms, and the exact gradient of a goal
//! G = γ·terms with respect to the joint table (method §3–4).
//!
//! Everything about an antichain α depends on the sources only through the union U_α of
//! its collections, so each redundancy is evaluated on the U_α-marginal, visiting only
//! occupied cells. Training tables are sparse (1024 samples in 8000 source cells), so the
//! cost follows the samples, not the table size.

use super::joint::{bail, JointShape, PidError};
use super::lattice::{Lattice, SourceSet, MAX_SOURCES};
use std::f64::consts::LN_2;

/// Ratios P(t, W)/(P(W)·P(t)) below this count as 1: no information and no gradient (paper).
pub const RATIO_FLOOR: f64 = 1e-7;
/// Added inside the logarithm of H(T) for its gradient, so an empty target state stays finite.
pub const ENTROPY_EPS: f64 = 1e-10;

/// Per-source state indices of one joint source state; unused sources are 0.
pub type Digits = [u16; MAX_SOURCES];

/// The joint states of one source subset V, indexed in C order over its members.
#[derive(Clone, Debug)]
struct Space {
    size: usize,
    /// Stride of each source in this space; 0 for sources outside V.
    strides: [u32; MAX_SOURCES],
    members: Vec<usize>,
}

impl Space {
    #[inline(always)]
    fn index(&self, d: &Digits) -> usize {
        (d[0] as u32 * self.strides[0]
            + d[1] as u32 * self.strides[1]
            + d[2] as u32 * self.strides[2]
            + d[3] as u32 * self.strides[3]) as usize
    }
}

/// How to evaluate one antichain: its union and the inclusion–exclusion terms of W_α.
#[derive(Clone, Debug)]
struct Plan {
    union: usize,
    terms: Vec<Term>,
}

/// coef · P(S_V = s_V), with V found at `slot` among the subsets of the union.
#[derive(Clone, Copy, Debug)]
struct Term {
    subset: usize,
    slot: usize,
    coef: f64,
}

/// γ turned into one weight per redundancy plus the weight of H(T):
/// G = Σ_α weight_α · I_α + entropy_weight · H(T).
#[derive(Clone, Debug, PartialEq)]
pub struct GoalWeights {
    gamma: Vec<f64>,
    redundancy: Vec<f64>,
    entropy: f64,
}

impl GoalWeights {
    pub fn gamma(&self) -> &[f64] {
        &self.gamma
    }
}

/// The decomposition of one table. All values in bits.
#[derive(Clone, Debug, PartialEq)]
pub struct Decomposition {
    /// I^sx redundancy of each antichain, in term order.
    pub redundancy: Vec<f64>,
    /// PID atoms Π, in term order.
    pub atoms: Vec<f64>,
    /// H(T) − I(T; S).
    pub residual_entropy: f64,
    /// I(T; S), the redundancy of the top antichain {12..n}.
    pub mutual_information: f64,
    /// H(T).
    pub target_entropy: f64,
}

impl Decomposition {
    /// The goal terms: atoms followed by H_res.
    pub fn terms(&self) -> Vec<f64> {
        let mut t = self.atoms.clone();
        t.push(self.residual_entropy);
        t
    }

    /// G = γ·terms.
    pub fn goal(&self, gamma: &[f64]) -> f64 {
        self.terms().iter().zip(gamma).map(|(t, g)| t * g).sum()
    }
}

/// Pointwise (per-realisation) values of one cell with P(t, s) > 0, in bits:
/// i = i⁺ − i⁻ with i⁺ = −log2 P(W_α(s)) and i⁻ = −log2 P(W_α(s) | t).
#[derive(Clone, Debug, PartialEq)]
pub struct Pointwise {
    pub sources: Vec<usize>,
    pub target: usize,
    pub probability: f64,
    /// i⁺ per antichain (redundancy level), term order.
    pub informative: Vec<f64>,
    /// i⁻ per antichain.
    pub misinformative: Vec<f64>,
    /// Möbius inversion of i⁺: the pointwise informative atoms.
    pub informative_atoms: Vec<f64>,
    /// Möbius inversion of i⁻: the pointwise misinformative atoms.
    pub misinformative_atoms: Vec<f64>,
}

/// Reusable buffers for one table at a time; create one per thread and reuse it so that
/// the hot loop never allocates.
#[derive(Clone, Debug)]
pub struct Workspace {
    /// For every source subset V (index = bit mask): P_V(v, t) at `v·(m+1) + t` and
    /// P_V(v) at `v·(m+1) + m`, so one lookup fetches a whole row.
    tab: Vec<Vec<f64>>,
    /// Occupied states v of each V (P_V(v) > 0) and their digits.
    occupied: Vec<Vec<u32>>,
    digits: Vec<Vec<Digits>>,
    /// For each union U and occupied u: the index of u's projection onto every V ⊆ U,
    /// `k·|sub(U)| + j`, computed once and shared by all antichains with that union.
    projections: Vec<Vec<u32>>,
    /// Scatter buffer for the gradient's inclusion–exclusion sums, laid out like `tab`.
    spread: Vec<Vec<f64>>,
    /// ∂G/∂P_U(u, t) for every union U, `u·m + t`.
    grad: Vec<Vec<f64>>,
    grad_used: Vec<bool>,
    grad_dense: bool,
    /// Part of ∂G/∂P(s, t) shared by every s.
    grad_const: Vec<f64>,
    pt: Vec<f64>,
    redundancy: Vec<f64>,
    /// Per occupied cell of the current union: P(t, W) and P(W) (row of m+1), then
    /// the guarded log-ratios (m per cell).
    rows: Vec<f64>,
    logs: Vec<f64>,
    acc: Vec<f64>,
    kept: Vec<f64>,
}

/// Which cells need the gradient: all of them (full ∂G/∂P) or only occupied ones (training).
#[derive(Clone, Copy, PartialEq, Eq)]
enum GradCells {
    None,
    Occupied,
    All,
}

/// The I^sx decomposition for one table shape. Immutable: share it between threads.
#[derive(Clone, Debug)]
pub struct Isx {
    lattice: Lattice,
    shape: JointShape,
    /// Indexed by subset bit mask; entry 0 (the empty set) is unused.
    spaces: Vec<Space>,
    /// `subsets[U]`: the non-empty V ⊆ U, in a fixed order (slots of `projections`).
    subsets: Vec<Vec<usize>>,
    plans: Vec<Plan>,
    full: usize,
}

fn advance(d: &mut Digits, members: &[usize], dims: &[usize]) {
    for &i in members.iter().rev() {
        d[i] += 1;
        if (d[i] as usize) < dims[i] {
            return;
        }
        d[i] = 0;
    }
}

#[inline(always)]
fn guarded_log2(ratio: f64) -> f64 {
    if ratio >= RATIO_FLOOR && ratio.is_finite() {
        ratio.log2()
    } else {
        0.0
    }
}

impl Isx {
    pub fn new(shape: JointShape) -> Self {
        let n = shape.source_count();
        let lattice = Lattice::new(n);
        let dims = shape.sources();
        let masks = 1usize << n;
        let spaces = (0..masks)
            .map(|mask| {
                let members: Vec<usize> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
                let mut strides = [0u32; MAX_SOURCES];
                let mut size = 1usize;
                for &i in members.iter().rev() {
                    strides[i] = size as u32;
                    size *= dims[i];
                }
                Space {
                    size,
                    strides,
                    members,
                }
            })
            .collect();
        let subsets: Vec<Vec<usize>> = (0..masks)
            .map(|u| (1..masks).filter(|v| v & !u == 0).collect())
            .collect();
        let plans = lattice
            .antichains()
            .iter()
            .map(|a| {
                let union = a.union as usize;
                let terms = a
                    .union_terms
                    .iter()
                    .map(|&(v, c): &(SourceSet, i32)| Term {
                        subset: v as usize,
                        slot: subsets[union].iter().position(|&x| x == v as usize).unwrap(),
                        coef: c as f64,
                    })
                    .collect();
                Plan { union, terms }
            })
            .collect();
        Isx {
            lattice,
            shape,
            spaces,
            subsets,
            plans,
            full: masks - 1,
        }
    }

    pub fn lattice(&self) -> &Lattice {
        &self.lattice
    }

    pub fn shape(&self) -> &JointShape {
        &self.shape
    }

    /// Buffers sized for this shape.
    pub fn workspace(&self) -> Workspace {
        let m = self.shape.target();
        let per_space = |width: usize| -> Vec<Vec<f64>> {
            self.spaces.iter().map(|s| vec![0.0; s.size * width]).collect()
        };
        Workspace {
            tab: per_space(m + 1),
            occupied: vec![Vec::new(); self.spaces.len()],
            digits: vec![Vec::new(); self.spaces.len()],
            projections: vec![Vec::new(); self.spaces.len()],
            spread: per_space(m + 1),
            grad: per_space(m),
            grad_used: vec![false; self.spaces.len()],
            grad_dense: false,
            grad_const: vec![0.0; m],
            pt: vec![0.0; m],
            redundancy: vec![0.0; self.lattice.len()],
            rows: Vec::new(),
            logs: Vec::new(),
            acc: vec![0.0; m + 1],
            kept: vec![0.0; m],
        }
    }

    /// Checks γ (one weight per term, in term order, all finite) and prepares it.
    pub fn goal_weights(&self, gamma: &[f64]) -> Result<GoalWeights, PidError> {
        let terms = self.lattice.term_count();
        if gamma.len() != terms {
            bail!(
                "γ has {} entries but {} sources have {terms} terms ({})",
                gamma.len(),
                self.shape.source_count(),
                self.lattice.term_names().join(", ")
            );
        }
        if let Some(i) = gamma.iter().position(|g| !g.is_finite()) {
            bail!("γ[{i}] is not a finite number");
        }
        let atoms = self.lattice.len();
        let mut redundancy = vec![0.0; atoms];
        for (k, g) in gamma[..atoms].iter().enumerate() {
            for (w, m) in redundancy.iter_mut().zip(self.lattice.mobius_row(k)) {
                *w += g * m;
            }
        }
        // H_res = H(T) − I_top.
        let entropy = gamma[atoms];
        redundancy[self.lattice.top()] -= entropy;
        Ok(GoalWeights {
            gamma: gamma.to_vec(),
            redundancy,
            entropy,
        })
    }

    /// Decomposes a validated table (see [`JointShape::validate`]).
    pub fn decompose(&self, p: &[f64], ws: &mut Workspace) -> Decomposition {
        self.load_table(p, ws);
        self.evaluate(ws, None, GradCells::None);
        let d = self.assemble(ws);
        self.clear(ws);
        d
    }

    /// Decomposes a table and writes the exact ∂G/∂p (flattened like p) into `grad`.
    pub fn goal_gradient(
        &self,
        p: &[f64],
        goal: &GoalWeights,
        ws: &mut Workspace,
        grad: &mut [f64],
    ) -> Decomposition {
        assert_eq!(grad.len(), self.shape.cells());
        self.load_table(p, ws);
        self.evaluate(ws, Some(goal), GradCells::All);
        let d = self.assemble(ws);
        let m = self.shape.target();
        let all = &self.spaces[self.full].members;
        let mut digits: Digits = [0; MAX_SOURCES];
        for cell in grad.chunks_exact_mut(m) {
            cell.copy_from_slice(&ws.grad_const);
            for (v, space) in self.spaces.iter().enumerate().skip(1) {
                if ws.grad_used[v] {
                    let base = space.index(&digits) * m;
                    for (g, x) in cell.iter_mut().zip(&ws.grad[v][base..base + m]) {
                        *g += x;
                    }
                }
            }
            advance(&mut digits, all, self.shape.sources());
        }
        self.clear(ws);
        d
    }

    /// The training entry point for one neuron with a binary output: the table is the
    /// θ-weighted histogram of B samples (target state 1 is Y = +1 with probability
    /// θ_b, state 0 is Y = −1), and the result is the goal terms and ∂G/∂θ_b.
    /// Writes `terms` (term order) and `dtheta` (one per sample); allocates nothing
    /// once the workspace has seen a batch of this size.
    pub fn goal_from_samples(
        &self,
        bins: &[Digits],
        theta: &[f64],
        goal: &GoalWeights,
        ws: &mut Workspace,
        terms: &mut [f64],
        dtheta: &mut [f64],
    ) {
        assert_eq!(self.shape.target(), 2, "samples need a binary target");
        assert_eq!(bins.len(), theta.len());
        assert_eq!(bins.len(), dtheta.len());
        let inv_b = 1.0 / bins.len() as f64;
        for (d, &th) in bins.iter().zip(theta) {
            self.add_cell(d, &[(1.0 - th) * inv_b, th * inv_b], inv_b, ws);
        }
        self.evaluate(ws, Some(goal), GradCells::Occupied);
        self.write_terms(ws, terms);
        let base = ws.grad_const[1] - ws.grad_const[0];
        for (d, out) in bins.iter().zip(dtheta.iter_mut()) {
            let mut g = base;
            for (v, space) in self.spaces.iter().enumerate().skip(1) {
                if ws.grad_used[v] {
                    let i = space.index(d) * 2;
                    g += ws.grad[v][i + 1] - ws.grad[v][i];
                }
            }
            *out = g * inv_b;
        }
        self.clear(ws);
    }

    /// Pointwise values of every cell with P(t, s) > 0, cells in table order.
    pub fn pointwise(&self, p: &[f64], ws: &mut Workspace) -> Vec<Pointwise> {
        self.load_table(p, ws);
        let m = self.shape.target();
        let n = self.shape.source_count();
        let atoms = self.lattice.len();
        let mut cells: Vec<(u32, Digits)> = ws.occupied[self.full]
            .iter()
            .copied()
            .zip(ws.digits[self.full].iter().copied())
            .collect();
        cells.sort_unstable_by_key(|c| c.0);
        let mut out = Vec::new();
        let mut row = vec![0.0; m + 1];
        for (s, d) in cells {
            for t in 0..m {
                let prob = ws.tab[self.full][s as usize * (m + 1) + t];
                if prob <= 0.0 {
                    continue;
                }
                let mut informative = vec![0.0; atoms];
                let mut misinformative = vec![0.0; atoms];
                for (a, plan) in self.plans.iter().enumerate() {
                    self.union_row(plan, &d, &ws.tab, &mut row);
                    informative[a] = -row[m].log2();
                    misinformative[a] = -(row[t] / ws.pt[t]).log2();
                }
                let mut informative_atoms = vec![0.0; atoms];
                let mut misinformative_atoms = vec![0.0; atoms];
                self.lattice
                    .atoms_from_redundancies(&informative, &mut informative_atoms);
                self.lattice
                    .atoms_from_redundancies(&misinformative, &mut misinformative_atoms);
                out.push(Pointwise {
                    sources: d[..n].iter().map(|&x| x as usize).collect(),
                    target: t,
                    probability: prob,
                    informative,
                    misinformative,
                    informative_atoms,
                    misinformative_atoms,
                });
            }
        }
        self.clear(ws);
        out
    }

    fn load_table(&self, p: &[f64], ws: &mut Workspace) {
        assert_eq!(p.len(), self.shape.cells());
        let m = self.shape.target();
        let all = &self.spaces[self.full].members;
        let mut digits: Digits = [0; MAX_SOURCES];
        for cell in p.chunks_exact(m) {
            let total: f64 = cell.iter().sum();
            if total > 0.0 {
                self.add_cell(&digits, cell, total, ws);
            }
            advance(&mut digits, all, self.shape.sources());
        }
    }

    /// Adds probability mass `cell[t]` at source state `d` to every marginal.
    #[inline]
    fn add_cell(&self, d: &Digits, cell: &[f64], total: f64, ws: &mut Workspace) {
        let m = cell.len();
        let w = m + 1;
        for (v, space) in self.spaces.iter().enumerate().skip(1) {
            let i = space.index(d);
            let row = &mut ws.tab[v][i * w..(i + 1) * w];
            if row[m] == 0.0 {
                ws.occupied[v].push(i as u32);
                ws.digits[v].push(*d);
            }
            row[m] += total;
            for (x, c) in row[..m].iter_mut().zip(cell) {
                *x += c;
            }
        }
        for (x, c) in ws.pt.iter_mut().zip(cell) {
            *x += c;
        }
    }

    /// `row[t]` = P(T = t, W_α(s)) and `row[m]` = P(W_α(s)) by inclusion–exclusion,
    /// for any source state `d` (occupied or not).
    fn union_row(&self, plan: &Plan, d: &Digits, tab: &[Vec<f64>], row: &mut [f64]) {
        let w = row.len();
        row.fill(0.0);
        for term in &plan.terms {
            let i = self.spaces[term.subset].index(d) * w;
            for (x, y) in row.iter_mut().zip(&tab[term.subset][i..i + w]) {
                *x += term.coef * y;
            }
        }
    }

    /// Redundancies of all antichains and, with a goal, ∂G/∂P_U on the requested cells.
    fn evaluate(&self, ws: &mut Workspace, goal: Option<&GoalWeights>, cells: GradCells) {
        match self.shape.target() {
            2 => self.evaluate_with::<2>(ws, goal, cells),
            _ => self.evaluate_with::<0>(ws, goal, cells),
        }
    }

    /// `M` is the number of target states when known at compile time (binary neurons),
    /// 0 otherwise; the body is the same, the constant only lets loops unroll.
    fn evaluate_with<const M: usize>(
        &self,
        ws: &mut Workspace,
        goal: Option<&GoalWeights>,
        cells: GradCells,
    ) {
        let m = if M == 0 { self.shape.target() } else { M };
        let w = m + 1;
        let Workspace {
            tab,
            occupied,
            digits,
            projections,
            spread,
            grad,
            grad_used,
            grad_dense,
            grad_const,
            pt,
            redundancy,
            rows,
            logs,
            acc,
            kept,
        } = ws;
        let pt = &pt[..m];
        *grad_dense = cells == GradCells::All;
        for (u, subs) in self.subsets.iter().enumerate().skip(1) {
            let proj = &mut projections[u];
            proj.clear();
            for d in &digits[u] {
                proj.extend(subs.iter().map(|&v| self.spaces[v].index(d) as u32));
            }
        }
        for (a, plan) in self.plans.iter().enumerate() {
            let u = plan.union;
            let ns = self.subsets[u].len();
            let occ = occupied[u].len();
            let proj = &projections[u];
            let weight = goal.map_or(0.0, |g| g.redundancy[a]);
            let with_grad = cells != GradCells::None && weight != 0.0;
            grad_used[u] |= with_grad;

            // 1. P(t, W_α(u)) and P(W_α(u)) for every occupied u.
            rows.clear();
            rows.resize(occ * w, 0.0);
            for (row, ix) in rows.chunks_exact_mut(w).zip(proj.chunks_exact(ns)) {
                for term in &plan.terms {
                    let i = ix[term.slot] as usize * w;
                    let src = &tab[term.subset][i..i + w];
                    for t in 0..w {
                        row[t] += term.coef * src[t];
                    }
                }
            }
            // 2. Guarded log-ratios; NaN marks a ratio the floor switches off.
            logs.clear();
            logs.resize(occ * m, 0.0);
            for (l, row) in logs.chunks_exact_mut(m).zip(rows.chunks_exact(w)) {
                for t in 0..m {
                    let ratio = row[t] / (row[m] * pt[t]);
                    l[t] = if ratio >= RATIO_FLOOR && ratio.is_finite() {
                        ratio.log2()
                    } else {
                        f64::NAN
                    };
                }
            }
            // 3. The redundancy, and each cell's own log-ratio and scatter terms.
            kept.fill(0.0);
            let mut total = 0.0;
            for (k, &ui) in occupied[u].iter().enumerate() {
                let ui = ui as usize;
                let r = &tab[u][ui * w..ui * w + m];
                let l = &logs[k * m..(k + 1) * m];
                let row = &rows[k * w..(k + 1) * w];
                let mut z = 0.0;
                for t in 0..m {
                    let active = !l[t].is_nan();
                    acc[t] = 0.0;
                    if r[t] > 0.0 && active {
                        total += r[t] * l[t];
                        acc[t] = r[t] / row[t];
                        z += r[t] / row[m];
                        kept[t] += r[t];
                    }
                }
                if with_grad {
                    acc[m] = z;
                    let g = &mut grad[u][ui * m..(ui + 1) * m];
                    for t in 0..m {
                        if !l[t].is_nan() {
                            g[t] += weight * l[t];
                        }
                    }
                    let ix = &proj[k * ns..(k + 1) * ns];
                    for term in &plan.terms {
                        let i = ix[term.slot] as usize * w;
                        let dst = &mut spread[term.subset][i..i + w];
                        for t in 0..w {
                            dst[t] += acc[t];
                        }
                    }
                }
            }
            redundancy[a] = total;
            if !with_grad {
                continue;
            }
            // 4. ∂I_α/∂P_U(u, t) = own log-ratio + (1/ln2)·[Σ_V c·(Q_t − Z)_V − kept_t/P(t)].
            let scale = weight / LN_2;
            for t in 0..m {
                grad_const[t] -= scale * kept[t] / pt[t];
            }
            for (&ui, ix) in occupied[u].iter().zip(proj.chunks_exact(ns)) {
                let ui = ui as usize;
                acc.fill(0.0);
                for term in &plan.terms {
                    let i = ix[term.slot] as usize * w;
                    let src = &spread[term.subset][i..i + w];
                    for t in 0..w {
                        acc[t] += term.coef * src[t];
                    }
                }
                let g = &mut grad[u][ui * m..(ui + 1) * m];
                for t in 0..m {
                    g[t] += scale * (acc[t] - acc[m]);
                }
            }
            if cells == GradCells::All {
                self.empty_cell_gradient(plan, weight, tab, spread, pt, &mut grad[u], acc);
            }
            for ix in proj.chunks_exact(ns) {
                for term in &plan.terms {
                    let i = ix[term.slot] as usize * w;
                    spread[term.subset][i..i + w].fill(0.0);
                }
            }
        }
        if let Some(goal) = goal {
            if cells != GradCells::None && goal.entropy != 0.0 {
                for (g, &p) in grad_const.iter_mut().zip(pt.iter()) {
                    *g += goal.entropy
                        * (-(p + ENTROPY_EPS).log2() - p / ((p + ENTROPY_EPS) * LN_2));
                }
            }
        }
    }

    /// The gradient on source states of the union that hold no mass: their own
    /// log-ratio (method §4) plus the scattered sums, which can reach them too.
    #[allow(clippy::too_many_arguments)]
    fn empty_cell_gradient(
        &self,
        plan: &Plan,
        weight: f64,
        tab: &[Vec<f64>],
        spread: &[Vec<f64>],
        pt: &[f64],
        grad: &mut [f64],
        row: &mut [f64],
    ) {
        let m = pt.len();
        let w = m + 1;
        let scale = weight / LN_2;
        let space = &self.spaces[plan.union];
        let mut d: Digits = [0; MAX_SOURCES];
        for ui in 0..space.size {
            if tab[plan.union][ui * w + m] == 0.0 {
                let g = &mut grad[ui * m..(ui + 1) * m];
                self.union_row(plan, &d, tab, row);
                for t in 0..m {
                    g[t] += weight * guarded_log2(row[t] / (row[m] * pt[t]));
                }
                self.union_row(plan, &d, spread, row);
                for t in 0..m {
                    g[t] += scale * (row[t] - row[m]);
                }
            }
            advance(&mut d, &space.members, self.shape.sources());
        }
    }

    fn target_entropy(pt: &[f64]) -> f64 {
        pt.iter()
            .filter(|p| **p > 0.0)
            .map(|p| -p * p.log2())
            .sum()
    }

    fn write_terms(&self, ws: &Workspace, terms: &mut [f64]) {
        let atoms = self.lattice.len();
        self.lattice
            .atoms_from_redundancies(&ws.redundancy, &mut terms[..atoms]);
        terms[atoms] = Self::target_entropy(&ws.pt) - ws.redundancy[self.lattice.top()];
    }

    fn assemble(&self, ws: &Workspace) -> Decomposition {
        let mut atoms = vec![0.0; self.lattice.len()];
        self.lattice
            .atoms_from_redundancies(&ws.redundancy, &mut atoms);
        let target_entropy = Self::target_entropy(&ws.pt);
        let mutual_information = ws.redundancy[self.lattice.top()];
        Decomposition {
            redundancy: ws.redundancy.clone(),
            atoms,
            residual_entropy: target_entropy - mutual_information,
            mutual_information,
            target_entropy,
        }
    }

    /// Returns the workspace to all zeros, touching only what was written.
    fn clear(&self, ws: &mut Workspace) {
        let m = self.shape.target();
        let w = m + 1;
        for v in 1..self.spaces.len() {
            let dense = ws.grad_dense && ws.grad_used[v];
            if dense {
                ws.grad[v].fill(0.0);
            }
            for &i in &ws.occupied[v] {
                let i = i as usize;
                ws.tab[v][i * w..(i + 1) * w].fill(0.0);
                if ws.grad_used[v] && !dense {
                    ws.grad[v][i * m..(i + 1) * m].fill(0.0);
                }
            }
            ws.occupied[v].clear();
            ws.digits[v].clear();
            ws.grad_used[v] = false;
        }
        ws.grad_dense = false;
        ws.grad_const.fill(0.0);
        ws.pt.fill(0.0);
    }
}
