"""The one lock over the additions' state.

moto's backends are shared by its request threads, and the additions also run background work
(pipeline executions, commands, event deliveries) that waits for state to change: so one lock
guards every piece of state they add, and one condition wakes whoever waits on it."""

from __future__ import annotations

import threading

LOCK = threading.RLock()
CHANGED = threading.Condition(LOCK)
