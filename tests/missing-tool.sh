#!/bin/sh
# Stands in for a test whose tool is not installed: the test fails, saying what is missing, so the
# test command never passes with a test quietly left out.
echo "missing tool: $1 is not installed; run tools/install-deps.sh test" >&2
exit 1
