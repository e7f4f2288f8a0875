#!/usr/bin/env bats
# The statistics library (user/stats/) against scipy (Debian's python3-scipy): the p-values
# of Mann-Whitney U, Kolmogorov-Smirnov (two-sample and one-sample distribution) and
# Welch's t-test on seeded random samples, through the test helper build/tests/statcheck.

load helpers
bats_require_minimum_version 1.5.0

STATCHECK=${STATCHECK:-$REPO/build/tests/statcheck}
SCIPYCHECK=$REPO/tests/helpers/scipycheck.py

setup() {
	[ -x "$STATCHECK" ] || skip "no $STATCHECK (make tests)"
	/usr/bin/python3 -c 'import scipy' 2>/dev/null || skip "no python3-scipy"
}

check() { # TEST CASES SEED
	run /usr/bin/python3 "$SCIPYCHECK" "$STATCHECK" "$@"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" == "$1: $2 cases, 0 mismatches"* ]]
}

@test "Mann-Whitney U exact p agrees with scipy (method='exact')" {
	check mwu-exact 150 11
}

@test "Mann-Whitney U asymptotic p, ties and continuity, agrees with scipy" {
	check mwu-asymp 150 12
}

@test "two-sample KS exact p agrees with scipy ks_2samp(method='exact')" {
	check ks-exact 150 13
}

@test "two-sample KS asymptotic p agrees with scipy ks_2samp(method='asymp')" {
	check ks-asymp 150 14
}

@test "the Kolmogorov distribution agrees with scipy.stats.kstwo" {
	check kolmogorov 150 15
}

@test "Welch's t, df and p agree with scipy ttest_ind(equal_var=False)" {
	check welch 150 16
}

@test "statcheck reports a mismatch: the check can fail" {
	# a wrong binary (one printing constant numbers) must be caught
	fake=$BATS_TEST_TMPDIR/fake
	printf '#!/bin/sh\ncat >/dev/null\necho 0 0.5\n' >"$fake"
	chmod +x "$fake"
	run /usr/bin/python3 "$SCIPYCHECK" "$fake" mwu-exact 5 1
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == *"5 mismatches"* ]]
}
