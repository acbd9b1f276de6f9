"""Ticket changes become live messages once their transaction has committed.

Intake saves the ticket itself (its intake events are bulk-inserted with it), so
a new ticket is one "ticket.created"; every later transition saves one
TicketEvent, which becomes one "ticket.changed". Bulk-loaded history (the demo
loader, imports) sends no signals and is not pushed: the walls fetch it.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from dispatch.models import Ticket, TicketEvent

from .live import push_ticket_on_commit


@receiver(post_save, sender=Ticket, dispatch_uid="maps.ticket_created")
def ticket_created(sender, instance: Ticket, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        push_ticket_on_commit(instance.id, "ticket.created")


@receiver(post_save, sender=TicketEvent, dispatch_uid="maps.ticket_changed")
def ticket_changed(sender, instance: TicketEvent, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        push_ticket_on_commit(
            instance.ticket_id,
            "ticket.changed",
            action=instance.action,
            from_status=instance.from_status,
        )
