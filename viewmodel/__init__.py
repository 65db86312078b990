"""Chainrule's view model: what the views show, as plain Python state, apart from any widget.

Between ``engine`` (numbers and graphs) and ``widgets`` (Qt drawing): the
explorer's state and its timeline, the text formats, the graph layout, the
canvas plan (where every shape and label goes) and background jobs.  Nothing
here imports Qt, so all of it runs and is tested without a display; widgets
subscribe to the change notifications (:mod:`viewmodel.events`) and draw.
Import the submodules directly; this package imports nothing.
"""
