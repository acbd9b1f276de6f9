"""The demo history (`manage.py load_demo_tickets`): tickets over the last months, deterministic
from a seed, in every state, with the patterns a Pingdingshan hotline shows.

- Where: urban problems (drain blockages, parking disorder, street trading,
  noise, property management) in the central districts' communities, with a
  few hotspot communities for drains and parking [AN-2]; rural problems in the
  villages of the other counties.
- When: calls by weekday and hour; heating leaks and cold radiators from the
  heating season (15 November) on, heating questions just before it; noise in
  summer evenings; drains in the July–August rains; water and power cuts in the
  heat; school places in summer.
- What then: each ticket is taken through the workflow in memory by the same
  state machine (workflow.fire), with times drawn around its SLA deadlines,
  until the present: old tickets are done, recent ones are open. Some are
  returned, extended, sent back, called back unsatisfied and reworked, or are
  late and supervised.

The same seed and end date give the same tickets. Rows are written with COPY.

The parts: `patterns` (weights, seasons and texts), `simulation` (one ticket's life until now),
`load` (places, arrival times, the batches and the COPY).
"""

from .load import DemoReport, Places, delete_demo, demo_prefix, load_demo
from .patterns import DEFAULT_COUNT, DEFAULT_DAYS, DEFAULT_SEED, season_factor

__all__ = [
    "DEFAULT_COUNT",
    "DEFAULT_DAYS",
    "DEFAULT_SEED",
    "DemoReport",
    "Places",
    "delete_demo",
    "demo_prefix",
    "load_demo",
    "season_factor",
]
