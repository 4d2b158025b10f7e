"""The Meta webhook receiver (docs/webhooks.md): an ASGI app that verifies Meta's deliveries
and lands each change in `raw.webhook_events` (app.py), its secrets (config.py), the rules of
a delivery (changes.py) and its landing (land.py); `social-crm webhooks serve` runs it
(serve.py)."""
