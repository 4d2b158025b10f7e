"""A second outside attack of the consent and erasure promises (README, "Consent"): what the
first one (test_consent_attacks.py and the test_consent_*/test_erasure_* modules) did not try.

One world is extracted, its CRM export landed and the nightly run (phase A). Then, before the
next night:
- the live queue raises an SLA alert about a customer's message; that customer asks to be
  erased;
- customers whose own erasure reaches none of the victims' profiles file erasure requests
  naming what is not theirs: an account CRM staff accepted as another customer's, an account
  the model linked to another customer, another customer's email, an account id equal to
  another customer's (numeric) CRM id;
- other filers name what may be theirs (a prospect's profile, their own second customer
  record's email) in forms people copy from a browser or a mail client: an upper-case URL,
  Facebook's app-scoped profile URL, a mobile host, a percent-encoded query, x.com/@handle,
  an intent URL, a full-width handle, a mailto: link, an address in angle brackets; each
  with its canonical form as a control.
The requests land and the nightly runs whole (phase B). Then a customer opts out of profiling
and the next nightly fails after its erasure step (phase C): the published marts are read
there.

Nothing here is mocked: real embedded PostgreSQL, the simulator, the pipeline's own steps."""

from datetime import timedelta

import pytest

from social_crm.extract.crm import land_drop_folder
from tests.end_to_end.conftest import (
    built_world,
    csv_rows,
    nightly_build,
    raise_an_sla_alert_about_a_customer,
    world_now,
    write_csv,
)

pytestmark = pytest.mark.integration

NUMERIC_CUSTOMER = "700000000001"  # a CRM whose customer ids are numbers (12 digits)

# (name, kind, template): how a person may write their own account or email in a request
FORMS = [
    ("facebook canonical", "facebook", "https://www.facebook.com/profile.php?id={id}"),
    ("facebook upper case", "facebook", "HTTPS://WWW.FACEBOOK.COM/PROFILE.PHP?ID={id}"),
    ("facebook app-scoped", "facebook", "https://www.facebook.com/app_scoped_user_id/{id}/"),
    ("facebook mbasic host", "facebook", "https://mbasic.facebook.com/profile.php?id={id}"),
    ("facebook percent-encoded", "facebook", "https://www.facebook.com/profile.php%3Fid%3D{id}"),
    ("x canonical", "x", "https://x.com/{handle}"),
    ("x at-sign in path", "x", "https://x.com/@{handle}"),
    ("x intent screen_name", "x", "https://twitter.com/intent/user?screen_name={handle}"),
    ("x full-width handle", "x", "@{fullwidth}"),
    ("email canonical", "email", "{email}"),
    ("email mailto", "email", "mailto:{email}"),
    ("email angle brackets", "email", "<{email}>"),
]


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _raw_rows_of(pipeline, platform: str, profile_id: str) -> int:
    """Live raw rows a person wrote or reacted with (latest versions, not deleted)."""
    if platform == "facebook":
        return len(
            pipeline.alive("facebook_comments", f"payload->'from'->>'id' = '{profile_id}'")
        ) + len(pipeline.alive("facebook_reactions", f"payload->>'user_id' = '{profile_id}'"))
    return len(pipeline.alive("x_tweets", f"payload->>'author_id' = '{profile_id}'"))


def _model_linked_profiles(pipeline, truth) -> list[dict]:
    """Profiles the model linked to their true customer (neither opted out nor erased), most
    engagements first."""
    customers = {c["customer_id"]: c for c in csv_rows(truth.folder / "crm" / "customers.csv")}
    erasures = {e["customer_id"] for e in truth.rows("erasures.csv")}
    owner = {(p["platform"], p["profile_id"]): p["customer_id"] for p in truth.rows("profiles.csv")}
    found = []
    for platform, profile_id, customer_id, _ in pipeline.rows(
        "select split_part(l.profile_key, ':', 1), split_part(l.profile_key, ':', 2),"
        " l.customer_id, count(u.*) from intermediate.int_identity_links l"
        " join intermediate.int_engagements_unified u"
        " on u.platform || ':' || u.profile_id = l.profile_key"
        " where l.match_method = 'model' and l.profile_key like 'facebook:%%'"
        " group by 1, 2, 3 order by 4 desc, 2"
    ):
        customer = customers.get(customer_id)
        if (
            customer is not None
            and owner.get((platform, profile_id)) == customer_id
            and customer["profiling_opt_out"] == "false"
            and customer_id not in erasures
        ):
            found.append({"platform": platform, "profile_id": profile_id, "customer": customer_id})
    return found


