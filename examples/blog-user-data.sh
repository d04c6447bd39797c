#!/bin/bash
# Boot script for the blog's instances (referenced by options.yaml).
set -euo pipefail
dnf install -y httpd
echo "ok" > /var/www/html/healthz
systemctl enable --now httpd
