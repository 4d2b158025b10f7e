"""The dbt selections the pipelines build, each defined once: the nightly's Cosmos task groups
and every in-process `dbt build` (`dbt_runner.build`) read them from here."""

from __future__ import annotations

from dataclasses import dataclass

# The tests each nightly step runs with its models: those whose every parent is built in the
# step or before it (a relationship test of a mart to a seed runs with the mart; one of a staging
# model to a mart not built yet waits for the marts step)
INDIRECT_SELECTION = "buildable"


@dataclass(frozen=True)
class Selection:
    """What one `dbt build` builds: the nodes `select` picks less those `exclude` names (dbt
    selector syntax), and the tests `indirect_selection` adds (None: dbt's default, eager)."""

    select: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    indirect_selection: str | None = None

    def args(self) -> list[str]:
        """The selection as `dbt build` arguments."""
        args = ["--select", *self.select]
        if self.indirect_selection is not None:
            args += ["--indirect-selection", self.indirect_selection]
        if self.exclude:
            args += ["--exclude", *self.exclude]
        return args


# first seeds, staging models, the social profiles and the accounts the CRM knows (what
# identity matching reads), and the messages' texts (what sentiment scoring reads) ...
STAGING = Selection(
    (
        "path:seeds",
        "path:models/staging",
        "+int_identity_known_accounts",
        "int_interactions",
        "+int_message_texts",
    ),
    indirect_selection=INDIRECT_SELECTION,
)
# ... then, once the matching step scored the pairs, the identity links and the profiles that
# may be an excluded customer's (erasure reads them) ...
IDENTITY = Selection(
    ("int_identity_links", "int_excluded_customers", "int_excluded_profiles"),
    indirect_selection=INDIRECT_SELECTION,
)
# ... then, once erasures are applied and scores written, the intermediate models and marts not
# built yet (erasure deletes the erased people's rows from the identity tables built before it)
MARTS = Selection(
    ("path:models/intermediate", "path:models/marts"),
    exclude=STAGING.select + IDENTITY.select,
    indirect_selection=INDIRECT_SELECTION,
)

# The live DAG (every 10 minutes): the new messages' staging tables and their answers (what
# sentiment scoring reads) ...
LIVE_MESSAGES = Selection(
    (
        "stg_facebook__posts",
        "stg_facebook__comments",
        "stg_facebook__visitor_posts",
        "stg_facebook__users",
        "stg_x__tweets",
        "stg_x__users",
        "stg_instagram__media",
        "stg_instagram__comments",
        "int_engagements_unified",
        "int_messages_answered",
        "int_message_texts",
    )
)
# ... then, once they are scored, the queue, with the customers excluded from it as the CRM's
# last load says (an opt-out landed since the last nightly leaves the queue at the next cycle)
LIVE_QUEUE = Selection(
    (
        "int_excluded_customers",
        "int_message_sentiment",
        "int_message_response_times",
        "int_brand_message_slots",
        "open_conversations",
    )
)
