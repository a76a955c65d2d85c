"""The HTML report in a real browser: Debian's headless Chromium draws it (a screenshot
that is not blank) and builds its DOM (the customers' names as text, no element made of
user data), on the overview and on one customer's page.

Without a browser these tests are skipped with the reason; with MARRY_TEST_BROWSER=1
(as `.ci/run` sets, after installing chromium) they must run and pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import Marry
from pages import OWN_ELEMENTS, assert_inert_and_self_contained, parse, png_colours

REQUIRED = os.environ.get("MARRY_TEST_BROWSER", "") == "1"
BROWSER = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)

if BROWSER is None:
    if REQUIRED:
        raise RuntimeError("MARRY_TEST_BROWSER=1 but no chromium is installed")
    pytestmark = pytest.mark.skip(reason="no chromium (apt-get install chromium) to test in")

NAMES = ["Northwind Traders", "<script>alert(1)</script>", '"><img src=x onerror=alert(2)>']


def _chromium(*args: str, home: Path) -> subprocess.CompletedProcess[bytes]:
    assert BROWSER is not None
    command = [
        BROWSER,
        "--headless",
        "--no-sandbox",  # as root (CI): the sandbox needs an unprivileged user
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        f"--user-data-dir={home / 'profile'}",
        *args,
    ]
    env = {**os.environ, "HOME": str(home)}
    return subprocess.run(command, capture_output=True, timeout=120, env=env, check=False)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The overview and one customer's page of a small ledger, as files."""
    folder = tmp_path_factory.mktemp("browser")
    marry = Marry(db=str(folder / "ledger.db"), backend="sqlite", path=folder / "ledger.db")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MARRY_USER", "dana")
        patch.setenv("TZ", "UTC")
        for n, name in enumerate(NAMES):
            for k in range(4):
                day = 1 + 6 * k + n
                pid = marry.add(f"Delivery {k}", name, "--made", f"2026-01-{day:02d}",
                                "--due", f"2026-01-{day + 5:02d}")  # fmt: skip
                verb = "break" if (n, k) == (1, 3) else "keep"
                marry.ok(verb, str(pid), "--at", f"2026-01-{day + 2:02d}T12:00:00Z")
        made = {}
        for name, args in (("overview", ()), ("customer", ("--customer", NAMES[0]))):
            path = folder / f"{name}.html"
            marry.ok("report", *args, "--format", "html", "--as-of", "2026-02-15", "-o", str(path))
            assert_inert_and_self_contained(path.read_text(encoding="utf-8"))
            made[name] = path
    return made


@pytest.mark.parametrize("name", ["overview", "customer"])
def test_the_browser_draws_the_page(pages, name, tmp_path):
    shot = tmp_path / "shot.png"
    done = _chromium(
        "--window-size=900,900", f"--screenshot={shot}", pages[name].as_uri(), home=tmp_path
    )
    assert shot.exists(), done.stderr.decode(errors="replace")[-2000:]
    # A blank or broken page has a handful of colours; text, stage pills, the trust bars
    # and the chart's bands and lines have many (anti-aliasing included).
    assert png_colours(shot.read_bytes()) > 60


@pytest.mark.parametrize("name", ["overview", "customer"])
def test_the_dom_the_browser_builds_has_the_names_as_text_and_no_element_of_user_data(
    pages, name, tmp_path
):
    done = _chromium("--dump-dom", pages[name].as_uri(), home=tmp_path)
    dom = done.stdout.decode("utf-8")
    assert dom.strip(), done.stderr.decode(errors="replace")[-2000:]
    tree = parse(dom)
    elements = {node.tag for node in tree.walk()} - {"#document"}
    assert elements <= OWN_ELEMENTS, elements - OWN_ELEMENTS  # no <img>, no <script>
    assert not any(
        attr.startswith("on") for node in tree.walk() for attr in node.attrs
    )  # no handler was made from a name
    text = tree.text()
    shown = NAMES if name == "overview" else NAMES[:1]
    for customer in shown:
        assert customer in text, customer
