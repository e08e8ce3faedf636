"""Issue 11's page features in headless Chromium, fed through the hook (no bridge): the aggregator
tree, filter and sort in the URL, keyboard use, the title count, stale transitions, the empty
state, and contrast read from computed styles."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from test.e2e.feed import diagnostics, feed, hello, status
from test.helpers.procs import ARTIFACTS

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

ROW = '[data-testid="status-row"]'


def open_page(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_function("() => window.chedweb !== undefined")


def names(page: Any) -> list[str]:
    result: list[str] = page.locator(ROW).evaluate_all("rs => rs.map(r => r.dataset.name)")
    return result


AGG = [
    status("/Sensors", 0, "OK", ""),
    status("/Sensors/Lidar", 0, "OK", ""),
    status("/Sensors/Lidar/driver: scan", 2, "no scans", ""),
    status("/Sensors/Camera", 0, "OK", ""),
    status("/Motors", 1, "Warning", ""),
    status("/Motors/Left: current", 1, "high current", ""),
]


def test_tree_rolls_up_the_worst_child(page: Any, dist_url: str) -> None:
    open_page(page, dist_url)
    feed(page, [hello(), *diagnostics(1, [*AGG, status("system_metrics: CPU", 0)])])
    page.click('[data-testid="view-tree"]')
    tree_row = '[data-testid="tree-row"][data-path="{}"]'
    page.wait_for_selector(tree_row.format("/Sensors"))
    # /Sensors says OK itself, but a child two levels down is ERROR: the parent shows ERROR.
    assert page.get_attribute(tree_row.format("/Sensors"), "data-level") == "ERROR"
    assert page.get_attribute(tree_row.format("/Motors"), "data-level") == "WARN"
    assert page.get_attribute(tree_row.format("/Sensors"), "aria-expanded") == "false"
    assert page.locator(tree_row.format("/Sensors/Lidar")).count() == 0
    page.click(tree_row.format("/Sensors"))
    page.wait_for_selector(tree_row.format("/Sensors/Lidar"))
    assert page.get_attribute(tree_row.format("/Sensors/Lidar"), "data-level") == "ERROR"
    assert page.get_attribute(tree_row.format("/Sensors/Camera"), "data-level") == "OK"
    assert page.get_attribute(tree_row.format("/Sensors/Lidar"), "aria-level") == "2"
    assert page.get_attribute('[data-testid="status-tree"]', "role") == "treegrid"
    # The child recovers: the roll-up follows.
    feed(page, diagnostics(2, [status("/Sensors/Lidar/driver: scan", 0, "OK", "")]))
    page.wait_for_selector(tree_row.format("/Sensors") + '[data-level="OK"]', timeout=2000)
    # The view is in the URL, and the machine view does not list the aggregator's paths twice.
    assert parse_qs(urlparse(page.evaluate("() => location.href")).query)["view"] == ["tree"]
    page.click('[data-testid="view-machine"]')
    page.wait_for_selector('[data-testid="status-table"]:not([hidden])')
    assert names(page) == ["system_metrics: CPU"]
    page.screenshot(path=str(ARTIFACTS / "e2e-tree.png"), full_page=True)


def test_focused_tree_row_keeps_focus_when_a_status_appears(page: Any, dist_url: str) -> None:
    # The tree re-inserted every row whenever its rows changed (a new status, a node opened),
    # which took keyboard focus off the focused row, as the machine view's list once did.
    open_page(page, dist_url)
    feed(page, [hello(), *diagnostics(1, AGG)])
    page.click('[data-testid="view-tree"]')
    tree_row = '[data-testid="tree-row"][data-path="{}"]'
    page.wait_for_selector(tree_row.format("/Motors"))
    page.locator(tree_row.format("/Motors")).focus()
    feed(page, diagnostics(2, [status("/Arm", 0, "OK", "")]))
    page.wait_for_selector(tree_row.format("/Arm"))
    assert page.evaluate("() => document.activeElement.dataset.path") == "/Motors"
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.dataset.path") == "/Sensors"


def test_tree_says_how_to_forward_the_aggregator(page: Any, dist_url: str) -> None:
    open_page(page, dist_url)
    feed(page, [hello(), *diagnostics(1, [status("system_metrics: CPU", 0)])])
    page.click('[data-testid="view-tree"]')
    note = page.locator('[data-testid="tree-empty"]')
    note.wait_for()
    assert "/diagnostics_agg" in note.inner_text()


STATUSES = [
    status("lidar_driver: scan", 1, "scan rate low", "lidar-0"),
    status("motor_left: current", 2, "over current", "motors"),
    status("motor_right: current", 0, "OK", "motors"),
    status("imu: rate", 0, "OK", "imu-0"),
]


def test_filter_and_sort_are_kept_in_the_url(page: Any, dist_url: str) -> None:
    open_page(page, dist_url.replace("autoconnect=0", "autoconnect=0&token=t0k"))
    feed(page, [hello(), *diagnostics(1, STATUSES)])
    page.wait_for_selector(f'{ROW}[data-name="imu: rate"]')
    page.fill('[data-testid="status-search"]', "motor")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=status-row]').length === 2")
    assert sorted(names(page)) == ["motor_left: current", "motor_right: current"]
    # hardware_id and message are searched too.
    page.fill('[data-testid="status-search"]', "RATE LOW")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=status-row]').length === 1")
    assert names(page) == ["lidar_driver: scan"]
    page.fill('[data-testid="status-search"]', "")
    page.select_option('[data-testid="level-filter"]', "warn")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=status-row]').length === 2")
    assert set(names(page)) == {"lidar_driver: scan", "motor_left: current"}
    page.select_option('[data-testid="level-filter"]', "all")
    page.select_option('[data-testid="sort-select"]', "level")
    page.wait_for_function("() => document.querySelector('[data-testid=status-row]').dataset.name"
                           " === 'motor_left: current'")
    page.select_option('[data-testid="level-filter"]', "warn")
    page.fill('[data-testid="status-search"]', "motor")
    query = parse_qs(urlparse(page.evaluate("() => location.href")).query)
    assert query == {"autoconnect": ["0"], "token": ["t0k"], "q": ["motor"], "level": ["warn"],
                     "sort": ["level"]}
    # A reload (or a shared link) opens with the same filter.
    page.reload()
    page.wait_for_function("() => window.chedweb !== undefined")
    feed(page, [hello(), *diagnostics(1, STATUSES)])
    page.wait_for_selector(ROW)
    assert page.input_value('[data-testid="status-search"]') == "motor"
    assert page.input_value('[data-testid="level-filter"]') == "warn"
    assert page.input_value('[data-testid="sort-select"]') == "level"
    assert names(page) == ["motor_left: current"]


def test_keyboard_use_and_skip_links(page: Any, dist_url: str) -> None:
    open_page(page, dist_url)
    feed(page, [hello(), *diagnostics(1, STATUSES)])
    page.wait_for_selector(f'{ROW}[data-name="imu: rate"]')
    # The first Tab reaches the skip link; following it lands on the diagnostics.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.dataset.testid") == "skip-to-diagnostics"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "diagnostics-title"
    # One row is in the tab order; arrows move between rows; Enter opens a row's values.
    first = page.locator(ROW).first
    first.focus()
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("() => document.activeElement.dataset.name")
    assert focused == names(page)[1]
    page.keyboard.press("Enter")
    values = page.locator(f'{ROW}[data-name="{focused}"] + [data-testid="status-values"]')
    assert values.is_visible()
    assert page.get_attribute(f'{ROW}[data-name="{focused}"]', "aria-expanded") == "true"
    assert page.locator(f"{ROW}[tabindex='0']").count() == 1
    # The skip link past the list moves focus to after it.
    page.focus('[data-testid="skip-table"]')
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.dataset.testid") == "after-diagnostics"


def test_title_count_and_favicon_follow_the_alerts(page: Any, dist_url: str) -> None:
    open_page(page, dist_url)
    feed(page, [hello(), *diagnostics(1, STATUSES)])
    page.wait_for_function("() => document.title.startsWith('(2) ChedWeb')")
    assert page.get_attribute('[data-testid="favicon"]', "data-level") == "ERROR"
    feed(page, diagnostics(2, [status("motor_left: current", 0, "OK", "motors")]))
    page.wait_for_function("() => document.title.startsWith('(1) ChedWeb')")
    assert page.get_attribute('[data-testid="favicon"]', "data-level") == "WARN"
    feed(page, diagnostics(3, [status("lidar_driver: scan", 0, "OK", "lidar-0")]))
    page.wait_for_function("() => document.title === 'ChedWeb · robot health'")
    assert page.get_attribute('[data-testid="favicon"]', "data-level") == "none"


def test_banner_is_sticky_collapsible_and_lists_publisher_stale(page: Any, dist_url: str) -> None:
    open_page(page, dist_url)
    cpu = status("system_metrics: CPU", 0, "OK", "robot-1", {"usage %": "5"})
    feed(page, [hello(), *diagnostics(1, [*STATUSES, cpu, status("gps: fix", 3, "no fix", "gps-0")])])
    item = '[data-testid="alert-item"][data-name="gps: fix"]'
    page.wait_for_selector(item)
    assert page.get_attribute(item, "data-level") == "STALE"
    assert "STALE" in page.inner_text(item)
    banner = page.locator('[data-testid="alert-banner"]')
    page.set_viewport_size({"width": 1280, "height": 500})
    page.evaluate("() => window.scrollTo(0, 600)")
    page.wait_for_function("() => window.scrollY >= 300")
    box = banner.bounding_box()
    assert box is not None and box["y"] < 5  # still at the top of the viewport
    page.click('[data-testid="banner-toggle"]')
    assert page.get_attribute('[data-testid="banner-toggle"]', "aria-expanded") == "false"
    assert page.locator(item).is_hidden()
    assert "3 active alerts" in page.inner_text('[data-testid="alert-summary"]')


def test_stale_transitions_with_the_bridges_timeout(page: Any, dist_url: str) -> None:
    open_page(page, dist_url)
    cpu = status("system_metrics: CPU", 0, "OK", "robot-1", {"usage %": "12"})
    feed(page, [hello(stale_seconds=1.5, capabilities=["stale"]), *diagnostics(1, [cpu])])
    row = f'{ROW}[data-name="system_metrics: CPU"]'
    page.wait_for_selector(f'{row}[data-level="OK"]')
    assert page.get_attribute('[data-testid="card-cpu"]', "data-level") == "OK"
    start = time.monotonic()
    page.wait_for_selector(f'{row}[data-level="STALE"]', timeout=4000)
    # Not before the bridge's 1.5 s (the page's own default is 5 s).
    assert time.monotonic() - start < 3.5
    assert page.get_attribute(row, "data-stale") == "true"
    page.wait_for_selector('[data-testid="card-cpu"][data-level="STALE"]', timeout=2000)
    assert "no update" in page.inner_text('[data-testid="card-cpu-note"]')
    assert page.get_attribute('[data-testid="chart-cpu-memory"]', "role") == "img"
    figure_stale = ("() => document.querySelector('[data-testid=chart-cpu-memory]')"
                    ".closest('figure').dataset.stale")
    page.wait_for_function(f"() => ({figure_stale})() === 'true'", timeout=2000)
    # The machine went silent: one "machine offline" alert, not one per status.
    page.wait_for_selector('[data-testid="alert-item"][data-kind="offline"]', timeout=2000)
    assert page.locator('[data-testid="alert-item"]').count() == 1
    # An update brings it back.
    feed(page, diagnostics(2, [cpu]))
    page.wait_for_selector(f'{row}[data-level="OK"]', timeout=2000)
    assert page.get_attribute(row, "data-stale") == "false"
    page.wait_for_function(f"() => ({figure_stale})() === 'false'", timeout=2000)


def test_empty_state_says_what_to_check(page: Any, dist_url: str) -> None:
    open_page(page, dist_url)
    empty_snapshot = '{"type":"snapshot","part":0,"parts":1,"statuses":[]}'
    feed(page, [hello("robot-9"), empty_snapshot])
    box = page.locator('[data-testid="empty-state"]')
    box.wait_for()
    text = box.inner_text()
    for needle in ("/diagnostics", "ROS_DOMAIN_ID", "RMW_IMPLEMENTATION", "robot-9"):
        assert needle in text
    # No cards or charts of a machine that does not exist.
    assert page.locator('[data-testid="card-cpu"]').is_hidden()
    assert page.locator('[data-testid="chart-cpu-memory"]').is_hidden()
    feed(page, diagnostics(1, [status("system_metrics: CPU", 0, "OK", "robot-9", {"usage %": "3"})]))
    box.wait_for(state="hidden")
    page.locator('[data-testid="card-cpu"]').wait_for()


# Contrast of an element's text against what is behind it (computed styles, rgba layers blended).
CONTRAST_JS = """(el) => {
  const rgba = (s) => {
    const m = s.match(/[\\d.]+/g).map(Number);
    return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1];
  };
  const over = (top, bottom) =>
    top.slice(0, 3).map((c, i) => c * top[3] + bottom[i] * (1 - top[3])).concat(1);
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const bg = rgba(getComputedStyle(e).backgroundColor);
    if (bg[3] > 0) layers.push(bg);
    if (bg[3] === 1) break;
  }
  let bg = [255, 255, 255, 1];
  for (const l of layers.reverse()) bg = over(l, bg);
  const fg = over(rgba(getComputedStyle(el).color), bg);
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = (c) => {
    const [r, g, b] = c.slice(0, 3).map(channel);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_level_colours_meet_wcag_aa(browser: Any, dist_url: str, scheme: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, color_scheme=scheme)
    try:
        page = context.new_page()
        open_page(page, dist_url)
        statuses = [status(f"node_{lvl}: s", lvl, f"message {lvl}", "robot-1") for lvl in range(4)]
        feed(page, [hello(), *diagnostics(1, [*statuses, status("system_metrics: CPU", 1, "busy", "robot-1",
                                                                 {"usage %": "91"})])])
        page.wait_for_selector(f'{ROW}[data-name="node_3: s"]')
        page.wait_for_selector('[data-testid="alert-item"]')
        checked = 0
        # Every level badge: in the table, in the banner, on the cards; and the link state pill.
        for badge in page.locator(".badge .text").all() + page.locator('[data-testid="link-state"]').all():
            if not badge.is_visible():
                continue
            ratio = badge.evaluate(CONTRAST_JS)
            assert ratio >= 4.5, f"{scheme}: {badge.inner_text()!r} at {ratio:.2f}:1"
            checked += 1
        assert checked >= 8
        # Never colour alone: each level's badge carries its word and a mark.
        for lvl, word in enumerate(["OK", "WARN", "ERROR", "STALE"]):
            text = page.inner_text(f'{ROW}[data-name="node_{lvl}: s"] .badge')
            assert word in text and re.match(r"^[✓▲✕?]", text.strip())
        page.screenshot(path=str(ARTIFACTS / f"e2e-contrast-{scheme}.png"), full_page=True)
    finally:
        context.close()


def test_manual_theme_switch(page: Any, dist_url: str) -> None:
    open_page(page, dist_url)
    bg = "() => getComputedStyle(document.body).backgroundColor"
    light = page.evaluate(bg)
    page.click('[data-testid="theme-switch"]')  # system -> light
    assert page.evaluate(bg) == light
    page.click('[data-testid="theme-switch"]')  # light -> dark
    dark = page.evaluate(bg)
    r, g, b = (int(v) for v in re.findall(r"\d+", dark)[:3])
    assert r + g + b < 200
    # Remembered across a reload.
    page.reload()
    page.wait_for_function("() => window.chedweb !== undefined")
    assert page.evaluate(bg) == dark
    assert page.inner_text('[data-testid="theme-switch"]') == "Theme: dark"


def test_status_names_wrap_at_separators_on_a_phone(browser: Any, dist_url: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 800}, is_mobile=True)
    try:
        page = context.new_page()
        open_page(page, dist_url)
        long = "a_very_long_driver_node_name_that_goes_on_beyond_a_phone_width/nested: a_long_task_name"
        feed(page, [hello(), *diagnostics(1, [status(long, 0, "OK", "robot-1")])])
        cell = page.locator(f'{ROW}[data-name="{long}"] td.name')
        cell.wait_for()
        # Each rendered line of the name ends at a separator, never inside a word.
        lines = cell.evaluate("""(td) => {
          const range = document.createRange(); const text = td.textContent; const out = [];
          let line = ''; let top = null;
          const walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
          for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            for (let i = 0; i < n.length; i++) {
              range.setStart(n, i); range.setEnd(n, i + 1);
              const t = range.getBoundingClientRect().top;
              if (top !== null && t > top + 2) { out.push(line); line = ''; }
              top = t; line += n.data[i];
            }
          }
          out.push(line);
          return out;
        }""")
        assert len(lines) > 1
        assert "".join(lines) == long
        for line in lines[:-1]:
            assert line[-1] in "/:_.- ", lines
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
        # And the list fits the screen: no sideways scrolling inside its panel either.
        assert page.evaluate("() => document.querySelector('[data-testid=status-table]')"
                             ".getBoundingClientRect().right") <= 360
    finally:
        context.close()


