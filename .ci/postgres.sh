#!/usr/bin/env bash
# Install Debian's PostgreSQL if missing and start it on loopback for the tests.
# PostgreSQL refuses to run as root, so the server runs as the cluster's owner
# (the postgres user) through pg_ctlcluster.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || ! command -v pg_ctlcluster >/dev/null; then
  echo "installing postgresql from Debian's packages"
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi

version="$(ls /usr/lib/postgresql | sort -V | tail -1)"
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
  pg_createcluster "$version" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -qx online; then
  pg_ctlcluster "$version" main start
fi

for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -p 5432 -q && break
  sleep 1
done
pg_isready -h 127.0.0.1 -p 5432

# A password on loopback is what Debian's default pg_hba.conf (scram-sha-256) expects.
su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'vedder'\""
echo "postgresql $version is up on 127.0.0.1:5432"
