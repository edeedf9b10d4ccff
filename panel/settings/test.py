"""Test runs: SQLite unless DATABASE_URL says otherwise, Huey in immediate mode, fast hashing.

The end-to-end tests run real Huey workers as separate processes with these settings and
BATON_HUEY_IMMEDIATE=0, sharing the test database and a test-only Huey file.
"""

import os

from panel.settings.base import *  # noqa: F403
from panel.settings.env import VAR_DIR, env_bool, huey_from_env

SECRET_KEY = "test-only-not-secret"
BATON_SECRET_KEYS = ["dGVzdC1vbmx5LW5vdC1zZWNyZXQtZmVybmV0LWtleSE="]  # 32 bytes, test only
DEBUG = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests create many users; the production hasher would dominate their run time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
os.environ.setdefault("HUEY_SQLITE", str(VAR_DIR / "huey-test.sqlite3"))
HUEY = huey_from_env(immediate=env_bool("BATON_HUEY_IMMEDIATE", True))
BATON_PROVISIONING_DEBOUNCE = 0.0
# Test servers only: the end-to-end tests' refused logins must not get the host penalised by sshd (OpenSSH 10).
BATON_ANSIBLE_EXTRA_VARS = {"users__penalty_exempt": ["0.0.0.0/0", "::/0"]}
# Most tests use names no test zone holds; the tests of name proofs turn the check on.
BATON_PROVE_EXTERNAL_NAMES = False
# Tests never leave 127.0.0.1: a check nobody pointed at a test server asks a port where nothing listens.
BATON_NAME_PROOF_NAMESERVERS = ["127.0.0.1:9"]
BATON_NAME_PROOF_HTTP_ADDRESS = "127.0.0.1:9"
