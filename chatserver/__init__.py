"""The chat server: sessions, intent scripts, channels (live chat and Zendesk email)."""
