"""Lecture mode: lessons of scenes, presenter mode, saved .chainrule files and export.

Import the submodules directly; this package imports nothing so that
``chainrule lessons`` stays Qt-free and fast.
"""
