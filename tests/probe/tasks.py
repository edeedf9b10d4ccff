"""Every minute: append the id of this run (it names its slot, see panel/core/periodic.py) and the worker's pid to
the file named by BATON_PERIODIC_PROBE. Writes nothing else, touches no database."""

from __future__ import annotations

import os
from typing import Any

from huey import crontab
from huey.contrib.djhuey import periodic_task


@periodic_task(crontab(minute="*"), context=True)
def probe(task: Any) -> None:
    path = os.environ.get("BATON_PERIODIC_PROBE")
    if path:
        with open(path, "a") as handle:  # one short append per run: atomic with O_APPEND
            handle.write(f"{task.id} {os.getpid()}\n")
