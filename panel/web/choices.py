from django.db import models


class PhpMode(models.TextChoices):
    OFF = "off", "No PHP (static files)"
    FPM = "fpm", "PHP 8.4 through PHP-FPM, as the account's user"


class HttpsMode(models.TextChoices):
    OFF = "off", "HTTP only"
    ON = "on", "HTTP and HTTPS"
    REDIRECT = "redirect", "HTTPS, HTTP redirects to it"
    HSTS = "hsts", "HTTPS, HTTP redirects to it, and HSTS"
