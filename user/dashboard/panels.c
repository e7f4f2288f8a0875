// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The dashboard's plots, as inline SVG: a metric over the series (median and p10-p90
 * band per label, change points marked), and a histogram heatmap (x: result, y: log2
 * bucket, colour: share of the samples). Every point is <a href="#run-N"> to its
 * fingerprint row, with data attributes a test can count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dashboard/dash.h"
#include "output.h"

static const char *const palette[] = { "#1f77b4", "#d62728", "#2ca02c", "#9467bd",
				       "#ff7f0e", "#17becf", "#8c564b", "#e377c2" };
#define NPAL (sizeof(palette) / sizeof(palette[0]))

/* The unit values are drawn in: ns grow into us and ms, as the largest value needs. */
struct dunit {
	double div;
	const char *name;
};

static struct dunit display_unit(const char *unit, double maxabs)
{
	if (!strcmp(unit, "ns") || !strcmp(unit, "us")) {
		double ns = !strcmp(unit, "us") ? maxabs * 1e3 : maxabs;
		double base = !strcmp(unit, "us") ? 1e3 : 1;

		if (ns >= 1e7)
			return (struct dunit){ 1e6 / base, "ms" };
		if (ns >= 1e4)
			return (struct dunit){ 1e3 / base, "\u00b5s" };
		return (struct dunit){ 1 / base, "ns" };
	}
	if (!strcmp(unit, "x"))
		return (struct dunit){ 1, "\u00d7" };
	return (struct dunit){ 1, unit };
}

const char *dash_fmt_num(char *buf, size_t len, double v)
{
	double a = fabs(v);

	if (a >= 1000)
		snprintf(buf, len, "%.0f", v);
	else if (a >= 100)
		snprintf(buf, len, "%.1f", v);
	else if (a >= 10)
		snprintf(buf, len, "%.2f", v);
	else
		snprintf(buf, len, "%.3f", v);
	return buf;
}

/* ticks at multiples of a 1-2-5 step covering [lo, hi], about n of them */
static double nice_step(double lo, double hi, int n)
{
	double raw = (hi - lo) / n, mag, norm;

	if (!(raw > 0))
		return 1;
	mag = pow(10, floor(log10(raw)));
	norm = raw / mag;
	return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

static const char *fmt_tick(char *buf, size_t len, double v, double step)
{
	int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);

	if (fabs(v) < step * 1e-6)
		v = 0;
	snprintf(buf, len, "%.*f", dec, v);
	return buf;
}

struct frame {
	FILE *f;
	int w, h, ml, mr, mt, mb;
	double x0, x1, y0, y1;
};

static double fx(const struct frame *p, double x)
{
	return p->ml + (x - p->x0) / (p->x1 - p->x0) * (p->w - p->ml - p->mr);
}

static double fy(const struct frame *p, double y)
{
	return p->h - p->mb - (y - p->y0) / (p->y1 - p->y0) * (p->h - p->mt - p->mb);
}

/* the documents of a benchmark, by their x */
static const struct ddoc **bench_docs(const struct dmodel *m, const char *bench, size_t *n)
{
	int b = dash_bench_index(bench);
	const struct ddoc **v = calloc(m->nx[b] ? m->nx[b] : 1, sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->docs[i].benchmark, bench))
			v[(*n)++] = &m->docs[i];
	return v;
}

/*
 * the x axis: a tick per result (thinned out to 30 px apart), named by its label where
 * there are 40 px a result for it, else by its run number
 */
