"""Settings shared by every environment. Environment-specific files import from here."""

from __future__ import annotations

import ipaddress
import json
import os
from pathlib import Path

from panel.settings.env import BASE_DIR, VAR_DIR, database_from_env, env_bool, env_list, huey_from_env

DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "huey.contrib.djhuey",
    "django_htmx",
    "panel.core",
    "panel.accounts",
    "panel.servers",
    "panel.provisioning",
    "panel.dns",
    "panel.names",
    "panel.mail",
    "panel.systemusers",
    "panel.web",
    "panel.orders",
    "panel.portal",
    "billing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "panel.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "panel.urls"
WSGI_APPLICATION = "panel.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ca", "Català"), ("es", "Español"), ("de", "Deutsch"), ("fr", "Français")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Front-end packages from the npm registry (package.json, installed by scripts/bootstrap into node_modules/,
# never committed): only their built files are served.
STATICFILES_DIRS = [BASE_DIR / "node_modules" / "htmx.org" / "dist"]
# Files the panel writes (invoice PDFs); served to customers only through the API, never as static files.
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "panel.accounts.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only, and refused before parsing when nested absurdly deep (json.loads would recurse until it crashed).
    "DEFAULT_PARSER_CLASSES": ["panel.core.api.parsers.DepthLimitedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "panel.core.api.pagination.StandardPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "panel.core.api.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "panel.core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "panel.core.api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Password guessing against the token endpoint is slowed per client address.
    "DEFAULT_THROTTLE_RATES": {
        "token_obtain": os.environ.get("BATON_TOKEN_OBTAIN_RATE", "20/minute"),
        # Each check queries a name's servers out there: a client pressing "check" in a loop gets 429.
        "name_check": os.environ.get("BATON_NAME_CHECK_RATE", "30/minute"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Baton API",
    "DESCRIPTION": "Hosting control panel: accounts, contacts and (later) every hosted service.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ServerRoleEnum": "panel.servers.choices.ServerRole",
        "UserRoleEnum": "panel.accounts.choices.UserRole",
        "AccountTypeEnum": "panel.accounts.choices.AccountType",
        "RecordTypeEnum": "panel.dns.choices.RecordType",
        "RunStatusEnum": "panel.provisioning.choices.RunStatus",
        "EventStatusEnum": "panel.provisioning.choices.EventStatus",
        "ChangeSetStateEnum": "panel.provisioning.choices.ChangeSetState",
        "ApplyStateEnum": "panel.provisioning.choices.ApplyState",
        "RunKindEnum": "panel.provisioning.choices.RunKind",
        "InvoiceKindEnum": "billing.choices.InvoiceKind",
        "InvoiceStateEnum": "billing.choices.InvoiceState",
        "SubLineKindEnum": "billing.choices.SubLineKind",
    },
}

HUEY = huey_from_env(immediate=False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "baton@localhost")

# Domains whose mail is served by this panel's own mail servers. An emergency contact on one of these
# could not be reached when those servers are down. The mail app adds the domains it hosts at run time.
BATON_OWN_MAIL_DOMAINS = env_list("BATON_OWN_MAIL_DOMAINS", [])

# Provisioning ---------------------------------------------------------------------------------------------
# The controller's SSH private key: outside the repository, never stored in the database, never logged.
BATON_SSH_KEY = os.environ.get("BATON_SSH_KEY", str(Path.home() / ".ssh" / "baton_ed25519"))
# Git repository of the desired state (host_vars), one commit per applied change set.
BATON_DESIRED_STATE_DIR = os.environ.get("BATON_DESIRED_STATE_DIR", str(VAR_DIR / "desired-state"))
# Where each run's private data directory is created (and removed afterwards).
BATON_RUN_DIR = os.environ.get("BATON_RUN_DIR", str(VAR_DIR / "runs"))
# A run longer than this is stopped and counts as a timeout (retried with backoff).
BATON_RUN_TIMEOUT = int(os.environ.get("BATON_RUN_TIMEOUT", "600"))
# A frozen or unreachable server is given up within about connect timeout (cold) or 3 keep-alive intervals
# (over a warm multiplexed connection) and its change set retried, instead of holding it for the run timeout.
BATON_SSH_CONNECT_TIMEOUT = int(os.environ.get("BATON_SSH_CONNECT_TIMEOUT", "10"))
BATON_SSH_ALIVE_SECONDS = int(os.environ.get("BATON_SSH_ALIVE_SECONDS", "5"))
# The per-server lock is a lease renewed while a run goes on; a dead worker's lease expires after this.
BATON_LEASE_SECONDS = int(os.environ.get("BATON_LEASE_SECONDS", "60"))
# Changes arriving within this many seconds of each other are applied by one run.
BATON_PROVISIONING_DEBOUNCE = float(os.environ.get("BATON_PROVISIONING_DEBOUNCE", "0.3"))
# Unreachable servers and timeouts are retried this many times, waiting base * 2**attempt seconds.
BATON_RETRY_LIMIT = int(os.environ.get("BATON_RETRY_LIMIT", "6"))
BATON_RETRY_BASE_SECONDS = float(os.environ.get("BATON_RETRY_BASE_SECONDS", "10"))
# Run playbooks with the mitogen strategy (when installed). Off by default: the roles do their bulk work in one
# remote step, so plain SSH with a persistent connection is as fast for full runs and mitogen's bootstrap
# (~1 s per run) would double the latency of targeted ones.
BATON_ANSIBLE_MITOGEN = env_bool("BATON_ANSIBLE_MITOGEN", False)
# Variables every run gets (a JSON object), for a whole deployment: e.g. the test servers' users__penalty_exempt.
# Never customer data: these go to every server as extra vars, which nothing overrides.
BATON_ANSIBLE_EXTRA_VARS: dict[str, object] = json.loads(os.environ.get("BATON_ANSIBLE_EXTRA_VARS") or "{}")
# The addresses (CIDR) the panel's workers reach the servers from: sshd never penalises them for failed logins
# (OpenSSH 10's PerSourcePenalties), so a burst of customers' failed logins from behind the same NAT or jump host
# cannot lock the panel out of its servers. Comma-separated; set it to the workers' public addresses.
BATON_CONTROLLER_ADDRESSES: list[str] = [
    str(ipaddress.ip_network(address.strip(), strict=False))  # a wrong value stops the start, not sshd
    for address in os.environ.get("BATON_CONTROLLER_ADDRESSES", "127.0.0.0/8,::1/128").split(",")
    if address.strip()
]
# How long a deleted account's home stays on its servers (never served) before the daily task removes it (days).
# Staff can remove it sooner (admin: unix ids). Mail of its mailboxes follows dovecot__retention_days.
BATON_REMAINS_GRACE_DAYS = int(os.environ.get("BATON_REMAINS_GRACE_DAYS", "30"))
# How often every server and service is checked for drift (a cron expression's minute and hour fields).
BATON_DRIFT_MINUTE = os.environ.get("BATON_DRIFT_MINUTE", "17")
BATON_DRIFT_HOUR = os.environ.get("BATON_DRIFT_HOUR", "*")

# DNS ----------------------------------------------------------------------------------------------------
# Name servers every zone delegates to (NS records at the apex; the first one is the SOA's primary name).
BATON_DNS_NAMESERVERS = env_list("BATON_DNS_NAMESERVERS", ["ns1.baton.invalid.", "ns2.baton.invalid."])
# The SOA's responsible mailbox, in zone-file form (hostmaster@example.net -> hostmaster.example.net.).
BATON_DNS_HOSTMASTER = os.environ.get("BATON_DNS_HOSTMASTER", "hostmaster.baton.invalid.")
# Records every new zone starts with, besides NS; "{zone}" is replaced by the zone name.
BATON_DNS_DEFAULT_RECORDS: list[dict[str, str]] = []

# Secrets the panel stores (private keys of certificates, later DKIM and DNSSEC keys) are encrypted with the first
# of these Fernet keys (comma-separated, each 32 url-safe base64 bytes); the others still decrypt, so a key is rotated
# by putting a new one first and running `manage.py rotate_secrets`. dev generates one in var/, prod requires it.
BATON_SECRET_KEYS = env_list("BATON_SECRET_KEYS", [])

# Names outside every zone hosted here -------------------------------------------------------------------
# A website's or mail domain's name that no zone here holds is served only once its account proves control of it:
# a TXT record `_baton-challenge.<name>` (or, for websites, an HTTP token under /.well-known/). Turn it off only
# on a single-tenant install, where every account is the operator's.
BATON_PROVE_EXTERNAL_NAMES = env_bool("BATON_PROVE_EXTERNAL_NAMES", True)
# The servers asked for the TXT record ("address" or "address:port", comma-separated). Empty: the name's own
# authoritative servers, found through the system's resolver and asked directly (no cache in between). Set it for
# split-horizon DNS, or to point tests at their own name server.
BATON_NAME_PROOF_NAMESERVERS = env_list("BATON_NAME_PROOF_NAMESERVERS", [])
# Where the HTTP token is fetched ("address:port"). Empty: the name's public addresses, port 80; addresses that are
# not global (loopback, private, link-local) are never contacted then.
BATON_NAME_PROOF_HTTP_ADDRESS = os.environ.get("BATON_NAME_PROOF_HTTP_ADDRESS", "")
# How long a successful proof counts before a new object for that name checks it again (seconds).
BATON_NAME_PROOF_CACHE_SECONDS = int(os.environ.get("BATON_NAME_PROOF_CACHE_SECONDS", "3600"))
# An account may have at most this many names waiting for their proof (each is rechecked now and then).
BATON_NAME_PROOFS_WAITING_MAX = int(os.environ.get("BATON_NAME_PROOFS_WAITING_MAX", "50"))
# Each query or fetch of a check gives up after this many seconds.
BATON_NAME_PROOF_TIMEOUT = float(os.environ.get("BATON_NAME_PROOF_TIMEOUT", "3"))

# Mail -----------------------------------------------------------------------------------------------------
# The host name MX records of mail domains point to (the mail server's public name), as in a zone file.
BATON_MAIL_HOSTNAME = os.environ.get("BATON_MAIL_HOSTNAME", "mail.baton.invalid.")

# Billing --------------------------------------------------------------------------------------------------
# Who issues the invoices, as printed on them and frozen into each issued invoice's snapshot.
BATON_BILLING_SELLER = {
    "name": os.environ.get("BATON_SELLER_NAME", "Baton Hosting"),
    "vat_id": os.environ.get("BATON_SELLER_VAT_ID", ""),
    "address": os.environ.get("BATON_SELLER_ADDRESS", ""),
    "email": os.environ.get("BATON_SELLER_EMAIL", "billing@baton.invalid"),
}
# Days from issue to due date when an invoice does not set its own.
BATON_BILLING_DUE_DAYS = int(os.environ.get("BATON_BILLING_DUE_DAYS", "30"))
# How to pay, printed at the foot of every invoice (frozen into its snapshot when issued).
BATON_BILLING_PAYMENT_INSTRUCTIONS = os.environ.get(
    "BATON_BILLING_PAYMENT_INSTRUCTIONS",
    "Please pay by bank transfer before the due date, quoting the invoice number as the reference.",
)
# The creditor named in SEPA direct debit batches (pain.008). The defaults are placeholders (a documentation IBAN
# and the Bundesbank's test creditor id): set the real ones before sending a batch to the bank.
BATON_SEPA_CREDITOR = {
    "name": os.environ.get("BATON_SEPA_CREDITOR_NAME", BATON_BILLING_SELLER["name"]),
    "iban": os.environ.get("BATON_SEPA_CREDITOR_IBAN", "DE89370400440532013000"),
    "bic": os.environ.get("BATON_SEPA_CREDITOR_BIC", "COBADEFFXXX"),
    "creditor_id": os.environ.get("BATON_SEPA_CREDITOR_ID", "DE98ZZZ09999999999"),
}
# Days between exporting a SEPA batch and the collection date it asks for, unless the export names one.
BATON_SEPA_LEAD_DAYS = int(os.environ.get("BATON_SEPA_LEAD_DAYS", "2"))
# Day of the month (1-28) on which every account's orders are billed up to that day, into draft invoices.
BATON_BILLING_DAY = int(os.environ.get("BATON_BILLING_DAY", "1"))
# The hour (UTC) of that day at which the billing run starts.
BATON_BILLING_HOUR = int(os.environ.get("BATON_BILLING_HOUR", "3"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # The Huey consumer installs its own handler; without this every worker line is printed twice.
    # weasyprint logs every rendering step at INFO; one line per invoice PDF would drown the worker's log.
    "loggers": {
        "huey": {"level": "INFO", "propagate": False},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
