#!/bin/sh
# Enable trustd on install; start it only on a running systemd.
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
	systemctl enable trustd.service >/dev/null 2>&1 || true
	systemctl restart trustd.service >/dev/null 2>&1 || true
fi
