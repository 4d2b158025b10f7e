"""People: CRM customers and prospects, their social profiles, and the follow graph on X."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from social_crm_dev.simulator import profile_names
from social_crm_dev.simulator.config import BRANDS, WorldConfig
from social_crm_dev.simulator.rng import rng_for
from social_crm_dev.simulator.texts import LANGUAGES

FIRST_NAMES = {
    "en": (
        "Emma",
        "Oliver",
        "Ava",
        "James",
        "Mia",
        "Noah",
        "Grace",
        "Liam",
        "Chloe",
        "Jack",
        "Isla",
        "Harry",
        "Freya",
        "George",
        "Amelia",
        "Oscar",
        "Lily",
        "Leo",
        "Ruby",
        "Alfie",
        "Ella",
        "Charlie",
        "Sophie",
        "Thomas",
        "Evie",
        "Henry",
        "Poppy",
        "Arthur",
        "Daisy",
        "Archie",
    ),
    "no": (
        "Nora",
        "Jakob",
        "Ingrid",
        "Emil",
        "Sofie",
        "Lukas",
        "Ella",
        "Henrik",
        "Maja",
        "Sander",
        "Emma",
        "Filip",
        "Sara",
        "Magnus",
        "Leah",
        "Aksel",
        "Olivia",
        "Tobias",
        "Frida",
        "Jonas",
        "Hedda",
        "Mathias",
        "Tiril",
        "Sindre",
        "Ida",
        "Eirik",
        "Thea",
        "Vegard",
        "Selma",
        "Håkon",
    ),
    "pl": (
        "Zofia",
        "Jan",
        "Maja",
        "Jakub",
        "Hanna",
        "Antoni",
        "Lena",
        "Filip",
        "Julia",
        "Szymon",
        "Alicja",
        "Kacper",
        "Oliwia",
        "Michał",
        "Zuzanna",
        "Wojciech",
        "Amelia",
        "Piotr",
        "Natalia",
        "Tomasz",
        "Wiktoria",
        "Marek",
        "Agata",
        "Paweł",
        "Kinga",
        "Łukasz",
        "Ewa",
        "Bartosz",
        "Iga",
        "Krzysztof",
    ),
    "sv": (
        "Alice",
        "William",
        "Elsa",
        "Hugo",
        "Saga",
        "Oscar",
        "Astrid",
        "Axel",
        "Ebba",
        "Nils",
        "Maja",
        "Liam",
        "Wilma",
        "Lucas",
        "Alma",
        "Elias",
        "Vera",
        "Theo",
        "Selma",
        "Adam",
        "Freja",
        "Olle",
        "Tyra",
        "Gustav",
        "Linnea",
        "Erik",
        "Agnes",
        "Viktor",
        "Stina",
        "Måns",
    ),
}
# Surnames are built from a stem and an ending, so names rarely repeat within a city and a
# profile's name + city identifies a person about as well as it does in real life.
SURNAME_PARTS = {
    "en": (
        (
            "Ash",
            "Black",
            "Brad",
            "Clay",
            "Cole",
            "Craw",
            "Fair",
            "Green",
            "Hart",
            "Kings",
            "Lang",
            "Mil",
            "North",
            "Old",
            "Red",
            "Stan",
            "West",
            "Whit",
            "Wood",
            "Ford",
        ),
        (
            "ley",
            "well",
            "ford",
            "ton",
            "wood",
            "field",
            "more",
            "worth",
            "by",
            "don",
            "ham",
            "wick",
            "shaw",
            "ridge",
            "brook",
            "land",
        ),
    ),
    "no": (
        (
            "Aas",
            "Berg",
            "Dahl",
            "Eng",
            "Fjell",
            "Foss",
            "Hag",
            "Hol",
            "Lie",
            "Lund",
            "Moe",
            "Nord",
            "Ry",
            "Sand",
            "Skog",
            "Strand",
            "Vik",
            "Ås",
            "Haug",
            "Bakk",
        ),
        (
            "en",
            "heim",
            "stad",
            "vik",
            "dal",
            "rud",
            "set",
            "by",
            "land",
            "berg",
            "lie",
            "nes",
            "vold",
            "hus",
            "seth",
            "mo",
        ),
    ),
    "pl": (
        (
            "Now",
            "Kowal",
            "Wiśn",
            "Wój",
            "Kam",
            "Lewand",
            "Zieliń",
            "Szym",
            "Woźn",
            "Dąbr",
            "Koz",
            "Jank",
            "Mazur",
            "Krawcz",
            "Pior",
            "Grab",
            "Pawl",
            "Michal",
            "Zaj",
            "Król",
        ),
        (
            "ak",
            "ski",
            "icz",
            "czyk",
            "iak",
            "owski",
            "ewski",
            "ek",
            "ik",
            "uk",
            "owicz",
            "ecki",
            "al",
            "asz",
            "ot",
            "yk",
        ),
    ),
    "sv": (
        (
            "And",
            "Berg",
            "Carl",
            "Dahl",
            "Ek",
            "Fors",
            "Gus",
            "Holm",
            "Is",
            "Jo",
            "Lind",
            "Malm",
            "Ny",
            "Ols",
            "Pers",
            "Ros",
            "Sjö",
            "Ström",
            "Wall",
            "Åker",
        ),
        (
            "sson",
            "gren",
            "berg",
            "lund",
            "ström",
            "qvist",
            "man",
            "dahl",
            "blad",
            "ling",
            "holm",
            "stedt",
            "by",
            "borg",
            "näs",
            "vik",
        ),
    ),
}
SURNAME_MIDDLES = ("", "er", "an", "el", "ing", "ar", "ol", "is", "un")
_MIDDLE_WEIGHTS = (0.4, *([0.6 / 8] * 8))
COUNTRIES = {"en": "GB", "no": "NO", "pl": "PL", "sv": "SE"}
CITIES = {
    "en": (
        "London",
        "Manchester",
        "Leeds",
        "Bristol",
        "Glasgow",
        "Liverpool",
        "Cardiff",
        "Brighton",
    ),
    "no": ("Oslo", "Bergen", "Trondheim", "Stavanger", "Tromsø", "Drammen", "Kristiansand", "Bodø"),
    "pl": ("Warszawa", "Kraków", "Gdańsk", "Wrocław", "Poznań", "Łódź", "Lublin", "Szczecin"),
    "sv": ("Stockholm", "Göteborg", "Malmö", "Uppsala", "Västerås", "Örebro", "Linköping", "Umeå"),
}
JOB_TITLES = (
    "Software Engineer",
    "Teacher",
    "Nurse",
    "Sales Manager",
    "Designer",
    "Student",
    "Accountant",
    "Barista",
    "Marketing Specialist",
    "Consultant",
    "Retired",
    "Chef",
)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
LANG_WEIGHTS = (0.40, 0.25, 0.20, 0.15)

FB_ID_BASE = 10_000_000_000
X_ID_BASE = 1_500_000_000


@dataclass
class Population:
    """Column arrays, one entry per person (index = person id). Customers come first."""

    n_customers: int
    lang: np.ndarray  # index into LANGUAGES
    first: list[str]
    last: list[str]
    city: list[str]
    birth_year: np.ndarray
    gender: np.ndarray  # 0 female, 1 male, 2 other
    job: list[str]
    email: list[str]
    activity: np.ndarray  # relative engagement rate (lognormal, heavy tail)
    disposition: np.ndarray  # 1 advocate, 0 neutral, -1 detractor
    affinity: np.ndarray  # (people, brands) relative interest in each brand
    marketing_opt_in: np.ndarray
    profiling_opt_out: np.ndarray
    fb_id: np.ndarray  # 0 = no Facebook profile
    fb_name: list[str | None]  # the profile's display name (profile_names)
    x_id: np.ndarray  # 0 = no X profile
    x_handle: list[str | None]
    x_name: list[str | None]
    x_location: list[str | None]  # free text, often empty
    # how much others answer a person's messages (replies to their comments and posts):
    # heavy-tailed, higher for the much followed; relative, mean 1.0 (influence.py)
    pull: np.ndarray
    follows_src: np.ndarray  # X follow graph: src follows dst (person ids)
    follows_dst: np.ndarray
    brand_followers: list[np.ndarray]  # per brand: person ids following the brand on X
    # Instagram (drawn on streams of their own: nothing above moves when they change)
    ig_username: list[str | None] = field(default_factory=list)  # None = no Instagram
    ig_name: Sequence[str | None] = field(default_factory=list)  # made when read
    ig_id: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # IGSID

    @property
    def n(self) -> int:
        return len(self.lang)

    def customer_id(self, person: int) -> str | None:
        return f"C{person + 1:06d}" if person < self.n_customers else None

    def lang_code(self, person: int) -> str:
        return LANGUAGES[int(self.lang[person])]


def build(config: WorldConfig) -> Population:
    rng = rng_for(config.seed, "population")
    n, n_cust = config.n_people, config.n_customers
    lang = rng.choice(len(LANGUAGES), size=n, p=LANG_WEIGHTS)
    codes = [LANGUAGES[i] for i in lang]
    first = [FIRST_NAMES[c][i] for c, i in zip(codes, rng.integers(0, 30, n), strict=True)]
    stems, endings = rng.integers(0, 20, n), rng.integers(0, 16, n)
    # a middle syllable (or none) on a stream of its own: a few surnames are common, most are
    # rare, as in real populations (about 2,900 per language)
    middle_rng = rng_for(config.seed, "surname_middle")
    middle = middle_rng.choice(len(SURNAME_MIDDLES), size=n, p=_MIDDLE_WEIGHTS)
    last = [
        SURNAME_PARTS[c][0][a] + SURNAME_MIDDLES[m] + SURNAME_PARTS[c][1][b]
        for c, a, m, b in zip(codes, stems, middle, endings, strict=True)
    ]
    city = [CITIES[c][i] for c, i in zip(codes, rng.integers(0, 8, n), strict=True)]
    birth_year = rng.integers(1950, 2007, n)
    gender = rng.choice(3, size=n, p=(0.49, 0.49, 0.02))
    job = [JOB_TITLES[i] for i in rng.integers(0, len(JOB_TITLES), n)]
    email = [
        f"{f}.{la}.{i + 1}@{EMAIL_DOMAINS[i % 3]}".lower() if i < n_cust else ""
        for i, (f, la) in enumerate(zip(first, last, strict=True))
    ]
    activity = rng.lognormal(0.0, 1.0, n)
    disposition = rng.choice([1, 0, -1], size=n, p=(0.15, 0.75, 0.10))
    brand_activity = np.array([b.activity for b in BRANDS])
    affinity = rng.gamma(0.7, 1.0, (n, len(BRANDS))) * brand_activity
    marketing_opt_in = rng.random(n) < 0.6
    profiling_opt_out = rng.random(n) < 0.08

    has_fb = rng.random(n) < 0.75
    fb_order = rng.permutation(n)
    fb_id = np.where(has_fb, FB_ID_BASE + fb_order * 7 + 3, 0)
    has_x = rng.random(n) < 0.55
    x_order = rng.permutation(n)
    x_id = np.where(has_x, X_ID_BASE + x_order * 13 + 5, 0)
    # what the profiles show: no email, a display name as typed, an X location as free text
    shown = [
        profile_names.Person(
            first[i],
            last[i],
            city[i],
            codes[i],
            CITIES[codes[i]][(CITIES[codes[i]].index(city[i]) + 3) % 8],
        )
        for i in range(n)
    ]
    seed = config.seed
    fb_name = [
        profile_names.display_name(seed, i, "facebook", shown[i]) if has_fb[i] else None
        for i in range(n)
    ]
    x_name = [
        profile_names.display_name(seed, i, "x", shown[i]) if has_x[i] else None for i in range(n)
    ]
    x_handle = [
        profile_names.x_handle(seed, i, shown[i], int(x_order[i])) if has_x[i] else None
        for i in range(n)
    ]
    x_location = [
        profile_names.x_location(seed, i, shown[i]) if has_x[i] else None for i in range(n)
    ]
    src, dst = _preferential_attachment(rng, np.flatnonzero(has_x))
    followed_by = np.bincount(dst, minlength=n) if len(dst) else np.zeros(n, dtype=np.int64)
    pull = rng_for(config.seed, "pull").lognormal(0.0, 0.8, n) * (1 + followed_by) ** 0.4
    pull = pull / pull.mean()
    brand_followers = [
        np.flatnonzero(has_x & (affinity[:, b] > np.quantile(affinity[:, b], 0.6)))
        for b in range(len(BRANDS))
    ]
    ig_username, ig_name, ig_id = _instagram(config, shown, x_handle)
    return Population(
        n_customers=n_cust,
        lang=lang,
        first=first,
        last=last,
        city=city,
        birth_year=birth_year,
        gender=gender,
        job=job,
        email=email,
        activity=activity,
        disposition=disposition,
        affinity=affinity,
        marketing_opt_in=marketing_opt_in,
        profiling_opt_out=profiling_opt_out,
        fb_id=fb_id,
        fb_name=fb_name,
        x_id=x_id,
        x_handle=x_handle,
        x_name=x_name,
        x_location=x_location,
        pull=pull,
        follows_src=src,
        follows_dst=dst,
        brand_followers=brand_followers,
        ig_username=ig_username,
        ig_name=ig_name,
        ig_id=ig_id,
    )


IG_SHARE = 0.45  # people with an Instagram account
IG_ID_BASE = 6_100_000_000_000_000  # Instagram-scoped ids (IGSID) of people: 16 digits
# how a username relates to the person's X handle (those with one): the same, close to it
# (a suffix, an underscore, digits), or unrelated
IG_SAME_AS_X, IG_CLOSE_TO_X = 0.3, 0.3
_IG_SUFFIXES = ("_", ".", "_official", "x", "_ig", "gram", "_")


def _instagram(
    config: WorldConfig, shown: list, x_handle: list[str | None]
) -> tuple[list[str | None], Sequence[str | None], np.ndarray]:
    """Usernames (lower case, letters, digits, `.` and `_`, at most 30 characters, unique,
    never a brand's), display names and Instagram-scoped ids, on a stream of their own."""
    rng = rng_for(config.seed, "instagram_people")
    n = len(shown)
    has = rng.random(n) < IG_SHARE
    kind = rng.random(n)
    digits = rng.integers(1, 999, n)
    suffix = rng.integers(0, len(_IG_SUFFIXES), n)
    order = rng.permutation(n)
    taken = {b.ig_username for b in BRANDS} | {b.x_handle for b in BRANDS}
    usernames: list[str | None] = []
    for i in range(n):
        if not has[i]:
            usernames.append(None)
            continue
        handle = (x_handle[i] or "").lower()
        if handle and kind[i] < IG_SAME_AS_X:
            name = handle
        elif handle and kind[i] < IG_SAME_AS_X + IG_CLOSE_TO_X:
            name = handle + (_IG_SUFFIXES[suffix[i]] if digits[i] % 2 else str(digits[i]))
        else:
            p = shown[i]
            first = p.first.translate(profile_names.ASCII).lower()
            last = p.last.translate(profile_names.ASCII).lower()
            style = int(digits[i]) % 4
            name = (
                f"{first}.{last}",
                f"{first}_{last[:4]}{digits[i] % 100}",
                f"{profile_names.WORDS[int(digits[i]) % len(profile_names.WORDS)]}.{first}",
                f"{first}{last}{digits[i]}",
            )[style]
        name = name[:30].strip("._") or f"user{i}"
        while name in taken:
            name = f"{name[:26]}{int(rng.integers(10, 9999))}"
        taken.add(name)
        usernames.append(name)
    ids = np.where(has, IG_ID_BASE + order * 11 + 7, 0).astype(np.int64)
    return usernames, _DisplayNames(config.seed, "instagram", shown, usernames), ids


class _DisplayNames(Sequence):
    """Display names made when first read (each on the person's own stream, so the same
    as if made at once): the APIs never show a person's Instagram name, only the truth
    files and the CRM's known accounts read them, and a world builds faster without."""

    def __init__(self, seed: int, platform: str, shown: list, accounts: list) -> None:
        self._seed, self._platform, self._shown, self._accounts = seed, platform, shown, accounts
        self._made: dict[int, str | None] = {}

    def __len__(self) -> int:
        return len(self._accounts)

    def __getitem__(self, i):  # an index (a slice gives a list)
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        i = range(len(self))[i]
        if i not in self._made:
            self._made[i] = (
                profile_names.display_name(self._seed, i, self._platform, self._shown[i])
                if self._accounts[i]
                else None
            )
        return self._made[i]


def _preferential_attachment(
    rng: np.random.Generator, members: np.ndarray, m: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """A power-law follow graph: each newcomer follows m people, chosen by how followed they are."""
    if len(members) <= m:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    order = rng.permutation(members)
    src, dst = [], []
    pool: list[int] = list(order[:m])
    for newcomer in order[m:]:
        chosen: set[int] = set()
        while len(chosen) < m:
            chosen.add(pool[int(rng.integers(len(pool)))])
        for target in sorted(chosen):
            src.append(int(newcomer))
            dst.append(int(target))
        pool.extend(chosen)
        pool.append(int(newcomer))
    return np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64)