def test_new_error_notifies_only_when_opted_in(browser: Any, dist_url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, permissions=["notifications"])
    try:
        page = context.new_page()
        open_page(page, dist_url)
        page.evaluate("""() => { window.__notes = [];
          window.Notification = class { static permission = 'granted';
            static requestPermission() { return Promise.resolve('granted'); }
            constructor(title, opts) { window.__notes.push(title + ': ' + opts.body); } }; }""")
        settings = '[data-testid="notify-settings"]'
        feed(page, [hello(), *diagnostics(1, [status("motor: current", 0, "OK", "motors")])])
        page.wait_for_selector(f'{ROW}[data-name="motor: current"]')
        # Not opted in: a new ERROR is shown, not notified.
        feed(page, diagnostics(2, [status("motor: current", 2, "over current", "motors")]))
        page.wait_for_selector('[data-testid="alert-item"][data-level="ERROR"]')
        assert page.get_attribute(settings, "data-fired") is None
        feed(page, diagnostics(3, [status("motor: current", 0, "OK", "motors")]))
        page.wait_for_selector('[data-testid="alert-item"]', state="detached")
        page.check('[data-testid="notify-toggle"]')
        feed(page, diagnostics(4, [status("motor: current", 2, "over current", "motors")]))
        page.wait_for_selector(f'{settings}[data-fired="1"]', timeout=3000)
        assert page.evaluate("() => window.__notes") == ["ChedWeb: new ERROR: motor: current: over current"]
        # The same ERROR again is not news.
        feed(page, diagnostics(5, [status("motor: current", 2, "still over current", "motors")]))
        page.wait_for_timeout(300)
        assert page.get_attribute(settings, "data-fired") == "1"
    finally:
        context.close()


