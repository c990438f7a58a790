#!/bin/sh
# Install the cloudbrowser bundle next to this script for the current user (or, with
# --prefix, anywhere): the app, a `cloudbrowser` command, the launcher entry, the icons and
# the AppStream metadata. No root needed, nothing outside PREFIX is touched.
#
#   ./install.sh                  # into ~/.local (the app in ~/.local/lib/cloudbrowser)
#   ./install.sh --prefix /opt/x  # elsewhere (e.g. /usr/local, as root)
#   ./install.sh --uninstall      # remove what an install put there
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix="${HOME}/.local"
action=install
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    --uninstall) action=uninstall; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

app_dir="$prefix/lib/cloudbrowser"
bin="$prefix/bin/cloudbrowser"
apps="$prefix/share/applications"
icons="$prefix/share/icons/hicolor"
metainfo="$prefix/share/metainfo"

refresh_caches() {
  # Launchers notice new entries and icons sooner with fresh caches; optional tools.
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps" || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$icons" || true
}

if [ "$action" = uninstall ]; then
  rm -rf "$app_dir"
  rm -f "$bin" "$apps/cloudbrowser.desktop" "$metainfo/io.github.cloudbrowser.metainfo.xml"
  find "$icons" -path '*/apps/cloudbrowser.*' -delete 2>/dev/null || true
  refresh_caches
  echo "cloudbrowser removed from $prefix"
  exit 0
fi

[ -x "$here/cloudbrowser/cloudbrowser" ] || { echo "install.sh: no bundle at $here/cloudbrowser" >&2; exit 1; }
mkdir -p "$prefix/lib" "$prefix/bin" "$apps" "$icons/scalable/apps" "$metainfo"
# Replace a previous version whole: stale libraries from an older bundle must not linger.
rm -rf "$app_dir.new"
cp -R "$here/cloudbrowser" "$app_dir.new"
rm -rf "$app_dir"
mv "$app_dir.new" "$app_dir"
ln -sf "$app_dir/cloudbrowser" "$bin"

for png in "$here"/share/icons/hicolor/*/apps/cloudbrowser.png; do
  size=$(basename "$(dirname "$(dirname "$png")")")
  mkdir -p "$icons/$size/apps"
  cp "$png" "$icons/$size/apps/cloudbrowser.png"
done
cp "$here/share/icons/cloudbrowser.svg" "$icons/scalable/apps/cloudbrowser.svg"
cp "$here/share/metainfo/io.github.cloudbrowser.metainfo.xml" "$metainfo/"
# The launcher runs the app by its full path: PREFIX/bin need not be on PATH.
sed -e "s|^Exec=cloudbrowser|Exec=$app_dir/cloudbrowser|" \
    -e "s|^TryExec=cloudbrowser|TryExec=$app_dir/cloudbrowser|" \
    "$here/share/applications/cloudbrowser.desktop" > "$apps/cloudbrowser.desktop"
refresh_caches
echo "cloudbrowser installed in $app_dir"
echo "  command:  $bin"
echo "  launcher: $apps/cloudbrowser.desktop"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "  (add $prefix/bin to PATH to type 'cloudbrowser')" ;; esac
