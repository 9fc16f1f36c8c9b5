#!/usr/bin/env bash
# Adds a migration named $1 for both database providers (SQLite and PostgreSQL).
set -euo pipefail
name="${1:?usage: scripts/add-migration.sh MigrationName}"
cd "$(dirname "$0")/../IncidentIo.Domain"
dotnet tool restore >/dev/null
for provider in Sqlite Postgres; do
  dotnet ef migrations add "$name" --context "${provider}IncidentIoDbContext" \
    --output-dir "Data/Migrations/$provider" --namespace "IncidentIo.Domain.Data.Migrations.$provider"
done
# A first migration puts the model snapshot in a folder named after its namespace: keep it beside the migrations.
if [ -d IncidentIo ]; then
  for provider in Sqlite Postgres; do
    mv IncidentIo/Domain/Data/Migrations/$provider/*.cs "Data/Migrations/$provider/" 2>/dev/null || true
  done
  rm -rf IncidentIo
fi
