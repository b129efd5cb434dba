package rules

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"cloud-codex/contract"
)

// RulePoolSecretsOnlyInPool guards the LiteLLM pool's own secrets (issue 21): the master
// key mints virtual keys and lifts any key's model allowlist, the salt key decrypts what
// LiteLLM stores, the database URL carries the database password. An agent holding the
// master key voids its per-agent key and allowlist, and ADR-014 with them (an MCP server's
// secretEnv could hand it any Secret). So no workload reads them by any route a pod has
// (env valueFrom.secretKeyRef, envFrom, secret volumes, projected secret sources), except:
//   - the auth pool's holder (LiteLLM itself) reads all of them;
//   - the agents' key-registration Jobs (Jobs declared inside a CloudCodexAgent) read the
//     master key, through env valueFrom.secretKeyRef only, as the registrar needs it;
//   - the pool's other workloads read the pool's other Secrets, never the master key, salt
//     key or database URL; the pool's dev database (a DevDatabase, declared beside the pool)
//     reads its own Secrets (the Postgres password), which no one else may read.
//
// RBAC of the stack is checked too (rbac.go): a RoleBinding or ClusterRoleBinding that grants
// a subject get, list or watch on secrets where a pool Secret is, reported on the binding.
//
// The pool's Secrets are found by the graph: the Secrets the holder reads as
// LITELLM_MASTER_KEY, LITELLM_SALT_KEY and DATABASE_URL (an existing database Secret
// outside the pool included), every Secret declared inside a LiteLLMAuthPool, and every
// Secret declared inside a DevDatabase. A pool
// in another stack is invisible except by the keys its component writes
// (contract.MasterKeyEnv, SaltKeyEnv): a reference to a
// Secret outside this stack under one of those keys is taken for that pool's secret.
const RulePoolSecretsOnlyInPool = "litellm-pool-secrets-only-in-pool"

func poolSecretsOnlyInPoolPolicy() policyx.Policy {
	return policyx.NewStackValidationPolicy(RulePoolSecretsOnlyInPool, policyx.StackValidationPolicyArgs{
		Description: "No workload but the auth pool's holder (and, for the master key, the agents' key-registration Jobs) " +
			"reads LiteLLM's master key, salt key or database Secrets, by any env or volume route.",
		EnforcementLevel: policyx.EnforcementLevelMandatory,
		ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
			report(args.Manager, CheckPoolSecretsOnlyInPool(stackFromAnalyzer(args.Resources)))
			return nil
		},
	})
}

// The env names LiteLLM reads its secrets from; the component stores each under a Secret
// key of the same name (contract.MasterKeyEnv, SaltKeyEnv, DatabaseURLEnv).
var poolSecretEnv = map[string]string{
	contract.MasterKeyEnv:   "LiteLLM's master key",
	contract.SaltKeyEnv:     "LiteLLM's salt key",
	contract.DatabaseURLEnv: "LiteLLM's database URL",
}

// poolSecret is one Secret of an auth pool.
type poolSecret struct {
	Key  objectKey
	Res  *Resource // nil when the Secret is not in the stack
	What string
	// Master: the agents' key-registration Jobs may read it (env secretKeyRef only).
	Master bool
	// Holder: only the pool's holder may read it; otherwise any workload of the pool.
	Holder bool
	Pool   string
	// DevDatabase is the URN of the DevDatabase that declares it (its Postgres password):
	// that database's own workloads may read it.
	DevDatabase string
}

func (p poolSecret) refers(ns, name string, res *Resource) bool {
	if isUnknown(name) {
		return p.Res != nil && res.dependsOn(p.Res.URN)
	}
	return p.Key.matches(ns, name)
}

