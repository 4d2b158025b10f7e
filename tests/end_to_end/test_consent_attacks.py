"""Erasure requests an outsider can file: each names something that is not the filer's (the
brand's X handle, another customer's known Facebook account, a word every log line holds),
and a nightly that fails after its erasure step. The world is built and published once;
then the requests land and the nightly runs its steps up to the erasure (the published marts
are read there, as if the next step had failed), then whole.

What each request may erase is the filer's own data; what the tests check is that nobody
else's is gone."""

import csv
from datetime import timedelta

import pytest

from social_crm.extract.crm import land_drop_folder
from tests.end_to_end.conftest import (
    BRAND_X_IDS,
    PAGE_IDS,
    built_world,
    csv_rows,
    nightly_build,
    world_now,
)

pytestmark = pytest.mark.integration

BRAND_HANDLE = "fjordbrew"  # dbt_project/seeds/brands.csv, our brand


def _ordinary_customers(truth) -> list[str]:
    """Customers with no social profile who neither opted out nor asked to be erased: filers
    whose own erasure removes no social data."""
    erasures = {e["customer_id"] for e in truth.rows("erasures.csv")}
    with_profiles = {p["customer_id"] for p in truth.rows("profiles.csv") if p["customer_id"]}
    return [
        c["customer_id"]
        for c in csv_rows(truth.folder / "crm" / "customers.csv")
        if c["profiling_opt_out"] == "false" and c["customer_id"] not in erasures | with_profiles
    ]


def _stranger_with_known_facebook_account(pipeline, truth, excluded: set[str]) -> dict:
    """A customer (not opted out, not erased) whose Facebook account the CRM knows, with the
    most comments landed."""
    customers = {c["customer_id"]: c for c in csv_rows(truth.folder / "crm" / "customers.csv")}
    best = None
    for account in csv_rows(truth.folder / "crm" / "customer_social_accounts.csv"):
        customer = customers.get(account["customer_id"])
        if (
            account["platform"] != "facebook"
            or not account["account_id"]
            or customer is None
            or customer["profiling_opt_out"] != "false"
            or account["customer_id"] in excluded
        ):
            continue
        comments = pipeline.scalar(
            "select count(*) from raw.facebook_comments where payload->'from'->>'id' = %s",
            account["account_id"],
        )
        if best is None or comments > best[0]:
            best = (comments, account)
    assert best is not None and best[0] > 0, "the world has no such customer"
    return best[1]


def _engagements_of(pipeline, profile: dict) -> int:
    return pipeline.scalar(
        "select count(*) from intermediate.int_engagements_unified"
        " where platform = %s and profile_id = %s",
        profile["platform"],
        profile["profile_id"],
    )


def _model_linked_profile(pipeline, truth, excluded: set[str]) -> dict:
    """The profile the model linked to its true customer (who neither opted out nor asked to
    be erased) with the most engagements: the victim of a namesake."""
    customers = {c["customer_id"]: c for c in csv_rows(truth.folder / "crm" / "customers.csv")}
    erasures = {e["customer_id"] for e in truth.rows("erasures.csv")}
    true_owner = {
        (p["platform"], p["profile_id"]): p["customer_id"] for p in truth.rows("profiles.csv")
    }
    rows = pipeline.rows(
        "select split_part(l.profile_key, ':', 1), split_part(l.profile_key, ':', 2),"
        " l.customer_id, count(u.*) from intermediate.int_identity_links l"
        " join intermediate.int_engagements_unified u"
        " on u.platform || ':' || u.profile_id = l.profile_key"
        " where l.match_method = 'model' and l.profile_key like 'facebook:%%'"
        " group by 1, 2, 3 order by 4 desc"
    )
    for platform, profile_id, customer_id, _ in rows:
        customer = customers.get(customer_id)
        if (
            customer is not None
            and true_owner.get((platform, profile_id)) == customer_id
            and customer["profiling_opt_out"] == "false"
            and customer_id not in erasures | excluded
        ):
            return {"platform": platform, "profile_id": profile_id, "customer_id": customer_id}
    raise AssertionError("the model linked no profile of such a customer")