static void x_axis(const struct frame *p, const struct ddoc **xd, size_t nx)
{
	size_t fit = (size_t)((p->w - p->ml - p->mr) / 30), every;
	double yb = p->h - p->mb, per = (p->w - p->ml - p->mr) / (double)(nx ? nx : 1);
	bool named = per >= 40;

	fit = fit ? fit : 1;
	every = nx > fit ? (nx + fit - 1) / fit : 1;
	fprintf(p->f, "<g class=\"xaxis\">");
	for (size_t i = 0; i < nx; i += every) {
		fprintf(p->f,
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"tk\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" class=\"tl\" text-anchor=\"middle\">",
			fx(p, (double)i), yb, fx(p, (double)i), yb + 4, fx(p, (double)i), yb + 15);
		if (named) {
			char cut[64];
			int room = (int)(per / 6.2) < 63 ? (int)(per / 6.2) : 63;

			snprintf(cut, sizeof(cut), "%.*s", room, xd[i]->label);
			markup_puts(p->f, cut);
		} else {
			fprintf(p->f, "#%zu", xd[i]->run);
		}
		fprintf(p->f, "</text>");
	}
	fprintf(p->f,
		"<text x=\"%.1f\" y=\"%d\" class=\"at\" text-anchor=\"middle\">%s (series "
		"order: started time)</text></g>",
		(p->ml + p->w - p->mr) / 2.0, p->h - 6, named ? "result label" : "result #");
}

/* horizontal grid and y tick labels in the display unit, axis title */
static void y_axis(const struct frame *p, double div, const char *uname, const char *title)
{
	double step = nice_step(p->y0, p->y1, 5);
	char b[48];

	fprintf(p->f, "<g class=\"yaxis\">");
	double t0 = ceil(p->y0 / step) * step;

	/* t from an integer count: a step small against the values cannot stall the loop */
	for (int i = 0; i < 40 && t0 + i * step <= p->y1 + step * 1e-9; i++) {
		double t = t0 + i * step;

		fprintf(p->f,
			"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"gl\"/>"
			"<text x=\"%d\" y=\"%.1f\" class=\"tl\" text-anchor=\"end\">%s</text>",
			p->ml, fy(p, t), p->w - p->mr, fy(p, t), p->ml - 5, fy(p, t) + 3.5,
			fmt_tick(b, sizeof(b), t / div, step / div));
	}
	fprintf(p->f,
		"<text class=\"at\" text-anchor=\"middle\" transform=\"translate(13 %.1f) "
		"rotate(-90)\">",
		(p->mt + p->h - p->mb) / 2.0);
	markup_puts(p->f, title);
	fprintf(p->f, " (%s)</text>", uname);
	fprintf(p->f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"frame\"/></g>",
		p->ml, p->mt, p->w - p->ml - p->mr, p->h - p->mt - p->mb);
}

static void svg_open(FILE *f, int w, int h, const char *cls, const char *title)
{
	fprintf(f,
		"<svg class=\"%s\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
		"aria-label=\"",
		cls, w, h, w, h);
	markup_puts(f, title);
	fprintf(f, "\">");
}

void panel_missing(FILE *f, const char *title, const char *why, int w, int h)
{
	svg_open(f, w, h, "plot nodata", title);
	fprintf(f, "<text x=\"12\" y=\"20\" class=\"pt-title\">");
	markup_puts(f, title);
	fprintf(f,
		"</text><rect x=\"12\" y=\"32\" width=\"%d\" height=\"%d\" class=\"frame empty\"/>"
		"<text x=\"%d\" y=\"%d\" class=\"nodata\" text-anchor=\"middle\">no data</text>"
		"<text x=\"%d\" y=\"%d\" class=\"tl\" text-anchor=\"middle\">",
		w - 24, h - 44, w / 2, h / 2 + 4, w / 2, h / 2 + 22);
	markup_puts(f, why);
	fprintf(f, "</text></svg>\n");
}

static bool worse(const struct dmetric *d, const struct dcp *c)
{
	return !strcmp(d->better, "higher") ? c->after < c->before : c->after > c->before;
}

/*
 * A change point: the dashed line between the last point before and the first after, its
 * text (direction, percent, medians before and after) in row `slot` at the top, so that
 * the texts of nearby changes do not overlap; the label too when the plot has several.
 */
