#!/usr/bin/env bash
# 95_soak: the chaos soak's short form (tests/soak/soak.sh): 8 threads x 2000 mixed
# lookups against a primary whose faults change every 10..100 ms and a healthy secondary,
# with a thread cancelled every 1..10 ms and a fork every ~50 ms; every answer checked, no
# failure, no hang.
# `make soak` runs the long form (SOAK_LOOKUPS, default 100000 per thread).
# SOAK_CANCEL=0 leaves the cancels out (see tests/soak/soak.sh for every knob).
exec env SOAK_LOOKUPS="${SOAK_SHORT_LOOKUPS:-2000}" SOAK_CANCEL="${SOAK_CANCEL:-10}" SOAK_CHAOS="${SOAK_CHAOS:-chaos=10/100}" SOAK_FORK_MS="${SOAK_FORK_MS:-50}" \
	SOAK_WATCHDOG="${SOAK_WATCHDOG:-30}" bash "$(dirname "$0")/../soak/soak.sh"
