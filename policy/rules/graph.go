package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/urn"

	"cloud-codex/contract"
	"cloud-codex/litellmconfig"
)

// This file answers the graph questions the rules ask: does a resource belong to the
// LiteLLMAuthPool or to a CloudCodexAgent, which PVC holds the pool's ChatGPT credentials,
// where is the pool's LiteLLM Service. Membership comes from the Pulumi resource graph
// (the URN's type chain, which the engine derives from the parent chain, and the Parent
// links), never from labels or names: anyone can copy a label or a name, but a resource is
// only a child of the auth pool if the program declared it inside the component.

// Role is the cloud-codex component a resource belongs to.
type Role int

const (
	// RoleNone: not part of a cloud-codex component.
	RoleNone Role = iota
	// RoleAuthPool: part of a LiteLLMAuthPool (the only auth surface, ADR-014).
	RoleAuthPool
	// RoleAgent: part of a CloudCodexAgent.
	RoleAgent
)

func (r Role) String() string {
	switch r {
	case RoleAuthPool:
		return "auth pool"
	case RoleAgent:
		return "agent"
	default:
		return "none"
	}
}

// roleOfType maps a component type token to its role.
func roleOfType(t string) Role {
	switch t {
	case contract.LiteLLMAuthPoolType:
		return RoleAuthPool
	case contract.CloudCodexAgentType:
		return RoleAgent
	}
	return RoleNone
}

// typeChain returns the type tokens of a URN's qualified type, outermost ancestor first and
// the resource's own type last, e.g. [cloud-codex:index:LiteLLMAuthPool,
// kubernetes:apps/v1:Deployment]. It returns nil for an invalid URN.
func typeChain(s string) []string {
	u, err := urn.Parse(s)
	if err != nil {
		return nil
	}
	return strings.Split(string(u.QualifiedType()), urn.TypeDelimiter)
}

// roleFromURN returns the role of the nearest cloud-codex component in a resource's type
// chain (the resource itself included). If the resource's URN cannot be parsed the parent's
// URN is used; its chain is the resource's ancestors.
func roleFromURN(resourceURN, parentURN string) Role {
	chain := typeChain(resourceURN)
	if chain == nil {
		chain = typeChain(parentURN)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		if r := roleOfType(chain[i]); r != RoleNone {
			return r
		}
	}
	return RoleNone
}

// dependsOn reports whether r depends on the resource with the given URN.
func (r *Resource) dependsOn(u string) bool { return slices.Contains(r.Dependencies, u) }

// StackWorkload is a pod-bearing resource of the stack.
type StackWorkload struct {
	Res   *Resource
	W     Workload
	Role  Role
	Owner string // URN of the owning component, if known
	// Patch is set on the view of a patch resource merged into its target (patches.go):
	// Res is then the merged object (under the patch's URN), Patch the patch as declared
	// and Target the target's own view (its W empty if the target has no pod template at
	// that path). The view is judged as the pod the patch makes; it is not another object,
	// so the rules that count writers of a claim count it only for what the patch adds.
	Patch  *Resource
	Target *StackWorkload
}

// isPatchView reports whether sw is a patch merged into its target.
func (sw StackWorkload) isPatchView() bool { return sw.Target != nil }

// addsClaim reports whether a patch view mounts the claim p while its target does not:
// the patch makes its target one more writer of the claim. A workload that is no patch
// view adds every claim it mounts.
func (sw StackWorkload) addsClaim(p PVC) bool {
	if _, ok := sw.mountsPVC(p); !ok {
		return false
	}
	if !sw.isPatchView() {
		return true
	}
	_, targetMounts := sw.Target.mountsPVC(p)
	return !targetMounts
}

// String names the workload for messages: its kind and Kubernetes name, and its Pulumi
// resource name when that differs (two objects may share a Kubernetes name).
func (sw StackWorkload) String() string {
	s := sw.W.Kind + " " + quote(sw.W.Meta.Name)
	if sw.isPatchView() {
		s = sw.Patch.Type[strings.LastIndex(sw.Patch.Type, ":")+1:] + " " + quote(sw.W.Meta.Name) + " (merged into " + s + ")"
	}
	if sw.W.Structural {
		s += " (pod template at " + sw.W.PodPath + ")"
	}
	if n := sw.Res.Name(); n != sw.W.Meta.Name {
		s += " (resource " + n + ")"
	}
	return s
}

