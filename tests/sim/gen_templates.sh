#!/bin/sh
# Regenerates tests/sim/sim_templates.c from the Coder fixtures: the JSON
# skeletons (one workspace, one template, one health report) that the
# simulator patches with live values. Run from the repository root.
set -eu
: "${SHARED:=../shared}"
api="$SHARED/fixtures/coder/api"
out=tests/sim/sim_templates.c
{
    echo '/* Generated from ../shared/fixtures/coder/api by tests/sim/gen_templates.sh: the'
    echo ' * JSON skeletons the sim patches (one workspace, one template, a health report).'
    echo ' * Data only; the fixtures are the ground truth for these shapes. */'
    echo '#include "sim.h"'
    echo
    echo '// clang-format off'
    for pair in "workspace:.workspaces[0]:workspaces.json" "template:.[0]:templates.json" \
        "health:.:debug_health.json"; do
        n=${pair%%:*}
        rest=${pair#*:}
        f=${rest#*:}
        expr=${rest%%:*}
        echo "const char sim_tpl_$n[] ="
        jq -c "$expr" "$api/$f" | fold -w 80 | sed 's/\\/\\\\/g; s/"/\\"/g; s/^/    "/; s/$/"/'
        echo ";"
        echo
    done
    echo '// clang-format on'
} >"$out"
