"""What profiles and customers are compared on: names folded, split and aliased; handles,
email local parts and locations made comparable."""

from hypothesis import given
from hypothesis import strategies as st

from social_crm.identity import features


def test_fold_drops_diacritics_and_writes_aa_as_a():
    assert features.fold("Håkon Ødegård") == features.fold("Haakon Odegard") == "hakon odegard"


def test_fold_keeps_polish_letters_comparable():
    assert features.fold("Łukasz Wiśniewski") == "lukasz wisniewski"


def test_fold_of_emoji_only_is_none():
    assert features.fold("☕️🌍") is None


def test_display_name_splits_first_and_last_word():
    assert features.split_display_name("Emma Jane Kingswell") == ("emma", "kingswell")


def test_a_single_word_is_a_forename_alone():
    assert features.split_display_name("Emma") == ("emma", None)


def test_a_name_written_surname_first_is_turned_round():
    assert features.split_display_name("Lienes Hedda", frozenset({"hedda"})) == (
        "hedda",
        "lienes",
    )


def test_an_initial_stays_one_letter():
    assert features.split_display_name("J. Kingswell") == ("j", "kingswell")


def test_a_nickname_and_its_name_share_an_alias():
    assert set(features.forename_aliases("tom")) & set(features.forename_aliases("thomas"))


def test_unrelated_forenames_share_no_alias():
    assert not set(features.forename_aliases("emma")) & set(features.forename_aliases("oliver"))


def test_email_letters_are_the_local_part_without_dots_or_digits():
    assert features.email_letters("jakob.bergheim.12@example.com") == "jakobbergheim"


def test_handle_letters_drop_digits_and_underscores():
    assert features.handle_letters("jakob_bergheim12") == "jakobbergheim"


def test_a_handle_with_an_underscore_splits_there():
    assert features.handle_name("mia_woodisle285") == ("mia", "woodisle")


def test_an_instagram_username_with_a_period_splits_there():
    assert features.handle_name("mia.woodisle.85") == ("mia", "woodisle")
    assert features.handle_letters("mia.woodisle.85") == "miawoodisle"


def test_a_handle_starting_with_a_known_forename_splits_after_it():
    assert features.handle_name("poppylan164", frozenset({"pop", "poppy"})) == ("poppy", "lan")


def test_a_handle_starting_with_no_known_forename_is_an_initial_and_a_surname():
    assert features.handle_name("hdahlseth42", frozenset({"henrik"})) == ("h", "dahlseth")


@given(
    name=st.sampled_from(["mia_woodisle", "hdahlseth", "poppylan", "mia.woodisle", "nataliakow"]),
    digits=st.integers(0, 99999).map(str),
    ending=st.text("abcdefghijklmnopqrstuvwxyz._", min_size=1, max_size=9),
)
def test_an_ending_after_the_digits_leaves_the_name_the_handle_spells(name, digits, ending):
    """The name comes before the digits, what follows them is an ending: "hsandland880_ig",
    "nataliakow720x", "annaberg84.official"."""
    forenames = frozenset({"mia", "poppy", "natalia"})
    assert features.handle_name(name + digits + ending, forenames) == features.handle_name(
        name + digits, forenames
    )


def test_a_handle_of_fewer_than_four_letters_spells_no_name():
    assert features.handle_name("jo_1") == (None, None)


def test_no_handle_spells_no_name():
    assert features.handle_name(None) == features.handle_name(float("nan")) == (None, None)


def test_location_names_a_known_city_word_aligned():
    cities = frozenset({"oslo", "new york"})
    assert features.city_named("oslo norway", cities) == "oslo"
    assert features.city_named("i love new york", cities) == "new york"


def test_location_naming_no_known_city_is_none():
    assert features.city_named("osloish", frozenset({"oslo"})) is None


def test_country_code_gives_names_a_location_may_use():
    assert "norge" in features.country_names("NO")
