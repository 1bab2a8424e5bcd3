"""Pure rules of the workshop floor: job states, dispatch checks, clocks and stale detection."""
