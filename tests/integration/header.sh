#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The public header stands alone: it compiles as strict C99 and as C++11
# with nothing but its own directory on the include path, and can be
# included twice.
: "${top_srcdir:?}"
inc=$top_srcdir/libccsandbox
failed=0
tu='#include <ccsandbox.h>
#include <ccsandbox.h>
int ccsb_header_check(void);
int ccsb_header_check(void) { return CCSB_VERSION_MAJOR + CCSB_NET_NONE + CCSB_BIND_RO; }'

command -v cc >/dev/null 2>&1 || { echo "SKIP: no C compiler (cc)"; exit 77; }
if printf '%s\n' "$tu" |
	cc -std=c99 -Wall -Wextra -pedantic -Werror -Wstrict-prototypes -fsyntax-only \
		-I"$inc" -x c -; then
	echo "ok - ccsandbox.h compiles as C99 (-Wall -Wextra -pedantic -Werror)"
else
	echo "FAIL - ccsandbox.h does not compile as C99"
	failed=1
fi

if command -v c++ >/dev/null 2>&1; then
	if printf '%s\n' "$tu" \
		'extern "C" void ccsb_sandbox_free(ccsb_sandbox *sb); /* C linkage or an error */' |
		c++ -std=c++11 -Wall -Wextra -pedantic -Werror -fsyntax-only -I"$inc" -x c++ -; then
		echo "ok - ccsandbox.h compiles as C++11 (-Wall -Wextra -pedantic -Werror)"
	else
		echo "FAIL - ccsandbox.h does not compile as C++11"
		failed=1
	fi
else
	# CI installs g++; a developer machine without it still checks the rest.
	echo "# no C++ compiler (c++): C++ not checked"
	cxx_missing=1
fi

# Every function declaration has its comment (behaviour, ownership, errors)
# right above it.
bare=$(awk '/^[A-Za-z].*[^A-Za-z0-9_]ccsb_[A-Za-z0-9_]+\(/ && prev !~ /\*\/[ \t]*$/ { print FNR ": " $0 }
	!/^[ \t]*$/ { prev = $0 }' "$inc/ccsandbox.h")
if [ -n "$bare" ]; then
	echo "FAIL - functions declared without a comment above them:"
	echo "$bare"
	failed=1
else
	echo "ok - every function in ccsandbox.h has its comment"
fi
if [ $failed = 0 ] && [ -n "${cxx_missing-}" ]; then
	echo "SKIP: no C++ compiler (c++) to check the header as C++"
	exit 77
fi
exit $failed
