from django.db import models


class Access(models.TextChoices):
    """What a system user may do once logged in."""

    SFTP = "sftp", "SFTP only (chrooted to its home, no shell, no forwarding)"
    SHELL = "shell", "SSH shell (bash, not chrooted, the same file permissions)"
