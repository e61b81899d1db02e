#!/bin/sh
# Registers the campaign search attributes on the namespace (src/temporal/search-attributes.ts
# lists the same four; a test keeps them in step). Safe to run again: existing ones are skipped.
set -eu
address="${TEMPORAL_ADDRESS:-temporal:7233}"
namespace="${TEMPORAL_NAMESPACE:-default}"

tries=0
until temporal operator namespace describe --address "$address" --namespace "$namespace" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -gt 90 ]; then
    echo "temporal-setup: namespace $namespace at $address not reachable after 180 s" >&2
    exit 1
  fi
  sleep 2
done

existing="$(temporal operator search-attribute list --address "$address" --namespace "$namespace")"
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
