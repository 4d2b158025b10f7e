"""People: CRM customers and prospects, their social profiles, and the follow graph on X."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from social_crm.simulator.config import BRANDS, WorldConfig
from social_crm.simulator.rng import rng_for
from social_crm.simulator.texts import LANGUAGES

FIRST_NAMES = {
    "en": ("Emma", "Oliver", "Ava", "James", "Mia", "Noah", "Grace", "Liam", "Chloe", "Jack"),
    "no": ("Nora", "Jakob", "Ingrid", "Emil", "Sofie", "Lukas", "Ella", "Henrik", "Maja", "Sander"),
    "pl": ("Zofia", "Jan", "Maja", "Jakub", "Hanna", "Antoni", "Lena", "Filip", "Julia", "Szymon"),
    "sv": ("Alice", "William", "Elsa", "Hugo", "Saga", "Oscar", "Astrid", "Axel", "Ebba", "Nils"),
}
LAST_NAMES = {
    "en": ("Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Walker", "Hall"),
    "no": ("Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Berg"),
    "pl": ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński"),
    "sv": ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson"),
}
COUNTRIES = {"en": "GB", "no": "NO", "pl": "PL", "sv": "SE"}
CITIES = {
    "en": ("London", "Manchester", "Leeds", "Bristol"),
    "no": ("Oslo", "Bergen", "Trondheim", "Stavanger"),
    "pl": ("Warszawa", "Kraków", "Gdańsk", "Wrocław"),
    "sv": ("Stockholm", "Göteborg", "Malmö", "Uppsala"),
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
    fb_email: list[str | None]  # verified email visible to the page, or None
    x_id: np.ndarray  # 0 = no X profile
    x_handle: list[str | None]
    follows_src: np.ndarray  # X follow graph: src follows dst (person ids)
    follows_dst: np.ndarray
    brand_followers: list[np.ndarray]  # per brand: person ids following the brand on X

    @property
    def n(self) -> int:
        return len(self.lang)

    def is_customer(self, person: int) -> bool:
        return person < self.n_customers

    def customer_id(self, person: int) -> str | None:
        return f"C{person + 1:06d}" if person < self.n_customers else None

    def full_name(self, person: int) -> str:
        return f"{self.first[person]} {self.last[person]}"

    def lang_code(self, person: int) -> str:
        return LANGUAGES[int(self.lang[person])]


def build(config: WorldConfig) -> Population:
    rng = rng_for(config.seed, "population")
    n, n_cust = config.n_people, config.n_customers
    lang = rng.choice(len(LANGUAGES), size=n, p=LANG_WEIGHTS)
    codes = [LANGUAGES[i] for i in lang]
    first = [FIRST_NAMES[c][i] for c, i in zip(codes, rng.integers(0, 10, n), strict=True)]
    last = [
        LAST_NAMES[c][i % len(LAST_NAMES[c])]
        for c, i in zip(codes, rng.integers(0, 90, n), strict=True)
    ]
    city = [CITIES[c][i] for c, i in zip(codes, rng.integers(0, 4, n), strict=True)]
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
    # a verified email is visible for half the Facebook profiles; a few use another address
    fb_email: list[str | None] = [None] * n
    show_email = rng.random(n) < 0.5
    other_address = rng.random(n) < 0.1
    for i in np.flatnonzero(has_fb & show_email):
        if i < n_cust and not other_address[i]:
            fb_email[i] = email[i]
        else:
            fb_email[i] = f"{first[i]}{i}@mail.example".lower()

    has_x = rng.random(n) < 0.55
    x_order = rng.permutation(n)
    x_id = np.where(has_x, X_ID_BASE + x_order * 13 + 5, 0)
    x_handle: list[str | None] = [
        _handle(first[i], last[i], int(x_order[i])) if has_x[i] else None for i in range(n)
    ]
    src, dst = _preferential_attachment(rng, np.flatnonzero(has_x))
    brand_followers = [
        np.flatnonzero(has_x & (affinity[:, b] > np.quantile(affinity[:, b], 0.6)))
        for b in range(len(BRANDS))
    ]
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
        fb_email=fb_email,
        x_id=x_id,
        x_handle=x_handle,
        follows_src=src,
        follows_dst=dst,
        brand_followers=brand_followers,
    )


def _handle(first: str, last: str, salt: int) -> str:
    ascii_name = (
        (first + last[:3]).lower().translate(str.maketrans("ąćęłńóśźżåäöø", "acelnoszzaaoo"))
    )
    return f"{ascii_name}{salt % 997}"


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
