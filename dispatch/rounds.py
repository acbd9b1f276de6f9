"""Handling rounds on record [AR-1][SLA-4][AS-3]: the SQL that keeps dispatch.HandlingRound.

A ticket's clock fields describe the round running now; a new round (re-dispatch after a return,
rework after an unsatisfied callback) resets them. The trigger below copies them, on every insert or
update of the ticket that changes one of them, into the row of the ticket's *current* step, so a
round's row is written while it runs and never after: the first round keeps its deadlines, its
overdue flag and its closing even after a rework. Being a trigger, it holds for every writer: the
services, the supervisor's bulk updates, the loaders' COPY and raw SQL alike.

A round's kind: step 1 is the first dispatch; a later step whose previous round was closed by the
center is a rework (a return is only possible before closing), otherwise a re-dispatch. A callback
belongs to the round it answers: the one whose closing it follows.
"""

from __future__ import annotations

# ticket column -> round column (the same names), as the trigger and the backfill copy them
CLOCK_COLUMNS = (
    "sign_by",
    "reply_by",
    "resolve_by",
    "signed_at",
    "contacted_at",
    "replied_at",
    "closed_at",
    "near_deadline_at",
    "overdue_at",
    "reply_overdue_at",
)
WATCHED = ("step", "clock_started_at", *CLOCK_COLUMNS, "callback_at", "satisfaction")

_KIND = """CASE WHEN {t}.step = 1 THEN 'first'
         WHEN EXISTS (SELECT 1 FROM dispatch_handlinground p
                      WHERE p.ticket_id = {t}.id AND p.step = {t}.step - 1 AND p.closed_at IS NOT NULL)
           THEN 'rework'
         ELSE 'redispatch' END"""
_COLUMNS = "ticket_id, step, kind, started_at, " + ", ".join(CLOCK_COLUMNS) + ", callback_at, satisfaction"


def _values(t: str) -> str:
    return (
        f"{t}.id, {t}.step, {_KIND.format(t=t)}, {t}.clock_started_at, "
        + ", ".join(f"{t}.{c}" for c in CLOCK_COLUMNS)
        + f", CASE WHEN {t}.callback_at >= {t}.closed_at THEN {t}.callback_at END"
        + f", CASE WHEN {t}.callback_at >= {t}.closed_at THEN {t}.satisfaction ELSE '' END"
    )


_UPSERT_SET = ", ".join(f"{c} = EXCLUDED.{c}" for c in ("started_at", *CLOCK_COLUMNS, "callback_at", "satisfaction"))

CREATE_TRIGGER = f"""
CREATE OR REPLACE FUNCTION dispatch_record_round() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.clock_started_at IS NULL AND NEW.resolve_by IS NULL THEN
    RETURN NULL;
  END IF;
  INSERT INTO dispatch_handlinground ({_COLUMNS})
  VALUES ({_values("NEW")})
  ON CONFLICT (ticket_id, step) DO UPDATE SET {_UPSERT_SET};
  RETURN NULL;
END
$$;
CREATE TRIGGER dispatch_ticket_round_insert AFTER INSERT ON dispatch_ticket
  FOR EACH ROW EXECUTE FUNCTION dispatch_record_round();
CREATE TRIGGER dispatch_ticket_round_update AFTER UPDATE ON dispatch_ticket
  FOR EACH ROW
  WHEN (({", ".join(f"OLD.{c}" for c in WATCHED)}) IS DISTINCT FROM ({", ".join(f"NEW.{c}" for c in WATCHED)}))
  EXECUTE FUNCTION dispatch_record_round();
"""

DROP_TRIGGER = """
DROP TRIGGER IF EXISTS dispatch_ticket_round_update ON dispatch_ticket;
DROP TRIGGER IF EXISTS dispatch_ticket_round_insert ON dispatch_ticket;
DROP FUNCTION IF EXISTS dispatch_record_round();
"""