// poolSecrets returns the stack's pool Secrets.
func (s *Stack) poolSecrets() []poolSecret {
	var out []poolSecret
	byKey := map[objectKey]int{}
	secretRes := func(k objectKey) *Resource {
		for _, r := range s.Resources {
			if r.kindOf() == "Secret" {
				if m := s.metaOf(r); m.Name == k.Name && sameNamespace(m.Namespace, k.Namespace) {
					return r
				}
			}
		}
		return nil
	}
	for _, h := range s.authHolders() {
		for _, c := range h.W.Pod.AllContainers() {
			for _, e := range c.C.Env {
				what, ok := poolSecretEnv[e.Name]
				if !ok || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || isUnknown(e.ValueFrom.SecretKeyRef.Name) {
					continue
				}
				k := objectKey{Namespace: h.W.Meta.Namespace, Name: e.ValueFrom.SecretKeyRef.Name}
				if i, ok := byKey[k]; ok {
					out[i].Master = out[i].Master || e.Name == contract.MasterKeyEnv
					continue
				}
				byKey[k] = len(out)
				out = append(out, poolSecret{Key: k, Res: secretRes(k), What: what, Holder: true,
					Master: e.Name == contract.MasterKeyEnv, Pool: h.Owner})
			}
		}
	}
	// Every other Secret declared inside a pool, and those of the pool's dev database: it
	// is declared beside the pool (main.go), not inside it, and its password opens the
	// database that holds LiteLLM's virtual keys and spend.
	for _, r := range s.Resources {
		if r.kindOf() != "Secret" {
			continue
		}
		p := poolSecret{Res: r, What: "a Secret of the auth pool"}
		if role, owner := s.owner(r); role == RoleAuthPool {
			p.Pool = owner
		} else if p.DevDatabase = s.devDatabaseOf(r); p.DevDatabase != "" {
			p.What = "a Secret of the auth pool's dev database"
		} else {
			continue
		}
		m := s.metaOf(r)
		p.Key = objectKey{Namespace: m.Namespace, Name: m.Name}
		if _, ok := byKey[p.Key]; ok {
			continue
		}
		byKey[p.Key] = len(out)
		out = append(out, p)
	}
	return out
}

// devDatabaseOf returns the URN of the DevDatabase component that declares r, or "".
func (s *Stack) devDatabaseOf(r *Resource) string {
	seen := map[string]bool{}
	for p := s.Get(r.Parent); p != nil && !seen[p.URN]; p = s.Get(p.Parent) {
		seen[p.URN] = true
		if p.Type == contract.DevDatabaseType {
			return p.URN
		}
	}
	return ""
}

// secretReadRef is one way a pod reads a Secret.
type secretReadRef struct {
	Name  string
	Key   string // "" when every key is read
	Route string
	// EnvKeyRef: an env valueFrom.secretKeyRef into the registrar's master-key variable
	// (contract.MasterKeyEnv, which keyregistrar.EnvMasterKey equals), the one route a
	// key-registration Job may use.
	EnvKeyRef bool
}

// secretReads lists every Secret a pod template reads, by every route.
func secretReads(w Workload) []secretReadRef {
	var out []secretReadRef
	for _, c := range w.Pod.AllContainers() {
		for _, e := range c.C.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				out = append(out, secretReadRef{Name: e.ValueFrom.SecretKeyRef.Name, Key: e.ValueFrom.SecretKeyRef.Key,
					EnvKeyRef: e.Name == contract.MasterKeyEnv,
					Route:     fmt.Sprintf("%s env %s (valueFrom.secretKeyRef key %s)", c, e.Name, quote(e.ValueFrom.SecretKeyRef.Key))})
			}
		}
		for _, ef := range c.C.EnvFrom {
			if ef.SecretRef != nil {
				out = append(out, secretReadRef{Name: ef.SecretRef.Name, Route: fmt.Sprintf("%s envFrom", c)})
			}
		}
	}
	// A volume read carries its keys where it names them (items[].key, or a container's
	// subPath of a volume without items), so that a Secret outside the stack is recognised
	// by its key as through env secretKeyRef.
	volumeReads := func(name, route, volume string, items []KeyToPath) {
		if len(items) > 0 {
			for _, it := range items {
				out = append(out, secretReadRef{Name: name, Key: it.Key, Route: fmt.Sprintf("%s (items key %s)", route, quote(it.Key))})
			}
			return
		}
		out = append(out, secretReadRef{Name: name, Route: route})
		for _, c := range w.Pod.AllContainers() {
			for _, m := range c.C.VolumeMounts {
				if m.Name == volume && m.SubPath != "" {
					out = append(out, secretReadRef{Name: name, Key: path.Clean(m.SubPath), Route: fmt.Sprintf("%s (%s subPath %s)", route, c, quote(m.SubPath))})
				}
			}
		}
	}
	for _, v := range w.Pod.Volumes {
		if v.Secret != nil {
			volumeReads(v.Secret.SecretName, fmt.Sprintf("volume %s", quote(v.Name)), v.Name, v.Secret.Items)
		}
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if src.Secret != nil {
					volumeReads(src.Secret.Name, fmt.Sprintf("projected volume %s", quote(v.Name)), v.Name, src.Secret.Items)
				}
			}
		}
	}
	return out
}

