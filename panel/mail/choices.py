from django.db import models


class SpamPreset(models.TextChoices):
    OFF = "off", "No filtering"
    JUNK = "junk", "File spam into Junk"
    DISCARD = "discard", "Discard above a score"
