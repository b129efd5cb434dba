// Command litellm is a STAND-IN for the LiteLLM proxy (image ghcr.io/berriai/litellm-non_root),
// not LiteLLM. LiteLLM cannot be installed where this project is tested (no PyPI), so the auth
// pool's litellm container runs this program in test clusters instead. It implements only what
// cloud-codex relies on, each behaviour checked against LiteLLM's source and cited at the code
// that implements it:
//
//   - the command line the pool passes (--config, --port, --num_workers; --host); anything else
//     is refused;
//   - config.yaml's model_list (chatgpt/ models and their aliases), general_settings.master_key
//     and database_url, litellm_settings.callbacks ["generic_api"], parsed with the project's
//     own litellmconfig package;
//   - POST /v1/responses and /responses with virtual-key auth and the key's model allowlist,
//     forwarded to {CHATGPT_API_BASE}/responses with the pool's ChatGPT access token, read from
//     $CHATGPT_TOKEN_DIR/$CHATGPT_AUTH_FILE on every request, the SSE stream relayed back;
//   - /key/generate, /key/update, /key/delete, /key/info with the master key;
//   - the public /health/liveliness, /health/liveness and /health/readiness;
//   - the generic_api logging callback to $GENERIC_LOGGER_ENDPOINT.
//
// Where the real proxy would refresh the ChatGPT token itself or start an interactive
// device-code login (no usable token in the file), the stand-in does neither and does not
// pretend to: it fails the request with an error naming what LiteLLM would do. See tests/standin/README.md for the full list, the upstream files each behaviour was
// checked against, and what is deliberately left out.
package main
