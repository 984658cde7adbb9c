//! The I^sx redundancy of every antichain, the atoms, and the exact gradient of a goal
//! G = γ·terms with respect to the joint table (method §3–4).
//!
//! Everything about an antichain α depends on the sources only through the union U_α of
//! its collections, so each redundancy is evaluated on the U_α-marginal, visiting only
//! occupied cells. Training tables are sparse (1024 samples in 8000 source cells), so the
//! cost follows the samples, not the table size.

use super::fastlog;
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
    /// (antichain, weight / ln 2) for the antichains with a non-zero weight.
    weighted: Vec<(usize, f64)>,
}

impl GoalWeights {
    /// Checks γ (one weight per term of `lattice`, in term order, all finite) and turns
    /// it into weights of the redundancies: atoms are Möbius sums of redundancies and
    /// H_res = H(T) − I_top.
    pub fn new(lattice: &Lattice, gamma: &[f64]) -> Result<GoalWeights, PidError> {
        let terms = lattice.term_count();
        if gamma.len() != terms {
            bail!(
                "γ has {} entries but {} sources have {terms} terms ({})",
                gamma.len(),
                lattice.sources(),
                lattice.term_names().join(", ")
            );
        }
        if let Some(i) = gamma.iter().position(|g| !g.is_finite()) {
            bail!("γ[{i}] is not a finite number");
        }
        let atoms = lattice.len();
        let mut redundancy = vec![0.0; atoms];
        for (k, g) in gamma[..atoms].iter().enumerate() {
            for (w, m) in redundancy.iter_mut().zip(lattice.mobius_row(k)) {
                *w += g * m;
            }
        }
        let entropy = gamma[atoms];
        redundancy[lattice.top()] -= entropy;
        let weighted = (0..atoms)
            .filter(|&a| redundancy[a] != 0.0)
            .map(|a| (a, redundancy[a] / LN_2))
            .collect();
        Ok(GoalWeights {
            gamma: gamma.to_vec(),
            redundancy,
            entropy,
            weighted,
        })
    }

    pub fn gamma(&self) -> &[f64] {
        &self.gamma
    }

    /// The weight of each antichain's redundancy I_a in G (H(T)'s part included).
    pub fn redundancy(&self) -> &[f64] {
        &self.redundancy
    }

