"""The CDNOW data of Fader, Hardie & Lee (2005) as a CRM export, for the CLV tests.

`CDNOW_sample.txt` (2,357 customers who first bought in Q1 1997, every purchase to 30 June
1998: customer, date, CDs, dollars) ships inside the `lifetimes` wheel, a test dependency;
it is read from there, never copied into the repository. `write_crm_export` writes it as the
CRM files our load path reads (customers.csv, orders.csv): one order per line of the file,
at midnight UTC of its day. CDNOW has no names or emails: the customers get placeholder
addresses in the reserved `.invalid` domain.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pandas as pd

# the last day of the papers' calibration period (1997-01-01 .. 1997-09-30, 39 weeks)
CALIBRATION_END = "1997-09-30"


def sample_file() -> Path:
    """CDNOW_sample.txt in the installed lifetimes package (found without importing it)."""
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the lifetimes package (a test dependency) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "CDNOW_sample.txt"


def transactions() -> pd.DataFrame:
    """customer_id, ordered_at (UTC), amount, cds: one row per line of CDNOW_sample.txt."""
    frame = pd.read_csv(
        sample_file(),
        sep=r"\s+",
        header=None,
        names=["master_id", "customer", "date", "cds", "amount"],
        dtype={"master_id": str, "customer": int, "date": str},
    )
    return pd.DataFrame(
        {
            "customer_id": [f"CDNOW{c:04d}" for c in frame["customer"]],
            "ordered_at": pd.to_datetime(frame["date"], format="%Y%m%d", utc=True),
            "amount": frame["amount"].astype(float),
            "cds": frame["cds"],
        }
    )


def write_crm_export(folder: Path) -> pd.DataFrame:
    """customers.csv and orders.csv of the CDNOW sample in `folder`; returns the transactions."""
    folder.mkdir(parents=True, exist_ok=True)
    orders = transactions()
    with open(folder / "customers.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "email", "marketing_opt_in", "profiling_opt_out"])
        for customer in sorted(orders["customer_id"].unique()):
            writer.writerow([customer, f"{customer.lower()}@cdnow.invalid", "false", "false"])
    with open(folder / "orders.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_id", "customer_id", "ordered_at", "amount"])
        for i, row in enumerate(orders.itertuples(index=False)):
            writer.writerow(
                [
                    f"CDNOW-O{i:05d}",
                    row.customer_id,
                    row.ordered_at.isoformat(),
                    f"{row.amount:.2f}",
                ]
            )
    return orders
