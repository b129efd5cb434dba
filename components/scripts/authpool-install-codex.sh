#!/bin/sh
# install-codex: install the pinned codex CLI for the device-auth station, once per version.
# Runs as an init container of the LiteLLM auth pool. It reuses an install of the same
# version already on the volume and fails loudly on any error (nothing is swallowed: a pod stuck
# in Init with this message beats a station without codex).
#   CODEX_VERSION   exact @openai/codex version
#   TOOLS_DIR       where versions are installed (on the chatgpt-auth volume)
set -eu

dest="$TOOLS_DIR/codex-$CODEX_VERSION"
bin="$dest/node_modules/.bin/codex"

# verify: does the install in $dest run and report the pinned version?
verify() {
	[ -x "$bin" ] || return 1
	got=$("$bin" --version) || return 1
	case "$got" in
	*"$CODEX_VERSION"*) return 0 ;;
	esac
	echo "install-codex: $bin reports '$got', expected version $CODEX_VERSION" >&2
	return 1
}

if verify; then
	echo "install-codex: reusing @openai/codex@$CODEX_VERSION in $dest ($got)"
else
	echo "install-codex: installing @openai/codex@$CODEX_VERSION into $dest"
	mkdir -p "$TOOLS_DIR"
	partial="$dest.partial"
	rm -rf "$partial" "$dest"
	mkdir -p "$partial"
	npm install --prefix "$partial" --no-audit --no-fund --no-update-notifier --omit=dev "@openai/codex@$CODEX_VERSION"
	# Only a complete install gets the final name, so a crash mid-install is redone.
	mv "$partial" "$dest"
	if ! verify; then
		echo "install-codex: the fresh install of @openai/codex@$CODEX_VERSION in $dest does not run; the pod stays in Init until this is fixed" >&2
		exit 1
	fi
	echo "install-codex: installed $got"
fi

# Other versions are no longer used by this pod.
for old in "$TOOLS_DIR"/codex-*; do
	[ -e "$old" ] || continue
	[ "$old" = "$dest" ] && continue
	echo "install-codex: removing $old"
	rm -rf "$old"
done
