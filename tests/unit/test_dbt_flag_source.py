"""dbt's behavior flags name the module that declared them the same way, only faster."""

from dbt_common.behavior_flags import BehaviorFlagRendered

from social_crm.transform import dbt_flag_source

FLAG = {"name": "some_flag", "default": True, "docs_url": "https://example.org/flag"}


def _declared_here() -> str:
    return BehaviorFlagRendered(FLAG, {})._behavior_change_event.flag_source


def test_the_flag_source_is_the_declaring_module_as_dbt_names_it(monkeypatch):
    # restored after the test: the class as dbt-common ships it
    monkeypatch.setattr(
        BehaviorFlagRendered, "_default_source", BehaviorFlagRendered.__dict__["_default_source"]
    )
    by_dbt = _declared_here()
    dbt_flag_source.apply()
    assert _declared_here() == by_dbt == __name__
