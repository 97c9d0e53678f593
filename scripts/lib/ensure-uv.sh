# shellcheck shell=bash
# Sourced by the scripts in scripts/: puts uv on PATH, installing it into .tools/
# (a private virtual environment) the first time, so a fresh machine needs only
# python3 (3.11+) and git.
if ! command -v uv >/dev/null 2>&1; then
    tools_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.tools"
    if [ ! -x "$tools_dir/bin/uv" ]; then
        echo "Installing uv into $tools_dir (first run only)..." >&2
        python3 -m venv "$tools_dir" || {
            echo "python3 cannot create a virtual environment. On Debian/Ubuntu: sudo apt install python3-venv" >&2
            exit 1
        }
        "$tools_dir/bin/python" -m pip install --quiet --disable-pip-version-check "uv>=0.5"
    fi
    # A folder holding only uv and uvx: on a PATH it adds them and nothing else of the
    # virtual environment (not its python or pip).
    mkdir -p "$tools_dir/uv"
    ln -sf "$tools_dir/bin/uv" "$tools_dir/bin/uvx" "$tools_dir/uv/"
    # uv is now on this script's PATH, not on the PATH of the shell that started it:
    # the generation hook reads EPA_TEMPLATE_UV_DIR to print the `export PATH=...` line
    # a new project's `make setup` needs.
    EPA_TEMPLATE_UV_DIR="$tools_dir/uv"
    PATH="$EPA_TEMPLATE_UV_DIR:$PATH"
    export PATH EPA_TEMPLATE_UV_DIR
fi
