#!/usr/bin/env bash
# Runs the cluster_users example on a cluster of its own: a ZooKeeper server
# (Debian's jars) and 3 entactd nodes on free loopback ports in a temporary
# directory, `entact cluster create`, then the users (cluster_users) while
# node n1 is killed with SIGKILL a third of the way in and restarted on its
# data directory a quarter later. Everything it started is stopped by PID at
# the end; the exit status is the example's (0 PASS, 1 FAIL).
#
#   bash examples/cluster_users/run.sh [--build=DIR] [--seconds=N] [--users=N]
#
# --build is the build tree holding apps/entactd, apps/entact and
# examples/cluster_users (default: build beside this source tree).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$here/../../build"
seconds=12
users=8
for arg in "$@"; do
  case "$arg" in
    --build=*) build="${arg#--build=}" ;;
    --seconds=*) seconds="${arg#--seconds=}" ;;
    --users=*) users="${arg#--users=}" ;;
    *) echo "usage: $0 [--build=DIR] [--seconds=N] [--users=N]" >&2; exit 64 ;;
  esac
done
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -ge 3 ]] || { echo "--seconds must be >= 3" >&2; exit 64; }
entactd="$build/apps/entactd"
entact="$build/apps/entact"
example="$build/examples/cluster_users"
for bin in "$entactd" "$entact" "$example"; do
  [[ -x "$bin" ]] || { echo "missing $bin: build it first" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/entact-cluster-users-XXXXXX")"
pids=()
# Newest first: the users, the nodes, then ZooKeeper (SIGTERM each, which
# entactd answers with a clean shutdown).
stop_all() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap stop_all EXIT

# True once ZooKeeper on 127.0.0.1:$1 answers "ruok" with "imok".
zk_answers() {
  local reply
  reply="$( (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf ruok >&3 &&
             timeout 2 cat <&3) 2>/dev/null || true)"
  [[ "$reply" == imok ]]
}

# Random high ports until one is free (a ZooKeeper that cannot bind exits).
start_zookeeper() {
  local port
  for _ in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
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

forget_pid() {
  local kept=()
  for pid in "${pids[@]}"; do
    [[ "$pid" == "$1" ]] || kept+=("$pid")
  done
  pids=("${kept[@]}")
}

declare -A node_pid
start_node() {
  local id=$1
  "$entactd" --data-dir="$work/$id" --port=0 --port-file="$work/$id.port" \
    --cluster="127.0.0.1:$zk_port/users" --node-id="$id" \
    --cluster-min-members=3 --cluster-session-timeout-ms=2000 \
    2> "$work/$id.log" &
  node_pid[$id]=$!
  pids+=("$!")
}

start_zookeeper
echo "ZooKeeper on 127.0.0.1:$zk_port (pid $zk_pid)"
"$entact" cluster create --zk="127.0.0.1:$zk_port" --cluster=users --shards=6
for id in n1 n2 n3; do
  start_node "$id"
done
echo "nodes n1 n2 n3 started (pids ${node_pid[n1]} ${node_pid[n2]} ${node_pid[n3]})"

"$example" --cluster="127.0.0.1:$zk_port/users" --seconds="$seconds" \
  --users="$users" &
example_pid=$!
pids+=("$example_pid")

# The users need a moment to connect and reset the counters; the kill comes
# a third of the way into their run, the restart a quarter later.
sleep $((2 + seconds / 3))
kill -KILL "${node_pid[n1]}"
wait "${node_pid[n1]}" 2>/dev/null || true
forget_pid "${node_pid[n1]}" # reaped: its number may be reused
echo ">>> killed n1 (SIGKILL, pid ${node_pid[n1]})"
sleep $(((seconds + 3) / 4))
start_node n1
echo ">>> restarted n1 on its data directory (pid ${node_pid[n1]})"

status=0
wait "$example_pid" || status=$?
forget_pid "$example_pid"
exit "$status"
