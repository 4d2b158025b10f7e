"""Every environment variable the project's settings loaders read: what the docs and the
example environment must each name (tests/unit/test_docs.py, test_docker_compose.py)."""


class _Recording(dict):
    """An empty environment that records every variable a settings loader asks for."""

    def __init__(self):
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return default


def every_setting_read() -> set[str]:
    """The names the runtime's and the tooling's settings loaders ask for, each with defaults."""
    from social_crm import settings
    from social_crm_dev import settings as dev_settings

    env = _Recording()
    settings.load(env)
    dev_settings.load(env)
    return env.asked
