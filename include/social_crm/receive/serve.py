"""`social-crm webhooks serve`: the receiver under uvicorn (the ASGI server Airflow's API
server already runs on), `--workers` processes side by side (they share the warehouse's
landing lock, so concurrent deliveries neither duplicate nor lose a change)."""

from __future__ import annotations

import logging

from social_crm.receive.app import CALLBACK_PATH, create_app
from social_crm.receive.config import resolve


def serve(host: str, port: int, workers: int = 1) -> None:
    """Run until stopped; refuses to start (ReceiverNotConfigured) without the secrets."""
    import uvicorn

    config = resolve()  # before listening: no secret, no receiver
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    print(f"webhook receiver on http://{host}:{port}{CALLBACK_PATH}", flush=True)
    if workers > 1:
        # each worker process builds its app from the same environment
        uvicorn.run(
            "social_crm.receive.serve:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            access_log=False,
        )
        return
    uvicorn.run(create_app(config), host=host, port=port, log_level="info", access_log=False)


def app_from_environment():  # uvicorn factory
    return create_app(resolve())