static void changepoint(const struct frame *p, const struct dmetric *d, const struct dmodel *m,
			const struct dline *l, const struct dcp *c, struct dunit u, int slot)
{
	double xa = (double)m->docs[l->pts[c->at - 1].doc].x,
	       xb = (double)m->docs[l->pts[c->at].doc].x;
	double x = fx(p, (xa + xb) / 2), pc = c->before ? (c->after / c->before - 1) * 100 : 0;
	bool bad = worse(d, c), right = x < (p->ml + p->w - p->mr) / 2.0;
	char b1[32], b2[32];

	fprintf(p->f, "<g class=\"cp %s\" data-metric=\"%s/", bad ? "worse" : "better",
		d->benchmark);
	markup_puts(p->f, d->name);
	fprintf(p->f, "\" data-label=\"");
	markup_puts(p->f, l->label);
	fprintf(p->f,
		"\" data-index=\"%zu\" data-run=\"%zu\" data-before=\"%.9g\" data-after=\"%.9g\" "
		"data-change=\"%+.2f\" data-direction=\"%s\">",
		c->at, m->docs[l->pts[c->at].doc].run, c->before, c->after, pc,
		c->after > c->before ? "up" : "down");
	fprintf(p->f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"cpl\"/>", x, p->mt,
		x, p->h - p->mb);
	fprintf(p->f,
		"<text x=\"%.1f\" y=\"%d\" class=\"cpt\" text-anchor=\"%s\">%s %+.1f%%  %s \u2192 "
		"%s %s",
		x + (right ? 4 : -4), p->mt + 12 + 12 * slot, right ? "start" : "end",
		c->after > c->before ? "\u25b2" : "\u25bc", pc,
		dash_fmt_num(b1, sizeof(b1), c->before / u.div),
		dash_fmt_num(b2, sizeof(b2), c->after / u.div), u.name);
	if (d->nlines > 1 && p->w >= 500) {
		fprintf(p->f, " (");
		markup_puts(p->f, l->label);
		fprintf(p->f, ")");
	}
	fprintf(p->f, "</text></g>");
}

/* dashed segment medians between change points */
static void segments(const struct frame *p, const struct dmodel *m, const struct dline *l,
		     const char *color)
{
	for (size_t i = 0; i <= l->ncp; i++) {
		size_t lo = i ? l->cps[i - 1].at : 0, hi = i < l->ncp ? l->cps[i].at : l->n;
		double y = i < l->ncp ? l->cps[i].before : l->cps[l->ncp - 1].after;

		fprintf(p->f,
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"seg\" "
			"stroke=\"%s\"/>",
			fx(p, (double)m->docs[l->pts[lo].doc].x - 0.3), fy(p, y),
			fx(p, (double)m->docs[l->pts[hi - 1].doc].x + 0.3), fy(p, y), color);
	}
}

