// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * statcheck: the statistics library's tests on numbers from stdin, for comparing with an
 * independent implementation (tests/bats/compare.bats: scipy).
 *   statcheck mwu|ks exact|asymp|auto   two lines of samples -> "STAT P"
 *   statcheck welch                     two lines of samples -> "T DF P"
 *   statcheck kolmogorov N D            -> "P(D_N >= D)"
 *   statcheck holm|bh                   one line of p-values -> the adjusted ones
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stats/stats.h"

static size_t read_line(double **v)
{
	char *line = NULL, *p, *end;
	size_t cap = 0, n = 0, sz = 0;

	*v = NULL;
	if (getline(&line, &cap, stdin) < 0) {
		free(line);
		return 0;
	}
	for (p = line;; p = end) {
		double d = strtod(p, &end);

		if (end == p)
			break;
		if (n == sz) {
			sz = sz ? 2 * sz : 64;
			*v = realloc(*v, sz * sizeof(**v));
			if (!*v)
				exit(1);
		}
		(*v)[n++] = d;
	}
	free(line);
	return n;
}

int main(int argc, char **argv)
{
	double *x, *y, a, b, c;
	size_t n1, n2;
	enum stats_method m = STATS_AUTO;
	int ret = 0;

	if (argc < 2)
		return 2;
	if (argc > 2 && !strcmp(argv[2], "exact"))
		m = STATS_EXACT;
	else if (argc > 2 && !strcmp(argv[2], "asymp"))
		m = STATS_ASYMP;
	if (!strcmp(argv[1], "kolmogorov") && argc == 4) {
		printf("%.17g\n", stats_kolmogorov_sf((unsigned)atoi(argv[2]), atof(argv[3])));
		return 0;
	}
	n1 = read_line(&x);
	if (!strcmp(argv[1], "holm") || !strcmp(argv[1], "bh")) {
		double *adj = malloc((n1 ? n1 : 1) * sizeof(*adj));

		if (!adj)
			return 1;
		(!strcmp(argv[1], "holm") ? stats_holm : stats_bh)(x, n1, adj);
		for (size_t i = 0; i < n1; i++)
			printf("%s%.17g", i ? " " : "", adj[i]);
		printf("\n");
		free(adj);
		free(x);
		return 0;
	}
	n2 = read_line(&y);
	if (!strcmp(argv[1], "mwu"))
		ret = stats_mwu(x, n1, y, n2, m, &a, &b);
	else if (!strcmp(argv[1], "ks"))
		ret = stats_ks2(x, n1, y, n2, m, &a, &b);
	else if (!strcmp(argv[1], "welch"))
		ret = stats_welch(x, n1, y, n2, &a, &c, &b);
	else
		ret = 2;
	if (!ret && !strcmp(argv[1], "welch"))
		printf("%.17g %.17g %.17g\n", a, c, b);
	else if (!ret)
		printf("%.17g %.17g\n", a, b);
	free(x);
	free(y);
	return ret ? 1 : 0;
}
