"""What dispatch's models announce, so that they need not know who listens.

`events_persisted` is sent inside the writing transaction whenever TicketEvents are persisted
(TicketEvent.save of a new row, TicketEvent.objects.bulk_create); dispatch.apps connects the
audit log (dispatch.audit) to it. The models import this module only: the dependency runs one
way, audit → models.
"""

from django.dispatch import Signal

# sender: the TicketEvent class; events: the list of persisted TicketEvent instances
events_persisted = Signal()
