"""Change notifications without Qt: an :class:`Event` per kind of change, callbacks subscribe.

Modelled on napari's ``EmitterGroup``: a state object owns ``events`` with one
:class:`Event` per thing that can change, and views subscribe to what they draw::

    class Counter:
        def __init__(self):
            self.events = Events("value")
            self.value = 0

        def add(self, n: int) -> None:
            self.value += n
            self.events.value.emit(self.value)

    counter = Counter()
    counter.events.value.connect(print)
    counter.add(2)                      # prints 2

A bound method is held weakly, so subscribing never keeps a view alive; a
plain function or lambda is held strongly (disconnect it when done).
Callbacks run synchronously, on the thread that emits, in the order they connected.
"""
from __future__ import annotations

import weakref
from contextlib import contextmanager
from typing import Any, Callable, Iterator

Callback = Callable[..., Any]


class Event:
    """One kind of change; ``emit(*args)`` calls every connected callback with ``args``."""

    def __init__(self, name: str):
        self.name = name
        self._callbacks: list[Callable[[], Callback | None]] = []
        self._blocked = 0

    def connect(self, callback: Callback) -> Callback:
        """Call ``callback`` on every emit (once, however often it is connected); returns it."""
        if callback not in self.callbacks():
            if hasattr(callback, "__self__") and hasattr(callback, "__func__"):
                self._callbacks.append(weakref.WeakMethod(callback))
            else:
                self._callbacks.append(lambda cb=callback: cb)
        return callback

    def disconnect(self, callback: Callback) -> None:
        """Stop calling ``callback`` (no error if it was not connected)."""
        self._callbacks = [ref for ref in self._callbacks if ref() not in (None, callback)]

    def callbacks(self) -> list[Callback]:
        """The live callbacks, in connection order."""
        return [cb for cb in (ref() for ref in self._callbacks) if cb is not None]

    def emit(self, *args: Any) -> None:
        """Call every callback with ``args`` (nothing while blocked)."""
        if self._blocked:
            return
        for callback in self.callbacks():
            callback(*args)

    @contextmanager
    def blocked(self) -> Iterator[None]:
        """Emit nothing inside the ``with`` block."""
        self._blocked += 1
        try:
            yield
        finally:
            self._blocked -= 1


class Events:
    """A named group of events, e.g. ``Events("graph", "position")`` gives ``.graph`` and ``.position``."""

    def __init__(self, *names: str):
        self._names = names
        for name in names:
            setattr(self, name, Event(name))

    def __iter__(self) -> Iterator[Event]:
        return (getattr(self, name) for name in self._names)

    def __getattr__(self, name: str) -> Event:  # only reached for names that were not declared
        raise AttributeError(f"no event {name!r}; the events are {', '.join(self._names)}")
