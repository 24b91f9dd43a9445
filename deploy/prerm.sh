#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	systemctl stop trustd.service >/dev/null 2>&1 || true
	systemctl disable trustd.service >/dev/null 2>&1 || true
fi
