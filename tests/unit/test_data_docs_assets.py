"""The rewriting of Great Expectations' pages to the vendored assets, on the page head GX 1.x
renders (its templates `page.j2` and `js_script_imports.j2`)."""

import importlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from social_crm.quality import data_docs_assets

GX_HEAD = (
    "<head>\n"
    '<link rel="stylesheet" href="https://unpkg.com/bootstrap-table@1.19.1/dist/boots'
    'trap-table.min.css">\n'
    '<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css'
    '/bootstrap.min.css"/>\n'
    "<style>.navbar-brand a {background: url('https://great-expectations-web-assets.s"
    "3.us-east-2.amazonaws.com/full_logo_dark.png') 0 0 no-repeat;}</style>\n"
    '<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>\n'
    '<link rel="stylesheet" href="https://cdnjs.cloudflare.com/ajax/libs/font-awesome'
    '/6.6.0/css/all.min.css">\n'
    '<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>\n'
    '<script src="https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.'
    'min.js" integrity="sha384-x" crossorigin="anonymous"></script>\n'
    '<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min'
    '.js" integrity="sha384-y" crossorigin="anonymous"></script>\n'
    '<link rel="shortcut icon" href="../../../../static/images/favicon.ico" type="ima'
    'ge/x-icon"/>\n'
    '</head><body><a href="https://greatexpectations.io">Great Expectations</a></body'
    ">"
)

DEPTHS = st.integers(0, 6).map(lambda n: "../" * n)


@given(to_root=DEPTHS)
def test_a_rewritten_page_names_no_remote_asset(to_root):
    page = data_docs_assets.offline_html(GX_HEAD, to_root)
    assets = re.findall(r"(?:src|href)=\"([^\"]+)\"(?![^<]*>Great)", page)
    assets += re.findall(r"url\('([^']+)'\)", page)
    assert not [url for url in assets if re.match(r"(https?:)?//", url)]


@given(to_root=DEPTHS)
def test_rewriting_a_page_twice_changes_nothing_more(to_root):
    once = data_docs_assets.offline_html(GX_HEAD, to_root)
    assert data_docs_assets.offline_html(once, to_root) == once


def test_a_vendored_script_keeps_no_integrity_hash_of_the_cdn_build():
    page = data_docs_assets.offline_html(GX_HEAD, "../")
    assert "integrity=" not in page and "bootstrap.bundle.min.js" in page


def test_a_link_to_a_web_page_is_kept():
    page = data_docs_assets.offline_html(GX_HEAD, "../")
    assert '<a href="https://greatexpectations.io">' in page


def test_without_the_asset_packages_the_pages_stay_as_rendered(tmp_path, monkeypatch, caplog):
    page = tmp_path / "page.html"
    page.write_text(GX_HEAD)
    real = importlib.import_module

    def without_xstatic(name, *args):
        if name.startswith("xstatic"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real(name, *args)

    monkeypatch.setattr(data_docs_assets.importlib, "import_module", without_xstatic)
    monkeypatch.setattr(data_docs_assets, "_versions", lambda: "none installed")
    assert data_docs_assets.make_offline(tmp_path, [page]) == 0
    assert page.read_text() == GX_HEAD
    assert "is not installed" in caplog.text


@pytest.mark.parametrize("name", ["bootstrap.min.css", "bootstrap.bundle.min.js", "all.min.css"])
def test_the_vendored_copies_exist_after_vendoring(tmp_path, name):
    data_docs_assets.vendor(tmp_path)
    assert list((tmp_path / data_docs_assets.VENDOR).rglob(name))
