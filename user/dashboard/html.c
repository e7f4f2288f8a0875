// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The dashboard page: one HTML file with inline CSS and SVG, no script and no network
 * (a Content-Security-Policy of default-src 'none' says so to the browser). Every string
 * from a document is UTF-8 sanitized and HTML escaped.
 */
#include <stdlib.h>
#include <string.h>
#include "dashboard/dash.h"
#include "output.h"

#ifndef PVTRACE_VERSION
#define PVTRACE_VERSION "unknown"
#endif

const char *dash_str(json_object *o, const char *key, char *buf, size_t len)
{
	json_object *v;

	buf[0] = 0;
	if (o && json_object_object_get_ex(o, key, &v) && v)
		snprintf(buf, len, "%s", json_object_get_string(v));
	return buf;
}

static const char css[] =
	"*{box-sizing:border-box}"
	"body{margin:0;background:#eef0f3;color:#1d2430;font:13px/1.45 -apple-system,'Segoe UI',"
	"Roboto,'DejaVu Sans',Arial,sans-serif}"
	"header{background:#1d2430;color:#e8ecf2;padding:18px 28px 14px}"
	"header h1{margin:0 0 4px;font-size:21px;font-weight:600;letter-spacing:.2px}"
	"header .meta{color:#aab4c3;font-size:12.5px}"
	"nav{background:#283142;padding:6px 28px;font-size:12.5px}"
	"nav a{color:#cfd8e6;text-decoration:none;margin-right:18px}"
	"main{max-width:1400px;margin:0 auto;padding:14px 20px 40px}"
	"section{background:#fff;border:1px solid #d5dae1;border-radius:6px;margin:14px 0;"
	"padding:12px 16px 14px}"
	"h2{font-size:15px;margin:0 0 2px;font-weight:600}"
	"p.note{margin:0 0 10px;color:#5b6676;font-size:12px}"
	".grid{display:flex;flex-wrap:wrap;gap:12px}"
	"svg.plot{background:#fff;border:1px solid #e3e7ec;border-radius:4px;max-width:100%;"
	"height:auto}"
	"svg{font-family:-apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif}"
	".pt-title{font-size:12.5px;font-weight:600;fill:#1d2430}"
	".pt-sub{font-size:10.5px;fill:#6b7685}"
	".tl{font-size:10px;fill:#4a5563}.at{font-size:10.5px;fill:#4a5563}"
	".tk{stroke:#8a94a3}line.gl{stroke:#e6e9ee;stroke-width:1}"
	".frame{fill:none;stroke:#b9c1cc}.frame.empty{fill:#f7f8fa;stroke-dasharray:4 3}"
	".nodata{font-size:15px;fill:#8a94a3;font-weight:600}"
	".band{fill-opacity:.16;stroke:none}"
	".med{fill:none;stroke-width:1.8}"
	".seg{stroke-width:1;stroke-dasharray:5 3;opacity:.75}"
	"circle.pt{stroke:#fff;stroke-width:1}a:hover circle.pt{r:5}"
	".cpl{stroke-width:1.4;stroke-dasharray:3 2}"
	".cp.worse .cpl{stroke:#c92a2a}.cp.better .cpl{stroke:#2b8a3e}"
	".cpt{font-size:10.5px;font-weight:600}"
	".cp.worse .cpt{fill:#c92a2a}.cp.better .cpt{fill:#2b8a3e}"
	".lg{font-size:10.5px;fill:#3d4757}.lgb{fill-opacity:.22}"
	".hmbg{fill:#f3f4f6}"
	"table{border-collapse:collapse;width:100%;font-size:12px}"
	"th{text-align:left;background:#f3f5f8;color:#3d4757;font-weight:600;border-bottom:1px "
	"solid #d5dae1;padding:5px 7px;white-space:nowrap}"
	"td{border-bottom:1px solid #eceff3;padding:4px 7px;vertical-align:top;white-space:nowrap}"
	"td.wrap{white-space:normal;min-width:8em}"
	".scroll{overflow-x:auto}"
	"td.mono,span.mono{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:11.5px}"
	"tr:target{background:#fff3bf}"
	".worse{color:#c92a2a;font-weight:600}.better{color:#2b8a3e;font-weight:600}"
	"a{color:#1c5fb8}";

