"""Test runs: SQLite unless DATABASE_URL says otherwise, Huey in immediate mode, fast hashing."""

from panel.settings.base import *  # noqa: F403
from panel.settings.env import huey_from_env

SECRET_KEY = "test-only-not-secret"
DEBUG = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests create many users; the production hasher would dominate their run time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HUEY = huey_from_env(immediate=True)
