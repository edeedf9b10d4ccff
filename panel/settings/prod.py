"""Production: everything that matters must come from the environment."""

import os

from panel.settings.base import *  # noqa: F403
from panel.settings.env import ConfigurationError, env_bool

try:
    SECRET_KEY = os.environ["SECRET_KEY"]
except KeyError as exc:
    raise ConfigurationError("SECRET_KEY must be set in production") from exc

if not BATON_SECRET_KEYS:  # noqa: F405
    raise ConfigurationError("BATON_SECRET_KEYS must be set in production (a Fernet key: see panel.core.secrets)")

DEBUG = False
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
# Django's defaults, said here so that nobody loosens them by accident: the portal's session cookie is never
# readable by scripts and never sent with another site's requests.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "baton@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
