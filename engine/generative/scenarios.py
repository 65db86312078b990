"""Named, seeded scenarios of the generative lab, as data: what lessons open by id.

A scenario is one or more model configs trained side by side for a number of steps,
with a caption saying what the class should see.  ``tests/`` check that each scenario
shows what its caption claims, on exactly these settings.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from .gan import GANConfig, GANTrainer
from .rbm import DBNConfig, DBNTrainer, RBMConfig, RBMTrainer
from .seq2seq import Seq2SeqConfig, Seq2SeqTrainer

Config = Union[Seq2SeqConfig, GANConfig, RBMConfig, DBNConfig]
Trainer = Union[Seq2SeqTrainer, GANTrainer, RBMTrainer, DBNTrainer]

TRAINERS: dict[type, type] = {Seq2SeqConfig: Seq2SeqTrainer, GANConfig: GANTrainer,
                              RBMConfig: RBMTrainer, DBNConfig: DBNTrainer}
"""The trainer class for each kind of config."""
MODELS: dict[type, str] = {Seq2SeqConfig: "seq2seq", GANConfig: "gan", RBMConfig: "rbm",
                           DBNConfig: "dbn"}


@dataclass(frozen=True)
class Scenario:
    """Configs trained side by side (``labels`` name them in legends) for ``steps`` steps."""

    id: str
    title: str
    configs: tuple[Config, ...]
    labels: tuple[str, ...]
    steps: int
    caption: str
    example_length: int | None = None  # the example inputs' longest length (None: the task's)

    def __post_init__(self) -> None:
        if len(self.configs) != len(self.labels) or not self.configs:
            raise ValueError(f"scenario {self.id!r}: one label per config, at least one config")
        if len({type(c) for c in self.configs}) != 1:
            raise ValueError(f"scenario {self.id!r}: all configs must be of one model kind")

    @property
    def model(self) -> str:
        """"seq2seq", "gan", "rbm" or "dbn"."""
        return MODELS[type(self.configs[0])]

    def trainers(self) -> list[Trainer]:
        """Fresh, seeded trainers for every config, in order."""
        return [TRAINERS[type(c)](c) for c in self.configs]


_LONG = 12  # twice the reversal task's default length of 6

SCENARIOS: dict[str, Scenario] = {s.id: s for s in [
    Scenario("seq2seq-reverse", "Encoder-decoder reverses a sequence",
             (Seq2SeqConfig(task="reverse", attention="dot"),), ("dot attention",), 300,
             "A GRU encoder reads up to 6 digits, the decoder writes them backwards. Within a "
             "few hundred steps it gets over 95% of the digits right; the attention map is an "
             "anti-diagonal: the first output looks at the last input."),
    Scenario("seq2seq-attention-long", "Attention on long inputs",
             (Seq2SeqConfig(task="reverse", attention="dot", length=_LONG),
              Seq2SeqConfig(task="reverse", attention="none", length=_LONG)),
             ("attention", "no attention"), 150,
             "The same reversal with inputs up to 12 digits, twice as long. Without attention "
             "the whole input must pass through the encoder's last state s, and after 150 steps "
             "fewer than half of the long inputs' digits come out right; with attention each "
             "step reads the input position it needs and about three quarters do."),
    Scenario("seq2seq-attention-twice", "Attention on inputs twice the training length",
             (Seq2SeqConfig(task="reverse", attention="location"),
              Seq2SeqConfig(task="reverse", attention="none")),
             ("location attention", "no attention"), 300,
             "Trained on reversals of at most 6 digits, tested on 7 to 12. Without attention "
             "the summary s never held that many digits and about a third come out right; "
             "location-aware attention moves its focus one input back per step, wherever it "
             "is, and gets about three quarters right. The example inputs are 7 to 12 digits long.",
             example_length=_LONG),
    Scenario("seq2seq-date", "Translating a date",
             (Seq2SeqConfig(task="date", attention="additive"),), ("additive attention",), 300,
             "3 March 2021 → 2021-03-03: the decoder writes the year first, so its attention "
             "jumps to the end of the source, then to the month's name, then to the day."),
    Scenario("gan-ring", "GAN learns a ring of 8 Gaussians",
             (GANConfig(target="ring"),), ("GAN",), 1200,
             "Generator against discriminator on 8 modes. The heatmap is D(x); the arrows show "
             "where the generator pushes its points. With one D step per G step and small "
             "tanh networks every mode is covered within about 800 rounds."),
    Scenario("gan-collapse", "Mode collapse",
             (GANConfig(target="ring", g_steps=5, lr_g=5e-3),), ("G 5 steps per D step",), 600,
             "The generator takes 5 fast steps for every discriminator step: it chases the "
             "one point D currently likes best and squeezes almost all z onto it (Goodfellow's "
             "'Helvetica scenario'); the blob hops from mode to mode instead of covering them."),
    Scenario("rbm-bars", "RBM on bars and stripes",
             (RBMConfig(data="bars_and_stripes", k=1),), ("CD-1",), 1000,
             "An RBM with 16 hidden units learns the 30 bars-and-stripes images by contrastive "
             "divergence: the filters become bars and stripes, the reconstruction error falls "
             "to almost 0 and the free energy of the data drops."),
    Scenario("rbm-digits", "RBM on handwritten digits",
             (RBMConfig(data="digits", n_hidden=32, batch_size=20),), ("CD-1, 32 hidden",), 1500,
             "The 1,797 8×8 digits, binarised. In 1,500 CD-1 updates the reconstruction error "
             "falls to under a third and the reconstructions keep each digit's strokes."),
    Scenario("dbn-bars", "Deep belief net, layer by layer",
             (DBNConfig(rbm=RBMConfig(data="bars_and_stripes"), layers=(16, 12),
                        steps_per_layer=800),), ("DBN 16-12",), 1600,
             "Two RBMs stacked: the first learns the images, then it is frozen and the second "
             "learns the first one's hidden code. Sampling runs Gibbs steps in the top RBM and "
             "one pass down."),
]}
"""Every scenario by id, in menu order."""


def get(scenario_id: str) -> Scenario:
    """The scenario with this id, or a KeyError listing the ids there are."""
    try:
        return SCENARIOS[scenario_id]
    except KeyError:
        raise KeyError(f"no scenario {scenario_id!r}; choose one of: {', '.join(SCENARIOS)}") from None
