package rules

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// This file is the small typed view every rule works on: a resource is its URN, type token,
// parent, dependencies and its properties converted to plain Go values (the shapes
// encoding/json produces), so rules decode the parts they need into Kubernetes-like structs
// and tests can build samples from YAML without the Pulumi CLI.

// unknownValue stands for a value Pulumi does not know yet (a computed output during a
// preview). It is a string so that it survives a JSON round trip wherever a string is
// expected; where a list, map or number is expected the decoder skips it.
const unknownValue = "\x00<unknown>"

// isUnknown reports whether s is a value Pulumi does not know yet.
func isUnknown(s string) bool { return s == unknownValue }

// Resource is one resource as the rules see it.
type Resource struct {
	URN          string
	Type         string
	Parent       string
	Dependencies []string
	// Props are the resource's properties as plain Go values: map[string]any, []any,
	// string, float64, bool, nil. Secret values are unwrapped (a secret in a manifest is
	// still readable by whoever reads the manifest); unknown values are unknownValue.
	Props map[string]any
}

// Name returns the resource's Pulumi name (the last URN element).
func (r *Resource) Name() string {
	if i := strings.LastIndex(r.URN, "::"); i >= 0 {
		return r.URN[i+2:]
	}
	return r.URN
}

// Violation is one finding of a rule: the resource it concerns ("" = the resource being
// validated, for resource rules) and a human-readable message.
type Violation struct {
	URN     string
	Message string
}

// Stack indexes the resources of one stack for the stack-level rules. Everything the rules
// derive from it (metadata, data, owners, workloads, PVCs, the LiteLLM endpoints and
// configs, parsed codex configs) is computed once per Stack and shared by every rule (see
// memo.go): a Stack and its resources are read-only once built.
type Stack struct {
	Resources []*Resource
	byURN     map[string]*Resource
	memo      stackMemo
}

// NewStack indexes rs.
func NewStack(rs []*Resource) *Stack {
	s := &Stack{Resources: rs, byURN: make(map[string]*Resource, len(rs))}
	for _, r := range rs {
		s.byURN[r.URN] = r
	}
	return s
}

// Get returns the resource with the given URN, or nil.
func (s *Stack) Get(urn string) *Resource { return s.byURN[urn] }

// resourceFromAnalyzer converts the analyzer's view of a resource.
func resourceFromAnalyzer(r policyx.AnalyzerResource) *Resource {
	deps := append([]string(nil), r.Dependencies...)
	for _, ds := range r.PropertyDependencies {
		deps = append(deps, ds...)
	}
	return &Resource{
		URN:          r.URN,
		Type:         r.Type,
		Parent:       r.Parent,
		Dependencies: deps,
		Props:        plainMap(r.Properties),
	}
}

// stackFromAnalyzer converts the resources a stack policy receives. policyx hands every
// stack rule of one AnalyzeStack call the same slice, so the conversion (and everything
// derived from the Stack) is done once per stack validation, not once per rule: the last
// conversion is kept, keyed by the slice's identity (its first element's address and its
// length; the cache holds the slice, so that address cannot be reused meanwhile).
func stackFromAnalyzer(rs []policyx.AnalyzerResource) *Stack {
	if len(rs) == 0 {
		return NewStack(nil)
	}
	lastStack.mu.Lock()
	defer lastStack.mu.Unlock()
	if c := lastStack.rs; len(c) == len(rs) && &c[0] == &rs[0] {
		return lastStack.stack
	}
	out := make([]*Resource, 0, len(rs))
	for _, r := range rs {
		out = append(out, resourceFromAnalyzer(r))
	}
	lastStack.rs, lastStack.stack = rs, NewStack(out)
	return lastStack.stack
}

// lastStack is stackFromAnalyzer's one-entry cache.
var lastStack struct {
	mu    sync.Mutex
	rs    []policyx.AnalyzerResource
	stack *Stack
}

