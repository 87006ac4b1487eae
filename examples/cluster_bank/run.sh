#!/usr/bin/env bash
# Runs the cluster_bank example on a cluster of its own: a ZooKeeper server
# (Debian's jars) and 3 entactd nodes on free fixed loopback ports (a node's
# 2PC name is its address: it must stay the same across a restart) in a
# temporary directory, `entact cluster create`, then the bank's clients
# (cluster_bank). Once half of the transfers are done, a node (--kill, n2
# by default; `none` for no kill) is killed with SIGKILL and restarted on
# its data directory and port 2 s later. Everything it started is stopped
# by PID at the end; the exit status is the example's (0 PASS, 1 FAIL).
#
#   bash examples/cluster_bank/run.sh [--build=DIR] [--transfers=N]
#        [--clients=N] [--accounts=N] [--kill=n1|n2|n3|none]
#
# --build is the build tree holding apps/entactd, apps/entact and
# examples/cluster_bank (default: build beside this source tree).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$here/../../build"
transfers=400
clients=4
accounts=30
victim=n2
for arg in "$@"; do
  case "$arg" in
    --build=*) build="${arg#--build=}" ;;
    --transfers=*) transfers="${arg#--transfers=}" ;;
    --clients=*) clients="${arg#--clients=}" ;;
    --accounts=*) accounts="${arg#--accounts=}" ;;
    --kill=*) victim="${arg#--kill=}" ;;
    *) echo "usage: $0 [--build=DIR] [--transfers=N] [--clients=N] [--accounts=N] [--kill=n1|n2|n3|none]" >&2
       exit 64 ;;
  esac
done
[[ "$victim" =~ ^(n1|n2|n3|none)$ ]] || { echo "--kill must be n1, n2, n3 or none" >&2; exit 64; }
entactd="$build/apps/entactd"
entact="$build/apps/entact"
example="$build/examples/cluster_bank"
for bin in "$entactd" "$entact" "$example"; do
  [[ -x "$bin" ]] || { echo "missing $bin: build it first" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/entact-cluster-bank-XXXXXX")"
pids=()
# Newest first: the clients, the nodes, then ZooKeeper (SIGTERM each, which
# entactd answers with a clean shutdown).
stop_all() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap stop_all EXIT

forget_pid() {
  local kept=()
  for pid in "${pids[@]}"; do
    [[ "$pid" == "$1" ]] || kept+=("$pid")
  done
  pids=("${kept[@]}")
}

# True if nothing listens on 127.0.0.1:$1.
port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A random high port nothing listens on now.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    if port_free "$port"; then
      echo "$port"
      return
    fi
  done
}

# True once ZooKeeper on 127.0.0.1:$1 answers "ruok" with "imok".
zk_answers() {
  local reply
  reply="$( (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf ruok >&3 &&
             timeout 2 cat <&3) 2>/dev/null || true)"
  [[ "$reply" == imok ]]
}

start_zookeeper() {
  local port
  for _ in 1 2 3 4 5; do
    port="$(free_port)"
    cat > "$work/zoo.cfg" <<CFG
tickTime=250
dataDir=$work/zk
clientPort=$port
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok
CFG
    java -Xmx128m -XX:+UseSerialGC \
      -cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar \
      org.apache.zookeeper.server.ZooKeeperServerMain "$work/zoo.cfg" \
      > "$work/zk.log" 2>&1 &
    zk_pid=$!
    pids+=("$zk_pid")
    for _ in $(seq 1 300); do
      if zk_answers "$port"; then
        zk_port=$port
        return 0
      fi
      kill -0 "$zk_pid" 2>/dev/null || break # exited: the port was taken
      sleep 0.1
    done
    kill "$zk_pid" 2>/dev/null || true
    wait "$zk_pid" 2>/dev/null || true
    forget_pid "$zk_pid"
  done
  echo "ZooKeeper did not start (see $work/zk.log)" >&2
  return 1
}

declare -A node_pid node_port
# Starts node $1 on its port and waits (at most 30 s) until it listens.
start_node() {
  local id=$1
  rm -f "$work/$id.port"
  "$entactd" --data-dir="$work/$id" --port="${node_port[$id]}" \
    --port-file="$work/$id.port" \
    --cluster="127.0.0.1:$zk_port/bank" --node-id="$id" \
    --cluster-min-members=3 --cluster-session-timeout-ms=2000 \
    --twopc-ask-after-ms=200 2>> "$work/$id.log" &
  node_pid[$id]=$!
  pids+=("$!")
  for _ in $(seq 1 300); do
    [[ -s "$work/$id.port" ]] && return 0
    kill -0 "${node_pid[$id]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "$id did not start (see $work/$id.log)" >&2
  return 1
}

start_zookeeper
echo "ZooKeeper on 127.0.0.1:$zk_port (pid $zk_pid)"
"$entact" cluster create --zk="127.0.0.1:$zk_port" --cluster=bank --shards=6
nodes=""
for id in n1 n2 n3; do
  node_port[$id]="$(free_port)"
  start_node "$id"
  nodes="$nodes${nodes:+,}127.0.0.1:${node_port[$id]}"
done
echo "nodes n1 n2 n3 on $nodes (pids ${node_pid[n1]} ${node_pid[n2]} ${node_pid[n3]})"

"$example" --cluster="127.0.0.1:$zk_port/bank" --nodes="$nodes" \
  --transfers="$transfers" --clients="$clients" --accounts="$accounts" \
  --midway-file="$work/midway" &
example_pid=$!
pids+=("$example_pid")

if [[ "$victim" != none ]]; then
  # Half of the transfers done (or the clients gone): kill, wait, restart.
  while [[ ! -e "$work/midway" ]] && kill -0 "$example_pid" 2>/dev/null; do
    sleep 0.1
  done
  if kill -0 "$example_pid" 2>/dev/null; then
    kill -KILL "${node_pid[$victim]}"
    wait "${node_pid[$victim]}" 2>/dev/null || true
    forget_pid "${node_pid[$victim]}" # reaped: its number may be reused
    echo ">>> killed $victim (SIGKILL, pid ${node_pid[$victim]}) after $(cat "$work/midway") transfers"
    sleep 2
    start_node "$victim"
    echo ">>> restarted $victim on its data directory and port (pid ${node_pid[$victim]})"
  fi
fi

status=0
wait "$example_pid" || status=$?
forget_pid "$example_pid"
exit "$status"