static void line_draw(const struct frame *p, const struct dmodel *m, const struct dmetric *d,
		      const struct dline *l, const char *panel, const char *color, struct dunit u)
{
	char b1[32], b2[32], b3[32];

	/* the p10-p90 band, then the median line */
	fprintf(p->f, "<polygon class=\"band\" fill=\"%s\" points=\"", color);
	for (size_t i = 0; i < l->n; i++)
		fprintf(p->f, "%.1f,%.1f ", fx(p, (double)m->docs[l->pts[i].doc].x),
			fy(p, l->pts[i].hi));
	for (size_t i = l->n; i-- > 0;)
		fprintf(p->f, "%.1f,%.1f ", fx(p, (double)m->docs[l->pts[i].doc].x),
			fy(p, l->pts[i].lo));
	fprintf(p->f, "\"/><polyline class=\"med\" stroke=\"%s\" points=\"", color);
	for (size_t i = 0; i < l->n; i++)
		fprintf(p->f, "%.1f,%.1f ", fx(p, (double)m->docs[l->pts[i].doc].x),
			fy(p, l->pts[i].med));
	fprintf(p->f, "\"/>");
	if (l->ncp)
		segments(p, m, l, color);
	for (size_t i = 0; i < l->n; i++) {
		const struct dpoint *pt = &l->pts[i];
		const struct ddoc *dd = &m->docs[pt->doc];

		fprintf(p->f,
			"<a href=\"#run-%zu\"><circle class=\"pt\" data-panel=\"%s\" "
			"data-metric=\"%s/",
			dd->run, panel, d->benchmark);
		markup_puts(p->f, d->name);
		fprintf(p->f,
			"\" data-run=\"%zu\" data-median=\"%.9g\" data-p10=\"%.9g\" "
			"data-p90=\"%.9g\" "
			"cx=\"%.1f\" cy=\"%.1f\" r=\"3.2\" fill=\"%s\"><title>#%zu ",
			dd->run, pt->med, pt->lo, pt->hi, fx(p, (double)dd->x), fy(p, pt->med),
			color, dd->run);
		markup_puts(p->f, dd->label);
		fprintf(p->f, " \u00b7 %s\nmedian %s %s (p10 %s, p90 %s)</title></circle></a>",
			dd->started, dash_fmt_num(b1, sizeof(b1), pt->med / u.div), u.name,
			dash_fmt_num(b2, sizeof(b2), pt->lo / u.div),
			dash_fmt_num(b3, sizeof(b3), pt->hi / u.div));
	}
}

/* at most max characters (code points) of s into buf; returns how many */
static size_t utf8_prefix(char *buf, size_t len, const char *s, size_t max)
{
	size_t i = 0, chars = 0;

	while (s[i] && chars < max) {
		size_t j = i + 1;

		while ((s[j] & 0xc0) == 0x80)
			j++;
		if (j >= len)
			break;
		i = j;
		chars++;
	}
	memcpy(buf, s, i);
	buf[i] = 0;
	return chars;
}

#define LEGEND_MAX 40 /* characters of a line's name in a legend */

/*
 * one row under the title: a swatch per label (line and band) while they fit, "+N more"
 * for the rest, and what the band is when there is room for it
 */
static void legend(const struct frame *p, const struct dmetric *d)
{
	double x = p->ml, y = p->mt - 8, right = p->w - p->mr;
	size_t k;

	for (k = 0; k < d->nlines; k++) {
		char cut[LEGEND_MAX * 4 + 4];
		/* the last item needs no room for "+N more" after it */
		double room = right - (k + 1 < d->nlines ? 60 : 0) - x - 34;
		size_t n = utf8_prefix(cut, sizeof(cut) - 3, d->lines[k].label, LEGEND_MAX);
		double iw = 34 + 6.2 * (double)n;

		if (iw > room + 34) {
			/* a name that does not fit is cut, with an ellipsis, if 8 characters do */
			size_t fit = room > 0 ? (size_t)(room / 6.2) : 0;

			if (fit < 8)
				break;
			n = utf8_prefix(cut, sizeof(cut) - 3, d->lines[k].label, fit - 1);
			strcat(cut, "\u2026");
			iw = 34 + 6.2 * (double)(n + 1);
		}
		fprintf(p->f,
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"16\" height=\"9\" fill=\"%s\" "
			"class=\"lgb\"/><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"%s\" class=\"med\"/><text x=\"%.1f\" y=\"%.1f\" class=\"lg\">",
			x, y - 8, palette[k % NPAL], x, y - 3.5, x + 16, y - 3.5, palette[k % NPAL],
			x + 20, y);
		markup_puts(p->f, cut);
		fprintf(p->f, "</text>");
		x += iw;
	}
	if (k < d->nlines)
		fprintf(p->f, "<text x=\"%.1f\" y=\"%.1f\" class=\"lg\">+%zu more</text>", x, y,
			d->nlines - k);
	else if (x < right - 200)
		fprintf(p->f,
			"<text x=\"%.1f\" y=\"%.1f\" class=\"lg\" text-anchor=\"end\">line: median "
			"over runs \u00b7 band: p10\u2013p90</text>",
			right, y);
}

