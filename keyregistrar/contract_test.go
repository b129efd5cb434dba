package keyregistrar

import (
	"testing"

	"cloud-codex/contract"
)

// The registrar ships as source to its Job (source.go, internal/gosource), and its tree
// holds only keyregistrar and gosource: importing contract would ship contract too and
// change the Job's source ConfigMap. So it keeps its own constant, and this test keeps it
// equal to the contract's, which the pack reads (litellm-pool-secrets-only-in-pool lets a
// key-registration Job read the master key through exactly this variable).
func TestEnvMasterKeyIsTheContracts(t *testing.T) {
	if EnvMasterKey != contract.MasterKeyEnv {
		t.Fatalf("keyregistrar.EnvMasterKey %q, contract.MasterKeyEnv %q", EnvMasterKey, contract.MasterKeyEnv)
	}
}