// CheckPoolSecretsOnlyInPool returns one violation per workload that reads a pool Secret
// it may not read.
func CheckPoolSecretsOnlyInPool(s *Stack) []Violation {
	secrets := s.poolSecrets()
	var out []Violation
	for _, sw := range s.workloads() {
		holder := s.isAuthHolder(sw)
		if holder {
			continue
		}
		registrationJob := sw.Role == RoleAgent && sw.W.Kind == "Job"
		// A patch merged into its target is judged on the reads it adds: what its target
		// reads is the target's (the holder's own, or judged on the target).
		targetReads := map[string]bool{}
		if sw.isPatchView() {
			for _, read := range secretReads(sw.Target.W) {
				targetReads[read.Route+"\x00"+read.Name+"\x00"+read.Key] = true
			}
		}
		var problems []string
		for _, read := range secretReads(sw.W) {
			if targetReads[read.Route+"\x00"+read.Name+"\x00"+read.Key] {
				continue
			}
			for _, p := range secrets {
				if !p.refers(sw.W.Meta.Namespace, read.Name, sw.Res) {
					continue
				}
				switch {
				case p.Master && registrationJob && read.EnvKeyRef:
					continue
				case p.DevDatabase != "":
					if s.devDatabaseOf(sw.Res) == p.DevDatabase {
						continue
					}
				case !p.Holder && sw.Role == RoleAuthPool && (p.Pool == "" || sw.Owner == "" || p.Pool == sw.Owner):
					continue
				}
				problems = append(problems, fmt.Sprintf("%s reads Secret %s: %s", read.Route, quote(p.Key.String()), p.What))
			}
			// A Secret outside the stack: its key is the only evidence. DATABASE_URL is every
			// database client's key, so only the master and salt keys count.
			if read.Key != "" && !s.secretInStack(sw.W.Meta.Namespace, read.Name) && !isUnknown(read.Name) {
				if what, ok := poolSecretEnv[read.Key]; ok && read.Key != contract.DatabaseURLEnv {
					if read.Key == contract.MasterKeyEnv && registrationJob && read.EnvKeyRef {
						continue
					}
					problems = append(problems, fmt.Sprintf("%s reads key %s of Secret %s, which is not in this stack: by its key, %s of a LiteLLMAuthPool",
						read.Route, quote(read.Key), quote(read.Name), what))
				}
			}
		}
		if len(problems) == 0 {
			continue
		}
		slices.Sort(problems)
		problems = slices.Compact(problems)
		who := "it is not the auth pool's holder"
		if registrationJob {
			who = "a key-registration Job may read only the master key, through env valueFrom.secretKeyRef"
		}
		out = append(out, Violation{URN: sw.Res.URN, Message: fmt.Sprintf(
			"%s reads the LiteLLM pool's secrets, but %s:\n  - %s\nGive it what it needs another way: an agent gets its own "+
				"LiteLLM virtual key (env %s), never the master key.",
			sw, who, strings.Join(problems, "\n  - "), contract.LiteLLMAPIKeyEnv)})
	}
	return append(out, s.rbacViolations(rbacPoolSecrets)...)
}

// secretInStack reports whether the stack declares a Secret of that name (namespace-aware).
func (s *Stack) secretInStack(ns, name string) bool {
	return s.credentialSources().declared("Secret", ns, name)
}