def _filers(pipeline, truth, protected: set[str], taken: set[str]) -> list[str]:
    """Customers (not opted out, not erased, not `taken`) whose own erasure reaches none of
    the `protected` profile keys (no link, known account or pair of the model from 0.01 up to
    them): what their requests do to those profiles is what the requests name. Those whose
    erasure reaches fewest profiles first."""
    erasures = {e["customer_id"] for e in truth.rows("erasures.csv")}
    reaching = {
        c
        for (c,) in pipeline.rows(
            "select customer_id from intermediate.int_identity_links"
            " where profile_key = any(%s) union"
            " select customer_id from intermediate.int_excluded_profiles"
            " where profile_key = any(%s) union"
            " select customer_id from scoring.identity_match_pairs"
            " where profile_key = any(%s) and match_probability >= 0.01",
            sorted(protected),
            sorted(protected),
            sorted(protected),
        )
    }
    reach = dict(
        pipeline.rows(
            "select customer_id, count(*) from scoring.identity_match_pairs"
            " where match_probability >= 0.01 group by 1"
        )
    )
    found = [
        c["customer_id"]
        for c in csv_rows(truth.folder / "crm" / "customers.csv")
        if c["profiling_opt_out"] == "false" and c["customer_id"] not in erasures | reaching | taken
    ]
    return sorted(found, key=lambda c: (reach.get(c, 0), c))


def _prospect_profiles(pipeline, truth, platform: str) -> list[dict]:
    """Profiles of people who are no customer, that nothing links or excludes, with raw rows."""
    reached = {
        key
        for (key,) in pipeline.rows(
            "select profile_key from intermediate.int_identity_links union"
            " select profile_key from intermediate.int_excluded_profiles union"
            " select profile_key from scoring.identity_match_pairs"
            " where match_probability >= 0.01"
        )
    }
    found = []
    for p in truth.rows("profiles.csv"):
        key = f"{p['platform']}:{p['profile_id']}"
        if p["platform"] != platform or p["customer_id"] or key in reached:
            continue
        count = _raw_rows_of(pipeline, platform, p["profile_id"])
        if count:
            found.append({**p, "rows": count})
    return sorted(found, key=lambda p: -p["rows"])