// plainMap converts a property map to plain Go values.
func plainMap(m property.Map) map[string]any {
	out := make(map[string]any, m.Len())
	for k, v := range m.All {
		out[k] = plainValue(v)
	}
	return out
}

// plainValue converts a property value to a plain Go value.
func plainValue(v property.Value) any {
	switch {
	case v.IsComputed():
		return unknownValue
	case v.IsNull():
		return nil
	case v.IsBool():
		return v.AsBool()
	case v.IsNumber():
		return v.AsNumber()
	case v.IsString():
		return v.AsString()
	case v.IsArray():
		arr := v.AsArray()
		out := make([]any, 0, arr.Len())
		for _, e := range arr.All {
			out = append(out, plainValue(e))
		}
		return out
	case v.IsMap():
		return plainMap(v.AsMap())
	case v.IsResourceReference():
		return string(v.AsResourceReference().URN)
	default: // assets and archives carry nothing the rules read
		return nil
	}
}

// decode fills dst (a pointer to a Kubernetes-like struct with json tags) from a plain
// value. Fields whose value has the wrong shape (typically an unknown value where a list or
// number belongs) are skipped, as encoding/json does, and the rest is decoded.
func decode(src any, dst any) {
	b, err := json.Marshal(src)
	if err != nil {
		return
	}
	var typeErr *json.UnmarshalTypeError
	if err := json.Unmarshal(b, dst); err != nil && !errors.As(err, &typeErr) {
		return
	}
}

