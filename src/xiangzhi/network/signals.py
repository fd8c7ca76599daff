"""Signals a higher app listens to (the network sits below villages, disputes and the time bank's users).

``service_logged(sender=ServiceLog, log=<ServiceLog>)`` is sent once per new adviser service-log entry, after the
transaction that wrote it commits: the time bank credits ``log.minutes`` to the adviser from it."""

from django.dispatch import Signal

service_logged = Signal()
