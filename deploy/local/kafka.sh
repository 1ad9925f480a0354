#!/usr/bin/env bash
# Local Kafka in KRaft mode on loopback (DESIGN.md section 8): the shared single broker, a private single broker,
# or a small cluster for fault tests (issue 13). Idempotent.
# Usage: kafka.sh [start|stop|status|bootstrap|topics] [--brokers N] [--dir DIR] [--port P] [-- <TopicCommand args>]
#   (no options)        the shared broker+controller on 127.0.0.1:9092 (controller 9093), state in .infra/kafka/
#   --dir D --port P    a private single broker, same config (RF 1), broker port P, controller P+1, state in D/
#   --brokers N (2..5)  a cluster, default D=.infra/kafka-cluster P=9192: node i (1-based) is node.id=i, broker and
#                       controller, broker port P+2(i-1), controller port P+2(i-1)+1; static quorum of all N nodes
# Files (a relative D is taken from the repo root; `status` prints every pid file):
#   single:  D/{server.properties,admin.properties,kafka.pid,data/,logs/}
#   cluster: D/{cluster.id,admin.properties,logs/tools.log}, D/node<i>/{server.properties,kafka.pid,data/,logs/}
# start: starts every node that is not running (heals a killed one), then waits until each answers on its own port.
# stop: TERM, KILL after 30 s. status: a line per node, exit 1 if any is down. bootstrap: prints host:port,...
# topics: TopicCommand against the first answering node; options before `--` are ours, after it TopicCommand's.
# Jars come from Maven Central via deploy/local/kafka/pom.xml into .infra/kafka/libs, shared by every layout.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CONF=$HERE/kafka
SHARED=$ROOT/.infra/kafka # the shared broker's state, and the one copy of the jars for all layouts
LIBS=$SHARED/libs
READY_TIMEOUT=${KAFKA_READY_TIMEOUT:-90}

say() { echo "kafka.sh: $*"; }
die() { echo "kafka.sh: ERROR: $*" >&2; exit 1; }
usage() { die "usage: $0 [start|stop|status|bootstrap|topics] [--brokers N] [--dir DIR] [--port P] [-- <TopicCommand args>]"; }

CMD='' BROKERS=1 DIR_OPT='' PORT_OPT='' ARGS=()
opt() {
  case $1 in
    --brokers) BROKERS=$2 ;;
    --dir) DIR_OPT=$2 ;;
    --port) PORT_OPT=$2 ;;
  esac
}
while (($#)); do
  case $1 in
    --brokers | --dir | --port) (($# >= 2)) || usage; opt "$1" "$2"; shift 2 ;;
    --brokers=* | --dir=* | --port=*) opt "${1%%=*}" "${1#*=}"; shift ;;
    --) shift; ARGS+=("$@"); break ;;
    *)
      if [[ -z $CMD && $1 =~ ^(start|stop|status|bootstrap|topics)$ ]]; then CMD=$1
      elif [[ $CMD == topics ]]; then ARGS+=("$1") # `topics --list` without `--` keeps working
      else usage; fi
      shift ;;
  esac
