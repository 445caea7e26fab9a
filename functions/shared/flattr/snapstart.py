"""Lambda SnapStart's runtime hooks (the template's SnapStart parameter). Lambda's Python runtimes
provide snapshot_restore_py, whose hooks run only when a snapshot is taken or restored; without it
(locally, in the tests) registering does nothing.

Every container restored from one snapshot starts with the same memory, so whatever the imports
drew at random is the same in all of them: `random`'s state among it, seeded when the module was
imported. The counter shards (store.clicks) and the retries' jitter (store.tx) draw from it, so a
restored container reseeds it from the system's entropy, as a fresh interpreter would have.
"""

from __future__ import annotations

import random

try:
    from snapshot_restore_py import register_after_restore, register_before_snapshot
except ImportError:  # no snapshot is ever taken here

    def register_before_snapshot(func, *args, **kwargs):
        return func

    def register_after_restore(func, *args, **kwargs):
        return func


register_after_restore(random.seed)

__all__ = ["register_after_restore", "register_before_snapshot"]
