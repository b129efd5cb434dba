package serverversion

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// apiServer is a fake kube-apiserver answering /version with major.minor to the clients
// auth lets through (nil: anyone, as Kubernetes' default system:public-info-viewer).
type apiServer struct{ url, caData string }

func newAPIServer(t *testing.T, major, minor string, auth func(*http.Request) bool, clientCA *x509.CertPool) apiServer {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/version" {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		if auth != nil && !auth(r) {
			http.Error(w, `{"kind":"Status","code":401,"reason":"Unauthorized"}`, http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, `{"major": %q, "minor": %q, "gitVersion": "v%s.%s.3"}`, major, minor, strings.TrimRight(major, "+"), strings.TrimRight(minor, "+"))
	}))
	if clientCA != nil {
		srv.TLS = &tls.Config{ClientCAs: clientCA, ClientAuth: tls.VerifyClientCertIfGiven}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	return apiServer{url: srv.URL, caData: base64.StdEncoding.EncodeToString(ca)}
}

// kubeconfigFile writes kubeconfig(user) as the file "config" of a new directory, beside
// files (paths the user's credentials name relative to it), and returns its path.
func (s apiServer) kubeconfigFile(t *testing.T, user string, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o600))
	}
	path := filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(path, []byte(s.kubeconfig(user)), 0o600))
	return path
}