@pytest.fixture(scope="module")
def attacked(built_once, warehouse_url, tmp_path_factory):
    from social_crm.orchestration import nightly

    comments = {
        comment: (author, parent)
        for comment, author, parent in built_once.landed_rows(
            "select natural_key, payload->'from'->>'id', payload->'parent'->>'id'"  # noqa: S608
            " from (select distinct on (natural_key) * from raw.facebook_comments"
            " order by natural_key, ingest_seq desc) v where not is_deleted"
            f" and payload->'from'->>'id' not in {PAGE_IDS}"
        )
    }
    # the world landed, then built and published by the nightly
    with built_world(built_once, warehouse_url, tmp_path_factory) as (
        pipeline,
        truth,
        patch,
        drop,
        local,
    ):
        sim = pipeline.sim
        before = {
            "comments": comments,
            "mentions": dict(
                pipeline.rows(
                    "select natural_key, payload->>'author_id' from (select distinct on"  # noqa: S608
                    " (natural_key) * from raw.x_tweets order by natural_key, ingest_seq desc) v"
                    f" where not is_deleted and payload->>'author_id' not in {BRAND_X_IDS}"
                )
            ),
        }
        filers = _ordinary_customers(truth)[:3]
        stranger = _stranger_with_known_facebook_account(pipeline, truth, set(filers))
        before["stranger comments"] = pipeline.scalar(
            "select count(*) from raw.facebook_comments where payload->'from'->>'id' = %s",
            stranger["account_id"],
        )
        victim = _model_linked_profile(pipeline, truth, set(filers) | {stranger["customer_id"]})
        before["victim engagements"] = _engagements_of(pipeline, victim)
        # task logs of the night: what the operators read of it, naming no one
        logs = local / "airflow" / "logs" / "dag_id=social_crm_nightly"
        logs.mkdir(parents=True)
        day = world_now(sim).strftime("%Y-%m-%d")
        dated_log, info_log = logs / "attempt=1.log", logs / "attempt=2.log"
        dated_log.write_text(
            f"{day} 02:00:01 nightly step validate_raw: 1.2s\n"
            f"{day} 02:00:09 nightly step build_staging: 8.0s\n",
            encoding="utf-8",
        )
        info_log.write_text(
            "02:00:01 INFO nightly step validate_raw: 1.2s\n"
            "02:00:09 INFO nightly step build_staging: 8.0s\n",
            encoding="utf-8",
        )
        # a new customer record with the victim's name and city, then its erasure request
        customers = csv_rows(truth.folder / "crm" / "customers.csv")
        namesake = {
            **next(c for c in customers if c["customer_id"] == victim["customer_id"]),
            "customer_id": "C999999",
            "email": "someone.else.999999@example.org",
        }
        with open(drop / "customers_9999-12-31.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(namesake))
            writer.writeheader()
            writer.writerows([*customers, namesake])
        requested = (world_now(sim) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        with open(drop / "erasure_requests_outsiders.csv", "w", encoding="utf-8") as handle:
            handle.write("customer_id,requested_at,identifiers\n")
            # 1. our own X handle, as if it were the filer's
            handle.write(f"{filers[0]},{requested},@{BRAND_HANDLE}\n")
            # 2. another customer's Facebook account, which the CRM knows as theirs
            handle.write(
                f"{filers[1]},{requested},"
                f"https://www.facebook.com/profile.php?id={stranger['account_id']}\n"
            )
            # 3. a token that is no account (the day's date, as a note would hold it)
            handle.write(f"{filers[2]},{requested},{day}\n")
            # 4. a customer id the CRM does not know
            handle.write(f"INFO,{requested},\n")
            # 5. the namesake
            handle.write(f"{namesake['customer_id']},{requested},\n")
        land_drop_folder(pipeline.connect, drop)

        # the nightly up to and including its erasure step; the next step fails
        nightly.run_all(until="apply_erasure_requests")
        halfway = {
            "published filers": pipeline.rows(
                "select customer_id, email from marts.people where customer_id = any(%s)",
                filers,
            ),
            "logged erased": {
                c
                for (c,) in pipeline.rows(
                    "select customer_id from meta.erasure_log where customer_id = any(%s)", filers
                )
            },
        }
        nightly_build(as_of=world_now(sim))
        yield {
            "pipeline": pipeline,
            "truth": truth,
            "filers": filers,
            "stranger": stranger,
            "before": before,
            "halfway": halfway,
            "dated_log": dated_log,
            "info_log": info_log,
            "victim": victim,
        }


def test_an_erasure_request_naming_the_brands_handle_erases_no_one_elses_mentions(attacked):
    pipeline = attacked["pipeline"]
    erased_profiles = {
        profile
        for (ids,) in pipeline.rows("select profile_ids from meta.erasure_log")
        for profile in ids
    }
    alive = pipeline.alive("x_tweets", f"payload->>'author_id' not in {BRAND_X_IDS}")
    lost = {
        tweet
        for tweet, author in attacked["before"]["mentions"].items()
        if tweet not in alive and author not in erased_profiles
    }
    assert lost == set(), (
        f"{len(lost)} of {len(attacked['before']['mentions'])} mentions by people nobody"
        " asked to erase were deleted"
    )


def test_an_erasure_request_erases_no_other_customers_known_account(attacked):
    pipeline, stranger = attacked["pipeline"], attacked["stranger"]
    left = pipeline.scalar(
        "select count(*) from raw.facebook_comments where payload->'from'->>'id' = %s",
        stranger["account_id"],
    )
    assert left == attacked["before"]["stranger comments"]
    assert (
        pipeline.scalar(
            "select count(*) from marts.people where customer_id = %s and facebook_profile_id = %s",
            stranger["customer_id"],
            stranger["account_id"],
        )
        == 1
    )


def test_an_erasure_request_token_erases_no_log_line_naming_no_one(attacked):
    lines = attacked["dated_log"].read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2, lines


def test_an_erasure_request_for_an_unknown_customer_erases_nothing(attacked):
    lines = attacked["info_log"].read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2, lines


def test_a_profile_the_model_cannot_tell_between_two_customers_goes_with_either_ones_erasure(
    attacked,
):
    # the namesake's pair with the profile ties with the linked customer's: the model cannot
    # tell whose it is, so the erasure errs on the side of the person asking (a cost the
    # README's Consent section counts), never the other way round
    pipeline, victim = attacked["pipeline"], attacked["victim"]
    assert attacked["before"]["victim engagements"] > 0
    assert _engagements_of(pipeline, victim) == 0


def test_published_marts_show_no_customer_erasure_has_logged_erased(attacked):
    halfway = attacked["halfway"]
    assert halfway["logged erased"], "the erasure step logged none of the filers"
    shown = [row for row in halfway["published filers"] if row[0] in halfway["logged erased"]]
    assert shown == []


def test_an_erasure_erases_no_comment_written_by_someone_not_erased(attacked):
    """Whoever filed the requests: a comment of a person nobody asked to erase stays, even
    a reply to an erased person's comment."""
    pipeline, comments = attacked["pipeline"], attacked["before"]["comments"]
    erased_profiles = {
        profile
        for (ids,) in pipeline.rows("select profile_ids from meta.erasure_log")
        for profile in ids
    }
    alive = pipeline.alive("facebook_comments")
    lost = {
        (comment, author, comments.get(parent, ("?",))[0])
        for comment, (author, parent) in comments.items()
        if comment not in alive and author not in erased_profiles
    }
    assert lost == set(), f"(comment, its author, the author it replied to) deleted: {lost}"
