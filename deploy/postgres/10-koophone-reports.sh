#!/bin/sh
# First start of the compose PostgreSQL only (docker-entrypoint-initdb.d): the report sink gets
# its own role and database, so the workers' REPORT_SINK credentials cannot touch Temporal's data.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v password="${KOOPHONE_DB_PASSWORD:?KOOPHONE_DB_PASSWORD is required}" <<'SQL'
CREATE ROLE koophone LOGIN PASSWORD :'password';
CREATE DATABASE koophone OWNER koophone;
SQL
