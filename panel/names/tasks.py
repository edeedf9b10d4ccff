"""The names still waiting for their proof are checked again now and then, so a customer who published the TXT
record needs not come back to press "check"."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from panel.names.models import NameProof
from panel.names.services import name_proof_check

log = logging.getLogger(__name__)
# A tick checks at most this many names (each check may wait for a few seconds on a silent name server).
RECHECK_BATCH = 20
RECHECK_EVERY = timedelta(minutes=10)
# A challenge nobody met within this time is no longer rechecked on its own (the customer can still ask).
RECHECK_FOR = timedelta(days=7)


@db_periodic_task(crontab(minute="*/10"))
def recheck_waiting_names() -> None:
    now = timezone.now()
    due = NameProof.objects.filter(proven_at__isnull=True, created_at__gte=now - RECHECK_FOR).exclude(
        checked_at__gte=now - RECHECK_EVERY
    )
    for proof in due.order_by("checked_at")[:RECHECK_BATCH]:
        checked, change_sets = name_proof_check(proof=proof, actor=None)
        if checked.proven:
            log.info("%s proven by %s: %d change set(s) requested", checked, checked.proven_by, len(change_sets))
