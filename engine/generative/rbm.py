"""Restricted Boltzmann machines trained by contrastive divergence, and a deep belief net.

The lecture's binary RBM: visible units v, hidden units h, energy
E(v, h) = −bᵀv − cᵀh − vᵀWh with W (n_visible, n_hidden), P(v, h) = e^{−E} / Z and
P(h_j = 1 | v) = σ(c_j + vᵀW_j), P(v_i = 1 | h) = σ(b_i + W_i h).  Summing h out gives the
free energy F(v) = −bᵀv − Σ_j softplus(c_j + vᵀW_j), P(v) = e^{−F(v)} / Z, so

    ∂ log P(v)/∂θ = −∂F(v)/∂θ + E_model[∂F/∂θ].

Contrastive divergence (CD-k) replaces the model expectation by k steps of Gibbs sampling
started at the data; persistent CD keeps its chains from one update to the next.  Here the
estimate is the engine's own gradient of mean F(data) − mean F(negative samples) (the
samples held fixed), and :func:`log_likelihood` enumerates every state of a small RBM, so
the exact gradient comes from the same backward pass.  A DBN stacks RBMs, each trained on
the hidden probabilities of the one below (greedy, layer by layer).
"""
from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field

import numpy as np

from .. import Tensor, nn, no_grad
from .. import functional as F
from ..nn.module import as_generator
from ..optim import SGD
from .rbm_data import DATASETS
from .training import SteppedTrainer

ENUMERABLE = 20
"""Largest layer :func:`log_likelihood` enumerates (2^20 states)."""


class RBM(nn.Module):
    """A binary RBM with PyTorch-style parameters W (n_visible, n_hidden), b (n_visible,), c (n_hidden,)."""

    def __init__(self, n_visible: int, n_hidden: int, *, init_std: float = 0.01, seed=None):
        super().__init__()
        rng = as_generator(seed)
        self.n_visible, self.n_hidden = n_visible, n_hidden
        self.W = nn.Parameter(rng.normal(0.0, init_std, (n_visible, n_hidden)))
        self.b = nn.Parameter(np.zeros(n_visible))
        self.c = nn.Parameter(np.zeros(n_hidden))

    def free_energy(self, v):
        """F(v) = −bᵀv − Σ_j softplus(c_j + vᵀW_j) for each row of v (N, n_visible): (N,)."""
        return free_energy(self.W, self.b, self.c, v)

    def hidden_probs(self, v: np.ndarray) -> np.ndarray:
        """P(h_j = 1 | v) = σ(c + vW), (N, n_hidden)."""
        return F.sigmoid(v @ self.W.data + self.c.data)

    def visible_probs(self, h: np.ndarray) -> np.ndarray:
        """P(v_i = 1 | h) = σ(b + hWᵀ), (N, n_visible)."""
        return F.sigmoid(h @ self.W.data.T + self.b.data)

    def reconstruct(self, v: np.ndarray) -> np.ndarray:
        """One mean-field pass up and down: P(v | h = P(h | v)), the reconstruction of v."""
        return self.visible_probs(self.hidden_probs(v))

    def reconstruction_error(self, v: np.ndarray) -> float:
        """Mean squared difference per unit between v and its reconstruction."""
        return float(np.mean((v - self.reconstruct(v)) ** 2))

    def gibbs(self, v: np.ndarray, steps: int, rng: np.random.Generator) -> "list[GibbsStep]":
        """Alternating Gibbs sampling from v: step 0 samples h from P(h | v); every later step
        samples v from P(v | h), then h from P(h | v).  Returns all steps + 1 states."""
        ph = self.hidden_probs(v)
        h = _bernoulli(ph, rng)
        chain = [GibbsStep(v, v, h, ph)]
        for _ in range(steps):
            pv = self.visible_probs(h)
            v = _bernoulli(pv, rng)
            ph = self.hidden_probs(v)
            h = _bernoulli(ph, rng)
            chain.append(GibbsStep(v, pv, h, ph))
        return chain

    def sample_after(self, v: np.ndarray, steps: int, rng: np.random.Generator) -> np.ndarray:
        """The visible state after ``steps`` Gibbs steps from v (the CD-k negative sample)."""
        return self.gibbs(v, steps, rng)[-1].v

    def log_likelihood(self, v: np.ndarray):
        """Exact mean log P(v) over the rows of v, recorded (see :func:`log_likelihood`)."""
        return log_likelihood(self.W, self.b, self.c, v)

    def extra_repr(self) -> str:
        return f"n_visible={self.n_visible}, n_hidden={self.n_hidden}"


