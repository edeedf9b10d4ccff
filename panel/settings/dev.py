"""Development and demo: embedded defaults, nothing to configure."""

import os

from panel.settings.base import *  # noqa: F403
from panel.settings.env import VAR_DIR, env_list, generated_fernet_key, generated_secret_key

DEBUG = True
SECRET_KEY = os.environ.get("SECRET_KEY") or generated_secret_key()
BATON_SECRET_KEYS = env_list("BATON_SECRET_KEYS", []) or [generated_fernet_key()]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
VAR_DIR.mkdir(parents=True, exist_ok=True)
