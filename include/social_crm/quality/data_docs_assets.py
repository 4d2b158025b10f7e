"""Great Expectations' pages, made to open offline with their styles.

GX 1.x renders each page with Bootstrap 4, jQuery, Popper, Font Awesome, bootstrap-table,
bootstrap-datepicker and Vega loaded from CDNs (its templates `page.j2` and
`js_script_imports.j2`), and its logo from a web server: with no network a page is unstyled
and waits seconds for what never comes. The styles and scripts a page needs are copied into
the site from installed Python packages (the XStatic packaging of the same libraries) and the
page's links rewritten to them; what no package ships (bootstrap-table, its filter control,
the date picker, the dark theme, Vega: sorting and charts that our suites' pages do not use)
is left out. Nothing is downloaded, at build or at run time.

Licences (each file keeps its own header; `vendor/NOTICE.txt` in the site names them):
Bootstrap 4.5 and jQuery 3.7 under the MIT licence, Font Awesome Free 6.2 (code MIT, fonts
SIL OFL 1.1, icons CC BY 4.0; its LICENSE.txt is copied beside it).
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import shutil
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

log = logging.getLogger(__name__)
VENDOR = "vendor"  # the site's folder of copied assets (GX's own `static/` is rewritten by GX)
_STAMP = ".versions"

# (what a CDN URL is, the vendored file it becomes; None: left out, with its tag)
_REPLACEMENTS: list[tuple[re.Pattern[str], str | None]] = [
    (re.compile(r"bootstrap/4[.\d]*/css/bootstrap(\.min)?\.css$"), "bootstrap/bootstrap.min.css"),
    # the bundle holds Popper, which Bootstrap 4's dropdowns and tooltips need
    (
        re.compile(r"bootstrap/4[.\d]*/js/bootstrap(\.min)?\.js$"),
        "bootstrap/bootstrap.bundle.min.js",
    ),
    (re.compile(r"popper(\.js)?[@/][.\d]+/.*popper(\.min)?\.js$"), None),
    (re.compile(r"jquery-3[.\d]*(\.min)?\.js$"), "jquery/jquery.min.js"),
    (re.compile(r"font-awesome/6[.\d]*/css/all(\.min)?\.css$"), "font-awesome/css/all.min.css"),
    (re.compile(r"great-expectations-web-assets\..*/(full_logo_dark|logo-long)\.png"), "logo"),
]
_GX_STATIC = re.compile(r"^(\.\./)+static/")
_REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)
_LINK = re.compile(r"<link\b[^>]*?\bhref=([\"'])([^\"']*)\1[^>]*>", re.IGNORECASE)
_SCRIPT = re.compile(
    r"<script\b[^>]*?\bsrc=([\"'])([^\"']*)\1[^>]*>\s*</script>", re.IGNORECASE | re.DOTALL
)
_IMG_SRC = re.compile(r"(<img\b[^>]*?\bsrc=)([\"'])([^\"']*)\2", re.IGNORECASE)
_ASSET_REL = re.compile(r"\brel=([\"'])[^\"']*(stylesheet|icon|preload)", re.IGNORECASE)
_CSS_URL = re.compile(r"url\((['\"]?)([^'\")]+)\1\)")
# a rewritten tag drops the CDN's integrity hash (of another build of the file) and CORS mode
_SRI = re.compile(r"\s+(integrity|crossorigin)=([\"'])[^\"']*\2", re.IGNORECASE)

GX_LOGO = "static/images/logo-long.png"  # shipped by GX, copied into every site by GX


def _packages() -> dict[str, Path]:
    """The installed XStatic packages' data folders (`BASE_DIR`, the packaging's one API)."""
    modules = {"bootstrap": "bootstrap", "jquery": "jquery", "font-awesome": "font_awesome"}
    return {
        name: Path(importlib.import_module(f"xstatic.pkg.{module}").BASE_DIR)
        for name, module in modules.items()
    }


def _versions() -> str:
    names = ("XStatic-Bootstrap", "XStatic-jQuery", "XStatic-Font-Awesome")
    return "\n".join(f"{name}=={metadata.version(name)}" for name in names)


NOTICE = """Copied from installed Python packages so that the Data Docs pages open offline.
bootstrap/: Bootstrap (https://getbootstrap.com), MIT licence, (c) The Bootstrap Authors.
jquery/: jQuery (https://jquery.com), MIT licence, (c) OpenJS Foundation and contributors.
font-awesome/: Font Awesome Free (https://fontawesome.com), code MIT, fonts SIL OFL 1.1,
  icons CC BY 4.0; see font-awesome/LICENSE.txt.
"""


def vendor(docs: Path) -> bool:
    """Copy the assets into `docs/vendor` unless the same versions are there. Returns whether
    it copied (the pages rendered before then may need rewriting)."""
    target = docs / VENDOR
    versions = _versions()
    stamp = target / _STAMP
    if stamp.is_file() and stamp.read_text() == versions:
        return False
    shutil.rmtree(target, ignore_errors=True)
    packages = _packages()
    copies = {
        "bootstrap/bootstrap.min.css": packages["bootstrap"] / "css" / "bootstrap.min.css",
        "bootstrap/bootstrap.bundle.min.js": packages["bootstrap"]
        / "js"
        / "bootstrap.bundle.min.js",
        "jquery/jquery.min.js": packages["jquery"] / "jquery.min.js",
        "font-awesome/css/all.min.css": packages["font-awesome"] / "css" / "all.min.css",
        "font-awesome/LICENSE.txt": packages["font-awesome"] / "LICENSE.txt",
    }
    for font in (packages["font-awesome"] / "webfonts").iterdir():
        copies[f"font-awesome/webfonts/{font.name}"] = font
    for name, source in copies.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target / name)
    (target / "NOTICE.txt").write_text(NOTICE)
    stamp.write_text(versions)
    return True


def _local(url: str, to_root: str) -> str | None:
    """The site-relative replacement of a remote `url` (seen from a file `to_root` below the
    site's root), or None when it is left out."""
    for pattern, replacement in _REPLACEMENTS:
        if pattern.search(url):
            if replacement is None:
                return None
            if replacement == "logo":
                return to_root + GX_LOGO
            return f"{to_root}{VENDOR}/{replacement}"
    return None


def offline_html(text: str, to_root: str) -> str:
    """`text` (a page `to_root` below the site's root, e.g. "../../") with every remote
    stylesheet, script, image and CSS `url()` replaced by the vendored copy, or left out."""

    def tag(match: re.Match[str]) -> str:
        whole, url = match.group(0), match.group(2)
        if _GX_STATIC.match(url):
            # GX counts a page's depth without the folder its dotted suite name adds
            return whole.replace(url, to_root + _GX_STATIC.sub("static/", url))
        if not _REMOTE.match(url):
            return whole
        if whole[:5].lower() == "<link" and not _ASSET_REL.search(whole):
            return whole  # a link to a page, not an asset
        local = _local(url, to_root)
        if local is None:
            return f"<!-- left out offline: {_library(url)} -->"
        return _SRI.sub("", whole.replace(url, local))

    def image(match: re.Match[str]) -> str:
        url = match.group(3)
        if not _REMOTE.match(url):
            return match.group(0)
        local = _local(url, to_root) or to_root + GX_LOGO
        return f"{match.group(1)}{match.group(2)}{local}{match.group(2)}"

    text = _LINK.sub(tag, text)
    text = _SCRIPT.sub(tag, text)
    text = _IMG_SRC.sub(image, text)
    return offline_css(text, to_root)


def offline_css(text: str, to_root: str) -> str:
    """`url()`s of remote resources in CSS replaced by the vendored copy, or `none`."""

    def url(match: re.Match[str]) -> str:
        target = match.group(2)
        if not _REMOTE.match(target):
            return match.group(0)
        local = _local(target, to_root)
        return f"url('{local}')" if local else "none"

    return _CSS_URL.sub(url, text)


def _library(url: str) -> str:
    """A remote asset's name for a comment (no URL: the page names no remote host)."""
    name = url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
    return re.sub(r"[^\w.@-]", "", name) or "asset"


def make_offline(docs: Path, pages: Iterable[Path]) -> int:
    """Vendor the assets into `docs` and rewrite `pages` (HTML files under `docs`) and GX's
    stylesheets there to use them; every page of the site when the assets were (re)copied.
    Returns the number of files rewritten. Without the packages (an environment installed
    before they were required) the pages are left as GX wrote them, with a warning: how a page
    looks never fails a gate."""
    try:
        copied = vendor(docs)
    except (ImportError, metadata.PackageNotFoundError) as exc:
        log.warning(
            "Data Docs: pages left loading their styles from CDNs: %s is not installed"
            " (make install, or pip install -r requirements.lock)",
            getattr(exc, "name", None) or exc,
        )
        return 0
    if copied:
        pages = docs.rglob("*.html")
    rewritten = 0
    root = docs.resolve()
    for page in [*pages, *(docs / "static" / "styles").glob("*.css")]:
        if not page.is_file():
            continue
        to_root = os.path.relpath(root, page.resolve().parent).replace(os.sep, "/") + "/"
        text = page.read_text(encoding="utf-8")
        new = offline_css(text, to_root) if page.suffix == ".css" else offline_html(text, to_root)
        if new != text:
            page.write_text(new, encoding="utf-8")
            rewritten += 1
    return rewritten
