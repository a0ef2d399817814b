#!/usr/bin/env bash
# Exactly-once against Samsa with Kafka's own Java tools (kafka-clients, kafka-tools and
# kafka-streams 2.1.1), as Kafka's system test transactions_test.py exercises it, on a 3-node Samsa
# cluster (replication factor 3, min.insync.replicas 2) whose brokers are killed with SIGKILL:
#
#  1. TransactionalMessageCopier, one per input partition, copies a topic filled by
#     VerifiableProducer (acks=all) in transactions of 200 with random aborts and the consumed
#     offsets sent to each transaction, while brokers are killed one after the other as Kafka's
#     hard bounce does: SIGKILL, the restart once the controller has fenced the dead broker, the next
#     once it is back and the copiers have moved on.
#     The read_committed copy must hold every input value exactly once.
#  2. A Kafka Streams word count (EosWordCount.java, exactly_once, in-memory store) in two
#     instances while its input arrives; one instance is killed, then a broker, then the other
#     instance. The last count of each word (read_committed) must be the true count.
#
# Run by hand where a JDK and Kafka 2.1.1's jars are at hand (never in CI; the jars are never
# committed: they are in the public repository ATCP/kafka_2.11-2.1.1, libs/); kcat and python3 on
# PATH; `npm run build` first. Exits non-zero on any loss or duplicate.
#
#   bench/java/eos-trial.sh <kafka libs dir>
set -euo pipefail
LIBS=$(cd "$1" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/samsa-eos-trial.XXXXXX)
SAMSA=(node "$ROOT/dist/src/cli/samsa.cjs")
CP="$LIBS/*:$WORK/classes"
cleanup() {
  pkill -9 -f "$WORK" 2>/dev/null || true
  sleep 0.5
  rm -rf "$WORK"
}
trap cleanup EXIT

read -r -a PORTS <<<"$(node -e '
const net = require("node:net");
Promise.all(Array.from({ length: 6 }, () => new Promise((r) => { const s = net.createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => r(p)); }); })))
  .then((ps) => console.log(ps.join(" ")));')"
VOTERS="0@127.0.0.1:${PORTS[3]},1@127.0.0.1:${PORTS[4]},2@127.0.0.1:${PORTS[5]}"
BOOTSTRAP="127.0.0.1:${PORTS[0]},127.0.0.1:${PORTS[1]},127.0.0.1:${PORTS[2]}"

start_node() {
  local id=$1
  "${SAMSA[@]}" broker --data-dir "$WORK/n$id" --port "${PORTS[$id]}" --log-level info \
    -o process.roles=broker,controller -o node.id="$id" -o controller.quorum.voters="$VOTERS" \
    -o controller.listener.names=CONTROLLER -o log.dirs="$WORK/n$id" \
    -o listeners="PLAINTEXT://127.0.0.1:${PORTS[$id]},CONTROLLER://127.0.0.1:${PORTS[$((id + 3))]}" \
    >>"$WORK/n$id.log" 2>&1 &
  disown
}
kill_node() { pkill -9 -f "data-dir $WORK/n$1 " || true; }
# Brokers in STATE ($2: fenced|unfenced) seen by the cluster, for broker $1's row.
broker_state() { timeout 10 "${SAMSA[@]}" cluster describe --bootstrap-server "$BOOTSTRAP" 2>/dev/null | awk -v id="$1" '$1 == id && NF == 5 { print $5 }'; }
wait_state() {
  for _ in $(seq 1 120); do
    [ "$(broker_state "$1")" = "$2" ] && return 0
    sleep 0.5
  done
  echo "broker $1 not $2 within 60 s"
  return 1
}
bounce_node() {
  echo "$(date +%T) kill -9 broker $1"
  kill_node "$1"
  wait_state "$1" fenced
  start_node "$1"
  wait_state "$1" unfenced
  echo "$(date +%T) broker $1 back"
}
topic() { "${SAMSA[@]}" topics create "$1" --partitions 4 --replication-factor 3 --config min.insync.replicas=2 --bootstrap-server "$BOOTSTRAP" >/dev/null; }
committed() { kcat -C -b "$BOOTSTRAP" -t "$1" -X isolation.level=read_committed -e -q -f "$2"; }

mkdir -p "$WORK/classes"
javac -cp "$LIBS/*" -d "$WORK/classes" "$ROOT/bench/java/EosWordCount.java"
for id in 0 1 2; do start_node "$id"; done
for id in 0 1 2; do wait_state "$id" unfenced; done

