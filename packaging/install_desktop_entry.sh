#!/usr/bin/env bash
# Register KineScore in the desktop menu of the current user (Linux, freedesktop.org).
# Usage: bash packaging/install_desktop_entry.sh [PATH_TO_KINESCORE_EXECUTABLE]
#   default: dist/kinescore/kinescore (the bundle) if built, else .venv/bin/kinescore.
set -euo pipefail
cd "$(dirname "$0")/.."
exe=${1:-}
if [[ -z $exe ]]; then
  for c in dist/kinescore/kinescore .venv/bin/kinescore; do [[ -x $c ]] && exe=$c && break; done
fi
[[ -n $exe && -x $exe ]] || { echo "error: no kinescore executable found; build the bundle or run packaging/setup.sh first" >&2; exit 1; }
exe=$(cd "$(dirname "$exe")" && pwd)/$(basename "$exe")  # absolute, symlinks kept (venv)
apps=${XDG_DATA_HOME:-$HOME/.local/share}/applications
icons=${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor
mkdir -p "$apps" "$icons/scalable/apps" "$icons/256x256/apps"
cp resources/icons/kinescore.svg "$icons/scalable/apps/kinescore.svg"
cp resources/icons/kinescore.png "$icons/256x256/apps/kinescore.png"
sed -e "s|^Exec=kinescore|Exec=\"$exe\"|" -e "s|^TryExec=kinescore|TryExec=$exe|" \
  packaging/kinescore.desktop > "$apps/kinescore.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$apps" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$icons" || true
echo "installed $apps/kinescore.desktop -> $exe"
