"""A faster way for dbt to name the module that declares a behavior flag.

dbt-common names it (`BehaviorFlagRendered._default_source`, dbt-common 1.39) with
`inspect.stack()`, once per flag each time dbt builds its adapter: that reads a source line
and searches `sys.modules` for every frame of the call stack. Inside an Airflow task the
stack is deep and thousands of modules are loaded, so it cost about 2 s of each dbt task of
the nightly DAG (measured with py-spy: half of the dbt tasks' time). The replacement walks
the same frames and reads each one's module name from its globals: the same answer, in
microseconds. Applied before dbt runs (`dbt_runner.run`, the Cosmos tasks' pre_execute).
"""

from __future__ import annotations

import sys
from types import FrameType


def _default_source() -> str:
    """The first module up the stack that is not dbt_common.behavior_flags."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__")
        if name and name != "dbt_common.behavior_flags":
            return name
        frame = frame.f_back
    return "Unknown"


def apply() -> None:
    """Install the replacement (idempotent); nothing when dbt-common has no such method."""
    from dbt_common import behavior_flags

    rendered = behavior_flags.BehaviorFlagRendered
    if hasattr(rendered, "_default_source"):
        # replacing the method is the point of this module
        rendered._default_source = staticmethod(_default_source)  # type: ignore[method-assign]
