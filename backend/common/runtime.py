"""Start-up of a serving process: load what requests would load, then hide it from the cyclic GC.

A Dossier process holds about 120,000 long-lived objects (modules, URL patterns, serializer and
form classes, translations). Python's oldest-generation collection walks every one of them, and
it runs whenever enough new objects have survived: measured on the search benchmark's machine at
60-110 ms, charged to whichever request happened to trigger it (about one in a hundred search
requests). `gc.freeze()` moves everything alive at start-up into a permanent generation that
collections skip, so they only walk what requests create.
"""

from __future__ import annotations

import gc


def warm_and_freeze() -> int:
    """Import every view (through the URLconf), collect the start-up garbage, and freeze the rest.

    Returns how many objects were frozen. Call once per serving process, after Django is set up and
    (under a forking server) in each worker, which then also shares the frozen pages with its parent.
    """
    from django.urls import get_resolver

    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports every view module the URLconf names
    resolver.reverse_dict  # noqa: B018 - and builds the reverse lookup tables once
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
