"""The kpi service: live figures of the floor on Prometheus and REST, from everyone's events.

How it stays right however events arrive (late, twice, out of order across topics):
- handlers.py turns each event into normalized fact rows keyed by natural ids (db.py), merged by
  commutative rules (projection/rules.py: earliest / latest-by-event-time / fill). Clock and
  attendance marks are stored as points; the intervals they pair into are re-derived from the
  marks (projection/store.py), so an end that arrives before its start simply waits for it.
- Nothing is accumulated: every figure is computed at read time (figures/, pure) over a window
  in the site's time zone, clipping intervals to it; an open interval runs to now.
- facts.py reads what a window needs; api/ serves it with each figure's formula, unit and window;
  metrics.py keeps a per-site cache for /metrics (review.py adds the month's targets and the radar indicators that need
  reference data); rebuild.py replays the topics into fresh tables.
"""
