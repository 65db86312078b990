"""Generative and sequence-to-sequence models for the generative lab: plain Python, no Qt.

``seq2seq`` an encoder-decoder with attention on toy tasks, ``gan`` a 2-D GAN, ``rbm``
restricted Boltzmann machines and a deep belief net; ``scenarios`` the presets lessons open.
"""