# The backfill of tickets made before rounds were recorded, set-based.
# 1. Earlier rounds, from what survives of them: their assignments (start, the lead's sign-for and reply),
#    the lead's accepted reply (closing), and the events inside the round (first contact, the phone
#    supervision that marked it overdue, the last callback answer). Their deadlines were overwritten by
#    the next round before rounds were kept and stay empty.
# 2. The current round, from the ticket itself.
BACKFILL = [
    """
    INSERT INTO dispatch_handlinground (ticket_id, step, kind, started_at, signed_at, replied_at, closed_at,
                                        satisfaction)
    SELECT a.ticket_id, a.step, '', min(a.assigned_at),
           max(a.signed_at) FILTER (WHERE a.role = 'lead'),
           max(a.replied_at) FILTER (WHERE a.role = 'lead'),
           (SELECT min(r.reviewed_at) FROM dispatch_reply r
            WHERE r.ticket_id = a.ticket_id AND r.step = a.step AND r.role = 'lead' AND r.review = 'accepted'),
           ''
    FROM dispatch_assignment a JOIN dispatch_ticket t ON t.id = a.ticket_id
    WHERE t.step > 1 AND a.step < t.step
    GROUP BY a.ticket_id, a.step
    """,
    f"""
    INSERT INTO dispatch_handlinground ({_COLUMNS})
    SELECT {_values("t").replace(_KIND.format(t="t"), "''")}
    FROM dispatch_ticket t WHERE t.clock_started_at IS NOT NULL OR t.resolve_by IS NOT NULL
    ON CONFLICT (ticket_id, step) DO NOTHING
    """,
    """
    WITH w AS (
      SELECT h.id, h.ticket_id, h.started_at,
             lead(h.started_at) OVER (PARTITION BY h.ticket_id ORDER BY h.step) AS next_start
      FROM dispatch_handlinground h
    )
    UPDATE dispatch_handlinground h SET
      contacted_at = (SELECT min(e.at) FROM dispatch_ticketevent e WHERE e.ticket_id = w.ticket_id
                      AND e.action = 'contact_caller' AND e.at >= w.started_at AND e.at < w.next_start),
      overdue_at = (SELECT min(e.at) FROM dispatch_ticketevent e WHERE e.ticket_id = w.ticket_id
                    AND e.action = 'phone_supervision' AND e.at >= w.started_at AND e.at < w.next_start),
      satisfaction = coalesce((SELECT e.data->>'satisfaction' FROM dispatch_ticketevent e
                      WHERE e.ticket_id = w.ticket_id AND e.action IN ('sms_callback', 'manual_callback')
                        AND e.at >= w.started_at AND e.at <= w.next_start
                      ORDER BY e.at DESC, e.id DESC LIMIT 1), ''),
      callback_at = (SELECT max(e.at) FROM dispatch_ticketevent e
                     WHERE e.ticket_id = w.ticket_id AND e.action IN ('sms_callback', 'manual_callback')
                       AND e.at >= w.started_at AND e.at <= w.next_start)
    FROM w WHERE w.id = h.id AND w.next_start IS NOT NULL
    """,
    """
    UPDATE dispatch_handlinground h SET kind = CASE
      WHEN h.step = 1 THEN 'first'
      WHEN EXISTS (SELECT 1 FROM dispatch_handlinground p
                   WHERE p.ticket_id = h.ticket_id AND p.step = h.step - 1 AND p.closed_at IS NOT NULL) THEN 'rework'
      ELSE 'redispatch' END
    WHERE h.kind = ''
    """,
]


def snapshot(ticket, *, kind: str):
    """The round a ticket held in memory is in, as a HandlingRound (nothing saved): for builders that
    write tickets with COPY after telling several rounds of their story (loaders.demo)."""
    from dispatch.models import HandlingRound

    answered = (
        ticket.callback_at is not None and ticket.closed_at is not None and ticket.callback_at >= ticket.closed_at
    )
    return HandlingRound(
        ticket=ticket,
        step=ticket.step,
        kind=kind,
        started_at=ticket.clock_started_at,
        **{c: getattr(ticket, c) for c in CLOCK_COLUMNS},
        callback_at=ticket.callback_at if answered else None,
        satisfaction=ticket.satisfaction if answered else "",
    )
