#!/usr/bin/env bash
# Makes sure the real Kafka clients the tests drive are installed: kcat (librdkafka) and Debian's
# python3-kafka and python3-confluent-kafka (seen by /usr/bin/python3). Run by `npm test` before
# anything else. As root with apt-get it installs what is missing; otherwise it stops at once with
# one line saying what to install. SAMSA_SKIP_CLIENT_CHECK=1 skips the check (the interop tests
# then fail where a client is missing).
set -euo pipefail
[ "${SAMSA_SKIP_CLIENT_CHECK:-}" = 1 ] && exit 0

python=/usr/bin/python3
missing=()
command -v kcat >/dev/null 2>&1 || missing+=(kcat)
"$python" -c 'import kafka' >/dev/null 2>&1 || missing+=(python3-kafka)
"$python" -c 'import confluent_kafka' >/dev/null 2>&1 || missing+=(python3-confluent-kafka)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "npm test: installing the Kafka clients the tests drive: ${missing[*]} (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "npm test needs the Kafka clients ${missing[*]}: install them with 'sudo apt-get install -y ${missing[*]}' (Debian/Ubuntu), then run npm test again" >&2
exit 1
