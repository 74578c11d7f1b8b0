#!/usr/bin/env bash
# Makes sure PostgreSQL and RabbitMQ answer on 127.0.0.1: starts them when they are installed
# but stopped, installs them from Debian packages when they are missing.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
APT_UPDATED=""

apt_install() {
  if [ -z "$APT_UPDATED" ]; then $SUDO apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

wait_for() {  # wait_for NAME COMMAND... : up to 60 s
  local name=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "ensure-services: $name did not come up within 60 s" >&2
  return 1
}

postgres_ready() { pg_isready -q -h 127.0.0.1 -p 5432; }

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "ensure-services: installing PostgreSQL from Debian packages"
  apt_install postgresql postgresql-client
  cluster_dir=/etc/postgresql/$(ls /etc/postgresql | sort -V | tail -1)/main
  # The project's tests and `make run` connect as postgres over TCP without a password,
  # as on the python-svc machines; only loopback is trusted.
  $SUDO sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/; s/^(host\s+all\s+all\s+::1\/128\s+)\S+/\1trust/' "$cluster_dir/pg_hba.conf"
fi
if ! postgres_ready; then
  echo "ensure-services: starting PostgreSQL"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
  wait_for PostgreSQL postgres_ready
fi

rabbit_listens() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
# A broker that accepts the TCP connection but never answers the AMQP protocol header (seen
# when it ran out of file handles with hundreds of quorum queues) is up only in name.
rabbit_ready() {
  timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/5672 && printf "AMQP\x00\x00\x09\x01" >&3 \
    && head -c 1 <&3 | od -An -tx1 | grep -q 01' 2>/dev/null
}

start_rabbit() {
  # Quorum queues hold files open: start with the hard limit, not a login shell's 1024.
  if [ "$(id -u)" -eq 0 ] && id rabbitmq >/dev/null 2>&1; then
    su rabbitmq -s /bin/sh -c 'ulimit -n "$(ulimit -Hn)"; /usr/lib/rabbitmq/bin/rabbitmq-server -detached' || true
  else
    $SUDO rabbitmq-server -detached || true
  fi
}

if ! command -v rabbitmq-server >/dev/null 2>&1; then
  echo "ensure-services: installing RabbitMQ from Debian packages"
  apt_install rabbitmq-server
fi
if rabbit_listens && ! rabbit_ready && ! (sleep 20; rabbit_ready); then
  echo "ensure-services: RabbitMQ listens but does not answer AMQP; restarting it" >&2
  timeout 30 $SUDO rabbitmqctl stop >/dev/null 2>&1 || $SUDO pkill -f 'beam.smp.*rabbit' || true
  for _ in $(seq 1 30); do rabbit_listens || break; sleep 1; done
fi
if ! rabbit_ready; then
  echo "ensure-services: starting RabbitMQ"
  rabbit_listens || start_rabbit
  wait_for RabbitMQ rabbit_ready
fi
echo "ensure-services: PostgreSQL and RabbitMQ are up"
