"""A generative adversarial network on 2-D points, with everything GAN Lab draws.

Two small MLPs play the lecture's game: the **discriminator** D(x) (a probability,
here σ of a logit) tries to say 1 on real points and 0 on generated ones; the
**generator** G(z) turns noise z ~ N(0, I) into points and tries to make D(G(z)) → 1.
D minimises −log D(x) − log(1 − D(G(z))).  G minimises either log(1 − D(G(z))) (the
*minimax* loss of the original game, whose gradient vanishes while D wins) or
−log D(G(z)) (the *non-saturating* loss used in practice).  Each round takes ``d_steps``
discriminator updates, then ``g_steps`` generator updates; either can be stepped alone.

:meth:`GANTrainer.frame` returns what the lab draws for one moment: real and generated
points (fixed noise, so points move smoothly), D's output on a grid, the gradient of the
generator's loss at every generated point (G moves its points along −gradient) and the
image of a regular grid of z under G.  With ``device="cuda"`` both players and their
Adam states live on the GPU; the frame's arrays are host copies.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import Tensor, nn, no_grad
from .. import functional as F
from .. import grad as autograd
from ..devices import parse
from ..optim import Adam
from .gan_targets import TARGETS, ModeCoverage, Target, mode_coverage, point_set
from .training import SteppedTrainer

GENERATOR_LOSSES = ("non_saturating", "minimax")


@dataclass(frozen=True)
class GANConfig:
    """Everything that defines one run; the same config gives the same run."""

    target: str = "ring"
    points: tuple[tuple[float, float], ...] | None = None
    """The user's points when ``target == "points"``."""
    noise_dim: int = 2
    generator_hidden: tuple[int, ...] = (32, 32)
    discriminator_hidden: tuple[int, ...] = (32, 32)
    """32 units cover the ring; with a batch of 128 every matrix product stays under OpenBLAS's
    threading threshold, which on a busy 2-core machine makes a step 10× faster."""
    activation: str = "tanh"
    """tanh: smooth maps that spread over all modes of the ring (ReLU often hops between two)."""
    generator_loss: str = "non_saturating"
    d_steps: int = 1
    """k: discriminator updates per generator update."""
    g_steps: int = 1
    lr_d: float = 2e-3
    lr_g: float = 2e-3
    beta1: float = 0.5
    batch_size: int = 128
    seed: int = 0

    def __post_init__(self) -> None:
        if self.generator_loss not in GENERATOR_LOSSES:
            raise ValueError(f"generator_loss must be one of {GENERATOR_LOSSES}, got {self.generator_loss!r}")
        if self.target not in TARGETS:
            raise ValueError(f"no GAN target {self.target!r}; choose one of: {', '.join(TARGETS)}")
        if (self.target == "points") != (self.points is not None):
            raise ValueError("give points exactly when the target is 'points'")
        if self.d_steps < 0 or self.g_steps < 0 or self.d_steps + self.g_steps == 0:
            raise ValueError(f"d_steps and g_steps must be >= 0 and not both 0, got "
                             f"{self.d_steps} and {self.g_steps}")

    def make_target(self) -> Target:
        return point_set(self.points) if self.target == "points" else TARGETS[self.target]()


@dataclass(frozen=True)
class GANReport:
    """One round: the last D and G losses and D's mean output on real and generated points."""

    step: int
    d_loss: float | None
    g_loss: float | None
    d_real: float | None
    d_fake: float | None


@dataclass(frozen=True)
class GANFrame:
    """What the lab draws at one moment (all NumPy).

    ``real``/``fake`` (n, 2) points; ``z`` (n, noise_dim) the fixed noise behind ``fake``;
    ``gradient`` (n, 2) ∂(generator loss of that point)/∂(point); ``heat`` (ny, nx) D(x) on
    the grid ``xs`` × ``ys``; ``grid_lines`` (2·lines, points_per_line, 2) the images G(z)
    of the lines of a regular grid of z (first the lines of constant z₂, then of constant z₁).
    """

    real: np.ndarray
    fake: np.ndarray
    z: np.ndarray
    gradient: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    heat: np.ndarray
    grid_lines: np.ndarray