@dataclass(frozen=True)
class GibbsStep:
    """One state of a Gibbs chain: samples v, h and the probabilities they were drawn from."""

    v: np.ndarray
    v_prob: np.ndarray
    h: np.ndarray
    h_prob: np.ndarray


def _bernoulli(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return (rng.random(p.shape) < p).astype(np.float64)


def free_energy(W, b, c, v):
    """F(v) = −bᵀv − Σ_j softplus(c_j + vᵀW_j), rows of v; W, b, c Tensors or arrays."""
    return -(v @ b) - F.softplus(v @ W + c).sum(axis=1)


def log_likelihood(W, b, c, v: np.ndarray):
    """Mean log P(v) = −mean F(v) − log Z with Z summed exactly over every state of the
    smaller layer (F over all visible states, or the mirror formula over all hidden ones).
    Differentiable: its gradient is the exact log-likelihood gradient."""
    n_v, n_h = np.shape(_raw(W))
    if min(n_v, n_h) > ENUMERABLE:
        raise ValueError(f"the exact log-likelihood enumerates 2^{min(n_v, n_h)} states; "
                         f"at most 2^{ENUMERABLE} are allowed")
    if n_v <= n_h:
        neg = -free_energy(W, b, c, all_states(n_v))
    else:  # F_h(h) = −cᵀh − Σ_i softplus(b_i + W_i h): the same sum over the hidden layer
        neg = -free_energy(W.T if isinstance(W, Tensor) else _raw(W).T, c, b, all_states(n_h))
    shift = float(np.max(_raw(neg)))
    log_z = F.log(F.exp(neg - shift).sum()) + shift
    return -free_energy(W, b, c, v).mean() - log_z


def all_states(n: int) -> np.ndarray:
    """Every binary vector of length n, (2^n, n), in counting order."""
    return np.array(list(itertools.product((0.0, 1.0), repeat=n)))


def _raw(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def cd_loss(rbm: RBM, positive: np.ndarray, negative: np.ndarray):
    """mean F(positive) − mean F(negative): its gradient (samples fixed) is the CD estimate
    of −∂ log-likelihood / ∂θ, so descending it climbs the likelihood."""
    return rbm.free_energy(positive).mean() - rbm.free_energy(negative).mean()


# -- training -------------------------------------------------------------------------------
@dataclass(frozen=True)
class RBMConfig:
    """Everything that defines one run; the same config gives the same run."""

    data: str = "bars_and_stripes"
    size: int = 4
    """Side of the bars-and-stripes images."""
    n_hidden: int = 16
    k: int = 1
    """Gibbs steps per negative sample (CD-k)."""
    persistent: bool = False
    """Persistent CD: keep the negative chains between updates instead of restarting at the data."""
    lr: float = 0.2
    momentum: float = 0.5
    weight_decay: float = 1e-4
    batch_size: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        if self.data not in DATASETS:
            raise ValueError(f"no RBM data set {self.data!r}; choose one of: {', '.join(DATASETS)}")
        if self.k < 1:
            raise ValueError(f"CD-k needs k >= 1 Gibbs steps, got {self.k}")

    def images(self) -> np.ndarray:
        """The training images (N, H, W) of 0/1."""
        return DATASETS[self.data](self.size) if self.data == "bars_and_stripes" else DATASETS[self.data]()


@dataclass(frozen=True)
class RBMReport:
    """One CD update: the data's reconstruction error and mean free energy (before the update)."""

    step: int
    reconstruction_error: float
    free_energy: float
    sample_free_energy: float
    """Mean F of the negative samples; the gap to ``free_energy`` is what CD closes."""


class RBMTrainer(SteppedTrainer):
    """CD-k or persistent CD with SGD (momentum, weight decay) on rows of binary data."""

    def __init__(self, config: RBMConfig = RBMConfig(), data: np.ndarray | None = None,
                 image_shape: tuple[int, ...] | None = None, *, label: str = "RBM"):
        super().__init__()
        self.config, self.label = config, label
        if data is None:
            images = config.images()
            image_shape, data = images.shape[1:], images.reshape(len(images), -1)
        self.data = np.asarray(data, dtype=np.float64)
        self.image_shape = tuple(image_shape) if image_shape is not None else (self.data.shape[1],)
        rng = np.random.default_rng(config.seed)
        self.rbm = RBM(self.data.shape[1], config.n_hidden, seed=rng)
        self.rbm.b.data = _visible_bias(self.data)
        self.optimizer = SGD(self.rbm.parameters(), lr=config.lr, momentum=config.momentum,
                             weight_decay=config.weight_decay)
        self.rng = np.random.default_rng(config.seed + 1)
        self.chains: np.ndarray | None = None

    def train_step(self) -> RBMReport:
        """One CD update on a random mini-batch; NonFiniteError instead of a bad update."""
        idx = self.rng.integers(0, len(self.data), size=self.config.batch_size)
        positive = self.data[idx]
        if self.config.persistent:
            start = positive if self.chains is None else self.chains
        else:
            start = positive
        negative = self.rbm.sample_after(start, self.config.k, self.rng)
        if self.config.persistent:
            self.chains = negative
        self.optimizer.zero_grad()
        cd_loss(self.rbm, positive, negative).backward()
        with no_grad():
            report = RBMReport(self.steps_done, self.rbm.reconstruction_error(positive),
                               self.rbm.free_energy(positive).mean().item(),
                               self.rbm.free_energy(negative).mean().item())
        self._check_finite(self.label, {"the free energy": report.free_energy,
                                        "the samples' free energy": report.sample_free_energy}, self.rbm)
        self.optimizer.step()
        return self._finish(report)


    # -- what the lab draws --------------------------------------------------------------
    def reconstruction_error(self) -> float:
        """Reconstruction error over the whole data set."""
        return self.rbm.reconstruction_error(self.data)

    def filters(self) -> np.ndarray:
        """Each hidden unit's weights as an image: (n_hidden, *image_shape)."""
        return self.rbm.W.data.T.reshape((self.rbm.n_hidden,) + self.image_shape).copy()

    def reconstructions(self, n: int = 8) -> tuple[np.ndarray, np.ndarray]:
        """The first ``n`` inputs and their reconstructions, as images."""
        v = self.data[:n]
        shape = (len(v),) + self.image_shape
        return v.reshape(shape), self.rbm.reconstruct(v).reshape(shape)

    def gibbs_chain(self, steps: int = 20, chains: int = 8, start: str = "random",
                    seed: int = 0) -> list[GibbsStep]:
        """A Gibbs chain for animation, started from data rows or random noise; every step's
        visible and hidden states (samples and probabilities), visible ones as images."""
        rng = np.random.default_rng(seed)
        if start == "data":
            v0 = self.data[rng.integers(0, len(self.data), size=chains)]
        elif start == "random":
            v0 = _bernoulli(np.full((chains, self.rbm.n_visible), 0.5), rng)
        else:
            raise ValueError(f"start must be 'data' or 'random', got {start!r}")
        shape = (chains,) + self.image_shape
        return [GibbsStep(s.v.reshape(shape), s.v_prob.reshape(shape), s.h, s.h_prob)
                for s in self.rbm.gibbs(v0, steps, rng)]

    def log_likelihood(self) -> float | None:
        """Exact mean log-likelihood of the data when a layer is small enough to enumerate."""
        if min(self.rbm.n_visible, self.rbm.n_hidden) > ENUMERABLE:
            return None
        with no_grad():
            return self.rbm.log_likelihood(self.data).item()


def _visible_bias(data: np.ndarray) -> np.ndarray:
    """Hinton's start for b: log(p / (1 − p)) of each unit's frequency in the data."""
    p = np.clip(data.mean(axis=0), 0.01, 0.99)
    return np.log(p / (1.0 - p))


# -- deep belief net ------------------------------------------------------------------------
@dataclass(frozen=True)
class DBNConfig:
    """A stack of RBMs: ``layers`` hidden sizes bottom-up, ``steps_per_layer`` CD updates each;
    ``rbm`` gives the data and the CD settings of every layer (its n_hidden is not used)."""

    rbm: RBMConfig = field(default_factory=RBMConfig)
    layers: tuple[int, ...] = (16, 8)
    steps_per_layer: int = 1000


@dataclass(frozen=True)
class DBNReport:
    """One CD update of the layer being trained."""

    layer: int
    report: RBMReport


class DBNTrainer(SteppedTrainer):
    """Greedy layer-wise training: layer 0 on the data, layer l on P(h | v) of layer l − 1."""

    def __init__(self, config: DBNConfig = DBNConfig()):
        if not config.layers:
            raise ValueError("a DBN needs at least one hidden layer")
        super().__init__()
        self.config = config
        images = config.rbm.images()
        self.image_shape = images.shape[1:]
        self.data = images.reshape(len(images), -1)
        self.trainers: list[RBMTrainer] = []
        self.layer = 0
        self._start_layer(0)

    @property
    def rbms(self) -> list[RBM]:
        """The RBMs trained so far, bottom-up."""
        return [t.rbm for t in self.trainers]

    @property
    def done(self) -> bool:
        return self.layer == len(self.config.layers) - 1 and \
            self.trainers[-1].steps_done >= self.config.steps_per_layer

    def _start_layer(self, layer: int) -> None:
        data = self.data if layer == 0 else self.trainers[-1].rbm.hidden_probs(self.trainers[-1].data)
        shape = self.image_shape if layer == 0 else None
        cfg = dataclasses.replace(self.config.rbm, n_hidden=self.config.layers[layer],
                                  seed=self.config.rbm.seed + layer)
        self.trainers.append(RBMTrainer(cfg, data, shape, label=f"DBN layer {layer + 1}"))
        self.layer = layer

    def train_step(self) -> DBNReport:
        """One CD update of the current layer; after ``steps_per_layer`` the next layer starts
        on the (now fixed) layer below.  Once the top layer is done, it keeps training."""
        current = self.trainers[-1]
        if current.steps_done >= self.config.steps_per_layer and self.layer + 1 < len(self.config.layers):
            self._start_layer(self.layer + 1)
            current = self.trainers[-1]
        return self._finish(DBNReport(self.layer, current.train_step()))

    def up(self, v: np.ndarray, layers: int | None = None) -> list[np.ndarray]:
        """Mean-field activities going up: [v, P(h¹|v), P(h²|h¹), ...]."""
        out = [v]
        for rbm in self.rbms[:layers]:
            out.append(rbm.hidden_probs(out[-1]))
        return out

    def down(self, top: np.ndarray, layers: int | None = None) -> np.ndarray:
        """From a top-layer state down to visible probabilities through P(v | h) of each layer."""
        x = top
        for rbm in reversed(self.rbms[:layers]):
            x = rbm.visible_probs(x)
        return x

    def reconstruct(self, v: np.ndarray) -> np.ndarray:
        """Up through every trained layer, then back down: the DBN's reconstruction of v."""
        return self.down(self.up(v)[-1])

    def reconstruction_error(self) -> float:
        return float(np.mean((self.data - self.reconstruct(self.data)) ** 2))

    def sample(self, n: int = 8, gibbs_steps: int = 200, seed: int = 0) -> np.ndarray:
        """Images drawn from the DBN: Gibbs sampling in the top RBM (started from the data's
        up-pass), then one pass down the directed layers below."""
        rng = np.random.default_rng(seed)
        start = self.up(self.data[rng.integers(0, len(self.data), size=n)], len(self.rbms) - 1)[-1]
        top = self.rbms[-1].gibbs(_bernoulli(start, rng), gibbs_steps, rng)[-1]
        below = self.down(top.v, len(self.rbms) - 1) if len(self.rbms) > 1 else top.v_prob
        return below.reshape((n,) + self.image_shape)

    def filters(self, layer: int = 0) -> np.ndarray:
        """Layer ``layer``'s hidden units as images in the visible space: W of layer 0, or the
        product of the weights down to the pixels for a higher layer."""
        w = self.rbms[0].W.data
        for rbm in self.rbms[1:layer + 1]:
            w = w @ rbm.W.data
        return w.T.reshape((w.shape[1],) + self.image_shape).copy()


__all__ = ["RBM", "GibbsStep", "free_energy", "log_likelihood", "cd_loss", "RBMConfig",
           "RBMReport", "RBMTrainer", "DBNConfig", "DBNReport", "DBNTrainer", "all_states",
           "ENUMERABLE"]
