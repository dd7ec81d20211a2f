#!/usr/bin/env bash
# Installs the Debian packages briefing needs to build, test and demo.
# Idempotent: installs only what is missing; prints what it does.
set -eu
pkgs=(
	build-essential pkg-config
	libncurses-dev libcurl4-openssl-dev libxml2-dev libsqlite3-dev libcmocka-dev
	zlib1g-dev python3 tmux clang
	cmark
)
missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#pkgs[@]} packages present"
	exit 0
fi
echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then sudo=; elif command -v sudo >/dev/null; then sudo=sudo; else
	echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
