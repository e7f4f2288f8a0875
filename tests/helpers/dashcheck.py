#!/usr/bin/python3
"""Load a dashboard page in Debian's headless Chromium (selenium + chromedriver) and report
what a browser sees: console messages, the point elements in the live DOM per metric and
panel, the URLs the page requested, and a screenshot.

Usage: tests/helpers/dashcheck.py PAGE.html PROFILE_DIR [SCREENSHOT.png]
Prints one JSON object: {"console": [{"level", "message"}...], "points": {"PANEL METRIC": N},
"cells": N, "changepoints": [...], "requests": [URL... the page's document asked for], "title": ..., "width": ..., "height": ...}.
Exit status 0 when the page loaded (whatever it contains), 3 when the browser could not run.
"""
import json
import os
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def main():
    page, profile = os.path.abspath(sys.argv[1]), sys.argv[2]
    shot = sys.argv[3] if len(sys.argv) > 3 else None
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--no-first-run", "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--disable-extensions", "--window-size=1400,1000",
              "--user-data-dir=" + profile):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    try:
        drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    except Exception as e:  # the browser is missing or cannot start
        print("dashcheck: cannot start chromium: %s" % str(e).splitlines()[0], file=sys.stderr)
        return 3
    try:
        drv.get_log("performance")  # the browser's own start-up (its new-tab page): not ours
        drv.get("file://" + page)
        res = {"title": drv.title}
        res["console"] = [{"level": e["level"], "message": e["message"]}
                          for e in drv.get_log("browser")]
        pts = {}
        for el in drv.find_elements("css selector", "circle.pt"):
            k = "%s %s" % (el.get_attribute("data-panel"), el.get_attribute("data-metric"))
            pts[k] = pts.get(k, 0) + 1
        res["points"] = pts
        res["cells"] = len(drv.find_elements("css selector", "rect.cell"))
        res["changepoints"] = [{"metric": e.get_attribute("data-metric"),
                                "index": int(e.get_attribute("data-index")),
                                "direction": e.get_attribute("data-direction")}
                               for e in drv.find_elements("css selector", "#metrics g.cp")]
        res["rows"] = len(drv.find_elements("css selector", "#runs tr[id^=run-]"))
        # every request the page's document made (the browser's own pages have other URLs)
        reqs = []
        for e in drv.get_log("performance"):
            m = json.loads(e["message"])["message"]
            if m.get("method") == "Network.requestWillBeSent" and \
                    m["params"].get("documentURL", "").startswith("file://"):
                reqs.append(m["params"]["request"]["url"])
        res["requests"] = reqs
        h = drv.execute_script("return document.documentElement.scrollHeight")
        res["width"], res["height"] = 1400, h
        if shot:
            drv.set_window_size(1400, min(h + 120, 16000))
            drv.save_screenshot(shot)
        print(json.dumps(res))
    finally:
        drv.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
