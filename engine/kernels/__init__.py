"""Numba kernels behind the primitive registry (CPU); a CUDA backend slots in beside them."""
