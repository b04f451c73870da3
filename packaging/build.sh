#!/usr/bin/env bash
# Build the one-folder bundle into dist/Writer and, on Linux, a tarball beside it.
# Usage: packaging/build.sh [DISTDIR [WORKDIR]]   (run from the repository, venv ready)
set -euo pipefail
cd "$(dirname "$0")/.."
DIST=${1:-dist}
WORK=${2:-build}
PY=${PYTHON:-.venv/bin/python}
"$PY" -m PyInstaller --noconfirm --log-level WARN --distpath "$DIST" --workpath "$WORK" \
    packaging/writer.spec
if [ "$(uname -s)" = "Linux" ]; then
    cp packaging/linux/install.sh "$DIST/Writer/install.sh"
    cp resources/writer-app.desktop resources/writer.png "$DIST/Writer/"
    VERSION=$("$PY" -c "import writer_app; print(writer_app.__version__)")
    TARBALL="$DIST/Writer-$VERSION-linux-$(uname -m).tar.gz"
    tar -C "$DIST" -czf "$TARBALL" Writer
    echo "bundle: $DIST/Writer ($(du -sh "$DIST/Writer" | cut -f1)); tarball: $TARBALL"
fi
