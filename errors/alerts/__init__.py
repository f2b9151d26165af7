"""Alerts: rules staff set, the outbox the write path fills, and the deliverer that drains it."""