// kubeconfig is one file: a cluster "test" at the server, and a user with the given
// credentials (YAML mapping body, e.g. `{token: abc}`).
func (s apiServer) kubeconfig(user string) string {
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
  user: %s
`, s.url, s.caData, user)
}

func anonymous(*http.Request) bool { return true }

func bearer(token string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+token }
}

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(data), 0o600))
	return path
}

func TestServerVersionOlderThan129IsRefusedWithTheReason(t *testing.T) {
	srv := newAPIServer(t, "1", "28", anonymous, nil)
	_, err := Check(context.Background(), srv.kubeconfig("{}"), "")
	require.Error(t, err)
	require.False(t, errors.Is(err, ErrUnknown))
	require.Contains(t, err.Error(), "Kubernetes v1.28.3")
	require.Contains(t, err.Error(), "1.29 or newer")
	require.Contains(t, err.Error(), "native sidecar")
}

func TestServerVersionNewEnoughPasses(t *testing.T) {
	for _, minor := range []string{"29", "37", "31+"} {
		srv := newAPIServer(t, "1", minor, anonymous, nil)
		v, err := Check(context.Background(), srv.kubeconfig("{}"), "")
		require.NoError(t, err, minor)
		require.NotEmpty(t, v)
	}
}

// A 1.28 API server that refuses anonymous requests is still recognised: the check sends
// the kubeconfig's bearer token, as the provider will.
func TestServerVersionSendsTheKubeconfigsBearerToken(t *testing.T) {
	srv := newAPIServer(t, "1", "28", bearer("sekret-token"), nil)
	_, err := Check(context.Background(), srv.kubeconfig("{token: sekret-token}"), "")
	require.ErrorContains(t, err, "1.29 or newer")
	require.False(t, errors.Is(err, ErrUnknown))

	// token-file, resolved relative to the kubeconfig file.
	path := srv.kubeconfigFile(t, "{tokenFile: token}", map[string][]byte{"token": []byte("sekret-token\n")})
	_, err = Check(context.Background(), path, "")
	require.ErrorContains(t, err, "1.29 or newer")

	// Without credentials the refusal is reported with its reason, not a version.
	_, err = Check(context.Background(), srv.kubeconfig("{}"), "")
	require.ErrorIs(t, err, ErrUnknown)
	require.ErrorContains(t, err, "401 Unauthorized")
	require.ErrorContains(t, err, "credentials")
}

// A server that authenticates with client certificates gets the kubeconfig's certificate.
func TestServerVersionSendsTheKubeconfigsClientCertificate(t *testing.T) {
	caCert, caKey := newCA(t)
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	srv := newAPIServer(t, "1", "27", func(r *http.Request) bool {
		return r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && r.TLS.PeerCertificates[0].Subject.CommonName == "cloud-codex-admin"
	}, pool)
	certPEM, keyPEM := newClientCert(t, caCert, caKey, "cloud-codex-admin")

	inline := srv.kubeconfig(fmt.Sprintf("{client-certificate-data: %s, client-key-data: %s}",
		base64.StdEncoding.EncodeToString(certPEM), base64.StdEncoding.EncodeToString(keyPEM)))
	_, err := Check(context.Background(), inline, "")
	require.ErrorContains(t, err, "Kubernetes v1.27.3")

	// As files, relative to the kubeconfig.
	path := srv.kubeconfigFile(t, "{client-certificate: admin.crt, client-key: admin.key}",
		map[string][]byte{"admin.crt": certPEM, "admin.key": keyPEM})
	_, err = Check(context.Background(), path, "")
	require.ErrorContains(t, err, "Kubernetes v1.27.3")

	_, err = Check(context.Background(), srv.kubeconfig("{}"), "")
	require.ErrorIs(t, err, ErrUnknown)
}

// $KUBECONFIG is a list of files merged as kubectl merges them: here the first file only
// selects the context, the second holds the cluster and the user.
func TestServerVersionMergesEveryKubeconfigFile(t *testing.T) {
	srv := newAPIServer(t, "1", "28", bearer("tok"), nil)
	first := writeFile(t, "first", "apiVersion: v1\nkind: Config\ncurrent-context: test\n")
	second := writeFile(t, "second", srv.kubeconfig("{token: tok}"))
	t.Setenv("KUBECONFIG", first+string(os.PathListSeparator)+filepath.Join(t.TempDir(), "absent")+string(os.PathListSeparator)+second)
	_, err := Check(context.Background(), "", "")
	require.ErrorContains(t, err, "1.29 or newer", "the cluster and user come from $KUBECONFIG's second file")

	// The first file to set current-context wins (kubectl's rule), and a named context
	// overrides it.
	other := writeFile(t, "other", "apiVersion: v1\nkind: Config\ncurrent-context: other\n")
	t.Setenv("KUBECONFIG", other+string(os.PathListSeparator)+second)
	_, err = Check(context.Background(), "", "")
	require.ErrorIs(t, err, ErrUnknown, "context other points at a closed port")
	_, err = Check(context.Background(), "", "test")
	require.ErrorContains(t, err, "1.29 or newer", "cluster.context selects the context")
}

func TestServerVersionUnknownIsNotFatal(t *testing.T) {
	// Unreachable server (the kubeconfig's other context).
	srv := newAPIServer(t, "1", "30", anonymous, nil)
	_, err := Check(context.Background(), srv.kubeconfig("{}"), "other")
	require.ErrorIs(t, err, ErrUnknown)
	// A context the kubeconfig does not have.
	_, err = Check(context.Background(), srv.kubeconfig("{}"), "missing")
	require.ErrorIs(t, err, ErrUnknown)
	// No kubeconfig at all.
	_, err = Check(context.Background(), filepath.Join(t.TempDir(), "missing"), "")
	require.ErrorIs(t, err, ErrUnknown)
}

func TestServerVersionUnknownWarningSaysHowToCheck(t *testing.T) {
	srv := newAPIServer(t, "1", "30", bearer("tok"), nil)
	_, err := Check(context.Background(), srv.kubeconfig("{}"), "")
	msg := UnknownWarning(err, "prod")
	require.Contains(t, msg, "401 Unauthorized")
	require.Contains(t, msg, "1.29 or newer")
	require.Contains(t, msg, "kubectl version --context prod")
	require.NotContains(t, UnknownWarning(err, ""), "--context")
}

func newCA(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert, key
}

func newClientCert(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}
