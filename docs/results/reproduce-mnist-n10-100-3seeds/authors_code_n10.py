"""The N = 10 cells on the authors' public code (issue 12): random projection,
trivariate heuristic and context optimised trained by the layer classes of Priesemann-Group/Infomorphic_Networks
(`im_net/`), with the configuration of its `paper_trivariate/conf` (base_config.yaml,
models/infomorphic_random_projection.yaml, models/infomorphic_context_lateral.yaml,
goals/infomorphic_context_lateral/naive.yaml, models/infomorphic_context.yaml,
goals/infomorphic_context/opt_2_100.yaml) and the loop of
`paper_trivariate/base_model.py` (`trainer`, `valid`): 100 training epochs after one
epoch without updates, batch 1024, 48 000 / 12 000 split of the training set drawn with
the seed, test accuracy of the last epoch as `valid` computes it.

What this script adds around the authors' classes, and why:
- MNIST from the project's IDX files (data/mnist, `bash scripts/setup.sh data`),
  standardised with the training images' mean and std as `im_net/datasets.py` does;
- the Möbius inversion of the redundancy lattice, which the repository loads from
  `moebius.pkl` (not in its public snapshot): built here from the antichains of
  `hf.get_achains` and the lattice order (β ≤ α iff every set of α contains a set of β);
- stand-ins for `sklearn.metrics` and `matplotlib.pyplot`, imported by `im_net` but not
  used on these paths;
- the random projection's hidden goal is not evaluated (its learning rate is 0 and its
  output is detached, so the output layer learns the same without it).

Run with Debian's PyTorch (`apt-get install python3-torch`, 1.13) and a checkout of the
authors' repository (the `im_net` folder); INFOMORPH_AUTHORS_F64=1 runs it in float64:
  /usr/bin/python3 authors_code_n10.py AUTHORS_REPO_DIR {random-projection|trivariate-heuristic|context-optimized} SEED [EPOCHS]
Prints the test accuracy every 10 epochs (and, for the trivariate model, its hidden
neurons whose feed-forward aggregate stays within one bin of the fixed range), then the
last one with the output layer's largest weights.
"""
import os, sys, types, time
import numpy as np

repo, model_name, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
epochs = int(sys.argv[4]) if len(sys.argv) > 4 else 100
sys.path.insert(0, repo)
for name in ["sklearn", "sklearn.metrics", "matplotlib", "matplotlib.pyplot"]:
    sys.modules[name] = types.ModuleType(name)
sys.modules["sklearn.metrics"].confusion_matrix = None
import torch
from im_net import im_model, prob_estim, helper_functions as hf

# PyTorch's float32, as the authors run it; INFOMORPH_AUTHORS_F64=1 runs it in float64.
DTYPE = torch.float64 if os.environ.get("INFOMORPH_AUTHORS_F64") == "1" else torch.float32
torch.set_default_dtype(DTYPE)


def moebius(n, device="cpu"):
    chains = hf.get_achains(num_sources=n, starting_idx=1)
    below = lambda b, a: all(any(set(B) <= set(A) for B in b) for A in a)
    zeta = np.array([[1.0 if below(b, a) else 0.0 for b in chains] for a in chains])
    return torch.tensor(np.linalg.inv(zeta), device=device, dtype=torch.get_default_dtype()), chains


im_model.load_moebius_function = moebius


def idx(path, images):
    raw = open(path, "rb").read()
    return np.frombuffer(raw, np.uint8, offset=16 if images else 8)


D = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../data/mnist/")
xtr = torch.tensor(idx(D + "train-images-idx3-ubyte", 1).reshape(-1, 784).astype(np.float32))
ytr = torch.tensor(idx(D + "train-labels-idx1-ubyte", 0).astype(np.int64))
xte = torch.tensor(idx(D + "t10k-images-idx3-ubyte", 1).reshape(-1, 784).astype(np.float32))
yte = torch.tensor(idx(D + "t10k-labels-idx1-ubyte", 0).astype(np.int64))
mean, std = xtr.mean(), xtr.std()
xtr, xte = ((xtr - mean) / std).to(DTYPE), ((xte - mean) / std).to(DTYPE)

np.random.seed(seed)
torch.manual_seed(seed)
split = torch.randperm(60000, generator=torch.Generator().manual_seed(seed))
train = split[:48000]

N = 10
adaptive = lambda n: prob_estim.BinningAdaptiveSize("cpu", n_bins=[20] * n, symmetric=True, normalize=True)
if model_name == "random-projection":
    hidden = im_model.IM_Layer([784, 10], N, "im_net.activation_functions.GraetzActivationHeaviside",
                               adaptive(2), connections=[1, 1], activation_params={"k1": 0.9})
    hidden_opt = torch.optim.Adam(hidden.parameters(), lr=0.0, weight_decay=0.0)
    hidden_gamma = None