// PVC is a PersistentVolumeClaim of the stack.
type PVC struct {
	Res         *Resource
	Key         objectKey
	AccessModes []string
	Role        Role
	Owner       string
}

// mountsPVC reports whether the workload declares a volume backed by the claim. A claim
// name not yet known (preview) counts when the workload depends on the claim's resource.
func (sw StackWorkload) mountsPVC(p PVC) (Volume, bool) {
	for _, v := range sw.W.Pod.Volumes {
		if claimRefers(v, sw.W.Meta.Namespace, sw.Res, p) {
			return v, true
		}
	}
	return Volume{}, false
}

// claimRefers reports whether volume v of a workload (resource res, namespace ns) is backed
// by the claim p.
func claimRefers(v Volume, ns string, res *Resource, p PVC) bool {
	if v.PersistentVolumeClaim == nil {
		return false
	}
	claim := v.PersistentVolumeClaim.ClaimName
	return p.Key.matches(ns, claim) || (isUnknown(claim) && res.dependsOn(p.Res.URN))
}

// authPVCs returns the PVCs that hold the auth pool's ChatGPT credentials: the
// PersistentVolumeClaims that are children of a LiteLLMAuthPool and that a workload of the
// same pool mounts. Recognised by the graph, not by the default name litellm-chatgpt-auth.
// Shared: read it only.
func (s *Stack) authPVCs() []PVC {
	s.memo.authOnce.Do(func() { s.memo.authPVCs = s.findAuthPVCs() })
	return s.memo.authPVCs
}

