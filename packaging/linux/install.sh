#!/usr/bin/env bash
# Per-user install of the Writer bundle: copies it to ~/.local/share/writer-app, puts
# Writer in the applications menu and its icon in the icon theme. No root needed.
# Run it from the unpacked bundle: ./install.sh   (./install.sh --uninstall removes it)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
TARGET="$DATA/writer-app"
DESKTOP="$DATA/applications/writer-app.desktop"
ICON="$DATA/icons/hicolor/256x256/apps/writer-app.png"

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$TARGET" "$DESKTOP" "$ICON"
    echo "Writer removed (your settings and texts are kept in your own folders)."
    exit 0
fi
mkdir -p "$TARGET" "$(dirname "$DESKTOP")" "$(dirname "$ICON")"
if [ "$HERE" != "$TARGET" ]; then
    rm -rf "$TARGET"
    cp -a "$HERE" "$TARGET"
fi
cp "$HERE/writer.png" "$ICON"
sed "s|@EXEC@|\"$TARGET/Writer\"|" "$HERE/writer-app.desktop" > "$DESKTOP"
chmod +x "$DESKTOP"
command -v update-desktop-database >/dev/null && update-desktop-database "$DATA/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q "$DATA/icons/hicolor" || true
echo "Writer installed in $TARGET; it is in your applications menu."