echo "$(date +%T) == 1. TransactionalMessageCopier, 4 partitions, three rounds of hard broker bounces"
topic copy-in
topic copy-out
java -cp "$CP" org.apache.kafka.tools.VerifiableProducer --topic copy-in --broker-list "$BOOTSTRAP" --max-messages 200000 --acks -1 2>/dev/null | tail -1
echo "$(date +%T) copying"
COPIERS=()
for p in 0 1 2 3; do
  java -cp "$CP" org.apache.kafka.tools.TransactionalMessageCopier --input-topic copy-in --input-partition "$p" \
    --output-topic copy-out --broker-list "$BOOTSTRAP" --transactional-id "copier-$p" --consumer-group copiers \
    --transaction-size 200 --enable-random-aborts >"$WORK/copier-$p.log" 2>&1 &
  COPIERS+=($!)
done
copied() { cat "$WORK"/copier-*.log | python3 -c '
import json, sys
last = {}
for line in sys.stdin:
    if line.startswith("{"):
        e = json.loads(line)
        last[e.get("progress") or e.get("shutdown_complete")] = e["consumed"]
print(sum(last.values()))'; }
# Three rounds over the brokers, each bounce once the copiers have copied 5,000 more records.
for round in $(seq 0 8); do
  from=$(copied)
  for _ in $(seq 1 240); do
    [ "$(copied)" -ge $((from + 5000)) ] && break
    running=0
    for pid in "${COPIERS[@]}"; do kill -0 "$pid" 2>/dev/null && running=1; done
    [ "$running" = 0 ] && break 2
    sleep 0.5
  done
  bounce_node $((round % 3))
done
for p in 0 1 2 3; do
  wait "${COPIERS[$p]}" || { echo "copier $p failed:"; grep -v '^{' "$WORK/copier-$p.log" | head -5; trap - EXIT; echo "logs in $WORK"; exit 1; }
done
sleep 3
committed copy-in '%s\n' | sort >"$WORK/in.txt"
committed copy-out '%s\n' | sort >"$WORK/out.txt"
python3 - "$WORK/in.txt" "$WORK/out.txt" <<'PY'
import sys
from collections import Counter
inp, out = (Counter(open(f).read().split()) for f in sys.argv[1:3])
dups = sum(1 for v, n in out.items() if n > 1)
lost = sum(1 for v in inp if v not in out)
extra = sum(1 for v in out if v not in inp)
print(f"input {sum(inp.values())} values, committed copy {sum(out.values())}: lost {lost}, duplicated {dups}, unknown {extra}")
sys.exit(1 if dups or lost or extra or len(inp) != 200000 else 0)
PY

echo "$(date +%T) == 2. Kafka Streams word count, exactly_once, two instances, instances and a broker killed"
topic wc-in
topic wc-out
python3 - "$WORK/lines.txt" <<'PY'
import random, sys
random.seed(11)
words = [f"w{i}" for i in range(200)]
with open(sys.argv[1], "w") as f:
    for i in range(100000):
        f.write(f"{i}:" + " ".join(random.choice(words) for _ in range(5)) + "\n")
PY
app() { WC_IN=wc-in WC_OUT=wc-out java -cp "$CP" EosWordCount "$BOOTSTRAP" wc "$WORK/state-$1" 3 >>"$WORK/app-$1.log" 2>&1 & }
app a; A=$!
app b; B=$!
(head -50000 "$WORK/lines.txt" | kcat -P -b "$BOOTSTRAP" -t wc-in -K: && sleep 8 && tail -50000 "$WORK/lines.txt" | kcat -P -b "$BOOTSTRAP" -t wc-in -K:) &
FEED=$!
sleep 6; echo "$(date +%T) kill -9 instance a"; kill -9 "$A"; wait "$A" 2>/dev/null || true; sleep 2; app a; A=$!
sleep 5; bounce_node 0
sleep 6; echo "$(date +%T) kill -9 instance b"; kill -9 "$B"; wait "$B" 2>/dev/null || true; sleep 2; app b; B=$!
wait "$FEED"
ok=1
for _ in $(seq 1 30); do
  sleep 5
  committed wc-out '%k %s\n' >"$WORK/counts.txt"
  if python3 - "$WORK/lines.txt" "$WORK/counts.txt" <<'PY'
import sys
from collections import Counter
true = Counter(w for line in open(sys.argv[1]) for w in line.split(":", 1)[1].split())
last = {}
for line in open(sys.argv[2]):
    k, v = line.split()
    last[k] = int(v)
wrong = [k for k in true if last.get(k) != true[k]]
over = [k for k in true if last.get(k, 0) > true[k]]
print(f"{len(true)} words, {len(wrong)} not at their count yet, {len(over)} above it")
sys.exit(2 if over else 1 if wrong else 0)
PY
  then ok=0; break
  elif [ $? = 2 ]; then break; fi
done
kill "$A" "$B" 2>/dev/null || true
wait "$A" "$B" 2>/dev/null || true
[ "$ok" = 0 ] && echo "eos-trial: every record exactly once" || { echo "eos-trial: FAILED (logs in $WORK kept)"; trap - EXIT; exit 1; }
