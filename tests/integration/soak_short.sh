#!/bin/sh
# The bounded soak of `make check`: tests/soak.sh for 45 s (`make soak` runs
# it for 10 minutes).
sh tests/soak.sh "${SOAK_SECONDS_SHORT:-45}"