func (s *Stack) findAuthPVCs() []PVC {
	workloads := s.workloads()
	var out []PVC
	for _, p := range s.pvcs() {
		if p.Role != RoleAuthPool {
			continue
		}
		for _, sw := range workloads {
			if sw.Role != RoleAuthPool || sw.isPatchView() || (p.Owner != "" && sw.Owner != "" && p.Owner != sw.Owner) {
				continue
			}
			if _, ok := sw.mountsPVC(p); ok {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// authHolders returns the auth pools' holders: the workloads of a LiteLLMAuthPool that
// mount one of that pool's credential PVCs. They are the only workloads ADR-014 lets hold
// ChatGPT credentials; every other workload of a pool (its database, anything else
// declared inside it) is checked like any workload. Shared: read it only.
func (s *Stack) authHolders() []StackWorkload {
	s.memo.holdersOnce.Do(func() {
		for _, sw := range s.workloads() {
			if sw.Role != RoleAuthPool || sw.isPatchView() {
				continue
			}
			for _, p := range s.authPVCs() {
				if p.Owner != "" && sw.Owner != "" && p.Owner != sw.Owner {
					continue
				}
				if _, ok := sw.mountsPVC(p); ok {
					s.memo.holders = append(s.memo.holders, sw)
					break
				}
			}
		}
	})
	return s.memo.holders
}

// isAuthHolder reports whether sw is one of the auth pools' holders.
func (s *Stack) isAuthHolder(sw StackWorkload) bool {
	for _, h := range s.authHolders() {
		if h.Res == sw.Res && h.W.PodPath == sw.W.PodPath {
			return true
		}
	}
	return false
}

// LiteLLMEndpoint is the in-cluster URL of an auth pool's LiteLLM Service.
type LiteLLMEndpoint struct {
	Pool string // owning LiteLLMAuthPool URN, if known
	Res  *Resource
	// Name, Namespace and Port of the Service; Namespace may be "" (provider default).
	Name, Namespace string
	Port            int
}

// URL is the base URL codex must use: http://<svc>.<ns>.svc.cluster.local:<port>/v1.
func (e LiteLLMEndpoint) URL() string {
	ns := e.Namespace
	if ns == "" {
		ns = "<namespace>"
	}
	return fmt.Sprintf("http://%s.%s.svc.cluster.local:%d/v1", e.Name, ns, e.Port)
}

// Matches reports whether baseURL is this endpoint's in-cluster URL. A Service without an
// explicit namespace matches any namespace in the URL.
func (e LiteLLMEndpoint) Matches(baseURL string) bool {
	u := strings.TrimSuffix(strings.TrimSpace(baseURL), "/")
	rest, ok := strings.CutPrefix(u, "http://")
	if !ok {
		return false
	}
	host, path, _ := strings.Cut(rest, "/")
	if path != "v1" {
		return false
	}
	hostname, port, ok := strings.Cut(host, ":")
	if !ok || port != fmt.Sprint(e.Port) {
		return false
	}
	svcNS, ok := strings.CutSuffix(hostname, ".svc.cluster.local")
	if !ok {
		return false
	}
	svc, ns, ok := strings.Cut(svcNS, ".")
	return ok && svc == e.Name && ns != "" && !strings.Contains(ns, ".") && sameNamespace(ns, e.Namespace)
}

// litellmEndpoints returns one endpoint per port of the auth pools' LiteLLM Services: the
// Services that are children of a LiteLLMAuthPool and select the pods of the pool's auth
// holder (the pool workload that mounts its credential PVC). A pool's other Services (its
// database) are not LiteLLM. If no pool Service can be matched that way (a selector not
// known yet), every Service of the pools counts. Shared: read it only.
func (s *Stack) litellmEndpoints() []LiteLLMEndpoint {
	s.memo.endpointsOnce.Do(func() { s.memo.endpoints = s.findLiteLLMEndpoints() })
	return s.memo.endpoints
}

func (s *Stack) findLiteLLMEndpoints() []LiteLLMEndpoint {
	type svc struct {
		res   *Resource
		owner string
		meta  ObjectMeta
		spec  serviceSpec
	}
	var all []svc
	for _, r := range s.Resources {
		if r.kindOf() != "Service" {
			continue
		}
		role, owner := s.owner(r)
		if role != RoleAuthPool {
			continue
		}
		v := svc{res: r, owner: owner, meta: s.metaOf(r)}
		if sp, ok := r.Props["spec"]; ok {
			decode(sp, &v.spec)
		}
		all = append(all, v)
	}
	holders := s.authHolders()
	selected := all[:0:0]
	for _, v := range all {
		for _, h := range holders {
			if selects(v.spec.Selector, h.W.PodLabels) && sameNamespace(v.meta.Namespace, h.W.Meta.Namespace) {
				selected = append(selected, v)
				break
			}
		}
	}
	if len(selected) == 0 {
		selected = all
	}
	var out []LiteLLMEndpoint
	for _, v := range selected {
		if isUnknown(v.meta.Name) || v.meta.Name == "" {
			continue
		}
		for _, p := range v.spec.Ports {
			if p.Port != nil {
				out = append(out, LiteLLMEndpoint{Pool: v.owner, Res: v.res, Name: v.meta.Name, Namespace: v.meta.Namespace, Port: *p.Port})
			}
		}
	}
	return out
}

// serviceSpec is the part of a Service spec the rules read.
type serviceSpec struct {
	Selector map[string]string `json:"selector"`
	Ports    []struct {
		Port *int `json:"port"`
	} `json:"ports"`
}

// selects reports whether a Service selector selects pods with the given labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// PoolLiteLLMConfig is a LiteLLM config.yaml found in a ConfigMap of an auth pool.
type PoolLiteLLMConfig struct {
	Pool   string
	Res    *Resource
	Config litellmconfig.Config
	Err    error
}

// litellmConfigs returns the LiteLLM configs of the stack's auth pools (ConfigMaps that
// are children of a LiteLLMAuthPool and carry config.yaml). Shared: read it only.
func (s *Stack) litellmConfigs() []PoolLiteLLMConfig {
	s.memo.configsOnce.Do(func() { s.memo.configs = s.findLiteLLMConfigs() })
	return s.memo.configs
}

func (s *Stack) findLiteLLMConfigs() []PoolLiteLLMConfig {
	var out []PoolLiteLLMConfig
	for _, r := range s.Resources {
		if r.kindOf() != "ConfigMap" {
			continue
		}
		role, owner := s.owner(r)
		if role != RoleAuthPool {
			continue
		}
		data, ok := s.dataOf(r)[litellmconfig.FileName]
		if !ok || isUnknown(data) {
			continue
		}
		c, err := litellmconfig.Parse(data)
		out = append(out, PoolLiteLLMConfig{Pool: owner, Res: r, Config: c, Err: err})
	}
	return out
}
