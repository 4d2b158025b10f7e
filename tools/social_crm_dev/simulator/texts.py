"""Message texts in en, no, pl and sv with known sentiment and intent labels.

Each template is filled with a product name and sometimes the brand, so the same labels carry
varied surface text. Labels are the ground truth the sentiment/intent models are scored on.
"""

from __future__ import annotations

import functools

import numpy as np

from social_crm_dev.simulator.rng import rng_for

LANGUAGES = ("en", "no", "pl", "sv")

# (intent, sentiment) -> share of messages; ideas are placed separately by the world's idea plan.
INTENT_MIX: tuple[tuple[str, str, float], ...] = (
    ("praise", "positive", 0.38),
    ("complaint", "negative", 0.20),
    ("discount", "neutral", 0.12),
    ("discount", "negative", 0.04),
    ("product_question", "neutral", 0.20),
    ("product_question", "negative", 0.06),
)

PRODUCTS = (
    "espresso beans",
    "filter roast",
    "cold brew",
    "oat latte",
    "decaf",
    "moka pot",
    "travel mug",
    "grinder",
    "subscription box",
    "gift card",
)

T: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {
    "en": {
        ("praise", "positive"): (
            "Love the {product}, best coffee I have had all year!",
            "The new {product} is amazing, thank you {brand}",
            "Great service today and the {product} was perfect",
        ),
        ("complaint", "negative"): (
            "My {product} arrived broken and nobody answers. Terrible.",
            "Really disappointed with the {product}, it tastes awful",
            "Worst delivery ever, still waiting for my {product}",
        ),
        ("discount", "neutral"): (
            "Is there a discount code for the {product}?",
            "Any promo on the {product} this week?",
        ),
        ("discount", "negative"): (
            "The {product} is too expensive, give us a discount",
            "Prices on the {product} went up again, not happy",
        ),
        ("product_question", "neutral"): (
            "Does the {product} come in a bigger size?",
            "When will the {product} be back in stock?",
        ),
        ("product_question", "negative"): ("Why is the {product} always sold out? Annoying.",),
        ("idea", "positive"): (
            "#idea a {product} with cardamom would be wonderful",
            "#idea please make a {product} for camping, I would buy it",
        ),
    },
    "no": {
        ("praise", "positive"): (
            "Elsker {product}, beste kaffen i år!",
            "Nye {product} er fantastisk, takk {brand}",
            "Flott service i dag og {product} var perfekt",
        ),
        ("complaint", "negative"): (
            "{product} kom i stykker og ingen svarer. Elendig.",
            "Veldig skuffet over {product}, smaker forferdelig",
        ),
        ("discount", "neutral"): (
            "Finnes det en rabattkode for {product}?",
            "Noe tilbud på {product} denne uka?",
        ),
        ("discount", "negative"): ("{product} er altfor dyr, gi oss rabatt",),
        ("product_question", "neutral"): (
            "Kommer {product} i større størrelse?",
            "Når er {product} på lager igjen?",
        ),
        ("product_question", "negative"): ("Hvorfor er {product} alltid utsolgt? Irriterende.",),
        ("idea", "positive"): ("#idea {product} med kardemomme hadde vært herlig",),
    },
    "pl": {
        ("praise", "positive"): (
            "Uwielbiam {product}, najlepsza kawa w tym roku!",
            "Nowy {product} jest wspaniały, dziękuję {brand}",
        ),
        ("complaint", "negative"): (
            "{product} przyszedł zepsuty i nikt nie odpowiada. Okropne.",
            "Bardzo rozczarowany {product}, smakuje fatalnie",
        ),
        ("discount", "neutral"): (
            "Czy jest kod rabatowy na {product}?",
            "Jakaś promocja na {product} w tym tygodniu?",
        ),
        ("discount", "negative"): ("{product} jest za drogi, dajcie zniżkę",),
        ("product_question", "neutral"): (
            "Czy {product} jest w większym rozmiarze?",
            "Kiedy {product} wróci do sprzedaży?",
        ),
        ("product_question", "negative"): (
            "Dlaczego {product} jest zawsze wyprzedany? Irytujące.",
        ),
        ("idea", "positive"): ("#idea {product} z kardamonem byłby wspaniały",),
    },
    "sv": {
        ("praise", "positive"): (
            "Älskar {product}, bästa kaffet i år!",
            "Nya {product} är fantastisk, tack {brand}",
        ),
        ("complaint", "negative"): (
            "{product} kom trasig och ingen svarar. Hemskt.",
            "Mycket besviken på {product}, smakar fruktansvärt",
        ),
        ("discount", "neutral"): (
            "Finns det en rabattkod för {product}?",
            "Något erbjudande på {product} den här veckan?",
        ),
        ("discount", "negative"): ("{product} är alldeles för dyr, ge oss rabatt",),
        ("product_question", "neutral"): (
            "Finns {product} i större storlek?",
            "När kommer {product} tillbaka i lager?",
        ),
        ("product_question", "negative"): ("Varför är {product} alltid slutsåld? Irriterande.",),
        ("idea", "positive"): ("#idea {product} med kardemumma vore underbart",),
    },
}

BRAND_REPLIES = {
    "en": "Thanks for reaching out! We have sent you a message.",
    "no": "Takk for at du tok kontakt! Vi har sendt deg en melding.",
    "pl": "Dziękujemy za kontakt! Wysłaliśmy wiadomość.",
    "sv": "Tack för att du hörde av dig! Vi har skickat ett meddelande.",
}

_MIX_P = np.array([share for _, _, share in INTENT_MIX])
_MIX_P = _MIX_P / _MIX_P.sum()


def pick_labels(rng: np.random.Generator, disposition: int) -> tuple[str, str]:
    """Intent and sentiment for one message; advocates (1) praise more, detractors (-1) complain."""
    weights = _MIX_P.copy()
    if disposition == 1:
        weights[0] *= 3.0
    elif disposition == -1:
        weights[1] *= 3.0
        weights[3] *= 2.0
    weights /= weights.sum()
    intent, sentiment, _ = INTENT_MIX[int(rng.choice(len(INTENT_MIX), p=weights))]
    return intent, sentiment


X_POST_CHARS = 280  # the most characters a Post holds


@functools.cache
def train_texts(lang: str) -> dict[str, tuple[str, ...]]:
    """A language's texts of the shared labelled train splits by sentiment label
    (`sentiment_data.labelled`; never dev or test, which the scorer is measured on); empty
    when its files are absent."""
    from social_crm_dev import sentiment_data

    by_label: dict[str, list[str]] = {}
    for text, label in sentiment_data.labelled(lang, "train"):
        by_label.setdefault(label, []).append(text)
    return {label: tuple(texts) for label, texts in by_label.items()}


def real_text(lang: str, sentiment: str, seed: int, key: str) -> str | None:
    """A real text of `lang` labelled `sentiment` from the train splits, the same for the same
    seed and message key (drawn on a stream of its own: the world's other draws stay as they
    are); None when the language has no train text of that label."""
    pool = train_texts(lang).get(sentiment)
    if not pool:
        return None
    return pool[int(rng_for(seed, "real-text", key).integers(len(pool)))]


def render(rng: np.random.Generator, lang: str, intent: str, sentiment: str, brand: str) -> str:
    templates = T[lang][(intent, sentiment)]
    template = templates[int(rng.integers(len(templates)))]
    product = PRODUCTS[int(rng.integers(len(PRODUCTS)))]
    return template.format(product=product, brand=brand)
