#!/usr/bin/python3
"""Read a dashboard page (pvtrace dashboard's index.html) with Python's html.parser, no
browser, and print what it holds as one JSON object:

  points:       {"PANEL BENCH/METRIC": count of <circle class="pt">}
  runs:         {"PANEL BENCH/METRIC": [data-run of each point, in document order]}
  stats:        {"PANEL BENCH/METRIC": [[median, p10, p90] of each point, in document order]}
  changepoints: [{"panel", "metric", "index", "run", "direction", "change", "verdict"}]
  rows:         [{"id": "run-N", "cells": [text...]}] of the results table
  hrefs:        the href of every link around a point, a heatmap column or a table cell
  ids:          every id in the page
  nodata:       the titles of the panels that say "no data", per section id
  cells:        the heatmap cells' count; scripts: <script> elements; csp: the CSP meta
  urls:         every http(s):// or // reference in an attribute
Usage: tests/helpers/dashparse.py PAGE.html (the page must be valid UTF-8).
"""
import json
import re
import sys
from html.parser import HTMLParser


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.points, self.runs, self.cps, self.rows, self.stats = {}, {}, [], [], {}
        self.hrefs, self.ids, self.urls, self.nodata = [], [], [], {}
        self.cells = self.scripts = 0
        self.csp = None
        self.section = None
        self.row = None
        self.td = None
        self.title_text = None
        self.in_nodata = False
        self.nodata_svg_title = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k, v in attrs:
            if v and re.search(r"(https?:)?//", v) and k in ("href", "src", "xlink:href",
                                                               "action", "style", "content"):
                self.urls.append(v)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "section":
            self.section = a.get("id")
        elif tag == "script":
            self.scripts += 1
        elif tag == "meta" and a.get("http-equiv", "").lower() == "content-security-policy":
            self.csp = a.get("content")
        elif tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        elif tag == "svg" and "nodata" in a.get("class", "").split():
            self.nodata.setdefault(self.section, []).append(a.get("aria-label"))
        elif tag == "circle" and a.get("class") == "pt":
            k = "%s %s" % (a.get("data-panel"), a.get("data-metric"))
            self.points[k] = self.points.get(k, 0) + 1
            self.runs.setdefault(k, []).append(int(a["data-run"]))
            self.stats.setdefault(k, []).append([float(a[x]) for x in
                                                 ("data-median", "data-p10", "data-p90")])
        elif tag == "rect" and a.get("class") == "cell":
            self.cells += 1
        elif tag == "g" and "cp" in a.get("class", "").split():
            cls = a["class"].split()
            self.cps.append({"section": self.section, "metric": a.get("data-metric"),
                             "label": a.get("data-label"), "index": int(a["data-index"]),
                             "run": int(a["data-run"]), "direction": a.get("data-direction"),
                             "change": float(a["data-change"]),
                             "before": float(a["data-before"]), "after": float(a["data-after"]),
                             "verdict": "worse" if "worse" in cls else "better"})
        elif tag == "tr" and a.get("id", "").startswith("run-"):
            self.row = {"id": a["id"], "cells": []}
        elif tag == "td" and self.row is not None:
            self.td = ""

    def handle_endtag(self, tag):
        if tag == "td" and self.row is not None and self.td is not None:
            self.row["cells"].append(self.td)
            self.td = None
        elif tag == "tr" and self.row is not None:
            self.rows.append(self.row)
            self.row = None
        elif tag == "section":
            self.section = None

    def handle_data(self, data):
        if self.td is not None:
            self.td += data


def main():
    raw = open(sys.argv[1], "rb").read()
    text = raw.decode("utf-8")  # strict: the page must be valid UTF-8
    p = Page()
    p.feed(text)
    p.close()
    print(json.dumps({"points": p.points, "runs": p.runs, "stats": p.stats, "changepoints": p.cps,
                      "rows": p.rows, "hrefs": p.hrefs, "ids": p.ids, "nodata": p.nodata,
                      "cells": p.cells, "scripts": p.scripts, "csp": p.csp, "urls": p.urls}))


if __name__ == "__main__":
    main()
