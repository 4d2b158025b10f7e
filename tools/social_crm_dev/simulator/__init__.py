"""A deterministic social world (brands, customers, profiles, engagement) and a local HTTP
server that speaks the Facebook Graph API and X API v2 shapes over it, with faults on demand.

The same generator feeds the API pages and the ground-truth files, so tests can check the
pipeline's output exactly.
"""