done
CMD=${CMD:-start}
[[ $CMD == topics || ${#ARGS[@]} -eq 0 ]] || usage
[[ $BROKERS =~ ^[1-5]$ ]] || die "--brokers must be 1..5"
N=$BROKERS
if ((N == 1)); then
  # A bare --port would rewrite the shared broker's config under it.
  [[ -n $DIR_OPT || -z $PORT_OPT ]] || die "--port needs --dir ($SHARED belongs to the shared broker on 9092)"
  DIR=${DIR_OPT:-$SHARED} PORT=${PORT_OPT:-9092}
else
  DIR=${DIR_OPT:-$ROOT/.infra/kafka-cluster} PORT=${PORT_OPT:-9192}
fi
[[ $DIR == /* ]] || DIR=$ROOT/$DIR
DIR=${DIR%/}
if ! [[ $PORT =~ ^[1-9][0-9]*$ ]] || ((PORT < 1024 || PORT + 2 * N > 65536)); then die "bad --port $PORT"; fi
SHARED_BROKER=false
[[ $DIR == "$SHARED" ]] && SHARED_BROKER=true
if [[ $SHARED_BROKER == true ]]; then
  ((N == 1 && PORT == 9092)) || die "$SHARED is the shared broker on 9092; give a cluster its own --dir"
elif ((PORT <= 9093 && PORT + 2 * N > 9092)); then
  die "ports $PORT..$((PORT + 2 * N - 1)) overlap the shared broker's 9092/9093; pick another --port"
fi

# Node i: its directory, broker port and controller port. A single broker keeps today's flat layout in DIR.
NODES=() NODE_DIR=() NODE_PORT=() NODE_CTRL=() ADDRS=() VOTERS=()
for ((i = 1; i <= N; i++)); do
  NODES+=("$i")
  if ((N == 1)); then NODE_DIR[i]=$DIR; else NODE_DIR[i]=$DIR/node$i; fi
  NODE_PORT[i]=$((PORT + 2 * (i - 1)))
  NODE_CTRL[i]=$((PORT + 2 * (i - 1) + 1))
  ADDRS+=("127.0.0.1:${NODE_PORT[i]}")
  VOTERS+=("$i@127.0.0.1:${NODE_CTRL[i]}")
done
BOOTSTRAP=$(IFS=,; echo "${ADDRS[*]}")
cfg_of() { echo "${NODE_DIR[$1]}/server.properties"; }
pidfile_of() { echo "${NODE_DIR[$1]}/kafka.pid"; }
logs_of() { echo "${NODE_DIR[$1]}/logs"; }
name_of() { if ((N == 1)); then echo broker; else echo "node $1"; fi; }

ensure_tools() {
  command -v java >/dev/null && command -v mvn >/dev/null && return 0
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    say "installing Java 17 and Maven (apt-get)..."
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q openjdk-17-jre-headless maven >/dev/null
  else
    die "java (17+) and mvn are required; on Debian: sudo apt-get install openjdk-17-jre-headless maven"
  fi
}

# Resolve the broker's jars once; redone only when pom.xml changes.
ensure_libs() {
  local stamp
  stamp=$(sha256sum "$CONF/pom.xml" | cut -d' ' -f1)
  [[ -f $LIBS/.complete && $(cat "$LIBS/.complete") == "$stamp" ]] && return 0
  say "resolving Kafka jars with Maven (first time only)..."
  local start=$SECONDS
  rm -rf "$LIBS" "$LIBS.tmp"
  mkdir -p "$SHARED/logs"
  if ! mvn -B -f "$CONF/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$LIBS.tmp" >"$SHARED/logs/mvn.log" 2>&1; then
    tail -n 30 "$SHARED/logs/mvn.log" >&2
    die "mvn dependency:copy-dependencies failed (full output: $SHARED/logs/mvn.log)"
  fi
  mv "$LIBS.tmp" "$LIBS"
  echo "$stamp" >"$LIBS/.complete"
  say "resolved $(find "$LIBS" -name '*.jar' | wc -l) jars in $((SECONDS - start)) s"
}

# Refuse to reuse a directory laid out for another shape or port: we would miss its pid files, or rewrite
# the config of running nodes with other ports.
check_layout() {
  local have port
  [[ -d $DIR ]] || return 0
  have=$(find "$DIR" -maxdepth 1 -type d -name 'node[0-9]*' 2>/dev/null | wc -l)
  if ((N == 1 && have > 0)) || ((N > 1 && have > 0 && have != N)); then
    die "$DIR holds a $have-node cluster; pass --brokers $have"
  fi
  ((N > 1)) && [[ -f $DIR/server.properties ]] && die "$DIR holds a single broker; drop --brokers"
  [[ -f $(cfg_of 1) ]] || return 0
  port=$(sed -n 's|^listeners=PLAINTEXT://[^:]*:\([0-9]*\),.*|\1|p' "$(cfg_of 1)")
  [[ -z $port || $port == "${NODE_PORT[1]}" ]] || die "$DIR is set up for port $port; pass --port $port"
}

write_single_config() {
  cat >"$(cfg_of 1)" <<EOF
# Generated by deploy/local/kafka.sh; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:${NODE_CTRL[1]}
listeners=PLAINTEXT://127.0.0.1:${NODE_PORT[1]},CONTROLLER://127.0.0.1:${NODE_CTRL[1]}
advertised.listeners=PLAINTEXT://127.0.0.1:${NODE_PORT[1]}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${NODE_DIR[1]}/data
num.partitions=3
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
EOF
}

# Every node is a voter of a static quorum (controller.quorum.voters), so the voter set needs no bootstrapping.
# RF 3 / min ISR 2 lets one node die without losing acked writes or blocking acks=all producers.
write_cluster_config() {
  local i=$1 rf=$((N < 3 ? N : 3)) isr
  isr=$((rf > 2 ? 2 : 1))
  cat >"$(cfg_of "$i")" <<EOF
# Generated by deploy/local/kafka.sh; edits are overwritten.
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$(IFS=,; echo "${VOTERS[*]}")
listeners=PLAINTEXT://127.0.0.1:${NODE_PORT[i]},CONTROLLER://127.0.0.1:${NODE_CTRL[i]}
advertised.listeners=PLAINTEXT://127.0.0.1:${NODE_PORT[i]}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${NODE_DIR[i]}/data
num.partitions=6
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
unclean.leader.election.enable=false
EOF
}

write_config() {
  mkdir -p "$(logs_of "$1")" "${NODE_DIR[$1]}/data" "$DIR/logs"
  if ((N == 1)); then write_single_config; else write_cluster_config "$1"; fi
  cat >"$DIR/admin.properties" <<EOF
request.timeout.ms=5000
default.api.timeout.ms=10000
EOF
}

# A short-lived JVM running a Kafka tool class with the resolved jars (an array, so `timeout` can run it).
TOOL=(java -Xmx256m -XX:TieredStopAtLevel=1 -cp "$LIBS/*" -Dkafka.logs.dir="$DIR/logs" -Dkafka.log.name=tools
  -Dlog4j2.configurationFile="$CONF/log4j2.properties")
tool() { "${TOOL[@]}" "$@"; }
topic_command() { # <bootstrap> <TopicCommand args>
  local server=$1; shift
  tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$server" --command-config "$DIR/admin.properties" "$@"
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Readiness = an admin client can list topics (an open port alone is not enough).
admin_lists() {
  [[ -f $DIR/admin.properties ]] && timeout 30 "${TOOL[@]}" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$1" --command-config "$DIR/admin.properties" --list >/dev/null 2>&1
}
# An ApiVersions v0 request answered on the node's own port. A broker serves its port only after it has caught
# up with the metadata log and been unfenced, and unlike an admin client this asks no other node (so a peer
# that is SIGSTOPped cannot make this node look down). A frozen node accepts the connection but never replies.
api_versions() {
  # shellcheck disable=SC2016 # the inner shell expands $1
  timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x01\xff\xff" >&3
    [[ $(head -c 4 <&3 | wc -c) -eq 4 ]]' _ "$1" 2>/dev/null
}
answering() { # <node>
  local port=${NODE_PORT[$1]}
  port_open "$port" || return 1
  if ((N == 1)); then admin_lists "127.0.0.1:$port"; else api_versions "$port"; fi
}

# alive is false for a zombie (a node we started that died): kill -0 alone would still succeed.
alive() { [[ -r /proc/$1/cmdline ]] && grep -qa 'kafka.Kafka' "/proc/$1/cmdline"; }
running_pid() { # <node>
  local pid pidfile
  pidfile=$(pidfile_of "$1")
  [[ -f $pidfile ]] || return 1
  pid=$(cat "$pidfile")
  if [[ -n $pid ]] && alive "$pid" && grep -qaF "$(cfg_of "$1")" "/proc/$pid/cmdline"; then
    echo "$pid"
  else
    return 1
  fi
}
any_alive() { local p; for p in "$@"; do alive "$p" && return 0; done; return 1; }
frozen() { [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == T ]]; }

# The shared and private single brokers self-bootstrap their quorum (--standalone); cluster nodes share one
# cluster id (kept in DIR/cluster.id) and a static voter set, so they are formatted without --standalone.
format_storage() { # <nodes...>
  local i id todo=() jobs=()
  for i in "$@"; do [[ -f ${NODE_DIR[i]}/data/meta.properties ]] || todo+=("$i"); done
  ((${#todo[@]})) || return 0
  if ((N == 1)); then
    id=$(tool kafka.tools.StorageTool random-uuid)
    say "formatting KRaft storage (cluster id $id)..."
    tool kafka.tools.StorageTool format --standalone -t "$id" -c "$(cfg_of 1)" >/dev/null
    return 0
  fi
  [[ -s $DIR/cluster.id ]] || tool kafka.tools.StorageTool random-uuid >"$DIR/cluster.id"
  id=$(cat "$DIR/cluster.id")
  say "formatting KRaft storage of node(s) ${todo[*]} (cluster id $id)..."
  for i in "${todo[@]}"; do
    tool kafka.tools.StorageTool format -t "$id" -c "$(cfg_of "$i")" >"$(logs_of "$i")/format.log" 2>&1 &
    jobs+=($!)
  done
  for i in "${!jobs[@]}"; do
    wait "${jobs[i]}" || { cat "$(logs_of "${todo[i]}")/format.log" >&2; die "formatting node ${todo[i]} failed"; }
  done
}

launch() { # <node>: prints the pid
  local i=$1 heap=(-Xms256m -Xmx768m) logs
  ((N == 1)) || heap=(-Xms128m -Xmx512m) # several nodes share 2 cores and the services' memory
  logs=$(logs_of "$i")
  setsid nohup java "${heap[@]}" -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true -cp "$LIBS/*" \
    -Dkafka.logs.dir="$logs" -Dkafka.log.name=server -Dlog4j2.configurationFile="$CONF/log4j2.properties" \
    kafka.Kafka "$(cfg_of "$i")" >"$logs/stdout.log" 2>&1 </dev/null &
  echo "$!" >"$(pidfile_of "$i")"
}

dump_logs() { # <node>
  local logs
  logs=$(logs_of "$1")
  echo "--- tail of $logs/server.log ---" >&2; tail -n 40 "$logs/server.log" >&2 2>/dev/null || true
  echo "--- tail of $logs/stdout.log ---" >&2; tail -n 20 "$logs/stdout.log" >&2 2>/dev/null || true
}

# Waits until every node answers on its own port; a cluster then also has to list topics through an admin
# client (the same test as the single broker's). Gives up early when a node's process has died.
wait_ready() {
  local i pid deadline=$((SECONDS + READY_TIMEOUT)) pending=("${NODES[@]}") left
  if ((N == 1)); then
    say "waiting for the broker to answer admin requests (up to ${READY_TIMEOUT}s)..."
  else
    say "waiting for nodes ${NODES[*]} to answer admin requests (up to ${READY_TIMEOUT}s)..."
  fi
  while ((${#pending[@]})); do
    left=()
    for i in "${pending[@]}"; do
      if answering "$i"; then
        ((N == 1)) || say "node $i answers on 127.0.0.1:${NODE_PORT[i]}"
        continue
      fi
      left+=("$i")
      if ! pid=$(running_pid "$i"); then
        dump_logs "$i"; rm -f "$(pidfile_of "$i")"
        die "Kafka did not become ready on 127.0.0.1:${NODE_PORT[i]} ($(name_of "$i") exited)"
      fi
      if ((SECONDS >= deadline)); then
        dump_logs "$i"
        ! frozen "$pid" || say "$(name_of "$i") (pid $pid) is stopped (SIGSTOP); send it SIGCONT"
        die "Kafka did not become ready on 127.0.0.1:${NODE_PORT[i]}"
      fi
    done
    pending=("${left[@]}")
    ((${#pending[@]})) && sleep 2
  done
  ((N == 1)) && return 0
  until admin_lists "$BOOTSTRAP"; do
    ((SECONDS < deadline)) || die "every node answers, but an admin client cannot list topics on $BOOTSTRAP"
    sleep 2
  done
}

start() {
  local i pid down=()
  check_layout
  for i in "${NODES[@]}"; do running_pid "$i" >/dev/null || down+=("$i"); done
  if ((${#down[@]} == 0)); then
    if ((N == 1)); then
      pid=$(running_pid 1)
      answering 1 && { say "already running (pid $pid) on $BOOTSTRAP"; return 0; }
      wait_ready; say "ready on $BOOTSTRAP (pid $pid)"; return 0
    fi
    wait_ready; say "cluster of $N ready on $BOOTSTRAP"; return 0
  fi
  ensure_tools
  ensure_libs
  for i in "${down[@]}"; do
    write_config "$i"
    answering "$i" || continue
    [[ $SHARED_BROKER == true ]] || die "something not started by this script answers on 127.0.0.1:${NODE_PORT[i]}"
    say "something already answers on $BOOTSTRAP (not started by this script); using it"; return 0
  done
  format_storage "${down[@]}"
  # All at once: a cluster node answers only after a majority of the quorum is up.
  for i in "${down[@]}"; do
    if ((N == 1)); then say "starting broker..."; else say "starting node $i..."; fi
    launch "$i"
  done
  wait_ready
  if ((N == 1)); then
    say "ready on $BOOTSTRAP (pid $(running_pid 1), logs in $(logs_of 1))"
  else
    say "cluster of $N ready on $BOOTSTRAP (started node(s) ${down[*]}; state in $DIR)"
  fi
}

# TERM every node at once (the last ones would otherwise wait for a quorum that is gone); CONT so a
# SIGSTOPped node sees the TERM too.
stop() {
  local i pid pids=()
  check_layout
  for i in "${NODES[@]}"; do
    if pid=$(running_pid "$i"); then
      say "stopping $(name_of "$i") (pid $pid)..."
      kill -TERM "$pid" 2>/dev/null || true; kill -CONT "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  if ((${#pids[@]} == 0)); then
    say "not running"
    for i in "${NODES[@]}"; do rm -f "$(pidfile_of "$i")"; done
    return 0
  fi
  for _ in $(seq 1 30); do any_alive "${pids[@]}" || break; sleep 1; done
  for pid in "${pids[@]}"; do
    alive "$pid" || continue
    if ((N == 1)); then say "still alive after 30 s, sending SIGKILL"; else say "pid $pid still alive after 30 s, sending SIGKILL"; fi
    kill -KILL "$pid" 2>/dev/null || true
  done
  for i in "${NODES[@]}"; do rm -f "$(pidfile_of "$i")"; done
  say "stopped"
}

# One key=value line per node for the fault tests (state: answering | not-answering | frozen | down).
status() {
  local i pid state bad=0
  check_layout
  if [[ $SHARED_BROKER == true ]]; then
    if pid=$(running_pid 1); then
      if answering 1; then say "running (pid $pid) on $BOOTSTRAP"; else say "process $pid is up but not answering yet"; fi
      return 0
    fi
    say "not running"; return 1
  fi
  say "$N node(s) in $DIR, bootstrap $BOOTSTRAP"
  for i in "${NODES[@]}"; do
    if ! pid=$(running_pid "$i"); then pid=-; state=down
    elif frozen "$pid"; then state=frozen
    elif answering "$i"; then state=answering
    else state=not-answering; fi
    [[ $state == answering ]] || bad=1
    echo "node=$i pid=$pid port=${NODE_PORT[i]} controller=${NODE_CTRL[i]} state=$state pidfile=$(pidfile_of "$i")"
  done
  return "$bad"
}

topics() {
  local i pid
  [[ -f $LIBS/.complete && -f $DIR/admin.properties ]] || die "run '$0 start' first"
  if ((N == 1)); then topic_command "$BOOTSTRAP" "$@"; return; fi
  for i in "${NODES[@]}"; do
    pid=$(running_pid "$i") && frozen "$pid" && continue # its probe would only time out
    answering "$i" && { topic_command "127.0.0.1:${NODE_PORT[i]}" "$@"; return; }
  done
  die "no node of the cluster answers on $BOOTSTRAP"
}

case $CMD in
  start) start ;;
  stop) stop ;;
  status) status ;;
  bootstrap) echo "$BOOTSTRAP" ;;
  topics) check_layout; topics "${ARGS[@]}" ;;
esac
