"""The simulator's CRM records the accounts a customer names when they opt out of profiling or
ask to be erased: those that show nothing of their surname, which no model can tell are theirs
(tools/social_crm_dev/simulator/known_identities.py)."""

import pytest

from social_crm_dev.simulator.config import WorldConfig
from social_crm_dev.simulator.known_identities import known_accounts
from social_crm_dev.simulator.profile_names import shows_surname
from social_crm_dev.simulator.world import World


@pytest.fixture(scope="module")
def world() -> World:
    return World(WorldConfig(seed=11, scale=0.2, days=60))


def _accounts(world: World, person: int) -> list[tuple[str, str | None]]:
    pop = world.population
    shown = []
    if pop.fb_id[person]:
        shown.append(("facebook", pop.fb_name[person], None))
    if pop.x_id[person]:
        shown.append(("x", pop.x_name[person], pop.x_handle[person]))
    return shown


def _excluded(world: World) -> set[int]:
    pop = world.population
    erased = {e.person for e in world.erasures_visible()}
    return erased | {p for p in range(pop.n_customers) if pop.profiling_opt_out[p]}


def test_every_account_showing_nothing_of_an_excluded_customer_is_known(world):
    known = {(k.person, k.platform) for k in known_accounts(world)}
    pop = world.population
    unknown = [
        (person, platform, name)
        for person in _excluded(world)
        for platform, name, handle in _accounts(world, person)
        if not shows_surname(pop.last[person], name, handle) and (person, platform) not in known
    ]
    assert unknown == []


def test_accounts_showing_the_surname_are_left_for_the_pipeline_to_find(world):
    """The agent records only what cannot be found otherwise: of the excluded customers'
    accounts that show their surname, the CRM knows the usual share (about 30%), so the demo
    world's consent figures still measure the identity model on the rest."""
    pop = world.population
    known = {(k.person, k.platform) for k in known_accounts(world)}
    showing = [
        (person, platform)
        for person in _excluded(world)
        for platform, name, handle in _accounts(world, person)
        if shows_surname(pop.last[person], name, handle)
    ]
    share_known = sum(a in known for a in showing) / len(showing)
    assert len(showing) >= 20 and share_known < 0.5
