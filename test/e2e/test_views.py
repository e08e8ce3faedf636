"""The page's views in headless Chromium, fed through the hook (no bridge): structure, disposal."""

from __future__ import annotations

from typing import Any

import pytest

from test.e2e.feed import diagnostics, feed, hello, status

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

# Counts what the page starts and stops: intervals, ResizeObservers, media-query listeners.
TRACK_JS = """
(() => {
  const live = { intervals: new Set(), observers: 0, mq: 0 };
  window.__live = live;
  const si = window.setInterval, ci = window.clearInterval;
  window.setInterval = (...a) => { const id = si(...a); live.intervals.add(id); return id; };
  window.clearInterval = (id) => { live.intervals.delete(id); ci(id); };
  const RO = window.ResizeObserver;
  window.ResizeObserver = class extends RO {
    observe(...a) { live.observers += 1; return super.observe(...a); }
    disconnect() { live.observers = 0; return super.disconnect(); }
  };
  const add = MediaQueryList.prototype.addEventListener, rm = MediaQueryList.prototype.removeEventListener;
  // The page's own media-query listeners (uPlot keeps one of its own for the pixel ratio).
  const ours = (mq) => mq.media.includes("prefers-color-scheme");
  MediaQueryList.prototype.addEventListener = function (...a) {
    if (ours(this)) live.mq += 1;
    return add.apply(this, a);
  };
  MediaQueryList.prototype.removeEventListener = function (...a) {
    if (ours(this)) live.mq -= 1;
    return rm.apply(this, a);
  };
})();
"""

LIVE_JS = "() => ({ i: window.__live.intervals.size, o: window.__live.observers, m: window.__live.mq })"


def test_dispose_releases_timers_observers_and_dom(page: Any, dist_url: str) -> None:
    page.add_init_script(TRACK_JS)
    page.goto(dist_url)
    page.wait_for_function("() => window.chedweb !== undefined")
    feed(page, [hello(), *diagnostics(1, [status("system_metrics: CPU", values={"usage %": "12"})])])
    page.wait_for_selector('[data-testid="status-row"]')
    live = page.evaluate(LIVE_JS)
    assert live["i"] >= 1 and live["o"] >= 1 and live["m"] >= 1
    page.evaluate("() => window.chedweb.dispose()")
    after = page.evaluate(LIVE_JS)
    assert after == {"i": 0, "o": 0, "m": 0}
    # Every view's DOM is gone: the slots of index.html are empty.
    assert page.evaluate("() => [...document.querySelectorAll('#topbar, #controls, #cards, #charts,"
                         " #status-panel, #counters')].every(e => e.childElementCount === 0)")
    # No more frames: a message after dispose draws nothing.
    frames = page.evaluate("() => window.chedweb.frameCount()")
    page.evaluate("m => window.chedweb.feed(m)", diagnostics(2, [status("x: y")])[0])
    page.wait_for_timeout(1200)
    assert page.evaluate("() => window.chedweb.frameCount()") == frames
