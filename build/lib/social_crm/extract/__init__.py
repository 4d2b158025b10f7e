"""Source APIs and files: one module each (facebook, x, crm) over a shared HTTP client."""
