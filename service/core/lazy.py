"""A cached property without a lock.

`functools.cached_property` of Python 3.11 takes an RLock on every first access (3.12 dropped
it); the core creates many short-lived objects (one Evaluation and Offer per profile) whose
properties are each read for the first time once, so the lock was a measurable share of a
profile's CPU (bench/README.md). This one computes and stores the value in the instance's
`__dict__`, where later reads find it without calling the descriptor. Two threads reading the
same property of one object for the first time may both compute it: every property here is a
pure function of the object, so both store the same value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the type checker sees functools' (the same contract)
    from functools import cached_property as cached_property
else:

    class cached_property:  # noqa: N801 - named like the functools one it replaces
        def __init__(self, func: Any) -> None:
            self.func = func
            self.attrname: str | None = None
            self.__doc__ = func.__doc__
            self.__module__ = func.__module__

        def __set_name__(self, owner: type, name: str) -> None:
            self.attrname = name

        def __get__(self, instance: Any, owner: type | None = None) -> Any:
            if instance is None:
                return self
            value = self.func(instance)
            instance.__dict__[self.attrname] = value
            return value
