#!/bin/sh
# Creates Temporal's two PostgreSQL databases (persistence and SQL visibility) if absent and
# brings both to the newest schema version the server release ships. Run by compose's one-shot
# temporal-schema job (admin-tools image: schemas in /etc/temporal/schema) and by
# `npm run cluster:up` (the same release's schemas from Go's module cache). Safe to run again:
# create-database and setup-schema leave an existing database as it is, update-schema applies
# only the versions it lacks. Connection settings: SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD.
set -eu
: "${SQL_PASSWORD:?SQL_PASSWORD is required}"
schema_dir="${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema}/postgresql/v12"
export SQL_PLUGIN=postgres12

for store in temporal:temporal visibility:temporal_visibility; do
  schema="${store%%:*}"
  database="${store#*:}"
  temporal-sql-tool --db "$database" create-database
  temporal-sql-tool --db "$database" setup-schema -v 0.0
  temporal-sql-tool --db "$database" update-schema -d "$schema_dir/$schema/versioned"
  echo "temporal-schema: $database is at the newest $schema schema"
done
