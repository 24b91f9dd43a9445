#!/bin/sh
# boot-test.sh DEB: install the package on a fresh Debian with systemd as
# PID 1 and check that the unit starts, reloads, stops cleanly and comes
# back after a SIGKILL. The Debian root file system is made with mmdebstrap
# and booted with systemd-nspawn (Debian packages mmdebstrap and
# systemd-container; run as root). `make boot-test` runs it on the amd64
# package.
set -eu
deb=$(readlink -f "$1")
work=${BOOT_TEST_DIR:-dist/boot-test}
root=$work/rootfs
machine=trustd-boot-test

if [ ! -x "$root/usr/lib/systemd/systemd" ]; then
	rm -rf "$root" && mkdir -p "$work"
	# The container has no network (its broker must not meet the host's):
	# the package's dependencies are put in here, and
	# TestUnitCommandsAreInstalled checks that they are declared.
	mmdebstrap --variant=minbase --include=systemd,systemd-sysv,dbus,mosquitto,procps,ca-certificates \
		bookworm "$root"
fi
cp "$deb" "$root/root/trustagent.deb"

systemd-nspawn -D "$root" -b --machine=$machine --private-network --register=no --keep-unit --console=passive >"$work/boot.log" 2>&1 &
nspawn=$!
trap 'kill $nspawn 2>/dev/null; wait $nspawn 2>/dev/null || true' EXIT
pid1=
for _ in $(seq 60); do
	pid1=$(pgrep -P $nspawn -x systemd || true)
	[ -n "$pid1" ] && break
	sleep 1
done
[ -n "$pid1" ] || { cat "$work/boot.log"; echo "boot-test: the container did not boot"; exit 1; }
inside() { nsenter -t "$pid1" -a /bin/sh -c "$1"; }
for _ in $(seq 60); do
	state=$(inside 'systemctl is-system-running' || true)
	case $state in running|degraded) break ;; esac
	sleep 1
done
echo "boot-test: systemd is PID 1 in the container ($state)"

inside 'apt-get install -y -q /root/trustagent.deb >/root/apt.log 2>&1 || { cat /root/apt.log; exit 1; }'
sleep 5
inside 'systemctl is-active trustd' || { inside 'systemctl status trustd --no-pager -l; journalctl -u trustd --no-pager | tail -30'; exit 1; }
echo "boot-test: trustd started by the package"
inside 'journalctl -u trustd --no-pager | grep -q "running the packaged model"' ||
	{ echo "boot-test: the packaged models do not judge"; exit 1; }
inside 'systemctl reload trustd' || { inside 'journalctl -u trustd --no-pager | tail -20'; exit 1; }
sleep 2
inside 'journalctl -u trustd --no-pager | grep -q "configuration and models reloaded"'
echo "boot-test: reload (SIGHUP) applied"
inside 'systemctl stop trustd'
inside 'journalctl -u trustd --no-pager | grep -q "STALE: trustd stopping"'
echo "boot-test: clean stop published STALE"
inside 'systemctl start trustd && sleep 3 && systemctl kill -s KILL trustd'
sleep 8
restarts=$(inside 'systemctl show trustd -p NRestarts --value')
inside 'systemctl is-active trustd' >/dev/null && [ "$restarts" -ge 1 ] ||
	{ echo "boot-test: not restarted after SIGKILL"; exit 1; }
echo "boot-test: restarted after SIGKILL ($restarts restart)"
inside 'journalctl -u trustd -p warning --no-pager -o cat | grep -q "\"level\":\"warn\""' ||
	{ echo "boot-test: warnings do not reach journald with their priority"; exit 1; }
echo "boot-test: warnings reach journald as warnings"
inside 'systemd-analyze security trustd --no-pager | tail -1'
echo "boot-test: pass"
