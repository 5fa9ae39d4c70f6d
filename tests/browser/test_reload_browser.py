"""A reload, a server restart and a second browser, in real chromium against a real server.

Each test starts its own server on its own store (FMNIST_DATA_STORE in a temporary folder), with
running jobs snapshotted every second and a heartbeat timeout of HEARTBEAT_S (not 8 s: nothing sleeps it out).
"""
import json
import re
import time

import pytest

from tests.conftest import (ARTIFACTS, open_page, real_console_errors, screenshot, start_server, stop_server, wait_idle,
                            wait_until)

pytestmark = pytest.mark.browser

HEARTBEAT_S = 5.0  # under the default 8 s, above the 1.8-4.8 s a reload took here to beat the job again
ELAPSED = re.compile(r"Epoch [\d.]+ · ([\d.]+) s")


@pytest.fixture
def store_server(tmp_path):
    env = {"FMNIST_DATA_STORE": str(tmp_path / "store"), "FMNIST_SNAPSHOT_S": "1", "FMNIST_MAX_JOBS": "2",
           "FMNIST_HEARTBEAT_TIMEOUT": str(HEARTBEAT_S)}
    servers = []

    def start():
        servers.append(start_server(env, name="reload"))
        return servers[-1]

    yield start
    for s in servers:
        if s.proc.poll() is None:
            stop_server(s)


def new_page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    pg = ctx.new_page()
    pg.console_errors = []
    pg.on("console", lambda m: pg.console_errors.append(m.text) if m.type == "error" else None)
    return ctx, pg


def elapsed(page) -> float | None:
    """Seconds trained, from the live progress line ('Epoch 1.2 · 4.3 s · …'); None when not shown."""
    bar = page.locator("[data-testid='stProgress']")
    try:
        text = bar.first.inner_text(timeout=200) if bar.count() else ""
    except Exception:  # the page is being replaced (reload)
        return None
    m = ELAPSED.search(text)
    return float(m.group(1)) if m else None


def wait_elapsed(page, at_least: float, timeout: float = 90.0, every: float = 0.05) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        e = elapsed(page)
        if e is not None and e >= at_least:
            return e
        page.wait_for_timeout(every * 1000)
    raise AssertionError(f"the progress line never reached {at_least} s (last: {elapsed(page)})")


def runs_tab(page):
    return page.get_by_role("tab", name=re.compile("Runs, comparison"))


def cookie(ctx, timeout: float = 15.0) -> str:
    """This context's browser id, once the page's component has set it (a moment after the page loads)."""
    return wait_until(lambda: [c["value"] for c in ctx.cookies() if c["name"] == "fmnist_browser"], timeout, 0.1,
                      "the browser-id cookie")[0]


def test_a_reload_mid_training_reattaches_to_the_same_job(browser, store_server):
    server = store_server()
    ctx, page = new_page(browser)
    try:
        open_page(page, server, "training", "budget=120")
        page.get_by_role("button", name="Start training").click()
        before = wait_elapsed(page, 3.0)
        t0 = time.monotonic()
        page.reload()
        after = wait_elapsed(page, before, timeout=30)  # the same job's clock, not a new job's 0 s
        reattach_s = time.monotonic() - t0
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "reload-reattach.json").write_text(json.dumps({"reattach_s": reattach_s, "before": before,
                                                                    "after": after}))
        print(f"live view back {reattach_s:.2f} s after the reload (elapsed {before:.1f} -> {after:.1f} s)")
        assert reattach_s < 10, f"reattached only after {reattach_s:.1f} s"
        wait_idle(page)
        assert page.get_by_role("button", name="Start training").is_disabled()  # one job per browser
        assert page.get_by_role("button", name="⏹ Stop").is_enabled()
        # Past the heartbeat timeout: the reloaded page beats the job, so it trains on.
        e1 = wait_elapsed(page, 0.0)
        wait_elapsed(page, e1 + HEARTBEAT_S + 2, timeout=30)
        assert page.get_by_text("Stopped").count() == 0
        screenshot(page, "reload-reattached", full_page=False)
        page.get_by_role("button", name="⏹ Stop").click()
        page.get_by_text("Stopped").first.wait_for(timeout=30_000)
        wait_idle(page)
        assert "(1)" in runs_tab(page).inner_text()  # one run: the job that was reattached, not a second one
        # A second tab of the same browser sees that run; its id never shows in a link.
        tab2 = ctx.new_page()
        open_page(tab2, server, "training")
        assert "(1)" in runs_tab(tab2).inner_text()
        assert cookie(ctx) not in page.url and cookie(ctx) not in tab2.url
        assert page.locator("[data-testid='stException']").count() == 0
        assert real_console_errors(page) == []
    finally:
        ctx.close()


def test_a_server_restart_keeps_finished_runs_and_shows_the_interrupted_one(browser, store_server):
    server = store_server()
    ctx, page = new_page(browser)
    other_ctx, other = new_page(browser)
    try:
        open_page(page, server, "training", "budget=3")
        page.get_by_role("button", name="Start training").click()
        page.get_by_text("Final test accuracy").first.wait_for(timeout=90_000)
        wait_idle(page)
        assert "(1)" in runs_tab(page).inner_text()
        open_page(page, server, "training", "budget=120")  # a new session of the same browser
        assert "(1)" in runs_tab(page).inner_text()
        page.get_by_role("button", name="Start training").click()
        wait_elapsed(page, 4.0)  # a few snapshots (every second) of its events
        me = cookie(ctx)
        stop_server(server)

        server = store_server()  # the same store, another process (and port: the cookie is per host)
        page.wait_for_timeout(500)
        page.console_errors.clear()  # the old tab's complaints about its lost server
        open_page(page, server, "training")
        assert cookie(ctx) == me
        warning = page.get_by_text("interrupted by a server restart")
        warning.first.wait_for(timeout=10_000)
        assert "(2)" in runs_tab(page).inner_text()
        assert page.get_by_role("button", name="Start training").is_enabled()  # nothing still running
        page.locator("[data-testid='stMain']").evaluate("e => e.scrollTo(0, 0)")
        screenshot(page, "restart-interrupted", full_page=False)
        runs_tab(page).click()
        chosen = page.locator("[data-testid='stMultiSelect']").first.inner_text()
        assert "#1 MLP" in chosen and "#2 MLP" in chosen, chosen  # both compared: curves up to the restart
        page.locator("[data-testid='stVegaLiteChart']").first.locator("canvas, svg").first.wait_for(timeout=20_000)
        screenshot(page, "restart-runs-tab", full_page=False)

        # Another browser on the same server sees none of it.
        open_page(other, server, "training")
        assert cookie(other_ctx) != me
        assert "(0)" in runs_tab(other).inner_text()
        assert other.get_by_text("interrupted by a server restart").count() == 0
        runs_tab(other).click()
        assert other.get_by_text("#1 MLP").count() == 0
        for pg in (page, other):
            assert pg.locator("[data-testid='stException']").count() == 0
            # the page that lived through the restart may log Streamlit's own "Cannot send rerun backMessage
            # when disconnected from server." (a rerun asked for while the server was down); nothing else
            errors = real_console_errors(pg)
            assert [e for e in errors if not (pg is page and "when disconnected from server" in e)] == []
    finally:
        ctx.close()
        other_ctx.close()
