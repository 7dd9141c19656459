"""The email channel: Zendesk webhooks in, a durable queue, workers, replies out."""
