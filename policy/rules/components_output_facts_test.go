package rules

import (
	"strings"
	"testing"

	"cloud-codex/contract"
)

// The facts the pack reads from the components' output beyond the names in contract/,
// checked on testdata/stacks/dev.yaml, the dev stack as the real program registers it
// (pinned by the root package's TestDevStackSampleIsWhatTheProgramRegisters): one auth
// holder, a dev database beside the pool, the pool's Secrets read under the env names the pack
// expects, and key-registration Jobs. If the components change them, these fail and the
// rules must follow. That the real program passes every rule is the root package's
// TestProgramPassesThePolicyPack.
func TestComponentsOutputFactsThePackReads(t *testing.T) {
	rs, err := ReadManifest("testdata/stacks/dev.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := NewStack(rs)
	auth := s.authPVCs()
	if len(auth) != 1 {
		t.Fatalf("auth PVCs: %d, want 1", len(auth))
	}
	claim := auth[0]
	if !strings.HasSuffix(claim.Key.Name, contract.AuthClaimSuffix) {
		t.Errorf("the auth claim %q does not end with contract.AuthClaimSuffix %q", claim.Key.Name, contract.AuthClaimSuffix)
	}
	if l := s.metaOf(claim.Res).Labels; l[contract.LabelName] != contract.AuthPoolLabelName || l[contract.LabelComponent] != contract.AuthPoolLabelComponent {
		t.Errorf("the auth claim's labels %v; auth_storage.go expects %s=%s, %s=%s", l, contract.LabelName, contract.AuthPoolLabelName, contract.LabelComponent, contract.AuthPoolLabelComponent)
	}
	if !isRWO(claim.AccessModes) {
		t.Errorf("the auth claim's access modes %v", claim.AccessModes)
	}
	holders := s.authHolders()
	if len(holders) != 1 || holders[0].W.Kind != "Deployment" {
		t.Fatalf("holders: %v", holders)
	}
	// The pool's dev database is declared beside the pool, not inside it: its StatefulSet is
	// not a pool workload (nor a holder), and its password Secret is a pool secret only it
	// may read.
	var db *StackWorkload
	for _, sw := range s.workloads() {
		if sw.W.Kind == "StatefulSet" {
			db = &sw
		}
	}
	if db == nil {
		t.Fatalf("no database StatefulSet in the dev stack")
	}
	if db.Role == RoleAuthPool || s.isAuthHolder(*db) {
		t.Errorf("the database StatefulSet is a pool workload (role %v); the DevDatabase is declared beside the pool", db.Role)
	}
	if s.devDatabaseOf(db.Res) == "" {
		t.Errorf("the database StatefulSet is not recognised as a DevDatabase's")
	}
	var dbSecrets int
	for _, p := range s.poolSecrets() {
		if p.DevDatabase != "" {
			dbSecrets++
		}
	}
	if dbSecrets != 1 {
		t.Errorf("the dev database's password Secret: %d pool secrets of a DevDatabase, want 1", dbSecrets)
	}
	// The holder's secrets are found by their env names.
	found := map[string]bool{}
	for _, p := range s.poolSecrets() {
		if p.Holder {
			found[p.What] = true
		}
	}
	for _, what := range poolSecretEnv {
		if !found[what] {
			t.Errorf("the holder does not read %s under the env name the pack expects (found %v)", what, found)
		}
	}
	// Every agent's key-registration Job reads the master key and is allowed to.
	jobs := 0
	for _, sw := range s.workloads() {
		if sw.Role == RoleAgent && sw.W.Kind == "Job" {
			jobs++
		}
	}
	if jobs == 0 {
		t.Errorf("no key-registration Job in the dev stack: the master-key exception is not exercised")
	}
}