void panel_metric(FILE *f, const struct dmodel *m, const struct dmetric *d, const char *panel,
		  int w, int h, const char *title)
{
	struct frame p = { .f = f, .w = w, .h = h, .ml = 58, .mr = 12, .mt = 44, .mb = 40 };
	double lo = INFINITY, hi = -INFINITY, pad;
	size_t nx;
	const struct ddoc **xd = bench_docs(m, d->benchmark, &nx);
	struct dunit u;

	if (!xd)
		return;
	for (size_t k = 0; k < d->nlines; k++)
		for (size_t i = 0; i < d->lines[k].n; i++) {
			lo = fmin(lo, d->lines[k].pts[i].lo);
			hi = fmax(hi, d->lines[k].pts[i].hi);
		}
	if (!isfinite(hi - lo) || fmax(fabs(lo), fabs(hi)) > 1e300) {
		panel_missing(f, title, "values too large to draw", w, h);
		free(xd);
		return;
	}
	/* at least a millionth of the values: a range the ticks can step through */
	pad = fmax((hi - lo) * 0.12, fmax(fabs(lo), fabs(hi)) * 1e-6);
	if (!(pad > 0))
		pad = fabs(hi) * 0.05 + 1e-9;
	p.y0 = lo - pad;
	p.y1 = hi + pad * 3; /* room for the change-point texts */
	if (lo >= 0 && p.y0 < 0)
		p.y0 = 0;
	p.x0 = -0.5;
	p.x1 = (double)nx - 0.5;
	u = display_unit(d->unit, fmax(fabs(lo), fabs(hi)));
	svg_open(f, w, h, "plot", title);
	fprintf(f, "<text x=\"%d\" y=\"18\" class=\"pt-title\">", p.ml);
	markup_puts(f, title);
	if (w >= 500)
		fprintf(f,
			"</text><text x=\"%d\" y=\"18\" class=\"pt-sub\" text-anchor=\"end\">%s "
			"is better \u00b7 threshold %.0f%%</text>",
			w - p.mr, !strcmp(d->better, "higher") ? "higher" : "lower",
			d->threshold * 100);
	else
		fprintf(f,
			"</text><text x=\"%d\" y=\"18\" class=\"pt-sub\" text-anchor=\"end\">%s "
			"is better</text>",
			w - p.mr, !strcmp(d->better, "higher") ? "higher" : "lower");
	y_axis(&p, u.div, u.name, !strcmp(d->unit, "x") ? "ratio" : "median");
	x_axis(&p, xd, nx);
	for (size_t k = 0; k < d->nlines; k++)
		line_draw(&p, m, d, &d->lines[k], panel, palette[k % NPAL], u);
	for (size_t k = 0, slot = 0; k < d->nlines; k++)
		for (size_t c = 0; c < d->lines[k].ncp; c++, slot++)
			changepoint(&p, d, m, &d->lines[k], &d->lines[k].cps[c], u,
				    (int)(slot % 3));
	legend(&p, d);
	fprintf(f, "</svg>\n");
	free(xd);
}

/* viridis, by 9 stops */
static void colour(double t, char *buf, size_t len)
{
	static const unsigned char st[9][3] = { { 68, 1, 84 },	  { 71, 45, 123 },
						{ 59, 82, 139 },  { 44, 114, 142 },
						{ 33, 145, 140 }, { 39, 173, 129 },
						{ 92, 200, 99 },  { 170, 220, 50 },
						{ 253, 231, 37 } };
	double s = fmin(fmax(t, 0), 1) * 8;
	int i = (int)s > 7 ? 7 : (int)s;
	double r = s - i;

	snprintf(buf, len, "#%02x%02x%02x", (int)lround(st[i][0] + r * (st[i + 1][0] - st[i][0])),
		 (int)lround(st[i][1] + r * (st[i + 1][1] - st[i][1])),
		 (int)lround(st[i][2] + r * (st[i + 1][2] - st[i][2])));
}