    /// γ of H_res, the weight of H(T) in G.
    pub fn entropy(&self) -> f64 {
        self.entropy
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

/// Marks an empty slot in the dense index maps.
const EMPTY: u32 = u32::MAX;
/// Joint states processed together, so that the per-block arrays stay in cache.
const BLOCK: usize = 256;

/// Reusable buffers for one table at a time; create one per thread and reuse it so that
/// the hot loop never allocates once it has seen a table of the size at hand.
///
/// Every source subset V keeps a *compact* list of its occupied states (P_V(v) > 0);
/// all per-state arrays are indexed by the position ("slot") in that list.
#[derive(Clone, Debug)]
pub struct Workspace {
    /// Dense map from a state of V to its slot, `EMPTY` where unoccupied.
    slot: Vec<Vec<u32>>,
    /// Dense index of each occupied state, and the first joint state that projects there.
    states: Vec<Vec<u32>>,
    reps: Vec<Vec<u32>>,
    /// The occupied joint states (slot order): their digits and their slot in every
    /// subset, at `c·(2^n − 1) + V − 1`.
    cells: Vec<Digits>,
    cell_slots: Vec<u32>,
    /// Joint-state slot of each sample (training path).
    sample_slot: Vec<u32>,
    /// P_V(v, t) at `k·(m+1) + t` and P_V(v) at `k·(m+1) + m`.
    tab: Vec<Vec<f64>>,
    /// For every union U and occupied u: the slots of u's projections onto each V ⊆ U,
    /// at `j·occ(U) + k`. For U = all sources this is every V.
    proj: Vec<Vec<u32>>,
    /// The marginals again, by target state: P_V(v_k, t) at `t·occ(V) + k`, t = m for P_V(v_k).
    marg: Vec<Vec<f64>>,
    /// ∂G/∂P_V(v, t) at `t·occ(V) + k`: own log-ratios plus the scattered sums.
    grad: Vec<Vec<f64>>,
    /// Per antichain, per occupied u of its union: the guarded 1/P(t, W) (m values),
    /// then the guarded 1/P(W) (m values).
    coef: Vec<Vec<f64>>,
    pt: Vec<f64>,
    grad_const: Vec<f64>,
    redundancy: Vec<f64>,
    /// Scratch: union rows and log-ratios of the antichains of one union.
    rows: Vec<f64>,
    logs: Vec<f64>,
    local: Vec<f64>,
    acc: Vec<f64>,
}

/// What `evaluate` computes beyond the redundancies.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Redundancies only.
    Terms,
    /// The full ∂G/∂P(s, t) for every t.
    Gradient,
    /// Only ∂G/∂P(s, +1) − ∂G/∂P(s, −1) of a binary target: all that reaches θ. The
    /// terms that come from P(W) and P(t) are equal for both target states and cancel.
    ThetaDifference,
}

/// The I^sx decomposition for one table shape. Immutable: share it between threads.
#[derive(Clone, Debug)]
pub struct Isx {
    lattice: Lattice,
    shape: JointShape,
    /// Indexed by subset bit mask; entry 0 (the empty set) is unused.
    spaces: Vec<Space>,
    /// `subsets[U]`: the non-empty V ⊆ U in increasing mask order (slots of `proj`).
    subsets: Vec<Vec<usize>>,
    plans: Vec<Plan>,
    /// Antichains grouped by their union.
    by_union: Vec<Vec<usize>>,
    full: usize,
}

/// Steps `d` to the next state of the sources `members` in C order.
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
        let plans: Vec<Plan> = lattice
            .antichains()
            .iter()
            .map(|a| {
                let union = a.union as usize;
                let terms = a
                    .union_terms
                    .iter()
                    .map(|&(v, c): &(SourceSet, i32)| Term {
                        subset: v as usize,
                        slot: subsets[union]
                            .iter()
                            .position(|&x| x == v as usize)
                            .unwrap(),
                        coef: c as f64,
                    })
                    .collect();
                Plan { union, terms }
            })
            .collect();
        let by_union = (0..masks)
            .map(|u| (0..plans.len()).filter(|&a| plans[a].union == u).collect())
            .collect();
        Isx {
            lattice,
            shape,
            spaces,
            subsets,
            plans,
            by_union,
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
        let n = self.spaces.len();
        Workspace {
            slot: self.spaces.iter().map(|s| vec![EMPTY; s.size]).collect(),
            states: vec![Vec::new(); n],
            reps: vec![Vec::new(); n],
            cells: Vec::new(),
            cell_slots: Vec::new(),
            sample_slot: Vec::new(),
            tab: vec![Vec::new(); n],
            proj: vec![Vec::new(); n],
            marg: vec![Vec::new(); n],
            grad: vec![Vec::new(); n],
            coef: vec![Vec::new(); self.plans.len()],
            pt: vec![0.0; m],
            grad_const: vec![0.0; m],
            redundancy: vec![0.0; self.plans.len()],
            rows: Vec::new(),
            logs: Vec::new(),
            local: Vec::new(),
            acc: Vec::new(),
        }
    }

    /// Checks γ (one weight per term, in term order, all finite) and prepares it.
    pub fn goal_weights(&self, gamma: &[f64]) -> Result<GoalWeights, PidError> {
        GoalWeights::new(&self.lattice, gamma)
    }

