#!/usr/bin/env bash
# Receive benchmark: spead2-typed recv against spead2_recv, both fed by the same sender, alternately
# (ours, spead2, ours, spead2, ...), at a ladder of rates. For each packet size and rate it prints the
# median share of heaps received complete and the median CPU seconds (user + sys) of each receiver,
# over --runs runs each. With --tcp the sender runs unpaced and the figure is the sender's Gb/s.
#
# The sender is spead2_send when spead2_send and spead2_recv are on PATH; otherwise the script says
# so, measures only our receiver and feeds it with `spead2-typed send`.
#
# By default both receivers hand each heap to a callback on their receive thread (spead2_recv's default; ours
# through ReceiveStreamConfig.HeapReady). --ring runs both with --ring: heaps go through a ring to a consumer
# thread (our await foreach). --spead2-ring gives --ring to spead2_recv only.
#
#   samples/Bench/recv-bench.sh [--runs 5] [--heaps 1000] [--heap-size 1048576]
#                               [--packets "1472 8972"] [--rates "2 5 10 20"] [--tcp] [--port 18900]
#                               [--ring | --spead2-ring]
#
# Our CLI: $SPEAD2_TYPED if set (a command line), else the Release build of src/Spead2.Typed.Cli.
# Needs: bash, /usr/bin/time, ss (iproute2), awk, dotnet.
set -uo pipefail
# Job control: background receivers then keep the default SIGINT handling (a non-interactive shell
# would start them with SIGINT ignored), so an interrupted receiver can still print its counts.
set -m

runs=5 heaps=1000 heap_size=1048576 packets="1472 8972" rates="2 5 10 20" tcp=0 port=18900 spead2_ring=() typed_ring=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --heaps) heaps=$2; shift 2 ;;
    --heap-size) heap_size=$2; shift 2 ;;
    --packets) packets=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    --tcp) tcp=1; shift ;;
    --port) port=$2; shift 2 ;;
    --spead2-ring) spead2_ring=(--ring); shift ;;
    --ring) spead2_ring=(--ring); typed_ring=(--ring); shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${SPEAD2_TYPED:-}" ]; then
  read -r -a typed <<<"$SPEAD2_TYPED"
else
  dll="$here/../../src/Spead2.Typed.Cli/bin/Release/net10.0/spead2-typed.dll"
  if [ ! -f "$dll" ]; then
    echo "build the CLI first: dotnet build src/Spead2.Typed.Cli -c Release (or set SPEAD2_TYPED)" >&2
    exit 2
  fi
  typed=(dotnet "$dll")
fi

if command -v spead2_send >/dev/null 2>&1 && command -v spead2_recv >/dev/null 2>&1; then
  have_spead2=1
  receivers="typed spead2"
else
  have_spead2=0
  receivers="typed"
  echo "spead2_send/spead2_recv are not on PATH: measuring spead2-typed recv only, fed by spead2-typed send."
fi
[ "$tcp" = 1 ] && rates="0"
proto=udp; [ "$tcp" = 1 ] && proto=tcp
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

listening() {   # port: true once something listens there
  if [ "$tcp" = 1 ]; then ss -Hltn "sport = :$1" | grep -q .; else ss -Hlun "sport = :$1" | grep -q .; fi
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# run_one RECEIVER PACKET RATE -> appends "heaps cpu gbps" to $work/RECEIVER-PACKET-RATE
run_one() {
  local who=$1 packet=$2 rate=$3 p=$port
  port=$((port + 1))
  local flags=(); [ "$tcp" = 1 ] && flags=(--tcp)
  local recv
  if [ "$who" = spead2 ]; then recv=(spead2_recv --quiet "${spead2_ring[@]}" "${flags[@]}" "127.0.0.1:$p"); else recv=("${typed[@]}" recv --quiet "${typed_ring[@]}" "${flags[@]}" "127.0.0.1:$p"); fi
  /usr/bin/time -f '%U %S' -o "$work/time" "${recv[@]}" >"$work/out" 2>&1 &
  local pid=$!
  for _ in $(seq 200); do listening "$p" && break; sleep 0.05; done
  local send
  if [ "$have_spead2" = 1 ]; then
    send=(spead2_send "${flags[@]}" --heaps "$heaps" --heap-size "$heap_size" --packet "$packet" --rate "$rate" "127.0.0.1:$p")
  else
    send=("${typed[@]}" send "${flags[@]}" --heaps "$heaps" --heap-size "$heap_size" --packet "$packet" --rate "$rate" "127.0.0.1:$p")
  fi
  /usr/bin/time -f '%e' -o "$work/sendtime" "${send[@]}" >"$work/sendout" 2>&1
  # The stop heap ends both receivers; if it was lost, interrupt the receiver (the child of time).
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$pid" 2>/dev/null; then pkill -INT -P "$pid"; fi
  # A receiver that ignores the interrupt is killed; its heaps then count as 0 and a note says so.
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$pid" 2>/dev/null; then
    pkill -KILL -P "$pid"
    echo "note: $who receiver did not stop on SIGINT (packet $packet, rate $rate); killed" >&2
  fi
  wait "$pid" 2>/dev/null
  local got cpu secs
  got=$(grep -o 'Received [0-9,]* heaps' "$work/out" | head -1 | tr -dc '0-9')
  cpu=$(awk '{ print $1 + $2 }' "$work/time" 2>/dev/null | tail -1)
  secs=$(tail -1 "$work/sendtime")
  awk -v g="${got:-0}" -v c="${cpu:-0}" -v s="$secs" -v n="$heaps" -v h="$heap_size" \
    'BEGIN { printf "%.2f %.2f %.2f\n", 100 * g / n, c, (s > 0 ? n * h * 8 / s / 1e9 : 0) }' >>"$work/$who-$packet-$rate"
}

echo "$proto, $heaps heaps of $heap_size bytes, $runs alternating runs per receiver; medians"
theirs="spead2_recv${spead2_ring[*]:+ ${spead2_ring[*]}}"
if [ "$tcp" = 1 ]; then
  printf '%-7s | %-28s | %-28s\n' packet "spead2-typed: Gb/s, CPU s" "$theirs: Gb/s, CPU s"
else
  printf '%-7s %-6s | %-30s | %-30s\n' packet "Gb/s" "spead2-typed: complete, CPU s" "$theirs: complete, CPU s"
fi
for packet in $packets; do
  for rate in $rates; do
    for _ in $(seq "$runs"); do
      for who in $receivers; do run_one "$who" "$packet" "$rate"; done
    done
    cols=()
    for who in typed spead2; do
      f="$work/$who-$packet-$rate"
      if [ ! -f "$f" ]; then cols+=("not measured"); continue; fi
      pct=$(awk '{ print $1 }' "$f" | median); cpu=$(awk '{ print $2 }' "$f" | median); gbps=$(awk '{ print $3 }' "$f" | median)
      if [ "$tcp" = 1 ]; then cols+=("$gbps Gb/s, $cpu s"); else cols+=("$pct %, $cpu s"); fi
    done
    if [ "$tcp" = 1 ]; then printf '%-7s | %-28s | %-28s\n' "$packet" "${cols[0]}" "${cols[1]}"
    else printf '%-7s %-6s | %-30s | %-30s\n' "$packet" "$rate" "${cols[0]}" "${cols[1]}"; fi
  done
done
