#!/bin/sh
# auth-login N: log ChatGPT account N in with codex's device-auth flow and hand the result
# to the auth rotator. Runs in the codex-cli sidecar of the LiteLLM auth pool:
#
#   kubectl exec -n <namespace> -it deploy/<name> -c codex-cli -- auth-login <N>
#
# Everything it needs comes from the container's environment (set by the LiteLLMAuthPool
# component); nothing is templated into this file.
#   AUTH_POOL_DIR         the chatgpt-auth volume (auth-N.json files)
#   AUTH_POOL_ACCOUNTS    accounts in rotation, comma-separated (e.g. 1,2)
#   AUTH_POOL_RESERVED    reserved accounts, comma-separated, may be empty
#   AUTH_POOL_INTERVAL    rotation interval (for the message at the end)
#   AUTH_POOL_NAMESPACE, AUTH_POOL_DEPLOYMENT   for the commands printed at the end
#   CODEX_BIN             the pinned codex CLI
#   ROTATOR_BIN           the codex-auth-rotator binary
#   AUTH_POOL_LOGIN_CONFIG  codex's config.toml for the login (rendered by the component)
set -eu

die() {
	echo "auth-login: $*" >&2
	exit 1
}

usage() {
	echo "usage: auth-login N   (N: one of the configured accounts: in rotation ${AUTH_POOL_ACCOUNTS}; reserved ${AUTH_POOL_RESERVED:-none})" >&2
	exit 2
}

# in_list N LIST: is N one of the comma-separated LIST?
in_list() {
	case ",$2," in
	*",$1,"*) return 0 ;;
	esac
	return 1
}

[ "$#" -eq 1 ] || usage
n=$1
case "$n" in
'' | *[!0-9]* | 0*) die "account must be a positive number without leading zeros, got '$n'" ;;
esac

if in_list "$n" "$AUTH_POOL_ACCOUNTS"; then
	role=rotation
elif in_list "$n" "${AUTH_POOL_RESERVED:-}"; then
	role=reserved
else
	die "account $n is not configured (in rotation: ${AUTH_POOL_ACCOUNTS}; reserved: ${AUTH_POOL_RESERVED:-none}). Add it to Accounts.InRotation or Accounts.Reserved of the LiteLLMAuthPool and deploy first."
fi

[ -x "$CODEX_BIN" ] || die "codex CLI not found at $CODEX_BIN (the install-codex init container should have installed it)"
[ -x "$ROTATOR_BIN" ] || die "codex-auth-rotator not found at $ROTATOR_BIN (the build-rotator init container should have built it)"
[ -r "${AUTH_POOL_LOGIN_CONFIG:-}" ] || die "codex login config not found at '${AUTH_POOL_LOGIN_CONFIG:-}' (the scripts ConfigMap should provide it)"

# A throwaway HOME: every login produces a fresh ~/.codex/auth.json, and no credentials
# stay behind in this container.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP
unset CODEX_HOME OPENAI_API_KEY
mkdir -m 700 "$work/.codex"
# The login config keeps the login in a file (not a keyring): that file is what gets imported.
cp "$AUTH_POOL_LOGIN_CONFIG" "$work/.codex/config.toml"

echo "auth-login: starting the device-auth login for account $n ($role)."
echo "auth-login: open the URL below in a browser signed in to ChatGPT account $n and enter the code (valid 15 minutes)."
HOME="$work" "$CODEX_BIN" login --device-auth || die "codex login --device-auth failed for account $n; nothing was changed. Run auth-login $n again."

auth="$work/.codex/auth.json"
[ -s "$auth" ] || die "the login finished but codex wrote no $auth; nothing was changed. Run auth-login $n again."

# A first check here (the rotator's import validates everything again, including the JWTs).
node -e '
const fs = require("fs");
const a = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const t = a && a.tokens;
for (const k of ["id_token", "access_token", "refresh_token"]) {
  if (!t || typeof t[k] !== "string" || t[k] === "") {
    console.error("auth.json has no tokens." + k + ": the login is not a ChatGPT login");
    process.exit(1);
  }
}
' "$auth" || die "codex wrote an unusable auth.json for account $n; nothing was changed. Run auth-login $n again."

set -- import --dir "$AUTH_POOL_DIR" --accounts "$AUTH_POOL_ACCOUNTS" --namespace "$AUTH_POOL_NAMESPACE" --deployment "$AUTH_POOL_DEPLOYMENT"
if [ -n "${AUTH_POOL_RESERVED:-}" ]; then
	set -- "$@" --reserved "$AUTH_POOL_RESERVED"
fi
"$ROTATOR_BIN" "$@" "$n" --from "$auth" || die "the rotator refused the login for account $n; nothing was changed (see its message above)."

echo
echo "auth-login: account $n is stored in $AUTH_POOL_DIR/auth-$n.json (mode 0600)."
if [ "$role" = rotation ]; then
	echo "What happens next:"
	echo "  - If the pod was waiting for its first account (init container 'seed'), seed now writes LiteLLM's token file and LiteLLM starts."
	echo "  - Otherwise the rotator uses account $n at one of its next rotations (every ${AUTH_POOL_INTERVAL}), or as soon as the active account is parked."
else
	echo "What happens next:"
	echo "  - Account $n is reserved: the rotator never uses, refreshes or rewrites it."
	echo "  - To use it, move $n from Accounts.Reserved to Accounts.InRotation of the LiteLLMAuthPool and deploy."
	echo "  - Its refresh token is single-use: do not copy auth-$n.json anywhere else that might refresh it."
fi
echo "Check the accounts' state with:"
echo "  kubectl exec -n ${AUTH_POOL_NAMESPACE} deploy/${AUTH_POOL_DEPLOYMENT} -c codex-cli -- codex-auth-rotator status --dir ${AUTH_POOL_DIR}"
