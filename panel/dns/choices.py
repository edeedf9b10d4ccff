from django.db import models


class RecordType(models.TextChoices):
    A = "A", "A (IPv4 address)"
    AAAA = "AAAA", "AAAA (IPv6 address)"
    CNAME = "CNAME", "CNAME (alias)"
    MX = "MX", "MX (mail exchanger)"
    TXT = "TXT", "TXT (text)"
    SRV = "SRV", "SRV (service)"
    CAA = "CAA", "CAA (certificate authorities)"
    NS = "NS", "NS (name server)"