class GANTrainer(SteppedTrainer):
    """A generator and a discriminator, each with its own Adam, on one 2-D target."""

    def __init__(self, config: GANConfig = GANConfig(), *, view_points: int = 256,
                 extent: float = 3.0, device: str = "cpu"):
        super().__init__()
        self.device = "cpu"
        self.config = config
        self.target = config.make_target()
        rng = np.random.default_rng(config.seed)
        self.generator = nn.MLP([config.noise_dim, *config.generator_hidden, 2], config.activation, seed=rng)
        self.discriminator = nn.MLP([2, *config.discriminator_hidden, 1], config.activation, seed=rng)
        betas = (config.beta1, 0.999)
        self.opt_g = Adam(self.generator.parameters(), lr=config.lr_g, betas=betas)
        self.opt_d = Adam(self.discriminator.parameters(), lr=config.lr_d, betas=betas)
        self.data_rng = np.random.default_rng(config.seed + 1)
        view_rng = np.random.default_rng(config.seed + 2)
        self.view_z = view_rng.standard_normal((view_points, config.noise_dim))
        self.view_real = self.target.sample(view_points, view_rng)
        self.extent = extent
        self.to(device)

    def to(self, device: str) -> None:
        """Both players and their optimizers' state to ``device``; training goes on there."""
        for model, optimizer in ((self.generator, self.opt_g), (self.discriminator, self.opt_d)):
            model.to(device)
            optimizer.to(device)
        self.device = parse(device)

    def _on_device(self, data: np.ndarray) -> Tensor:
        return Tensor(data, device=self.device)

    # -- the two players -----------------------------------------------------------------
    def noise(self, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """n draws of z ~ N(0, I), (n, noise_dim), from ``rng`` or the training stream."""
        return (rng or self.data_rng).standard_normal((n, self.config.noise_dim))

    def generate(self, z: np.ndarray) -> np.ndarray:
        """G(z) for noise (n, noise_dim), as points (n, 2)."""
        with no_grad():
            return self.generator(self._on_device(z)).numpy()

    def discriminate(self, points: np.ndarray) -> np.ndarray:
        """D(x) ∈ (0, 1) for points (n, 2)."""
        with no_grad():
            return F.sigmoid(self.discriminator(self._on_device(points)).numpy().reshape(-1))

    def _generator_loss(self, logits, reduction: str = "mean"):
        """Non-saturating −log D = softplus(−l); minimax log(1 − D) = −softplus(l)."""
        per_point = F.softplus(-logits) if self.config.generator_loss == "non_saturating" else -F.softplus(logits)
        return per_point.mean() if reduction == "mean" else per_point.sum()

    def step_discriminator(self) -> tuple[float, float, float]:
        """One D update on a real and a generated batch: (loss, mean D(real), mean D(fake))."""
        n = self.config.batch_size
        real = self.target.sample(n, self.data_rng)
        fake = self.generate(self.noise(n))
        self.opt_d.zero_grad()
        l_real, l_fake = self.discriminator(self._on_device(real)), self.discriminator(self._on_device(fake))
        loss = (F.binary_cross_entropy_with_logits(l_real, self._on_device(np.ones((n, 1))))
                + F.binary_cross_entropy_with_logits(l_fake, self._on_device(np.zeros((n, 1)))))
        loss.backward()
        self._check_finite("the discriminator", {"the loss": loss.item()}, self.discriminator)
        self.opt_d.step()
        return (loss.item(), float(np.mean(F.sigmoid(l_real.numpy()))),
                float(np.mean(F.sigmoid(l_fake.numpy()))))

    def step_generator(self) -> float:
        """One G update through the (fixed) discriminator; returns the generator's loss."""
        self.opt_g.zero_grad()
        z = self._on_device(self.noise(self.config.batch_size))
        loss = self._generator_loss(self.discriminator(self.generator(z)))
        loss.backward()
        self._check_finite("the generator", {"the loss": loss.item()}, self.generator)
        self.opt_g.step()
        self.discriminator.zero_grad()  # G's backward passed through D; D's own step starts clean
        return loss.item()

    def train_step(self) -> GANReport:
        """One round: ``d_steps`` discriminator updates, then ``g_steps`` generator updates."""
        d = (None, None, None)
        g = None
        for _ in range(self.config.d_steps):
            d = self.step_discriminator()
        for _ in range(self.config.g_steps):
            g = self.step_generator()
        return self._finish(GANReport(self.steps_done, d[0], g, d[1], d[2]))


    # -- what the lab draws --------------------------------------------------------------
    def point_gradients(self, points: np.ndarray) -> np.ndarray:
        """∂(generator loss)/∂x at each point x (n, 2): each point's own loss term, so an
        arrow does not shrink with the batch size.  G moves its points along −gradient."""
        x = Tensor(points, requires_grad=True, device=self.device)
        (gradient,) = autograd(self._generator_loss(self.discriminator(x), reduction="sum"), [x])
        return np.asarray(gradient)  # engine.grad stores nothing: safe to call while training runs

    def discriminator_map(self, resolution: int = 64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """D(x) on a resolution × resolution grid over [−extent, extent]²: (xs, ys, heat (ny, nx))."""
        xs = np.linspace(-self.extent, self.extent, resolution)
        gx, gy = np.meshgrid(xs, xs)
        heat = self.discriminate(np.c_[gx.ravel(), gy.ravel()]).reshape(gx.shape)
        return xs, xs.copy(), heat

    def grid_map(self, lines: int = 11, points_per_line: int = 41, span: float = 2.5) -> np.ndarray:
        """G applied to the lines of a regular grid of z over [−span, span]² (other noise axes 0):
        (2·lines, points_per_line, 2), the lines of constant z₂ first."""
        levels, along = np.linspace(-span, span, lines), np.linspace(-span, span, points_per_line)
        z = np.zeros((2, lines, points_per_line, self.config.noise_dim))
        z[0, :, :, 0], z[0, :, :, 1] = along[None, :], levels[:, None]
        if self.config.noise_dim > 1:
            z[1, :, :, 0], z[1, :, :, 1] = levels[:, None], along[None, :]
        out = self.generate(z.reshape(-1, self.config.noise_dim))
        return out.reshape(2 * lines, points_per_line, 2)

    def frame(self, resolution: int = 64) -> GANFrame:
        """Everything the lab draws now, on the fixed view noise and view real points."""
        fake = self.generate(self.view_z)
        xs, ys, heat = self.discriminator_map(resolution)
        return GANFrame(self.view_real, fake, self.view_z, self.point_gradients(fake),
                        xs, ys, heat, self.grid_map())

    def coverage(self, n: int = 1000, seed: int = 7, **kwargs) -> ModeCoverage:
        """How many of the target's modes ``n`` generated samples cover (see :func:`mode_coverage`)."""
        return mode_coverage(self.generate(self.noise(n, np.random.default_rng(seed))), self.target, **kwargs)