static json_object *doc_hist(json_object *doc, const char *name)
{
	json_object *hs, *n;

	if (!json_object_object_get_ex(doc, "histograms", &hs))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(hs); i++) {
		json_object *h = json_object_array_get_idx(hs, i);

		if (json_object_object_get_ex(h, "name", &n) &&
		    !strcmp(json_object_get_string(n), name))
			return h;
	}
	return NULL;
}

static int bucket_row(double lo)
{
	return lo < 1 ? 0 : (int)floor(log2(lo) + 1e-9);
}

static const char *fmt_lat(char *buf, size_t len, double ns)
{
	if (ns >= 1e9)
		snprintf(buf, len, "%.3g s", ns / 1e9);
	else if (ns >= 1e6)
		snprintf(buf, len, "%.3g ms", ns / 1e6);
	else if (ns >= 1e3)
		snprintf(buf, len, "%.3g \u00b5s", ns / 1e3);
	else
		snprintf(buf, len, "%.0f ns", ns);
	return buf;
}

/* total samples and the rows' range of one document's histogram */
static double hist_total(json_object *h, int *rlo, int *rhi)
{
	json_object *b, *e, *v;
	double tot = 0;

	json_object_object_get_ex(h, "buckets", &b);
	for (size_t k = 0; k < json_object_array_length(b); k++) {
		e = json_object_array_get_idx(b, k);
		json_object_object_get_ex(e, "count", &v);
		tot += json_object_get_double(v);
		json_object_object_get_ex(e, "lo", &v);
		if (json_object_get_double(json_object_object_get(e, "count")) > 0) {
			int r = bucket_row(json_object_get_double(v));

			*rlo = r < *rlo ? r : *rlo;
			*rhi = r > *rhi ? r : *rhi;
		}
	}
	return tot;
}

static double share_max(const struct ddoc **xd, size_t nx, const char *hist)
{
	double mx = 0;

	for (size_t i = 0; i < nx; i++) {
		json_object *h = doc_hist(xd[i]->doc, hist), *b;
		int a = 1 << 30, z = -1;
		double tot;

		if (!h || !((tot = hist_total(h, &a, &z)) > 0))
			continue;
		json_object_object_get_ex(h, "buckets", &b);
		for (size_t k = 0; k < json_object_array_length(b); k++)
			mx = fmax(mx, json_object_get_double(json_object_object_get(
					      json_object_array_get_idx(b, k), "count")) /
					      tot);
	}
	return mx;
}