    /// Decomposes a validated table (see [`JointShape::validate`]).
    pub fn decompose(&self, p: &[f64], ws: &mut Workspace) -> Decomposition {
        self.load_table(p, ws);
        self.evaluate(ws, None, Mode::Terms);
        let d = self.assemble(ws);
        self.clear(ws);
        d
    }

    /// Decomposes a table and writes the exact ∂G/∂p (flattened like p) into `grad`,
    /// for every cell including empty ones.
    pub fn goal_gradient(
        &self,
        p: &[f64],
        goal: &GoalWeights,
        ws: &mut Workspace,
        grad: &mut [f64],
    ) -> Decomposition {
        assert_eq!(grad.len(), self.shape.cells());
        self.load_table(p, ws);
        self.evaluate(ws, Some(goal), Mode::Gradient);
        let d = self.assemble(ws);
        let m = self.shape.target();
        // Empty states of a union still get their antichains' own log-ratios (method §4);
        // the scattered sums never reach them, because no occupied state projects there.
        let mut empty_own: Vec<Vec<f64>> = vec![Vec::new(); self.spaces.len()];
        let mut row = vec![0.0; m + 1];
        for (u, own) in empty_own.iter_mut().enumerate().skip(1) {
            let weighted: Vec<usize> = self.by_union[u]
                .iter()
                .copied()
                .filter(|&a| goal.redundancy[a] != 0.0)
                .collect();
            if weighted.is_empty() {
                continue;
            }
            let space = &self.spaces[u];
            own.resize(space.size * m, 0.0);
            let mut d: Digits = [0; MAX_SOURCES];
            for v in 0..space.size {
                if ws.slot[u][v] == EMPTY {
                    for &a in &weighted {
                        self.union_row(&self.plans[a], &d, ws, &mut row);
                        for t in 0..m {
                            own[v * m + t] +=
                                goal.redundancy[a] * guarded_log2(row[t] / (row[m] * ws.pt[t]));
                        }
                    }
                }
                advance(&mut d, &space.members, self.shape.sources());
            }
        }
        let all = &self.spaces[self.full].members;
        let mut digits: Digits = [0; MAX_SOURCES];
        for cell in grad.chunks_exact_mut(m) {
            cell.copy_from_slice(&ws.grad_const);
            for (v, space) in self.spaces.iter().enumerate().skip(1) {
                let i = space.index(&digits);
                let k = ws.slot[v][i];
                let occ = ws.states[v].len();
                if k != EMPTY {
                    for (t, g) in cell.iter_mut().enumerate() {
                        *g += ws.grad[v][t * occ + k as usize];
                    }
                } else if !empty_own[v].is_empty() {
                    for (g, x) in cell.iter_mut().zip(&empty_own[v][i * m..(i + 1) * m]) {
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
    /// θ_b, state 0 is Y = −1), and the result is the goal terms and ∂G/∂θ_b
    /// = (∂G/∂P(s_b, +1) − ∂G/∂P(s_b, −1)) / B.
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
        self.add_samples(bins, theta, ws);
        self.evaluate(ws, Some(goal), Mode::ThetaDifference);
        self.write_terms(ws, terms);
        let base = ws.grad_const[1] - ws.grad_const[0];
        // ∂G/∂P(s, +1) − ∂G/∂P(s, −1) per occupied joint state, then per sample.
        let occ = ws.states[self.full].len();
        let proj = &ws.proj[self.full];
        let diff = &mut ws.acc;
        diff.clear();
        diff.resize(occ, base);
        for (j, &v) in self.subsets[self.full].iter().enumerate() {
            let occ_v = ws.states[v].len();
            let (g0, g1) = ws.grad[v].split_at(occ_v);
            for (x, &slot) in diff.iter_mut().zip(&proj[j * occ..(j + 1) * occ]) {
                *x += g1[slot as usize] - g0[slot as usize];
            }
        }
        for (&k, out) in ws.sample_slot.iter().zip(dtheta.iter_mut()) {
            *out = diff[k as usize] * inv_b;
        }
        self.clear(ws);
    }

    /// Pointwise values of every cell with P(t, s) > 0, cells in table order.
    pub fn pointwise(&self, p: &[f64], ws: &mut Workspace) -> Vec<Pointwise> {
        self.load_table(p, ws);
        let m = self.shape.target();
        let n = self.shape.source_count();
        let atoms = self.lattice.len();
        let full = self.full;
        let states = &ws.states[full];
        let order = crate::order::permutation(states.len(), &mut |a, b| states[a].cmp(&states[b]));
        let mut out = Vec::new();
        let mut row = vec![0.0; m + 1];
        for k in order {
            let d = ws.cells[ws.reps[full][k] as usize];
            for t in 0..m {
                let prob = ws.tab[full][k * (m + 1) + t];
                if prob <= 0.0 {
                    continue;
                }
                let mut informative = vec![0.0; atoms];
                let mut misinformative = vec![0.0; atoms];
                for (a, plan) in self.plans.iter().enumerate() {
                    self.union_row(plan, &d, ws, &mut row);
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

    /// Adds B samples of a binary neuron (target state 1 with probability θ_b): first
    /// into the joint states (each sample's slot is kept for ∂G/∂θ), then every smaller
    /// marginal from the occupied joint states, so that passes over subsets cost what
    /// the occupied states cost, not what the batch costs.
    fn add_samples(&self, bins: &[Digits], theta: &[f64], ws: &mut Workspace) {
        let inv_b = 1.0 / bins.len() as f64;
        let nv = self.spaces.len() - 1;
        let full = self.full;
        let Workspace {
            slot,
            states,
            reps,
            tab,
            cells,
            cell_slots,
            sample_slot,
            pt,
            ..
        } = ws;
        cells.clear();
        sample_slot.clear();
        {
            let space = &self.spaces[full];
            let (slot, states, reps, tab) = (
                &mut slot[full],
                &mut states[full],
                &mut reps[full],
                &mut tab[full],
            );
            for (d, &th) in bins.iter().zip(theta) {
                let i = space.index(d);
                let mut k = slot[i];
                if k == EMPTY {
                    k = states.len() as u32;
                    slot[i] = k;
                    states.push(i as u32);
                    reps.push(k);
                    cells.push(*d);
                    tab.extend_from_slice(&[0.0; 3]);
                }
                let row = &mut tab[k as usize * 3..k as usize * 3 + 3];
                row[0] += (1.0 - th) * inv_b;
                row[1] += th * inv_b;
                row[2] += inv_b;
                sample_slot.push(k);
            }
        }
        let occ = cells.len();
        cell_slots.clear();
        cell_slots.resize(occ * nv, 0);
        for (k, x) in cell_slots.iter_mut().skip(full - 1).step_by(nv).enumerate() {
            *x = k as u32;
        }
        let (lower, upper) = tab.split_at_mut(full);
        let joint = &upper[0];
        for (v, space) in self.spaces.iter().enumerate().take(full).skip(1) {
            let (slot, states, reps, tab_v) =
                (&mut slot[v], &mut states[v], &mut reps[v], &mut lower[v]);
            let out = cell_slots.iter_mut().skip(v - 1).step_by(nv);
            for (c, (d, out)) in cells.iter().zip(out).enumerate() {
                let i = space.index(d);
                let mut k = slot[i];
                if k == EMPTY {
                    k = states.len() as u32;
                    slot[i] = k;
                    states.push(i as u32);
                    reps.push(c as u32);
                    tab_v.extend_from_slice(&[0.0; 3]);
                }
                let src = &joint[c * 3..c * 3 + 3];
                let row = &mut tab_v[k as usize * 3..k as usize * 3 + 3];
                for (x, y) in row.iter_mut().zip(src) {
                    *x += y;
                }
                *out = k;
            }
        }
        pt[0] = theta.iter().map(|th| (1.0 - th) * inv_b).sum();
        pt[1] = theta.iter().map(|th| th * inv_b).sum();
    }

    /// Adds probability mass `cell[t]` at source state `d` to every marginal.
    fn add_cell(&self, d: &Digits, cell: &[f64], total: f64, ws: &mut Workspace) {
        let m = cell.len();
        let w = m + 1;
        let c = ws.cells.len() as u32;
        ws.cells.push(*d);
        for (v, space) in self.spaces.iter().enumerate().skip(1) {
            let i = space.index(d);
            let mut k = ws.slot[v][i];
            if k == EMPTY {
                k = ws.states[v].len() as u32;
                ws.slot[v][i] = k;
                ws.states[v].push(i as u32);
                ws.reps[v].push(c);
                let len = ws.tab[v].len();
                ws.tab[v].resize(len + w, 0.0);
            }
            ws.cell_slots.push(k);
            let row = &mut ws.tab[v][k as usize * w..(k as usize + 1) * w];
            row[m] += total;
            for (x, c) in row[..m].iter_mut().zip(cell) {
                *x += c;
            }
        }
        for (x, c) in ws.pt.iter_mut().zip(cell) {
            *x += c;
        }
    }

    /// `row[t]` = P(T = t, W_α(s)) and `row[m]` = P(W_α(s)) by inclusion–exclusion, for
    /// any source state `d` (occupied or not). The slow path, for empty cells.
    fn union_row(&self, plan: &Plan, d: &Digits, ws: &Workspace, row: &mut [f64]) {
        let w = row.len();
        row.fill(0.0);
        for term in &plan.terms {
            let k = ws.slot[term.subset][self.spaces[term.subset].index(d)];
            if k != EMPTY {
                let src = &ws.tab[term.subset][k as usize * w..(k as usize + 1) * w];
                for (x, y) in row.iter_mut().zip(src) {
                    *x += term.coef * y;
                }
            }
        }
    }

    /// Redundancies of all antichains and, with a goal, the gradient of the mode.
    fn evaluate(&self, ws: &mut Workspace, goal: Option<&GoalWeights>, mode: Mode) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                // SAFETY: the features this function was compiled for are present.
                unsafe { self.evaluate_avx2(ws, goal, mode) };
                return;
            }
        }
        self.evaluate_any(ws, goal, mode)
    }

    /// The same code compiled for AVX2, so that the block loops run four lanes wide.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn evaluate_avx2(&self, ws: &mut Workspace, goal: Option<&GoalWeights>, mode: Mode) {
        self.evaluate_any(ws, goal, mode)
    }

    #[inline(always)]
    fn evaluate_any(&self, ws: &mut Workspace, goal: Option<&GoalWeights>, mode: Mode) {
        match self.shape.target() {
            2 => self.evaluate_with::<2>(ws, goal, mode),
            _ => self.evaluate_with::<0>(ws, goal, mode),
        }
    }

    /// `M` is the number of target states when known at compile time (binary neurons),
    /// 0 otherwise; the body is the same, the constant only lets loops unroll.
    #[inline(always)]
    fn evaluate_with<const M: usize>(
        &self,
        ws: &mut Workspace,
        goal: Option<&GoalWeights>,
        mode: Mode,
    ) {
        let m = if M == 0 { self.shape.target() } else { M };
        let with_grad = mode != Mode::Terms && goal.is_some();
        for u in 1..self.spaces.len() {
            self.project(u, ws);
            if with_grad {
                ws.grad[u].clear();
                ws.grad[u].resize(ws.states[u].len() * m, 0.0);
            }
        }
        ws.redundancy.fill(0.0);
        for u in 1..self.full {
            if !self.by_union[u].is_empty() {
                self.union_block::<M>(u, (0, ws.states[u].len()), ws, goal, mode);
            }
        }
        // The joint states last, in cache-sized blocks, each followed by its scatter
        // (which needs the inverses of every smaller union, computed above).
        let occ = ws.states[self.full].len();
        for k0 in (0..occ).step_by(BLOCK) {
            let block = (k0, (k0 + BLOCK).min(occ));
            self.union_block::<M>(self.full, block, ws, goal, mode);
            if let (true, Some(goal)) = (with_grad, goal) {
                self.scatter_block::<M>(block, ws, goal, mode);
            }
        }
        if let (true, Some(goal)) = (with_grad, goal) {
            if goal.entropy != 0.0 {
                for (g, &p) in ws.grad_const.iter_mut().zip(ws.pt.iter()) {
                    *g +=
                        goal.entropy * (-(p + ENTROPY_EPS).log2() - p / ((p + ENTROPY_EPS) * LN_2));
                }
            }
        }
    }

    /// Slots of every occupied u of U projected onto each V ⊆ U, and U's marginal
    /// table by target state.
    #[inline(always)]
    fn project(&self, u: usize, ws: &mut Workspace) {
        let Workspace {
            reps,
            cell_slots,
            proj,
            tab,
            marg,
            ..
        } = ws;
        let nv = self.spaces.len() - 1;
        let occ = reps[u].len();
        let proj = &mut proj[u];
        proj.clear();
        for &v in &self.subsets[u] {
            proj.extend(reps[u].iter().map(|&c| cell_slots[c as usize * nv + v - 1]));
        }
        let w = tab[u].len() / occ.max(1);
        let marg = &mut marg[u];
        marg.clear();
        for t in 0..w {
            marg.extend(tab[u].iter().skip(t).step_by(w));
        }
    }

    /// For the antichains whose union is U, on the occupied states `k0..k1` of U: their
    /// redundancies (accumulated), each state's own log-ratio term of the gradient, and
    /// the guarded inverses 1/P(t, W), 1/P(W) the scatter step needs. Block-local arrays
    /// are laid out by (antichain, target state, state) so that the divisions and
    /// logarithms run as vectorisable loops over data that stays in cache.
    #[inline(always)]
    fn union_block<const M: usize>(
        &self,
        u: usize,
        (k0, k1): (usize, usize),
        ws: &mut Workspace,
        goal: Option<&GoalWeights>,
        mode: Mode,
    ) {
        let antichains = &self.by_union[u];
        let m = if M == 0 { self.shape.target() } else { M };
        let w = m + 1;
        let with_grad = mode != Mode::Terms && goal.is_some();
        let full_gradient = mode == Mode::Gradient;
        let Workspace {
            marg,
            proj,
            grad,
            coef,
            pt,
            grad_const,
            redundancy,
            rows,
            logs,
            local,
            states,
            ..
        } = ws;
        let occ = states[u].len();
        let n = k1 - k0;
        let na = antichains.len();
        let proj = &proj[u];
        // 1. The marginal rows of every projection of the block's states, gathered once:
        //    local[(j·w + t)·n + i] = P_V(t, (u_{k0+i})_V) for V = subsets[U][j].
        local.clear();
        for (j, &v) in self.subsets[u].iter().enumerate() {
            let occ_v = states[v].len();
            let ix = &proj[j * occ + k0..j * occ + k1];
            for t in 0..w {
                let src = &marg[v][t * occ_v..(t + 1) * occ_v];
                local.extend(ix.iter().map(|&i| src[i as usize]));
            }
        }
        //    Union rows rows[(ai·w + t)·n + i] = P(t, W_α), t = m for P(W_α), as
        //    combinations of those.
        rows.clear();
        for &a in antichains {
            let (first, rest) = self.plans[a]
                .terms
                .split_first()
                .expect("an antichain has a term");
            for t in 0..w {
                let start = rows.len();
                let column =
                    |term: &Term| &local[(term.slot * w + t) * n..(term.slot * w + t + 1) * n];
                rows.extend(column(first).iter().map(|y| first.coef * y));
                for term in rest {
                    for (x, y) in rows[start..].iter_mut().zip(column(term)) {
                        *x += term.coef * y;
                    }
                }
            }
        }
        // 2. Log-ratios log2 P(t, W)/(P(W)·P(t)); NaN marks those the guard drops.
        //    P(W) > 0 on occupied states, so its row is replaced by 1/P(W) in place.
        logs.clear();
        logs.resize(na * m * n, 0.0);
        for ai in 0..na {
            let (ptw_all, pw) = rows[ai * w * n..(ai + 1) * w * n].split_at_mut(m * n);
            for x in pw.iter_mut() {
                *x = 1.0 / *x;
            }
            for t in 0..m {
                let ptw = &ptw_all[t * n..(t + 1) * n];
                let out = &mut logs[(ai * m + t) * n..(ai * m + t + 1) * n];
                let inv_pt = 1.0 / pt[t];
                for ((x, a), b) in out.iter_mut().zip(ptw).zip(pw.iter()) {
                    *x = a * b * inv_pt;
                }
            }
        }
        fastlog::guarded_log2_in_place(logs, RATIO_FLOOR);
        // 3. Redundancies; with a gradient, own log-ratios and guarded inverses.
        for (ai, &a) in antichains.iter().enumerate() {
            let weight = goal.map_or(0.0, |g| g.redundancy[a]);
            let grad_here = with_grad && weight != 0.0;
            if grad_here && k0 == 0 {
                coef[a].clear();
                coef[a].resize(2 * m * occ, 0.0);
            }
            for t in 0..m {
                let l = &logs[(ai * m + t) * n..(ai * m + t + 1) * n];
                let r = &marg[u][t * occ + k0..t * occ + k1];
                // Branch-free so that the loops vectorise: NaN (guarded) selects 0.
                let (mut total, mut kept) = (0.0, 0.0);
                for (l, r) in l.iter().zip(r) {
                    let on = !l.is_nan();
                    total += if on { r * l } else { 0.0 };
                    kept += if on { *r } else { 0.0 };
                }
                redundancy[a] += total;
                if !grad_here {
                    continue;
                }
                let ptw = &rows[(ai * w + t) * n..(ai * w + t + 1) * n];
                let inv_pw_row = &rows[(ai * w + m) * n..(ai * w + m + 1) * n];
                let g = &mut grad[u][t * occ + k0..t * occ + k1];
                let (inv_ptw, inv_pw) = coef[a].split_at_mut(m * occ);
                let inv_ptw = &mut inv_ptw[t * occ + k0..t * occ + k1];
                for ((g, x), (l, p)) in g.iter_mut().zip(inv_ptw.iter_mut()).zip(l.iter().zip(ptw))
                {
                    let on = !l.is_nan();
                    *g += if on { weight * l } else { 0.0 };
                    *x = if on { 1.0 / p } else { 0.0 };
                }
                if full_gradient {
                    let inv_pw = &mut inv_pw[t * occ + k0..t * occ + k1];
                    for ((x, l), q) in inv_pw.iter_mut().zip(l).zip(inv_pw_row) {
                        *x = if l.is_nan() { 0.0 } else { *q };
                    }
                }
                if kept > 0.0 {
                    grad_const[t] -= weight * kept / (pt[t] * LN_2);
                }
            }
        }
    }

    /// The inclusion–exclusion part of the gradient, for the occupied joint states
    /// `k0..k1`: at each s, h_α(t, s) = P(t, s)/P(t, W_α) − Σ_t' P(t', s)/P(W_α) (guarded
    /// terms only) is summed over antichains into one field per subset V and added to
    /// ∂G/∂P_V at s's projection — whose sum over V at s is then the gradient at s.
    /// In the θ-difference mode only h(+1) − h(−1) is needed, where the P(W) part cancels.
    #[inline(always)]
    fn scatter_block<const M: usize>(
        &self,
        (k0, k1): (usize, usize),
        ws: &mut Workspace,
        goal: &GoalWeights,
        mode: Mode,
    ) {
        let m = if M == 0 { self.shape.target() } else { M };
        let full = self.full;
        let Workspace {
            states,
            marg,
            proj,
            grad,
            coef,
            rows,
            local,
            acc,
            ..
        } = ws;
        let occ = states[full].len();
        let n = k1 - k0;
        let diff = mode == Mode::ThetaDifference;
        let width = if diff { 1 } else { m };
        let proj = &proj[full];
        let r = |t: usize| &marg[full][t * occ + k0..t * occ + k1];
        // h[(i·width + t)·n + k] for the i-th weighted antichain.
        rows.clear();
        rows.resize(goal.weighted.len() * width * n, 0.0);
        let parts = if diff { m } else { 2 * m };
        for (i, &(a, scale)) in goal.weighted.iter().enumerate() {
            let u = self.plans[a].union;
            let occ_u = states[u].len();
            // The guarded inverses of this antichain at each s's projection onto its union.
            let c = &coef[a];
            local.clear();
            let ix = &proj[(u - 1) * occ + k0..(u - 1) * occ + k1];
            for t in 0..parts {
                if u == full {
                    local.extend_from_slice(&c[t * occ + k0..t * occ + k1]);
                } else {
                    local.extend(ix.iter().map(|&i| c[t * occ_u + i as usize]));
                }
            }
            let h = &mut rows[i * width * n..(i + 1) * width * n];
            if diff {
                for (k, ((x, r0), r1)) in h.iter_mut().zip(r(0)).zip(r(1)).enumerate() {
                    *x = scale * (r1 * local[n + k] - r0 * local[k]);
                }
            } else {
                acc.clear();
                acc.resize(n, 0.0);
                for t in 0..m {
                    for ((z, r), c) in acc.iter_mut().zip(r(t)).zip(&local[(m + t) * n..]) {
                        *z += r * c;
                    }
                }
                for t in 0..m {
                    let ht = &mut h[t * n..(t + 1) * n];
                    for (k, (x, r)) in ht.iter_mut().zip(r(t)).enumerate() {
                        *x = scale * (r * local[t * n + k] - acc[k]);
                    }
                }
            }
        }
        // For each V: Σ over antichains of coef · h, added at each s's projection onto V.
        for (j, &v) in self.subsets[full].iter().enumerate() {
            let occ_v = states[v].len();
            for t in 0..width {
                local.clear();
                local.resize(n, 0.0);
                for (i, &(a, _)) in goal.weighted.iter().enumerate() {
                    for term in self.plans[a].terms.iter().filter(|term| term.subset == v) {
                        let h = &rows[(i * width + t) * n..(i * width + t + 1) * n];
                        for (x, y) in local.iter_mut().zip(h) {
                            *x += term.coef * y;
                        }
                    }
                }
                let target = if diff { 1 } else { t };
                let g = &mut grad[v][target * occ_v..(target + 1) * occ_v];
                for (x, &i) in local.iter().zip(&proj[j * occ + k0..j * occ + k1]) {
                    g[i as usize] += x;
                }
            }
        }
    }

    fn target_entropy(pt: &[f64]) -> f64 {
        pt.iter().filter(|p| **p > 0.0).map(|p| -p * p.log2()).sum()
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

    /// Returns the workspace to its empty state, touching only what was written.
    fn clear(&self, ws: &mut Workspace) {
        for v in 1..self.spaces.len() {
            for &i in &ws.states[v] {
                ws.slot[v][i as usize] = EMPTY;
            }
            ws.states[v].clear();
            ws.reps[v].clear();
            ws.tab[v].clear();
        }
        ws.cells.clear();
        ws.cell_slots.clear();
        ws.grad_const.fill(0.0);
        ws.pt.fill(0.0);
    }
}
