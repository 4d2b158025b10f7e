"""Social accounts the brand's CRM already knows for some customers: collected at a social
login, a loyalty or newsletter sign-up where the person gave a handle, or linked by an agent in a
customer-service conversation. About 30% of the customers' profiles, each on its own seeded
stream (the rest of the world does not move when this changes).

A customer who opts out of profiling or asks to be erased does it in a service conversation,
and the agent records the accounts the brand could not tell are theirs: those that show nothing
of their surname (a first name or a pseudonym alone), as the GDPR expects of a controller that
cannot identify a person's data (Art. 11(2), 12(2): it asks, the person answers). The accounts
that show their name are left for the pipeline to find."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from social_crm_dev.simulator.config import DAY
from social_crm_dev.simulator.profile_names import shows_surname
from social_crm_dev.simulator.rng import rng_for
from social_crm_dev.simulator.world import World

SHARE_KNOWN = 0.3
SOURCES = ("social_login", "loyalty_signup", "service_conversation", "manual")
SOURCE_WEIGHTS = (0.35, 0.35, 0.2, 0.1)


@dataclass(frozen=True)
class KnownAccount:
    person: int
    customer_id: str
    platform: str
    account_id: str | None  # Facebook: the page-scoped id; X: the user id, when the CRM has it
    handle: str | None  # X: the @handle the person gave; Instagram: the username
    source: str
    linked_at: int  # world seconds


def known_accounts(world: World) -> Iterator[KnownAccount]:
    pop = world.population
    erased: dict[int, int] = {}
    for erasure in world.erasures_visible():
        erased[erasure.person] = min(
            erased.get(erasure.person, erasure.requested_at), erasure.requested_at
        )
    for person in range(pop.n_customers):
        rng = rng_for(world.config.seed, "known_identities", person)
        draws = rng.random(6)
        source = SOURCES[int(rng.choice(len(SOURCES), p=SOURCE_WEIGHTS))]
        linked_at = int(draws[5] * max(DAY, world.clock))
        customer = pop.customer_id(person)
        if pop.fb_id[person] and draws[0] < SHARE_KNOWN:
            yield KnownAccount(
                person, customer, "facebook", str(int(pop.fb_id[person])), None, source, linked_at
            )
        if pop.x_id[person] and draws[1] < SHARE_KNOWN:
            # a sign-up form asks for the handle; a social login or an agent sees the id
            has_id = source != "loyalty_signup" or draws[2] < 0.3
            has_handle = not has_id or draws[3] < 0.7
            yield KnownAccount(
                person,
                customer,
                "x",
                str(int(pop.x_id[person])) if has_id else None,
                pop.x_handle[person] if has_handle else None,
                source,
                linked_at,
            )
        # Instagram on a stream of its own (the draws above do not move): the username the
        # person gave at a sign-up or an agent saw; Instagram-scoped ids are the app's, never
        # the CRM's
        ig_draws = rng_for(world.config.seed, "known_identities_instagram", person).random(2)
        if pop.ig_username[person] and ig_draws[0] < SHARE_KNOWN:
            yield KnownAccount(
                person,
                customer,
                "instagram",
                None,
                pop.ig_username[person],
                source,
                int(ig_draws[1] * max(DAY, world.clock)),
            )
        if pop.profiling_opt_out[person] or person in erased:
            when = erased.get(person, linked_at)
            yield from _named_in_privacy_request(world, person, customer, when, draws)
            if pop.ig_username[person] and ig_draws[0] >= SHARE_KNOWN:
                if not shows_surname(
                    pop.last[person], pop.ig_name[person], pop.ig_username[person]
                ):
                    yield KnownAccount(
                        person,
                        customer,
                        "instagram",
                        None,
                        pop.ig_username[person],
                        "service_conversation",
                        when,
                    )


def _named_in_privacy_request(
    world: World, person: int, customer: str, when: int, draws: np.ndarray
) -> Iterator[KnownAccount]:
    """The accounts a customer who opts out or asks to be erased names to the agent at `when`
    (see the module's docstring), unless the CRM knows them already."""
    pop = world.population
    if pop.fb_id[person] and draws[0] >= SHARE_KNOWN:
        if not shows_surname(pop.last[person], pop.fb_name[person], None):
            account = str(int(pop.fb_id[person]))
            yield KnownAccount(
                person, customer, "facebook", account, None, "service_conversation", when
            )
    if pop.x_id[person] and draws[1] >= SHARE_KNOWN:
        if not shows_surname(pop.last[person], pop.x_name[person], pop.x_handle[person]):
            account = str(int(pop.x_id[person]))
            yield KnownAccount(
                person, customer, "x", account, pop.x_handle[person], "service_conversation", when
            )
