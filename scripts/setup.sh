#!/usr/bin/env bash
# Install everything the testbed needs on a Debian 12 machine (run as root), idempotently:
# the Debian cross compilers and a virtual environment .venv/ with the package in it.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(gcc make python3 python3-venv gcc-mipsel-linux-gnu gcc-mips-linux-gnu gcc-powerpc-linux-gnu gcc-sparc64-linux-gnu gcc-12-multilib-sparc64-linux-gnu gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu gcc-mips64-linux-gnuabi64 pvm pvm-dev pvm-examples)
missing=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# python3 may come from elsewhere (pyenv); only insist on Debian's when none works (Debian
# ships ensurepip, which `python3 -m venv` needs, in python3-venv).
# (Debian ships ensurepip, which `python3 -m venv` needs, in python3-venv.)
if command -v python3 >/dev/null && python3 -c 'import venv, ensurepip, sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    kept=()
    for pkg in "${missing[@]}"; do
        [[ "$pkg" == python3 || "$pkg" == python3-venv ]] || kept+=("$pkg")
    done
    missing=("${kept[@]}")
fi
if ((${#missing[@]})); then
    echo "setup: installing Debian packages: ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: error: these packages are missing and installing them needs root: ${missing[*]}" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    python3 -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
    echo "setup: installing the testbed package and its dependencies into .venv"
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q -e '.[test]'
    rm -f .venv/.installed-*
    touch "$stamp"
fi