static void th_row(FILE *f, const char *const *cols, size_t n)
{
	fprintf(f, "<tr>");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "<th>%s</th>", cols[i]);
	fprintf(f, "</tr>\n");
}

static void td(FILE *f, const char *cls, const char *s)
{
	fprintf(f, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	if (s && *s)
		markup_puts(f, s);
	else
		fputs("\u2014", f);
	fputs("</td>", f);
}

/* a long hash: its first 12 characters after the algorithm, the whole in a tooltip */
static void td_hash(FILE *f, const char *s)
{
	const char *colon = strchr(s, ':'), *hex = colon ? colon + 1 : s;

	if (strlen(hex) <= 16) {
		td(f, "mono", s);
		return;
	}
	fprintf(f, "<td class=\"mono\" title=\"");
	markup_puts(f, s);
	fprintf(f, "\">");
	if (colon) {
		char alg[32];

		snprintf(alg, sizeof(alg), "%.*s", (int)(colon - s), s);
		markup_puts(f, alg);
		fputc(':', f);
	}
	{
		char head[13];

		memcpy(head, hex, 12);
		head[12] = 0;
		markup_puts(f, head);
	}
	fputs("\u2026</td>", f);
}

static void runs_table(FILE *f, const struct dmodel *m)
{
	static const char *const cols[] = { "#",      "started", "benchmark",  "label",
					    "runs",   "kernel",	 "build id",   "config hash",
					    "CPU",    "CPUs",	 "hypervisor", "emulated",
					    "attach", "pvtrace", "host" };
	static const char *const fpk[] = {
		"kernel_build_id", "config_hash", "cpu_model",	     "cpus",	"hypervisor",
		"emulated",	   "attach_mode", "pvtrace_version", "hostname"
	};

	fprintf(f,
		"<section id=\"runs\"><h2>Results and their fingerprints</h2><p "
		"class=\"note\">One row per result document, in series order; every point of the "
		"plots links here.</p><table>\n");
	th_row(f, cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t i = 0; i < m->n; i++) {
		json_object *doc = m->docs[i].doc, *fp = json_object_object_get(doc, "fingerprint");
		char b[512], k[256];

		fprintf(f, "<tr id=\"run-%zu\"><td>%zu</td>", m->docs[i].run, m->docs[i].run);
		td(f, "mono", m->docs[i].started);
		td(f, NULL, m->docs[i].benchmark);
		td(f, "wrap", m->docs[i].label);
		td(f, NULL, dash_str(doc, "runs", b, sizeof(b)));
		dash_str(fp, "kernel_release", k, sizeof(k));
		td(f, "mono", k[0] ? k : dash_str(doc, "kernel", b, sizeof(b)));
		for (size_t c = 0; c < sizeof(fpk) / sizeof(fpk[0]); c++) {
			dash_str(fp, fpk[c], b, sizeof(b));
			if (c < 2 && b[0])
				td_hash(f, b);
			else
				td(f, c < 2 ? "mono" : c == 2 ? "wrap" : NULL, b);
		}
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table></div></section>\n");
}

static void changes_table(FILE *f, const struct dmodel *m)
{
	static const char *const cols[] = { "metric",	    "label",  "at result", "median before",
					    "median after", "change", "verdict" };
	size_t n = 0;

	fprintf(f,
		"<section id=\"changes\"><h2>Change points</h2><p class=\"note\">E-divisive "
		"means over each line's medians (\u03b1 = %.2f, %d permutations); changes "
		"smaller than the metric's practical threshold are not shown.</p>\n",
		DASH_CP_ALPHA, DASH_CP_PERMS);
	for (size_t i = 0; i < m->nm; i++)
		for (size_t k = 0; k < m->m[i].nlines; k++)
			n += m->m[i].lines[k].ncp;
	if (!n) {
		fprintf(f, "<p>No change point in any metric.</p></section>\n");
		return;
	}
	fprintf(f, "<table>");
	th_row(f, cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t i = 0; i < m->nm; i++) {
		const struct dmetric *d = &m->m[i];
		bool higher = !strcmp(d->better, "higher");

		for (size_t k = 0; k < d->nlines; k++)
			for (size_t c = 0; c < d->lines[k].ncp; c++) {
				const struct dline *l = &d->lines[k];
				const struct dcp *cp = &l->cps[c];
				size_t run = m->docs[l->pts[cp->at].doc].run;
				bool bad = higher ? cp->after < cp->before : cp->after > cp->before;

				fprintf(f, "<tr><td>%s / ", d->benchmark);
				markup_puts(f, d->name);
				fprintf(f, "</td>");
				td(f, NULL, l->label);
				char b1[32], b2[32];

				fprintf(f, "<td><a href=\"#run-%zu\">#%zu</a></td><td>%s ", run,
					run, dash_fmt_num(b1, sizeof(b1), cp->before));
				markup_puts(f, d->unit);
				fprintf(f, "</td><td>%s ", dash_fmt_num(b2, sizeof(b2), cp->after));
				markup_puts(f, d->unit);
				fprintf(f,
					"</td><td class=\"%s\">%+.1f%%</td><td "
					"class=\"%s\">%s</td></tr>\n",
					bad ? "worse" : "better",
					cp->before ? (cp->after / cp->before - 1) * 100 : 0,
					bad ? "worse" : "better",
					bad ? "regression" : "improvement");
			}
	}
	fprintf(f, "</table></section>\n");
}

static void metric_or_missing(FILE *f, const struct dmodel *m, const char *bench, const char *name,
			      const char *panel, const char *title, int w, int h)
{
	const struct dmetric *d = dash_metric_find(m, bench, name);
	char why[160];

	if (d) {
		panel_metric(f, m, d, panel, w, h, title);
		return;
	}
	snprintf(why, sizeof(why), "no %s result in this series has %s", bench, name);
	panel_missing(f, title, why, w, h);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static void hist_names(FILE *f, const struct dmodel *m)
{
	const char **names = NULL;
	size_t n = 0;

	for (size_t i = 0; i < m->n; i++) {
		json_object *hs;

		if (strcmp(m->docs[i].benchmark, "ioctl") ||
		    !json_object_object_get_ex(m->docs[i].doc, "histograms", &hs))
			continue;
		for (size_t k = 0; k < json_object_array_length(hs); k++) {
			const char *nm = json_object_get_string(
				json_object_object_get(json_object_array_get_idx(hs, k), "name"));
			size_t j = 0;
			const char **nn;

			while (j < n && strcmp(names[j], nm))
				j++;
			if (j < n)
				continue;
			nn = realloc(names, (n + 1) * sizeof(*nn));
			if (!nn)
				break;
			names = nn;
			names[n++] = nm;
		}
	}
	fprintf(f, "<section id=\"heatmaps\"><h2>Latency histograms over the series</h2><p "
		   "class=\"note\">bench ioctl: one column per result, one row per log2 latency "
		   "bucket; colour: the bucket's share of that result's samples.</p><div "
		   "class=\"grid\">\n");
	for (size_t i = 0; i < n; i++)
		panel_heatmap(f, m, names[i]);
	if (!n)
		panel_missing(f, "latency histograms",
			      "no ioctl result in this series has histograms", 646, 120);
	fprintf(f, "</div></section>\n");
	free(names);
}

static void header(FILE *f, const struct dmodel *m, const char *title)
{
	fprintf(f,
		"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		"style-src 'unsafe-inline'\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<meta name=\"generator\" content=\"pvtrace %s\">\n<title>",
		PVTRACE_VERSION);
	markup_puts(f, title);
	fprintf(f, "</title>\n<style>%s</style></head>\n<body>\n<header><h1>", css);
	markup_puts(f, title);
	fprintf(f, "</h1><div class=\"meta\">%zu results (ioctl %zu, regs %zu, overhead %zu)", m->n,
		m->nx[0], m->nx[1], m->nx[2]);
	if (m->n) {
		fprintf(f, " \u00b7 from %s to %s", m->docs[0].started, m->docs[m->n - 1].started);
	}
	fprintf(f,
		" \u00b7 points: median over runs, band: p10\u2013p90 over runs \u00b7 pvtrace "
		"%s</div></header>\n",
		PVTRACE_VERSION);
	fprintf(f, "<nav><a href=\"#changes\">Change points</a><a href=\"#speedup\">MANY_REGS "
		   "speedup</a><a href=\"#overhead\">Tracing overhead</a><a href=\"#ioctl\">ioctl "
		   "commands</a><a href=\"#heatmaps\">Histograms</a><a href=\"#metrics\">All "
		   "metrics</a><a href=\"#runs\">Results</a></nav>\n<main>\n");
}

int dash_render(FILE *f, const struct dmodel *m, const char *title)
{
	size_t nsmall = 0;

	header(f, m, title);
	changes_table(f, m);
	fprintf(f,
		"<section id=\"speedup\"><h2>MANY_REGS speedup</h2><p class=\"note\">bench "
		"regs: time of the ONE_REG loop over the time of one MANY_REGS call for the same "
		"registers (higher is better).</p><div class=\"grid\">\n");
	metric_or_missing(f, m, "regs", "ratio.get_one_over_many", "speedup",
			  "get: ONE_REG / MANY_REGS", 646, 250);
	metric_or_missing(f, m, "regs", "ratio.set_one_over_many", "speedup",
			  "set: ONE_REG / MANY_REGS", 646, 250);
	fprintf(f, "</div></section>\n<section id=\"overhead\"><h2>Tracing overhead</h2><p "
		   "class=\"note\">bench overhead: time pvtrace's tracing adds to each ioctl "
		   "(traced \u2212 untraced).</p><div class=\"grid\">\n");
	metric_or_missing(f, m, "overhead", "added_ns", "overhead", "added time per ioctl", 646,
			  250);
	if (dash_metric_find(m, "overhead", "ratio.traced_over_untraced"))
		metric_or_missing(f, m, "overhead", "ratio.traced_over_untraced", "overhead",
				  "traced / untraced", 646, 250);
	fprintf(f,
		"</div></section>\n<section id=\"ioctl\"><h2>ioctl commands: median "
		"latency</h2><p class=\"note\">bench ioctl: each command's p50 per run, one small "
		"plot per command.</p><div class=\"grid\">\n");
	for (size_t i = 0; i < m->nm; i++) {
		const struct dmetric *d = &m->m[i];
		char t[128];

		if (strcmp(d->benchmark, "ioctl") || !ends_with(d->name, ".p50"))
			continue;
		snprintf(t, sizeof(t), "%.*s", (int)(strlen(d->name) - 4), d->name);
		panel_metric(f, m, d, "ioctl", 317, 210, t);
		nsmall++;
	}
	if (!nsmall)
		panel_missing(f, "ioctl commands", "no ioctl result in this series", 646, 120);
	fprintf(f, "</div></section>\n");
	hist_names(f, m);
	fprintf(f,
		"<section id=\"metrics\"><h2>All metrics</h2><p class=\"note\">Every metric "
		"(benchmark / name): median over runs per result, p10\u2013p90 band, one line "
		"per machine (or label); change points as dashed lines with the medians before and "
		"after.</p><div class=\"grid\">\n");
	for (size_t i = 0; i < m->nm; i++) {
		char t[192];

		snprintf(t, sizeof(t), "%s / %s", m->m[i].benchmark, m->m[i].name);
		panel_metric(f, m, &m->m[i], "metric", 646, 250, t);
	}
	fprintf(f, "</div></section>\n");
	runs_table(f, m);
	fprintf(f, "</main></body></html>\n");
	return ferror(f) ? -1 : 0;
}
