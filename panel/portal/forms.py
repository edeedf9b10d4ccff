"""The portal's forms: the shape of each page's input. The rules are the services' (their errors are shown next
to the fields), so a form never checks more, or less, than the API."""

from __future__ import annotations

from django import forms

from panel.dns.choices import RecordType


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