def test_focused_row_keeps_focus_when_statuses_appear(page: Any, dist_url: str) -> None:
    # The list used to re-insert every row whenever a status appeared (replaceChildren), which took
    # keyboard focus off the focused row: a keyboard user lost their place at every new status.
    open_page(page, dist_url)
    feed(page, [hello(), *diagnostics(1, [status("b_node: two"), status("d_node: four")])])
    page.wait_for_selector(f'{ROW}[data-name="d_node: four"]')
    page.locator(f'{ROW}[data-name="d_node: four"]').focus()
    feed(page, diagnostics(2, [status("a_node: one"), status("c_node: three"), status("e_node: five")]))
    page.wait_for_function("() => document.querySelectorAll('[data-testid=status-row]').length === 5")
    assert names(page) == ["a_node: one", "b_node: two", "c_node: three", "d_node: four", "e_node: five"]
    assert page.evaluate("() => document.activeElement.dataset.name") == "d_node: four"
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.dataset.name") == "e_node: five"


def test_one_tab_stop_after_a_search_hides_and_brings_back_the_first_row(page: Any, dist_url: str) -> None:
    # Roving tabindex: one row of the list is in the tab order. When a search hid that row, the
    # next first row became the tab stop, and the hidden one came back still in the tab order: two
    # tab stops, so Tab stopped twice in the list.
    open_page(page, dist_url)
    three = [status("a_node: one"), status("b_node: two"), status("c_node: three")]
    feed(page, [hello(), *diagnostics(1, three)])
    page.wait_for_function("() => document.querySelectorAll('[data-testid=status-row]').length === 3")
    stops = f"() => [...document.querySelectorAll('{ROW}[tabindex=\"0\"]')].map(r => r.dataset.name)"
    assert page.evaluate(stops) == ["a_node: one"]
    page.fill('[data-testid="status-search"]', "b_node")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=status-row]').length === 1")
    assert page.evaluate(stops) == ["b_node: two"]
    page.fill('[data-testid="status-search"]', "")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=status-row]').length === 3")
    assert page.evaluate(stops) == ["b_node: two"]