elif model_name == "context-optimized":
    # models/infomorphic_context.yaml with goals/infomorphic_context/opt_2_100.yaml (the
    # goal of the paper's figure).
    hidden = im_model.IM_Layer([784, 10], N, "im_net.activation_functions.GraetzActivation",
                               adaptive(2), connections=[1, 1], activation_params={"k1": 0.9})
    hidden_opt = torch.optim.Adam(hidden.parameters(), lr=0.002, weight_decay=0.00035)
    hidden_gamma = [0.03790207886343058, 0.31846647873373646, 0.7754715864603647,
                    0.1535975630019188, 0.007582022614057774]
else:
    fixed = prob_estim.BinningFixedSize("cpu", n_bins=[20] * 3, edges=[[-20, 20]] * 3)
    hidden = im_model.IM_Layer([784, 10, N], N, "im_net.activation_functions.Schneider3SourceActivation",
                               fixed, connections=[1, 1, 1 - torch.eye(N)], biases=[True, True, True],
                               activation_params={"c1": 0.1, "c2": 0.1})
    hidden_opt = torch.optim.Adam(hidden.parameters(), lr=0.002, weight_decay=0.00035)
    hidden_gamma = [0.0] * 19
    hidden_gamma[1] = 1.0  # {1}{2}: shared information of F and C
output = im_model.IM_Layer([N, 10], 10, "im_net.activation_functions.GraetzActivation", adaptive(2),
                           connections=[1, torch.eye(10)], activation_params={"k1": 1})
output_opt = torch.optim.Adam(output.parameters(), lr=0.003, weight_decay=0.00015)
output_gamma = [-0.2, 0.1, 1.0, 0.1, 0.0]


def forward(x, label):
    if model_name in ("random-projection", "context-optimized"):
        h = hidden.forward([x, label], sample=True).detach()
    else:
        h = torch.zeros((x.shape[0], N))
        for _ in range(2):
            h = hidden.forward([x, label, h], sample=True).detach()
    return h, output.forward([h, label], sample=False).detach()


def test_accuracy():
    accs = []
    with torch.no_grad():
        for b in range(0, 10000, 1024):
            x, y = xte[b:b + 1024], yte[b:b + 1024]
            _, pred = forward(x, torch.zeros((len(x), 10)))
            pred = hf.correct_inverse_neurons(pred[:, :, 1], invert_others=True)
            accs.append(hf.acc_continuous(pred, torch.nn.functional.one_hot(y, 10).to(DTYPE)))
    return float(np.mean(accs))


start = time.time()
for epoch in range(epochs + 1):
    order = train[torch.randperm(len(train))]
    for b in range(0, len(order), 1024):
        rows = order[b:b + 1024]
        with torch.no_grad():
            output.sources[1].weight[:] = torch.eye(10)
        hidden_opt.zero_grad(set_to_none=True)
        output_opt.zero_grad(set_to_none=True)
        x, label = xtr[rows], torch.nn.functional.one_hot(ytr[rows], 10).to(DTYPE)
        forward(x, label)
        if hidden_gamma is not None:
            hidden.loss(gamma=hidden_gamma).backward()
        output.loss(gamma=output_gamma).backward()
        if epoch > 0:
            hidden_opt.step()
            output_opt.step()
    if epoch % 10 == 0:
        collapsed = ""
        if hidden_gamma is not None and model_name != "context-optimized":
            r = (xte[:2000] @ hidden.sources[0].weight.detach().T + hidden.sources[0].bias.detach()).abs()
            collapsed = f", collapsed hidden neurons {int((torch.quantile(r, 0.99, dim=0) < 2).sum())}"
        print(f"epoch {epoch}: test {test_accuracy():.4f}{collapsed} ({time.time() - start:.0f} s)", flush=True)
w = output.sources[0].weight.detach().abs().max(1).values
print(f"{model_name} N={N} seed {seed}: test {test_accuracy():.4f}; output neurons with all |w| < 5e-5: "
      f"{int((w < 5e-5).sum())}; largest |w| per output neuron {[round(float(v), 3) for v in w]}")
if hidden_gamma is not None and model_name != "context-optimized":
    r = (xte[:2000] @ hidden.sources[0].weight.detach().T + hidden.sources[0].bias.detach()).abs()
    span = torch.quantile(r, 0.99, dim=0)
    print(f"hidden neurons with |r| < 2 (one bin of the fixed range): {int((span < 2).sum())}; "
          f"99th percentile |r| {[round(float(v), 2) for v in span]}")
