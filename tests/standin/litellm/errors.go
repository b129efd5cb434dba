package main

import (
	"encoding/json"
	"log"
	"net/http"
	"strconv"
)

// proxyError is LiteLLM's error answer: ProxyException (litellm/proxy/_types.py) stores
// message, type, param and the status code as a string, and proxy_server.py's exception
// handler answers {"error": {"message", "type", "param", "code"}} with that status. The
// key registrar reads error.message (keyregistrar/client.go, messageOf).
type proxyError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    string  `json:"code"`
}

// Error types used here (ProxyErrorTypes in litellm/proxy/_types.py).
const (
	errAuth              = "auth_error"
	errBadRequest        = "bad_request_error"
	errNotFound          = "not_found_error"
	errKeyModelDenied    = "key_model_access_denied"
	errTokenNotFoundInDB = "token_not_found_in_db"
	errInternal          = "internal_server_error"
	errInvalidRequest    = "invalid_request_error"
	// errStandinLogin is the stand-in's own type for "the real proxy would log in now", so
	// tests can tell that state from every real error.
	errStandinLogin = "litellm_standin_device_login_required"
	// errStandinRefresh: the real proxy would refresh the access token itself now.
	errStandinRefresh = "litellm_standin_refresh_not_implemented"
)

func strPtr(s string) *string { return &s }

func writeProxyError(w http.ResponseWriter, status int, message, typ string, param *string) {
	writeJSON(w, status, map[string]proxyError{"error": {
		Message: message, Type: typ, Param: param, Code: strconv.Itoa(status),
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		log.Printf("litellm-standin: writing a %d answer: %v", status, err)
	}
}
