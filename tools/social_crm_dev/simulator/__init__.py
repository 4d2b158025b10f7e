"""A deterministic social world (brands, customers, profiles, engagement) and a local HTTP
server that speaks the Facebook Graph API, the Instagram API with Facebook Login (same base
URL) and X API v2 shapes over it, with faults on demand.

The webhook events of a window (docs/simulator.md): `World.instagram_webhook_changes(start,
end)` and `World.page_feed_changes(start, end)`, each a list of (object, entry_id, field,
value, unix time).

The same generator feeds the API pages and the ground-truth files, so tests can check the
pipeline's output exactly.
"""
