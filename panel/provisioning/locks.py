"""One run at a time per server, across every worker process and machine.

A lease row per server in the shared database: taking it is one conditional UPDATE, so it holds with
several Huey processes on SQLite, PostgreSQL or with Redis as the queue. A worker that dies stops renewing
its lease, and the lease simply expires: nothing stays locked forever.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from panel.provisioning.models import ServerLease


def new_holder() -> str:
    # The pid is read here, not at import: Huey's worker processes are forked after the import.
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"


def acquire(server_id: int, holder: str) -> bool:
    now = timezone.now()
    expires = now + timedelta(seconds=settings.BATON_LEASE_SECONDS)
    try:
        with transaction.atomic():
            ServerLease.objects.get_or_create(server_id=server_id)
    except IntegrityError:
        pass  # created concurrently: fine, we only needed it to exist
    taken = ServerLease.objects.filter(
        Q(expires_at__lt=now) | Q(expires_at__isnull=True) | Q(holder=holder), server_id=server_id
    ).update(holder=holder, expires_at=expires)
    return taken == 1


def renew(server_id: int, holder: str) -> bool:
    expires = timezone.now() + timedelta(seconds=settings.BATON_LEASE_SECONDS)
    return ServerLease.objects.filter(server_id=server_id, holder=holder).update(expires_at=expires) == 1


def release(server_id: int, holder: str) -> None:
    ServerLease.objects.filter(server_id=server_id, holder=holder).update(holder="", expires_at=None)


class ServerBusy(RuntimeError):
    """Another run holds the server."""
