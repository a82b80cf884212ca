"""Connectors, feeds, schedules, runs, events, webhooks in and postbacks out."""
