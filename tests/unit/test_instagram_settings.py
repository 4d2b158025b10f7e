"""The `instagram_graph` connection's `hashtags` extra: what is followed, and what is refused
at start, naming it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from social_crm.orchestration.extraction import campaign_hashtags
from social_crm.settings import ApiOptions, SettingError

tags = st.text(alphabet=st.characters(categories=("Ll", "Lu", "Nd")) | st.just("_"), min_size=1)


@given(given_tags=st.lists(tags, max_size=5))
def test_hashtags_are_followed_lower_cased_once_each_with_or_without_hash(given_tags):
    given_tags = [t for t in given_tags if not t.isdigit()]
    written = [f"#{t}" if n % 2 else f" {t} " for n, t in enumerate(given_tags)]
    followed = campaign_hashtags("instagram_graph", tuple(written))
    assert followed == tuple(dict.fromkeys(t.lower() for t in given_tags))


@pytest.mark.parametrize("bad", ["two words", "tag-with-dash", "12345", "#", "", "a/b", "ta\x00g"])
def test_a_hashtag_instagram_would_not_take_is_refused_naming_it(bad):
    with pytest.raises(SettingError, match="extra hashtags") as refused:
        campaign_hashtags("instagram_graph", (bad,))
    assert repr(bad)[:20] in str(refused.value)


def test_the_extra_takes_a_list_or_a_comma_separated_string():
    as_list = ApiOptions.parse("instagram_graph", {"hashtags": ["fika", "#kaffe"]}, "v27.0")
    as_text = ApiOptions.parse("instagram_graph", {"hashtags": "fika,#kaffe"}, "v27.0")
    assert as_list.hashtags == as_text.hashtags == ("fika", "#kaffe")