// lookup walks nested maps along path and returns the value found, if any.
func lookup(m map[string]any, path ...string) (any, bool) {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = mm[p]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

// KubeType is a parsed pulumi-kubernetes type token, e.g. kubernetes:apps/v1:Deployment.
type KubeType struct {
	Group   string // "core", "apps", "batch", ...
	Version string
	Kind    string // without a "Patch" suffix
	Patch   bool   // a server-side-apply patch resource (DeploymentPatch, ...)
}

// parseKubeType parses a pulumi-kubernetes resource type token.
func parseKubeType(token string) (KubeType, bool) {
	parts := strings.Split(token, ":")
	if len(parts) != 3 || parts[0] != "kubernetes" {
		return KubeType{}, false
	}
	gv := strings.SplitN(parts[1], "/", 2)
	if len(gv) != 2 {
		return KubeType{}, false
	}
	t := KubeType{Group: gv[0], Version: gv[1], Kind: parts[2]}
	if k, ok := strings.CutSuffix(t.Kind, "Patch"); ok && k != "" {
		t.Kind, t.Patch = k, true
	}
	return t, true
}

// builtinGroups are the API groups of the built-in kinds the rules name. A kind is a
// kind of its group: a Knative serving.knative.dev Service is not a core Service (it
// runs pods), a Volcano batch.volcano.sh Job is not a batch Job (its pod templates are
// spec.tasks[].template), a CRD named Secret is not a Secret. Pulumi's token names the
// core group "core"; extensions is the old group of the apps kinds.
var builtinGroups = map[string][]string{
	"Pod": {"core"}, "PodTemplate": {"core"}, "ReplicationController": {"core"}, "ConfigMap": {"core"},
	"Secret": {"core"}, "Service": {"core"}, "PersistentVolumeClaim": {"core"}, "PersistentVolume": {"core"},
	"Namespace": {"core"}, "ServiceAccount": {"core"}, "Endpoints": {"core"}, "LimitRange": {"core"},
	"ResourceQuota": {"core"},
	"Deployment":    {"apps", "extensions"}, "StatefulSet": {"apps"}, "DaemonSet": {"apps", "extensions"},
	"ReplicaSet": {"apps", "extensions"},
	"Job":        {"batch"}, "CronJob": {"batch"},
	"HorizontalPodAutoscaler": {"autoscaling"}, "VerticalPodAutoscaler": {"autoscaling.k8s.io"},
	"VolumeSnapshot": {"snapshot.storage.k8s.io"},
	"Role":           {"rbac.authorization.k8s.io"}, "RoleBinding": {"rbac.authorization.k8s.io"},
	"ClusterRole": {"rbac.authorization.k8s.io"}, "ClusterRoleBinding": {"rbac.authorization.k8s.io"},
	"NetworkPolicy": {"networking.k8s.io"}, "Ingress": {"networking.k8s.io", "extensions"},
	"PodDisruptionBudget": {"policy"}, "EndpointSlice": {"discovery.k8s.io"}, "StorageClass": {"storage.k8s.io"},
	"CustomResourceDefinition": {"apiextensions.k8s.io"},
}

// Name is the kind as the rules compare it: the bare kind for a built-in kind in its own
// group and for any kind no built-in shares, else kind.group as kubectl writes it
// (Service.serving.knative.dev, Job.batch.volcano.sh), so that such an object is never
// taken for the built-in kind of the same name.
func (t KubeType) Name() string {
	groups, builtin := builtinGroups[t.Kind]
	if !builtin {
		return t.Kind
	}
	for _, g := range groups {
		if g == t.Group {
			return t.Kind
		}
	}
	return t.Kind + "." + t.Group
}

// kindOf returns the Kubernetes kind of a resource (KubeType.Name: a built-in kind's name
// only in its own group), or "" if it is not a Kubernetes object.
func (r *Resource) kindOf() string {
	t, ok := parseKubeType(r.Type)
	if !ok {
		return ""
	}
	return t.Name()
}

// ObjectMeta is the part of metadata the rules read.
type ObjectMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// meta decodes the resource's metadata.
func (r *Resource) meta() ObjectMeta {
	var m ObjectMeta
	if v, ok := r.Props["metadata"]; ok {
		decode(v, &m)
	}
	return m
}

// objectKey identifies a namespaced object by namespace and name.
type objectKey struct {
	Namespace string
	Name      string
}

func (k objectKey) String() string {
	if k.Namespace == "" {
		return k.Name
	}
	return k.Namespace + "/" + k.Name
}

// sameNamespace reports whether two namespaces may be the same one. An empty namespace
// means "the provider's default namespace", which the policy cannot see, so it matches
// any: the rules err on the side of reporting.
func sameNamespace(a, b string) bool {
	return a == "" || b == "" || isUnknown(a) || isUnknown(b) || a == b
}

// matches reports whether an object named name in namespace ns may be k.
func (k objectKey) matches(ns, name string) bool {
	return !isUnknown(name) && name != "" && name == k.Name && sameNamespace(ns, k.Namespace)
}

// stringData returns the string values of a ConfigMap's data or a Secret's stringData, and
// the decoded values of a Secret's base64 data.
func stringData(r *Resource) map[string]string {
	out := map[string]string{}
	add := func(field string, base64Values bool) {
		v, ok := r.Props[field].(map[string]any)
		if !ok {
			return
		}
		for k, raw := range v {
			s, ok := raw.(string)
			if !ok {
				continue
			}
			if base64Values && !isUnknown(s) {
				if dec, err := decodeBase64(s); err == nil {
					s = dec
				}
			}
			out[k] = s
		}
	}
	switch r.kindOf() {
	case "ConfigMap":
		add("data", false)
		add("binaryData", true)
	case "Secret":
		add("data", true)
		add("stringData", false)
	}
	return out
}

// dataWhollyUnknown reports whether a ConfigMap's or Secret's data is not known yet as a
// whole (data, stringData or binaryData computed at preview, not only some of its values):
// its keys, and so its content, cannot be judged; the rules treat it as content outside
// the stack (judged by names and by where it lands).
func dataWhollyUnknown(r *Resource) bool {
	for _, f := range []string{"data", "stringData", "binaryData"} {
		if v, ok := r.Props[f].(string); ok && isUnknown(v) {
			return true
		}
	}
	return false
}

// decodeBase64 decodes a Secret's data value.
func decodeBase64(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(s)
	}
	return string(b), err
}
