"""Use cases: one function per thing a user or an event does; they publish through the unit of work."""