@pytest.fixture(scope="module")
def attacked(built_once, warehouse_url, tmp_path_factory):
    from social_crm.orchestration import nightly

    # --- phase A: the first night (the world landed, then built and published)
    with built_world(built_once, warehouse_url, tmp_path_factory) as (
        pipeline,
        truth,
        patch,
        drop,
        local,
    ):
        sim = pipeline.sim
        patch.delenv("SOCIAL_CRM_ALERT_WEBHOOK", raising=False)

        customers = csv_rows(truth.folder / "crm" / "customers.csv")
        by_id = {c["customer_id"]: c for c in customers}
        used: set[str] = set()
        # the live queue alerts a customer's message; that customer asks to be erased
        alerted = raise_an_sla_alert_about_a_customer(pipeline, sim, used)
        alert_texts = [
            t for (t,) in pipeline.rows("select text from meta.alerts where kind = 'sla_breach'")
        ]
        linked = [p for p in _model_linked_profiles(pipeline, truth) if p["customer"] != alerted]
        accepted, modelled = linked[0], linked[1]
        email_victim = linked[2]["customer"]
        used.add(email_victim)
        prospects = {
            "facebook": _prospect_profiles(pipeline, truth, "facebook"),
            "x": _prospect_profiles(pipeline, truth, "x"),
        }
        twice = prospects["facebook"].pop()  # the one with fewest rows
        protected = {
            f"facebook:{p['profile_id']}" for p in (accepted, modelled, *linked[2:3], twice)
        } | {f"{k}:{p['profile_id']}" for k, ps in prospects.items() for p in ps}
        pool = iter(
            _filers(pipeline, truth, protected, used | {accepted["customer"], modelled["customer"]})
        )

        def filer() -> str:
            customer = next(pool, None)
            assert customer, "too few customers whose erasure reaches none of the victims"
            used.add(customer)
            return customer

        requested = (world_now(sim) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        requests = []  # (customer_id, identifiers)
        if alerted:
            requests.append((alerted, ""))
            used.add(alerted)
        # 1. an account CRM staff accepted as another customer's
        staff = filer()
        requests.append(
            (staff, f"https://www.facebook.com/profile.php?id={accepted['profile_id']}")
        )
        write_csv(
            drop / "identity_decisions_review.csv",
            [
                {
                    "platform": "facebook",
                    "account_id": accepted["profile_id"],
                    "customer_id": accepted["customer"],
                    "decision": "accept",
                    "decided_by": "agent7",
                    "decided_at": requested,
                }
            ],
        )
        # 2. an account the model linked to another customer
        requests.append(
            (filer(), f"https://www.facebook.com/profile.php?id={modelled['profile_id']}")
        )
        # 3. another customer's email
        requests.append((filer(), by_id[email_victim]["email"]))
        # 4. an account id equal to another customer's CRM id (a CRM of numeric ids)
        numeric = {
            **customers[0],
            "customer_id": NUMERIC_CUSTOMER,
            "email": "numeric.customer@example.net",
            "first_name": "Numeric",
            "last_name": "Customerson",
        }
        requests.append((filer(), f"https://www.facebook.com/{NUMERIC_CUSTOMER}"))
        # 5. what may be theirs, in every form
        second_records = []
        named = {}  # form name -> what it names
        for number, (name, kind, template) in enumerate(FORMS):
            # a person who is no customer files with an id the CRM never had (README: only
            # the accounts the request names are erased); a customer, for their email
            customer = filer() if kind == "email" else f"Z{number:05d}"
            if kind == "email":
                email = by_id[customer]["email"]
                record = {
                    **by_id[customer],
                    "customer_id": f"C9{number:05d}",
                    "first_name": by_id[customer]["first_name"][:1],
                }
                second_records.append(record)
                named[name] = {"kind": kind, "customer": record["customer_id"]}
                identifier = template.format(email=email.upper() if "upper" in name else email)
            else:
                profile = prospects[kind].pop(0)
                named[name] = {"kind": kind, **profile}
                identifier = template.format(
                    id=profile["profile_id"],
                    handle=profile["handle"],
                    fullwidth=_fullwidth(profile["handle"]),
                )
            requests.append((customer, identifier))
        # the customers export of the day: the numeric-id customer and the second records
        write_csv(drop / "customers_9999-12-31.csv", [*customers, numeric, *second_records])
        write_csv(
            drop / "orders_9999-12-31.csv",
            [
                {
                    "order_id": "O-NUMERIC-1",
                    "customer_id": NUMERIC_CUSTOMER,
                    "ordered_at": requested,
                    "amount": "12.50",
                    "product_id": "P001",
                }
            ],
        )
        land_drop_folder(pipeline.connect, drop)
        before = {
            "accepted": _raw_rows_of(pipeline, "facebook", accepted["profile_id"]),
            "modelled": _raw_rows_of(pipeline, "facebook", modelled["profile_id"]),
            "accepted decision": pipeline.rows(
                "select payload->>'customer_id', payload->>'decision'"
                " from raw.crm_identity_decisions where payload->>'account_id' = %s",
                accepted["profile_id"],
            ),
        }
        write_csv(
            drop / "erasure_requests_outsiders.csv",
            [{"customer_id": c, "requested_at": requested, "identifiers": i} for c, i in requests],
        )
        # 6. a request landed twice: first naming the person's account, then again (a
        # reminder, a re-export) without the identifiers
        twice_filer = filer()
        again = (world_now(sim) - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
        write_csv(
            drop / "erasure_requests_9999-12-30.csv",
            [
                {
                    "customer_id": twice_filer,
                    "requested_at": requested,
                    "identifiers": f"https://www.facebook.com/profile.php?id={twice['profile_id']}",
                }
            ],
        )
        write_csv(
            drop / "erasure_requests_9999-12-31.csv",
            [{"customer_id": twice_filer, "requested_at": again, "identifiers": ""}],
        )
        land_drop_folder(pipeline.connect, drop)
        # --- phase B: the next night, whole
        nightly_build(as_of=world_now(sim))
        after_b = {
            "processed lines": sum(
                len(path.read_text(encoding="utf-8").splitlines())
                for path in (drop / "processed").rglob("*.csv")
            ),
            "processed numeric": [
                line
                for path in (drop / "processed").rglob("*.csv")
                for line in path.read_text(encoding="utf-8").splitlines()
                if NUMERIC_CUSTOMER in line
            ],
            "alerts naming": [
                t
                for (t,) in pipeline.rows(
                    "select a::text from meta.alerts a where a::text like %s",
                    f"%{alerted}%",
                )
            ]
            if alerted
            else None,
        }
        # --- phase C: a customer opts out; the nightly fails after its erasure step
        # a customer the live queue names (a message waiting for an answer), in the people mart
        queued = [
            c
            for (c,) in pipeline.rows(
                "select o.customer_id from marts.open_conversations o"
                " join marts.people p using (customer_id)"
                " group by 1 order by count(*) desc, 1"
            )
            if c not in used | {accepted["customer"], modelled["customer"]}
        ]
        opting_out = queued[0]
        their_messages = [
            m
            for (m,) in pipeline.rows(
                "select message_id from marts.open_conversations where customer_id = %s",
                opting_out,
            )
        ]
        alive = pipeline.alive("crm_customers")
        current = [c for c in [*customers, numeric, *second_records] if c["customer_id"] in alive]
        for c in current:
            if c["customer_id"] == opting_out:
                c["profiling_opt_out"] = "true"
        write_csv(drop / "customers_9999-12-31b.csv", current)
        land_drop_folder(pipeline.connect, drop)
        nightly.run_all(until="apply_erasure_requests")  # and the nightly fails after it
        halfway = pipeline.rows(
            "select customer_id, full_name, email from marts.people where customer_id = %s",
            opting_out,
        )
        published_queue_halfway = pipeline.rows(
            "select message_id, person_id, customer_id, social_clv, influence, segments"
            " from marts.open_conversations where message_id = any(%s)",
            their_messages,
        )
        # the live DAG's cycles go on meanwhile (every 10 minutes): the queue, rebuilt
        from social_crm.orchestration import live

        live.build_queue(world_now(sim))
        live.validate_queue()
        live.publish_queue()
        queue_halfway = pipeline.rows(
            "select message_id, customer_id, social_clv, segments from marts.open_conversations"
            " where customer_id = %s",
            opting_out,
        )
        queue_messages_kept = [
            m
            for (m,) in pipeline.rows(
                "select message_id from marts.open_conversations where message_id = any(%s)",
                their_messages,
            )
        ]
        yield {
            "pipeline": pipeline,
            "twice": twice,
            "accepted": accepted,
            "modelled": modelled,
            "email_victim": email_victim,
            "named": named,
            "before": before,
            "alerted": alerted,
            "alert_texts": alert_texts,
            "after_b": after_b,
            "halfway": halfway,
            "queue halfway": queue_halfway,
            "opting_out": opting_out,
            "their messages": their_messages,
            "published queue halfway": published_queue_halfway,
            "queue messages kept": queue_messages_kept,
        }


def test_an_erasure_request_erases_no_account_staff_accepted_as_another_customers(attacked):
    pipeline, accepted = attacked["pipeline"], attacked["accepted"]
    assert attacked["before"]["accepted decision"] == [(accepted["customer"], "accept")]
    assert attacked["before"]["accepted"] > 0
    left = _raw_rows_of(pipeline, "facebook", accepted["profile_id"])
    assert left == attacked["before"]["accepted"], (
        f"{attacked['before']['accepted'] - left} raw rows of customer {accepted['customer']}'s"
        " staff-accepted Facebook account erased by a stranger's request"
    )


def test_an_erasure_request_erases_no_account_the_model_linked_to_another_customer(attacked):
    pipeline, modelled = attacked["pipeline"], attacked["modelled"]
    assert attacked["before"]["modelled"] > 0
    left = _raw_rows_of(pipeline, "facebook", modelled["profile_id"])
    assert left == attacked["before"]["modelled"], (
        f"{attacked['before']['modelled'] - left} raw rows of customer {modelled['customer']}'s"
        " linked Facebook account erased by a stranger's request"
    )


def test_an_erasure_request_naming_another_customers_email_erases_no_other_customer(attacked):
    pipeline, victim = attacked["pipeline"], attacked["email_victim"]
    assert victim in pipeline.alive("crm_customers"), (
        f"customer {victim} erased (CRM record, orders) by another customer's request naming"
        " their email"
    )


def test_an_erasure_request_naming_an_account_id_erases_no_customer_with_that_id_from_files(
    attacked,
):
    pipeline = attacked["pipeline"]
    assert NUMERIC_CUSTOMER in pipeline.alive("crm_customers")  # raw kept them
    assert attacked["after_b"]["processed lines"] > 100  # the landed exports are there
    lines = attacked["after_b"]["processed numeric"]
    assert any(line.startswith(f"{NUMERIC_CUSTOMER},") for line in lines), (
        f"customer {NUMERIC_CUSTOMER}'s records removed from the landed CRM exports"
        f" (processed/) by a request naming facebook.com/{NUMERIC_CUSTOMER}: {lines}"
    )


@pytest.mark.parametrize("form", [name for name, _, _ in FORMS])
def test_an_erasure_request_erases_what_it_names_in_any_common_form(attacked, form):
    pipeline, named = attacked["pipeline"], attacked["named"][form]
    if named["kind"] == "email":
        assert named["customer"] not in pipeline.alive("crm_customers"), (
            "the requester's other customer record (same email) is kept"
        )
    else:
        assert named["rows"] > 0
        left = _raw_rows_of(pipeline, named["kind"], named["profile_id"])
        assert left == 0, f"{left} of {named['rows']} raw rows of the named account kept"


def test_an_erased_customers_alerts_keep_no_trace_of_them(attacked):
    assert attacked["alerted"], f"no SLA alert named a customer: {attacked['alert_texts']}"
    assert attacked["alerted"] not in attacked["pipeline"].alive("crm_customers")
    assert attacked["after_b"]["alerts naming"] == []


def test_published_marts_show_no_customer_who_opted_out_while_the_nightly_fails(attacked):
    assert attacked["halfway"] == [], (
        f"customer {attacked['opting_out']} opted out of profiling; the published people mart"
        f" still shows them: {attacked['halfway']}"
    )


def test_an_erasure_request_landed_twice_erases_what_either_landing_named(attacked):
    pipeline, twice = attacked["pipeline"], attacked["twice"]
    assert twice["rows"] > 0
    left = _raw_rows_of(pipeline, "facebook", twice["profile_id"])
    assert left == 0, (
        f"{left} of {twice['rows']} raw rows of the account the first landing named kept"
    )


def test_the_live_queue_names_no_customer_who_opted_out_while_the_nightly_fails(attacked):
    assert attacked["queue halfway"] == [], (
        f"customer {attacked['opting_out']} opted out of profiling; the live queue, rebuilt and"
        f" published, still names them with their value and segments: {attacked['queue halfway']}"
    )


def test_the_published_queue_keeps_no_person_of_a_customer_who_opted_out_while_the_nightly_fails(
    attacked,
):
    rows = attacked["published queue halfway"]
    assert len(rows) == len(attacked["their messages"]) > 0  # their messages still wait
    named = [row for row in rows if any(value is not None for value in row[1:])]
    assert named == [], (
        f"customer {attacked['opting_out']} opted out of profiling; the published queue still"
        f" names them after the erasure step: {named}"
    )


def test_the_live_queue_keeps_the_messages_of_a_customer_who_opted_out(attacked):
    assert attacked["their messages"]
    assert sorted(attacked["queue messages kept"]) == sorted(attacked["their messages"])


def test_what_a_request_names_of_another_customer_is_held_for_staff(attacked):
    """Not erased, and not forgotten: staff see each request's contested record or account."""
    pipeline = attacked["pipeline"]
    held = {key for (key,) in pipeline.rows("select held_key from meta.erasure_holds")}
    assert {
        f"facebook:{attacked['accepted']['profile_id']}",
        f"facebook:{attacked['modelled']['profile_id']}",
        f"customer:{attacked['email_victim']}",
    } <= held


def test_a_customer_record_held_by_a_request_leaves_the_detail_marts(attacked):
    """Hiding is undone when the request goes: it errs on the side of the person asking."""
    pipeline, victim = attacked["pipeline"], attacked["email_victim"]
    assert pipeline.rows("select 1 from marts.people where customer_id = %s", victim) == []
