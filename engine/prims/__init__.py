"""Primitive declarations, one module per family; importing them fills the registry."""
