#!/bin/sh
# `npm start`: Parley's API, dashboard and workers in one process.
# Embedded (no DATABASE_URL), Node runs with a small young generation, two malloc arenas and
# malloc's thresholds fixed, which keep the server's memory down (README, "Performance and memory").
# glibc otherwise raises its mmap threshold to the largest block freed so far (up to 32 MiB) and
# keeps up to twice that free at the top of its heap; fixed at 128 KiB, big blocks get mappings of
# their own and go back to the system when freed. On PostgreSQL the small young generation would
# only cost throughput: 10–20% of `ask`'s in `npm run bench:ask` (2026-12-06).
if [ -n "$DATABASE_URL" ]; then
  exec node bin/parley.js serve --worker "$@"
fi
export MALLOC_ARENA_MAX=2
export MALLOC_MMAP_THRESHOLD_=131072
exec node --max-semi-space-size=2 bin/parley.js serve --worker "$@"
