#!/bin/sh
# `samsa` as installed (package.json `bin`), for POSIX shells: starts node from the CLI's start-up
# snapshot, samsa.blob beside this file, when the blob was built for this directory by the node
# found on PATH; otherwise (no blob, another node, NODE_OPTIONS set, SAMSA_SNAPSHOT=0) it runs
# samsa.cjs, the bundle with its V8 code cache, as `node samsa.cjs` does; so does a broker on a
# worker thread (--young-generation-mb): Node 20 cannot start a worker in a process restored from a
# user-land snapshot (the worker's process.cwd() fails). A shell script because
# --snapshot-blob must be on node's command line. The build writes the blob and samsa.blob.id, the
# identity of the node that built it, as printed by SAMSA_SNAPSHOT_ID=print (scripts/bundle.ts).
# docs/broker.md, "Before the broker's timer".
# The node's inode and size (`ls -l`'s date changes form as the file ages, so it is left out).
file_id() { set -- $(ls -lLin "$1"); printf '%s %s' "$1" "$6"; }
f=$0
while [ -L "$f" ]; do
  l=$(readlink "$f")
  case $l in /*) f=$l ;; *) f=${f%/*}/$l ;; esac
done
case $f in */*) d=${f%/*} ;; *) d=. ;; esac
d=$(cd -P "$d" && pwd) || exit 1
for a in "$@"; do
  case $a in --young-generation-mb*) SAMSA_SNAPSHOT=0 ;; esac
done
if [ "${SAMSA_SNAPSHOT:-1}" != 0 ] && [ -z "${NODE_OPTIONS:-}" ] && n=$(command -v node); then
  # The node (version, and the file itself: a different build of one version must not load it) and this directory.
  id="$("$n" --version) $n $(file_id "$n") $d"
  if [ "${SAMSA_SNAPSHOT_ID:-}" = print ]; then printf '%s\n' "$id"; exit 0; fi
  if [ -f "$d/samsa.blob" ] && [ -f "$d/samsa.blob.id" ] && read -r built < "$d/samsa.blob.id" && [ "$built" = "$id" ]; then
    exec "$n" --snapshot-blob "$d/samsa.blob" "$d/samsa.cjs" "$@"
  fi
fi
exec node "$d/samsa.cjs" "$@"
