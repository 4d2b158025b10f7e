"""What a message wants: idea, discount, complaint, product_question, praise or other.

Rules, in this order (the first that holds decides):

1. **idea**: `#idea` (a sure signal: the brand asks for ideas under that tag) or a suggestion
   phrase ("you should", "it would be great if", "feature request"; "dere burde", "forslag";
   "ni borde", "förslag"; "powinniście", "propozycja", ...).
2. **discount**: asks about a price or an offer ("discount", "promo code", "coupon", "cheaper";
   "rabatt", "tilbud", "kupong"; "rabatt", "erbjudande", "rea"; "zniżka", "rabat", "promocja",
   "kod", "taniej"), whatever its sentiment.
3. **complaint**: the sentiment is negative and the message is not a question, or it names a
   service failure ("refund", "never arrived", "broken", "still waiting"; "refusjon", "ikke
   kommet", "ødelagt"; "återbetalning", "inte kommit", "trasig"; "zwrot", "reklamacja", "nie
   dotarł", "zepsut").
4. **product_question**: a question mark, or a question word first ("how", "when", "does";
   "hvordan", "når", "kan dere"; "hur", "när", "finns"; "jak", "kiedy", "czy").
5. **praise**: the sentiment is positive.
6. **other**.

Phrases match at word starts, case-insensitively, so inflected forms match ("zniżki",
"rabatten").
"""

from __future__ import annotations

import re

IDEA_TAG = "#idea"
PHRASES = {
    "idea": (
        "you should",
        "it would be great if",
        "would be nice if",
        "would love it if",
        "why not add",
        "please add",
        "feature request",
        "suggestion",
        "i suggest",
        "dere burde",
        "dere bør",
        "hadde vært fint om",
        "forslag",
        "tips til dere",
        "ni borde",
        "ni bör",
        "vore kul om",
        "förslag",
        "powinniście",
        "fajnie by było",
        "propozycja",
        "sugestia",
        "proponuję",
    ),
    "discount": (
        "discount",
        "promo",
        "coupon",
        "voucher",
        "cheaper",
        "on sale",
        "deal",
        "rabatt",
        "tilbud",
        "kupong",
        "billigere",
        "salg",
        "erbjudande",
        "på rea",
        "billigare",
        "kampanj",
        "zniżk",
        "rabat",
        "promocj",
        "kupon",
        "kod",
        "taniej",
        "wyprzedaż",
    ),
    "complaint": (
        "refund",
        "never arrived",
        "not arrived",
        "hasn't arrived",
        "broken",
        "still waiting",
        "worst",
        "unacceptable",
        "cancel my",
        "refusjon",
        "ikke kommet",
        "ødelagt",
        "venter fortsatt",
        "reklamasjon",
        "elendig",
        "återbetalning",
        "inte kommit",
        "trasig",
        "väntar fortfarande",
        "reklamation",
        "zwrot",
        "reklamacj",
        "nie dotarł",
        "zepsut",
        "nadal czekam",
        "najgorsz",
    ),
}
QUESTION_WORDS = (
    "how",
    "what",
    "when",
    "where",
    "why",
    "which",
    "who",
    "can",
    "could",
    "do",
    "does",
    "is",
    "are",
    "will",
    "hvordan",
    "hva",
    "når",
    "hvor",
    "hvorfor",
    "hvilken",
    "kan",
    "finnes",
    "hur",
    "vad",
    "när",
    "varför",
    "vilken",
    "finns",
    "jak",
    "co",
    "kiedy",
    "gdzie",
    "dlaczego",
    "który",
    "która",
    "czy",
)


def _pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in phrases) + ")", re.IGNORECASE)


MATCHERS = {intent: _pattern(phrases) for intent, phrases in PHRASES.items()}
QUESTION_FIRST = re.compile(
    r"^\W*(?:@\w+\s+)*(?:" + "|".join(QUESTION_WORDS) + r")\b", re.IGNORECASE
)
# the rules' version: part of the scorer's version, so a change rescores every message once
RULES_VERSION = "1"


def is_question(text: str) -> bool:
    return "?" in text or QUESTION_FIRST.search(text) is not None


def intent(text: str, sentiment: str) -> str:
    if IDEA_TAG in text.lower() or MATCHERS["idea"].search(text):
        return "idea"
    if MATCHERS["discount"].search(text):
        return "discount"
    question = is_question(text)
    if (sentiment == "negative" and not question) or MATCHERS["complaint"].search(text):
        return "complaint"
    if question:
        return "product_question"
    if sentiment == "positive":
        return "praise"
    return "other"
