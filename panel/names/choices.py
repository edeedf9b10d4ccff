from django.db import models


class ProofMethod(models.TextChoices):
    """How an account proves it controls a name no zone here holds."""

    DNS = "dns", "TXT record _baton-challenge.<name>"
    HTTP = "http", "HTTP token under /.well-known/baton-challenge/"
