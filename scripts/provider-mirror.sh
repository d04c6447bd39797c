#!/usr/bin/env bash
# Finds the offline Terraform provider mirror of this machine and writes a Terraform CLI
# configuration that installs providers only from it. Prints the configuration's path.
#
#   scripts/provider-mirror.sh CACHE_DIR     # -> CACHE_DIR/terraformrc
#
# The one discovery routine: .ci/run and the integration tests (tests/it/support) both
# call it. HAGEN_TF_PROVIDER_MIRROR names the mirror root (the folder holding
# registry.terraform.io/) and skips the search. Exit 3 when no mirror exists: the caller
# then uses Terraform's own configuration (a machine that reaches the registry).
set -euo pipefail

cache=${1:?usage: provider-mirror.sh CACHE_DIR}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

find_mirror() {
  local candidate provider
  for candidate in "${HAGEN_TF_PROVIDER_MIRROR:-}" /opt/tf-plugins /usr/share/terraform/plugins \
    "$HOME/.terraform.d/plugins" "$HOME/.local/share/terraform/plugins"; do
    if [[ -n $candidate && -d $candidate/registry.terraform.io/hashicorp/aws ]]; then
      echo "$candidate"
      return
    fi
  done
  [[ -n ${HAGEN_TF_PROVIDER_MIRROR:-} ]] && return
  provider=$(find / \( -path /proc -o -path /sys -o -path /dev -o -path "$root" -o -name .terraform \) -prune \
    -o -name 'terraform-provider-aws_*' -path '*/registry.terraform.io/*' -print 2>/dev/null | head -n 1 || true)
  if [[ -n $provider ]]; then
    echo "${provider%%/registry.terraform.io/*}"
  fi
}

mirror=$(find_mirror)
if [[ -z $mirror ]]; then
  echo "no hashicorp/aws provider mirror found (set HAGEN_TF_PROVIDER_MIRROR to the folder holding registry.terraform.io/)" >&2
  exit 3
fi

mkdir -p "$cache"
linked="$cache/provider-mirror"
# Built in a fresh folder and swapped in, so concurrent callers never see half a mirror.
tmp=$(mktemp -d "$cache/.provider-mirror.XXXXXX")
# OpenTofu resolves `hashicorp/aws` to registry.opentofu.org, Terraform to
# registry.terraform.io: links serve the same providers under both names. Terraform does
# not follow links to folders above the platform level, so links are made per platform
# folder (unpacked layout) or per zip (packed layout).
for registry in registry.terraform.io registry.opentofu.org; do
  for entry in "$mirror"/registry.terraform.io/*/*/*/* "$mirror"/registry.terraform.io/*/*/*.zip; do
    [[ -e $entry ]] || continue
    relative=${entry#"$mirror"/registry.terraform.io/}
    mkdir -p "$tmp/$registry/$(dirname "$relative")"
    ln -s "$entry" "$tmp/$registry/$relative"
  done
done
# The Azure target's modules need hashicorp/azurerm, which no machine here can download:
# unless the mirror holds a real one, the schema-only stand-in in ../shared/azurerm
# (beside the repository; see its README) is installed into the cache and merged below.
# Under CI a missing stand-in is an error, not a skipped Azure test.
extra_dirs=${HAGEN_TF_EXTRA_PLUGIN_DIRS:-}
has_azurerm() {
  local dir
  for dir in "$mirror" $extra_dirs; do
    [[ -d $dir/registry.terraform.io/hashicorp/azurerm ]] && return 0
  done
  return 1
}
if ! has_azurerm; then
  standin="$root/../shared/azurerm/install"
  if [[ -x $standin ]]; then
    "$standin" "$cache/azurerm-plugins" >&2
    extra_dirs="$extra_dirs $cache/azurerm-plugins"
  elif [[ -n ${CI:-} && ${CI:-} != false && ${CI:-} != 0 ]]; then
    echo "error: no azurerm provider: $standin is missing (clone the shared/ folder beside the repository)" >&2
    exit 4
  else
    echo "note: no azurerm provider (no $standin); the Azure examples cannot initialise" >&2
  fi
fi
# Extra plugin folders (the azurerm stand-in, tests/support) are merged in the same way.
for extra in $extra_dirs; do
  for entry in "$extra"/registry.terraform.io/*/*/*/*; do
    [[ -e $entry ]] || continue
    relative=${entry#"$extra"/registry.terraform.io/}
    for registry in registry.terraform.io registry.opentofu.org; do
      mkdir -p "$tmp/$registry/$(dirname "$relative")"
      ln -sfn "$entry" "$tmp/$registry/$relative"
    done
  done
done
rm -rf "$linked.old"
[[ -e $linked ]] && mv "$linked" "$linked.old"
mv "$tmp" "$linked"
rm -rf "$linked.old"

config="$cache/terraformrc"
cat >"$config.tmp.$$" <<RC
# Written by scripts/provider-mirror.sh: providers come only from the offline mirror
# $mirror.
provider_installation {
  filesystem_mirror {
    path    = "$linked"
    include = ["registry.terraform.io/*/*", "registry.opentofu.org/*/*"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*", "registry.opentofu.org/*/*"]
  }
}
RC
mv "$config.tmp.$$" "$config"
echo "$config"