void panel_heatmap(FILE *f, const struct dmodel *m, const char *hist)
{
	size_t nx;
	const struct ddoc **xd = bench_docs(m, "ioctl", &nx);
	int rlo = 1 << 30, rhi = -1, rows, w = 646, cw, ch, ml = 84, mt = 30, lw = 84;
	double mx;
	char c[16], b1[32], b2[32];

	if (!xd)
		return;
	for (size_t i = 0; i < nx; i++) {
		json_object *h = doc_hist(xd[i]->doc, hist);

		if (h)
			hist_total(h, &rlo, &rhi);
	}
	mx = share_max(xd, nx, hist);
	if (rhi < 0 || !(mx > 0)) {
		panel_missing(f, hist, "no samples in this histogram", w, 120);
		free(xd);
		return;
	}
	rows = rhi - rlo + 1;
	cw = (int)((w - ml - lw) / (nx ? nx : 1));
	cw = cw > 40 ? 40 : cw < 2 ? 2 : cw;
	ch = rows > 24 ? 8 : rows > 12 ? 12 : 16;
	{
		int h = mt + rows * ch + 44, x0 = ml, yb = mt + rows * ch;
		struct frame p = { .f = f,
				   .w = ml + cw * (int)nx + 8,
				   .h = h,
				   .ml = ml,
				   .mr = 8,
				   .mt = mt,
				   .mb = 44,
				   .x0 = -0.5,
				   .x1 = (double)nx - 0.5 };
		char title[160];

		snprintf(title, sizeof(title), "%s latency histogram", hist);
		svg_open(f, w, h, "plot heatmap", title);
		fprintf(f, "<text x=\"%d\" y=\"18\" class=\"pt-title\">", ml);
		markup_puts(f, title);
		fprintf(f,
			"</text><text x=\"%d\" y=\"18\" class=\"pt-sub\" text-anchor=\"end\">"
			"colour: share of the result's samples (all runs pooled)</text>",
			w - 8);
		int gw = cw * (int)nx;

		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"hmbg\"/>",
			x0, mt, gw, rows * ch);
		for (size_t i = 0; i < nx; i++) {
			json_object *hg = doc_hist(xd[i]->doc, hist), *b;
			int a = 1 << 30, z = -1;
			double tot = hg ? hist_total(hg, &a, &z) : 0;

			if (!(tot > 0))
				continue;
			json_object_object_get_ex(hg, "buckets", &b);
			fprintf(f, "<a href=\"#run-%zu\">", xd[i]->run);
			for (size_t k = 0; k < json_object_array_length(b); k++) {
				json_object *e = json_object_array_get_idx(b, k);
				double lo = json_object_get_double(json_object_object_get(e, "lo"));
				double n =
					json_object_get_double(json_object_object_get(e, "count"));
				int r = bucket_row(lo);

				if (!(n > 0))
					continue;
				colour(n / tot / mx, c, sizeof(c));
				fprintf(f, "<rect class=\"cell\" data-hist=\"");
				markup_puts(f, hist);
				fprintf(f,
					"\" data-run=\"%zu\" data-bucket=\"%d\" "
					"data-share=\"%.5f\" "
					"x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\">"
					"<title>#%zu ",
					xd[i]->run, r, n / tot, x0 + cw * (int)i,
					yb - (r - rlo + 1) * ch, cw, ch, c, xd[i]->run);
				markup_puts(f, xd[i]->label);
				fprintf(f, "\n%s .. %s: %.2f%% of %.0f samples</title></rect>",
					fmt_lat(b1, sizeof(b1), lo),
					fmt_lat(b2, sizeof(b2), r ? ldexp(1, r + 1) - 1 : 1),
					n / tot * 100, tot);
			}
			fprintf(f, "</a>");
		}
		for (int r = rlo; r <= rhi; r += rows > 16 ? 2 : 1)
			fprintf(f,
				"<text x=\"%d\" y=\"%d\" class=\"tl\" "
				"text-anchor=\"end\">%s</text>",
				ml - 5, yb - (r - rlo) * ch - ch / 2 + 3,
				fmt_lat(b1, sizeof(b1), r ? ldexp(1, r) : 0));
		fprintf(f,
			"<text class=\"at\" text-anchor=\"middle\" transform=\"translate(13 %d) "
			"rotate(-90)\">bucket (log2)</text>",
			mt + rows * ch / 2);
		x_axis(&p, xd, nx);
		/* the colour scale */
		{
			int lx = w - lw + 30, lh = rows * ch;

			for (int s = 0; s < 32; s++) {
				colour((s + 0.5) / 32, c, sizeof(c));
				fprintf(f,
					"<rect x=\"%d\" y=\"%.1f\" width=\"12\" height=\"%.2f\" "
					"fill=\"%s\"/>",
					lx, mt + lh - (s + 1) * lh / 32.0, lh / 32.0 + 0.3, c);
			}
			fprintf(f,
				"<text x=\"%d\" y=\"%d\" class=\"tl\">%.0f%%</text>"
				"<text x=\"%d\" y=\"%d\" class=\"tl\">0%%</text>"
				"<text x=\"%d\" y=\"%d\" class=\"tl\">share</text>",
				lx + 16, mt + 8, mx * 100, lx + 16, mt + lh, lx - 2, mt + lh + 16);
		}
		fprintf(f, "</svg>\n");
	}
	free(xd);
}
