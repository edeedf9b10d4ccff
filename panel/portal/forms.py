"""The portal's forms: the shape of each page's input. The rules are the services' (their errors are shown next
to the fields), so a form never checks more, or less, than the API."""

from __future__ import annotations

from typing import Any

from django import forms

from panel.accounts.choices import ContactUsage
from panel.dns.choices import RecordType
from panel.mail.choices import SpamPreset
from panel.systemusers.choices import Access
from panel.web.choices import HttpsMode, PhpMode


class ZoneForm(forms.Form):
    name = forms.CharField(label="Domain", max_length=253, help_text="The domain the zone serves, e.g. example.com.")


class RecordForm(forms.Form):
    name = forms.CharField(
        max_length=253, initial="@", help_text="@ for the domain itself, or a name inside it (www, mail, ...)."
    )
    type = forms.ChoiceField(choices=RecordType.choices)
    value = forms.CharField(
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="An address, a host name, or text; MX and SRV start with their priority (10 mail.example.com.).",
    )
    ttl = forms.IntegerField(label="TTL (seconds)", required=False, min_value=1, help_text="Empty: the zone's own TTL.")


class MailDomainForm(forms.Form):
    name = forms.CharField(label="Domain", max_length=253, help_text="The domain mail is received for.")


class MailboxForm(forms.Form):
    name = forms.CharField(max_length=64, help_text="The login; lowercase letters, digits, '.', '-', '_'.")
    password = forms.CharField(widget=forms.PasswordInput(render_value=False), help_text="At least 12 characters.")
    quota_mb = forms.IntegerField(label="Quota (MB)", min_value=0, initial=1024, help_text="0 is unlimited.")


class MailboxSettingsForm(forms.Form):
    quota_mb = forms.IntegerField(label="Quota (MB)", min_value=0, help_text="0 is unlimited.")
    spam = forms.ChoiceField(label="Spam", choices=SpamPreset.choices)
    spam_score = forms.IntegerField(label="Spam score", min_value=1, max_value=50, help_text="From 1 to 50.")
    is_active = forms.BooleanField(label="Receives mail and logs in", required=False)


class PasswordForm(forms.Form):
    password = forms.CharField(
        label="New password", widget=forms.PasswordInput(render_value=False), help_text="At least 12 characters."
    )


class AutoresponseForm(forms.Form):
    subject = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=8000)
    start = forms.DateField(required=False, help_text="YYYY-MM-DD; empty: from now.")
    end = forms.DateField(required=False, help_text="YYYY-MM-DD; empty: until switched off.")
    days = forms.IntegerField(min_value=1, max_value=60, initial=7, help_text="Reply to a sender at most every N days.")


class AddressForm(forms.Form):
    local_part = forms.CharField(label="Name", max_length=64, required=False, help_text="Empty: every name.")
    domain = forms.TypedChoiceField(coerce=int, choices=())
    mailboxes = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=False)
    forwards = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="Addresses elsewhere, one a line."
    )

    def __init__(self, *args: Any, domains: list[tuple[int, str]], mailboxes: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["domain"].choices = domains  # type: ignore[attr-defined]
        self.fields["mailboxes"].choices = mailboxes  # type: ignore[attr-defined]


class AddressDestinationsForm(forms.Form):
    mailboxes = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=False)
    forwards = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="Addresses elsewhere, one a line."
    )

    def __init__(self, *args: Any, mailboxes: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["mailboxes"].choices = mailboxes  # type: ignore[attr-defined]


class WebsiteForm(forms.Form):
    name = forms.CharField(max_length=30, help_text="The site's directory under web/: lowercase letters, digits, '-'.")
    domains = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), help_text="Host names, one a line, the primary first."
    )
    php = forms.ChoiceField(label="PHP", choices=PhpMode.choices, initial=PhpMode.FPM)


class WebsiteSettingsForm(forms.Form):
    domains = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Host names, one a line, the primary first."
    )
    php = forms.ChoiceField(label="PHP", choices=PhpMode.choices)
    https = forms.ChoiceField(
        label="HTTPS", choices=HttpsMode.choices, help_text="Any mode but off needs the site's certificate."
    )
    is_enabled = forms.BooleanField(label="Enabled (a disabled site answers 503)", required=False)


class CertificateForm(forms.Form):
    certificate = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), help_text="The site's certificate (PEM).")
    chain = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, help_text="Its intermediates (PEM), issuer first."
    )
    key = forms.CharField(
        label="Private key",
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}),
        help_text="PEM, without a passphrase. Stored encrypted, never shown again.",
    )


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class SystemUserForm(forms.Form):
    name = forms.CharField(max_length=32, help_text="The login: lowercase letters, digits, '-', '_'.")
    access = forms.ChoiceField(choices=Access.choices, initial=Access.SFTP)
    scope = forms.CharField(
        max_length=200, required=False, help_text="Empty: the whole account home; web/<site>: that site only."
    )
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False), required=False, help_text="Optional with an SSH key."
    )
    keys = forms.CharField(
        label="SSH public keys", widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="One a line."
    )


class SystemUserSettingsForm(forms.Form):
    access = forms.ChoiceField(choices=Access.choices)
    is_active = forms.BooleanField(label="May log in", required=False)


class SshKeyForm(forms.Form):
    key = forms.CharField(
        label="SSH public key", widget=forms.Textarea(attrs={"rows": 2}), help_text="ssh-ed25519 AAAA... comment"
    )


class ContactForm(forms.Form):
    name = forms.CharField(max_length=200)
    email = forms.EmailField(max_length=254, help_text="For an emergency contact: an address outside our servers.")
    phone = forms.CharField(max_length=32, required=False)
    usages = forms.MultipleChoiceField(
        choices=ContactUsage.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="What we write about.",
    )


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. the deploy script.")
