"""Intuit webhooks: subscriptions, signed deliveries in both formats, delivery knobs."""