def test_long_list_writes_rows_as_they_come_on_screen(page: Any, dist_url: str) -> None:
    # Over 200 rows, only the rows on screen are written each frame (content-visibility tells the
    # table which rows the browser skips); a row scrolled into view then shows the newest values.
    open_page(page, dist_url)
    many = [status(f"node_{k:03d}: s", 0, "first") for k in range(300)]
    feed(page, [hello(), *diagnostics(1, many)])
    page.wait_for_function("() => document.querySelectorAll('[data-testid=status-row]').length === 300")
    assert page.get_attribute('[data-testid="status-table"]', "data-long") == "true"
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    feed(page, diagnostics(2, [status(f"node_{k:03d}: s", 0, "second") for k in range(300)]))
    last = f'{ROW}[data-name="node_299: s"] td.message'
    first = f'{ROW}[data-name="node_000: s"] td.message'
    page.locator(first).scroll_into_view_if_needed()
    page.wait_for_function(f"() => document.querySelector('{first}').textContent === 'second'")
    # The last row is far off screen: not written yet.
    assert page.evaluate(f"() => document.querySelector('{last}').textContent") == "first"
    page.locator(last).scroll_into_view_if_needed()
    page.wait_for_function(f"() => document.querySelector('{last}').textContent === 'second'")


def test_statuses_added_to_a_long_list_move_no_rows_of_other_row_groups(page: Any, dist_url: str) -> None:
    # A long list's rows are in row groups (a tbody each, skipped off screen). Cut by position, 10
    # statuses sorting first shifted a row across every later group boundary (about 60 rows moved
    # between tbodies for 300 rows; at 1,000 rows and 32 new a frame, 25 ms a frame); groups that
    # keep their rows move only the rows past the first group's limit.
    open_page(page, dist_url)
    feed(page, [hello(), *diagnostics(1, [status(f"node_{k:03d}: s") for k in range(100, 400)])])
    page.wait_for_function("() => document.querySelectorAll('[data-testid=status-row]').length === 300")
    assert page.get_attribute('[data-testid="status-table"]', "data-long") == "true"
    page.evaluate("""() => {
        window.movedRows = 0;
        const table = document.querySelector('[data-testid="status-table"]');
        // A row removed from one tbody and still in the page was moved to another.
        window.countMoves = (records) => {
            for (const r of records) for (const n of r.removedNodes)
                if (n.matches?.('tr.status') && n.isConnected) window.movedRows += 1;
        };
        window.rowMoves = new MutationObserver(window.countMoves);
        for (const body of table.tBodies) window.rowMoves.observe(body, { childList: true });
    }""")
    feed(page, diagnostics(2, [status(f"node_{k:03d}: s") for k in range(10)]))
    page.wait_for_function("() => document.querySelectorAll('[data-testid=status-row]').length === 310")
    moved = page.evaluate(
        "() => { window.countMoves(window.rowMoves.takeRecords()); return window.movedRows; }")
    assert moved <= 10, f"{moved} rows moved between row groups"
    assert names(page)[:11] == [f"node_{k:03d}: s" for k in range(10)] + ["node_100: s"]
