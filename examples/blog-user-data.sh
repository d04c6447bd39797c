#!/bin/bash
# Boot script for the blog's instances (referenced by options.yaml). hagen's own boot
# script has already written the app's connection facts to /etc/hagen/app.env.
set -euo pipefail
dnf install -y httpd
# The app port (compute.port) and the health check port (load_balancer.health_check.port);
# both serve /var/www/html, where /healthz answers the check.
cat >/etc/httpd/conf.d/app.conf <<'HTTPD'
Listen 8080
Listen 8081
HTTPD
echo "ok" > /var/www/html/healthz
systemctl enable --now httpd
