"""Random projection at N = 10: what the trained infomorphic output layer does (issue 12).

For run files of `infomorph train --task mnist --model random-projection --hidden 10
--out F`, recomputes the output layer's θ = σ(r) on the 10 000 test images (the label
input is zero at test time and the output layer's k1 = 1, so the activation is r = w·h + b
of the hidden units' threshold outputs h ∈ {0, 1}), and prints
  - the test accuracy with the inversion decided on the whole test set (the project's
    rule) and per batch of 1024 images (the authors' `valid`),
  - each output neuron's mean θ and the size of its largest weight: a dead neuron has
    weights ≈ 0 and θ = 0.5 for every image.
Run with the project's virtual environment (numpy comes with Optuna):
  .venv/bin/python docs/results/reproduce-mnist-n10-100-3seeds/random_projection_output_layer.py RUN.json...
"""
import json, sys, numpy as np
def idx(p, img):
    b = open(p, 'rb').read()
    return np.frombuffer(b, np.uint8, offset=16 if img else 8)
D = 'data/mnist/'
xtr = idx(D+'train-images-idx3-ubyte', 1).reshape(-1, 784) / 255.0
xte = idx(D+'t10k-images-idx3-ubyte', 1).reshape(-1, 784) / 255.0
yte = idx(D+'t10k-labels-idx1-ubyte', 0)
mu, sd = xtr.mean(), xtr.std()
xte = (xte - mu) / sd
def accuracy(theta, labels):
    inverted = theta.mean(0) >= 0.5
    return (np.where(inverted, 1 - theta, theta).argmax(1) == labels).mean()
for f in sys.argv[1:]:
    run = json.load(open(f))
    h, o = run['hidden']['sources'][0], run['output']['sources'][0]
    W, b = np.array(h['weights']).reshape(len(h['bias']), -1), np.array(h['bias'])
    Wo, bo = np.array(o['weights']).reshape(len(o['bias']), -1), np.array(o['bias'])
    theta = 1 / (1 + np.exp(-(((xte @ W.T + b) > 0).astype(float) @ Wo.T + bo)))
    whole = accuracy(theta, yte)
    per_batch = np.mean([accuracy(theta[i:i + 1024], yte[i:i + 1024]) for i in range(0, len(yte), 1024)])
    largest = np.abs(Wo).max(1)
    print(f"{f}: test {whole*100:.2f} % (inversion per batch of 1024: {per_batch*100:.2f} %); "
          f"dead output neurons (all weights < 5e-5): {(largest < 5e-5).sum()} of {len(largest)}; "
          f"mean θ {np.round(theta.mean(0), 3).tolist()}; largest weight {np.round(largest, 2).tolist()}")
