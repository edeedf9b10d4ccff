"""Input shapes of the websites API. Rules live in the services and validators."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from panel.accounts.api.serializers import AccountOwnedSerializer, allow_foreign_name_field
from panel.mail.api.serializers import APPLY_FIELDS, SUSPENDED_HELP
from panel.web.certificates import CERTIFICATE_MAX, CHAIN_MAX, KEY_MAX
from panel.web.choices import HttpsMode, PhpMode
from panel.web.models import Certificate, Website
from panel.web.validators import DOMAINS_PER_SITE


class DomainNamesField(serializers.ListField):  # type: ignore[type-arg]
    """Host names in, the site's domains (primary first) out."""

    def to_representation(self, data: Any) -> list[Any]:
        if hasattr(data, "all"):
            return [domain.name for domain in data.all()]
        return list(super().to_representation(data))


class CertificateSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A site's certificate: PEM certificate, chain and private key in; what it is out, never the key."""

    certificate = serializers.CharField(
        max_length=CERTIFICATE_MAX, trim_whitespace=False, help_text="The site's certificate (PEM), the leaf only."
    )
    chain = serializers.CharField(
        max_length=CHAIN_MAX,
        trim_whitespace=False,
        required=False,
        allow_blank=True,
        help_text="Intermediate certificates (PEM), the leaf's issuer first.",
    )
    key = serializers.CharField(
        max_length=KEY_MAX,
        trim_whitespace=False,
        write_only=True,
        help_text="The private key (PEM, RSA >= 2048 bits or ECDSA, no passphrase); stored encrypted, never shown.",
    )

    class Meta:
        model = Certificate
        fields: ClassVar[list[str]] = [
            "certificate",
            "chain",
            "key",
            "names",
            "issuer",
            "not_before",
            "not_after",
            "fingerprint",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = [f for f in fields if f not in ("certificate", "chain", "key")]


class CertificateSummarySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Certificate
        fields: ClassVar[list[str]] = ["names", "issuer", "not_after", "fingerprint"]


class WebsiteSerializer(AccountOwnedSerializer):
    suspended = serializers.BooleanField(read_only=True, help_text=SUSPENDED_HELP)
    server = serializers.SlugRelatedField(slug_field="name", read_only=True)  # type: ignore[var-annotated]
    php = serializers.ChoiceField(choices=PhpMode.choices, required=False)
    https = serializers.ChoiceField(choices=HttpsMode.choices, required=False)
    domains = DomainNamesField(
        child=serializers.CharField(max_length=253, trim_whitespace=False),
        min_length=1,
        max_length=DOMAINS_PER_SITE,
        help_text="Host names, the primary first; each is one site's only.",
    )
    unproven_domains = serializers.SerializerMethodField(
        help_text="Domains outside every zone here still waiting for the account's proof (/api/names/): not served."
    )
    document_root = serializers.SerializerMethodField(help_text="Where the site's files go (over SFTP).")
    certificate = serializers.SerializerMethodField(
        help_text="The site's certificate (names, issuer, expiry, fingerprint) or null; see its certificate/ route."
    )
    allow_foreign_name = allow_foreign_name_field()

    class Meta:
        model = Website
        fields: ClassVar[list[str]] = [
            "id",
            "account",
            "name",
            "server",
            "domains",
            "php",
            "https",
            "is_enabled",
            "unproven_domains",
            "certificate",
            "document_root",
            "allow_foreign_name",
            *APPLY_FIELDS,
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = APPLY_FIELDS
        extra_kwargs: ClassVar[dict[str, Any]] = {"name": {"validators": []}}  # taken: 409 from the service
        validators: ClassVar[list[Any]] = []

    def get_unproven_domains(self, site: Website) -> list[str]:
        return [domain.name for domain in site.domains.all() if not domain.proven]

    @extend_schema_field(CertificateSummarySerializer(allow_null=True))
    def get_certificate(self, site: Website) -> dict[str, Any] | None:
        stored = getattr(site, "certificate", None)
        return CertificateSummarySerializer(stored).data if stored is not None else None

    def get_document_root(self, site: Website) -> str:
        return f"/srv/baton/{site.account.handle}/web/{site.name}/public"
