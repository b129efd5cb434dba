package serverversion

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeAPIServer answers /version like kube-apiserver (anonymously) with major.minor.
func fakeAPIServer(t *testing.T, major, minor string, status int) (kubeconfig string) {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/version" || r.Header.Get("Authorization") != "" {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		if status != http.StatusOK {
			http.Error(w, "Unauthorized", status)
			return
		}
		fmt.Fprintf(w, `{"major": %q, "minor": %q, "gitVersion": "v%s.%s.3"}`, major, minor, major, minor)
	}))
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	return fmt.Sprintf(`apiVersion: v1
kind: Config
current-context: test
contexts:
- name: other
  context: {cluster: nowhere, user: u}
- name: test
  context: {cluster: test, user: u}
clusters:
- name: nowhere
  cluster: {server: "https://127.0.0.1:1"}
- name: test
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: u
  user: {token: not-sent}
`, srv.URL, base64.StdEncoding.EncodeToString(ca))
}

func TestServerVersionOlderThan129IsRefusedWithTheReason(t *testing.T) {
	_, err := Check(context.Background(), fakeAPIServer(t, "1", "28", http.StatusOK), "")
	require.Error(t, err)
	require.False(t, errors.Is(err, ErrUnknown))
	require.Contains(t, err.Error(), "Kubernetes v1.28.3")
	require.Contains(t, err.Error(), "1.29 or newer")
	require.Contains(t, err.Error(), "native sidecar")
}

func TestServerVersionNewEnoughPasses(t *testing.T) {
	for _, minor := range []string{"29", "37", "31+"} {
		v, err := Check(context.Background(), fakeAPIServer(t, "1", minor, http.StatusOK), "")
		require.NoError(t, err, minor)
		require.NotEmpty(t, v)
	}
}

func TestServerVersionUnknownIsNotFatal(t *testing.T) {
	// Anonymous /version refused: the provider gets to report with real credentials.
	_, err := Check(context.Background(), fakeAPIServer(t, "1", "30", http.StatusUnauthorized), "")
	require.ErrorIs(t, err, ErrUnknown)
	// Unreachable server (the kubeconfig's other context).
	_, err = Check(context.Background(), fakeAPIServer(t, "1", "30", http.StatusOK), "other")
	require.ErrorIs(t, err, ErrUnknown)
	// No kubeconfig at all.
	_, err = Check(context.Background(), filepath.Join(t.TempDir(), "missing"), "")
	require.ErrorIs(t, err, ErrUnknown)
}

func TestServerVersionReadsAKubeconfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	require.NoError(t, os.WriteFile(path, []byte(fakeAPIServer(t, "1", "27", http.StatusOK)), 0o600))
	_, err := Check(context.Background(), path, "")
	require.ErrorContains(t, err, "1.29 or newer")
	t.Setenv("KUBECONFIG", path+string(os.PathListSeparator)+"/nonexistent")
	_, err = Check(context.Background(), "", "")
	require.ErrorContains(t, err, "1.29 or newer", "$KUBECONFIG's first file")
}
