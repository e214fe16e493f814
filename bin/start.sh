#!/bin/sh
# `npm start`: Parley's API, dashboard and workers in one process.
# Embedded (no DATABASE_URL), Node runs with a small young generation and two malloc arenas,
# which keep the server's memory down (README, "Performance and memory"). On PostgreSQL they
# would only cost throughput: 10–20% of `ask`'s in `npm run bench:ask` (2026-12-06).
if [ -n "$DATABASE_URL" ]; then
  exec node bin/parley.js serve --worker "$@"
fi
export MALLOC_ARENA_MAX=2
exec node --max-semi-space-size=2 bin/parley.js serve --worker "$@"
