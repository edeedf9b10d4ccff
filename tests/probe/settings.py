"""The test settings plus the probe app: what the scale-out test's `run_huey` consumers run with."""

from panel.settings.test import *  # noqa: F403
from panel.settings.test import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.probe"]
