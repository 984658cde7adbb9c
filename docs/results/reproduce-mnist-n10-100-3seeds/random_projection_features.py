"""Random projection at N = 10: how much do its frozen features allow? (issue 12)

For run files of `infomorph train --task mnist --model random-projection --hidden 10
--out F` (the hidden layer is its initialisation, so one epoch is enough), computes the
hidden units' deterministic threshold outputs (1 if x·w + b > 0, the sign of the Graetz
activation) on full MNIST, standardised as the project does (the training pool's scalar
mean and std), and fits on the 60 000 training images
  - a multinomial logistic regression (softmax, full batch, Adam, 3000 steps): a linear
    read-out of the same features;
  - a lookup table (the majority label of each of the 2^N codes);
and reads the run's own trained infomorphic output layer on the same test features (θ =
σ(w·h + b): the label input is zero at test time and the output layer's k1 = 1): its
test accuracy with the inversion decided on the whole test set (the project's rule) and
per batch of 1024 images (the authors' `valid`), and its dead neurons (all weights below
5e-5, so θ = 0.5 for every image). Train the runs to the end for that part (`--epochs
100 --eval-every 10`).
Run with the project's virtual environment (numpy comes with Optuna):
  .venv/bin/python docs/results/reproduce-mnist-n10-100-3seeds/random_projection_features.py RUN.json...
"""
import json, sys, numpy as np
def idx(p, img):
    b = open(p, 'rb').read()
    return np.frombuffer(b, np.uint8, offset=16 if img else 8)
D = '/work/main/data/mnist/'
xtr = idx(D+'train-images-idx3-ubyte', 1).reshape(-1, 784) / 255.0
ytr = idx(D+'train-labels-idx1-ubyte', 0)
xte = idx(D+'t10k-images-idx3-ubyte', 1).reshape(-1, 784) / 255.0
yte = idx(D+'t10k-labels-idx1-ubyte', 0)
mu, sd = xtr.mean(), xtr.std()
xtr, xte = (xtr - mu) / sd, (xte - mu) / sd
def accuracy(theta, labels):
    inverted = theta.mean(0) >= 0.5
    return (np.where(inverted, 1 - theta, theta).argmax(1) == labels).mean()
for f in sys.argv[1:]:
    run = json.load(open(f))
    h = run['hidden']['sources'][0]
    W, b = np.array(h['weights'], dtype=np.float64).reshape(len(h['bias']), -1), np.array(h['bias'])
    ftr, fte = (xtr @ W.T + b > 0).astype(float), (xte @ W.T + b > 0).astype(float)
    # lookup table: majority label of each of the 2^N cells (training set), the best any readout of these features can do on the training distribution
    code = lambda F: (F * (2 ** np.arange(F.shape[1]))).sum(1).astype(int)
    ctr, cte = code(ftr), code(fte)
    table = np.zeros((2 ** W.shape[0], 10)); np.add.at(table, (ctr, ytr), 1)
    lookup = (table.argmax(1)[cte] == yte).mean()
    # multinomial logistic regression (softmax, full batch, Adam), a linear readout
    X = np.hstack([ftr, np.ones((len(ftr), 1))]); Xt = np.hstack([fte, np.ones((len(fte), 1))])
    Y = np.eye(10)[ytr]; th = np.zeros((X.shape[1], 10)); m = v = 0
    for t in range(1, 3001):
        z = X @ th; z -= z.max(1, keepdims=True); p = np.exp(z); p /= p.sum(1, keepdims=True)
        g = X.T @ (p - Y) / len(X); m = 0.9*m + 0.1*g; v = 0.999*v + 0.001*g*g
        th -= 0.05 * (m/(1-0.9**t)) / (np.sqrt(v/(1-0.999**t)) + 1e-8)
    lr = ((Xt @ th).argmax(1) == yte).mean()
    print(f"{f}: N={W.shape[0]} logistic regression test {lr*100:.2f} %, lookup table test {lookup*100:.2f} %")
    o = run['output']['sources'][0]
    Wo, bo = np.array(o['weights']).reshape(len(o['bias']), -1), np.array(o['bias'])
    theta = 1 / (1 + np.exp(-(fte @ Wo.T + bo)))
    per_batch = np.mean([accuracy(theta[i:i + 1024], yte[i:i + 1024]) for i in range(0, len(yte), 1024)])
    largest = np.abs(Wo).max(1)
    print(f"  its output layer: test {accuracy(theta, yte)*100:.2f} % (inversion per batch of 1024: {per_batch*100:.2f} %); "
          f"dead neurons {(largest < 5e-5).sum()} of {len(largest)}; mean θ {np.round(theta.mean(0), 3).tolist()}; "
          f"largest weight {np.round(largest, 2).tolist()}")
