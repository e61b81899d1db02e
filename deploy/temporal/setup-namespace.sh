#!/bin/sh
# Creates the namespace if absent, then registers the campaign search attributes on it through
# the operator service (src/temporal/search-attributes.ts lists the same four; a test keeps them in
# step). Run by compose's temporal-setup job (admin-tools image) and by `npm run cluster:up`.
# Safe to run again: what exists is skipped.
set -eu
address="${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS is required}"
namespace="${TEMPORAL_NAMESPACE:-default}"
retention="${TEMPORAL_NAMESPACE_RETENTION:-7d}"

tries=0
until temporal operator cluster health --address "$address" 2>/dev/null | grep -q SERVING; do
  tries=$((tries + 1))
  if [ "$tries" -gt 90 ]; then
    echo "temporal-setup: frontend at $address not SERVING after 180 s" >&2
    exit 1
  fi
  sleep 2
done

if ! temporal operator namespace describe --address "$address" --namespace "$namespace" >/dev/null 2>&1; then
  temporal operator namespace create --address "$address" --namespace "$namespace" --retention "$retention"
  echo "temporal-setup: created namespace $namespace (retention $retention)"
fi
# A new namespace reaches every service's cache within ~10 s; until then it is "not found".
tries=0
until existing="$(temporal operator search-attribute list --address "$address" --namespace "$namespace" 2>/dev/null)"; do
  tries=$((tries + 1))
  if [ "$tries" -gt 30 ]; then
    echo "temporal-setup: namespace $namespace not usable at $address after 60 s" >&2
    exit 1
  fi
  sleep 2
done
for attribute in CampaignState=Keyword CampaignTotal=Int CampaignFinished=Int CampaignErrors=Int; do
  name="${attribute%%=*}"
  type="${attribute#*=}"
  if printf '%s\n' "$existing" | grep -qw "$name"; then
    echo "temporal-setup: $name already registered"
  else
    temporal operator search-attribute create --address "$address" --namespace "$namespace" --name "$name" --type "$type"
    echo "temporal-setup: registered $name ($type)"
  fi
done
