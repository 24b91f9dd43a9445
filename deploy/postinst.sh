#!/bin/sh
# Enable trustd on install; start it only on a running systemd.
set -e
# The unit's SupplementaryGroups must exist or systemd refuses to start it;
# stock Debian has dialout and video but not the Raspberry Pi's i2c, spi
# and gpio.
for g in i2c spi gpio; do
	getent group "$g" >/dev/null || groupadd --system "$g"
done
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
	systemctl enable trustd.service >/dev/null 2>&1 || true
	systemctl restart trustd.service >/dev/null 2>&1 || true
fi
