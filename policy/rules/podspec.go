package rules

import (
	"encoding/json"
	"errors"
	"path"
	"sort"
	"strconv"
	"strings"
)

// This file is the one place that knows where each pod-bearing kind keeps its pod template,
// and the Kubernetes-like structs the rules decode a pod spec into. Every rule that looks
// at containers, env or volumes goes through WorkloadOf.

// podSpecPaths maps a built-in pod-bearing kind to the property path of its pod spec. It
// is keyed by KubeType.Name, which is the bare kind only in the kind's own API group
// (core, apps, batch): a Volcano batch.volcano.sh Job or a Knative serving.knative.dev
// Service is another kind, whose pod templates are found by shape.
var podSpecPaths = map[string][]string{
	"Pod":                   {"spec"},
	"PodTemplate":           {"template", "spec"},
	"Deployment":            {"spec", "template", "spec"},
	"StatefulSet":           {"spec", "template", "spec"},
	"DaemonSet":             {"spec", "template", "spec"},
	"ReplicaSet":            {"spec", "template", "spec"},
	"ReplicationController": {"spec", "template", "spec"},
	"Job":                   {"spec", "template", "spec"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template", "spec"},
}

// Workload is a pod-bearing object: its kind, metadata, the controller fields the rules
// read, and its pod spec. An object with several pod templates (a custom resource such as
// an MPIJob's launcher and workers) gives one Workload per template.
type Workload struct {
	Kind string
	Meta ObjectMeta
	// Replicas is spec.replicas (nil: unset or not known yet; Kubernetes defaults to 1).
	Replicas *int
	// Strategy is a Deployment's spec.strategy.type ("" = unset = RollingUpdate).
	Strategy string
	// PodPath is where the pod spec lives, e.g. "spec.template.spec", for messages.
	PodPath string
	Pod     PodSpec
	// PodLabels are the labels its pods get (a Pod's own, or its template's).
	PodLabels map[string]string
	// PodAnnotations are the annotations its pods get; the downward API hands them to the
	// pod's containers (downward_api.go).
	PodAnnotations map[string]string
	// ClaimTemplates are the object's volumeClaimTemplates (a StatefulSet's, or any
	// object's spec.volumeClaimTemplates): each pod gets a claim made from one.
	ClaimTemplates []ClaimTemplate
	// Structural is true when the pod spec was found by its shape, not by a known kind.
	Structural bool
	// Selector is spec.selector.matchLabels (the pods and ReplicaSets a controller adopts).
	Selector map[string]string
	// Parallelism is the largest parallelism of the objects that wrap the pod template (a
	// Job's spec.parallelism, a CronJob's spec.jobTemplate.spec.parallelism: every map on
	// the path to the pod spec), nil when none sets one.
	Parallelism *int
	// ParallelismAt is where Parallelism is set (spec.jobTemplate.spec.parallelism).
	ParallelismAt string
}

// ClaimTemplate is one volumeClaimTemplate.
type ClaimTemplate struct {
	Metadata ObjectMeta `json:"metadata"`
	Spec     PVCSpec    `json:"spec"`
}

// WorkloadOf returns the (first) workload view of a resource, if it is a pod-bearing
// Kubernetes object (any API version, patch resources included, custom resources found by
// their shape).
func WorkloadOf(r *Resource) (Workload, bool) {
	ws := WorkloadsOf(r)
	if len(ws) == 0 {
		return Workload{}, false
	}
	return ws[0], true
}

// WorkloadsOf returns one workload view per pod template of a Kubernetes object: at the
// known path for the built-in kinds of their own API group, and found by shape (see
// findPodSpecs) for every other kind, so a custom resource that runs pods (an Argo
// Rollout, a Knative Service, a Volcano Job, an operator's own kind) is checked like a
// Deployment without a list of kinds to maintain. A built-in kind whose known path holds
// no pod spec is searched by shape too; if that finds none either, a known path that holds
// a map (its containers not known yet, during a preview) still gives its view.
func WorkloadsOf(r *Resource) []Workload {
	t, ok := parseKubeType(r.Type)
	if !ok {
		return nil
	}
	kind := t.Name()
	if notPodBearingKinds[kind] {
		return nil
	}
	p, known := podSpecPaths[kind]
	var atPath any
	if known {
		atPath, _ = lookupPath(r.Props, p)
		if m, ok := atPath.(map[string]any); ok && isPodSpecShape(m) {
			return []Workload{workloadAt(kind, r.Props, p, false)}
		}
	}
	var out []Workload
	for _, found := range findPodSpecs(r.Props) {
		out = append(out, workloadAt(kind, r.Props, found, true))
	}
	if _, isMap := atPath.(map[string]any); len(out) == 0 && known && isMap {
		out = append(out, workloadAt(kind, r.Props, p, false))
	}
	return out
}

// notPodBearingKinds are built-in kinds (KubeType.Name: in their own API group) that never
// carry a pod template; they are not searched (a ConfigMap's data is text, a core Service
// has no pod spec). The same names in another group (a Knative Service) are searched.
var notPodBearingKinds = map[string]bool{
	"ConfigMap": true, "Secret": true, "Service": true, "PersistentVolumeClaim": true,
	"PersistentVolume": true, "Namespace": true, "NetworkPolicy": true, "ServiceAccount": true,
	"Role": true, "RoleBinding": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"HorizontalPodAutoscaler": true, "PodDisruptionBudget": true, "Endpoints": true,
	"EndpointSlice": true, "Ingress": true, "StorageClass": true, "VolumeSnapshot": true,
	"CustomResourceDefinition": true, "LimitRange": true, "ResourceQuota": true,
}

// podSpecMaxDepth bounds the structural search (a pod spec sits a few levels deep).
const podSpecMaxDepth = 12

// findPodSpecs returns the property paths of every pod spec in an object, found by shape:
// a map whose "containers" is a list of maps that each have a string "name" or "image".
// The search does not descend into a pod spec it found, nor into metadata or status.
func findPodSpecs(props map[string]any) [][]string {
	var out [][]string
	var walk func(v any, p []string)
	walk = func(v any, p []string) {
		if len(p) > podSpecMaxDepth {
			return
		}
		switch v := v.(type) {
		case map[string]any:
			if isPodSpecShape(v) {
				out = append(out, append([]string(nil), p...))
				return
			}
			for _, k := range sortedKeys(v) {
				if len(p) == 0 && (k == "metadata" || k == "status") {
					continue
				}
				walk(v[k], append(p, k))
			}
		case []any:
			for i, e := range v {
				walk(e, append(p, "["+strconv.Itoa(i)+"]"))
			}
		}
	}
	walk(props, nil)
	return out
}

func isPodSpecShape(m map[string]any) bool {
	cs, ok := m["containers"].([]any)
	if !ok || len(cs) == 0 {
		return false
	}
	for _, c := range cs {
		cm, ok := c.(map[string]any)
		if !ok {
			return false
		}
		_, hasName := cm["name"].(string)
		_, hasImage := cm["image"].(string)
		if !hasName && !hasImage {
			return false
		}
	}
	return true
}

// workloadAt builds the workload view of the pod spec at path p of an object.
func workloadAt(kind string, props map[string]any, p []string, structural bool) Workload {
	w := Workload{Kind: kind, PodPath: joinPath(p), Structural: structural}
	if v, ok := props["metadata"]; ok {
		decode(v, &w.Meta)
	}
	if v, ok := lookupPath(props, p); ok {
		decode(v, &w.Pod)
	}
	if v, ok := lookupPath(props, append(append([]string(nil), p[:len(p)-1]...), "metadata", "labels")); ok {
		decode(v, &w.PodLabels)
	}
	if v, ok := lookupPath(props, append(append([]string(nil), p[:len(p)-1]...), "metadata", "annotations")); ok {
		decode(v, &w.PodAnnotations)
	}
	var spec struct {
		Replicas *int `json:"replicas"`
		Strategy struct {
			Type string `json:"type"`
		} `json:"strategy"`
		VolumeClaimTemplates []ClaimTemplate `json:"volumeClaimTemplates"`
		Selector             struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
	}
	if v, ok := props["spec"]; ok {
		decode(v, &spec)
	}
	w.ClaimTemplates = spec.VolumeClaimTemplates
	w.Selector = spec.Selector.MatchLabels
	if kind == "Deployment" || kind == "StatefulSet" || kind == "ReplicaSet" || kind == "ReplicationController" || structural {
		w.Replicas = spec.Replicas
	}
	if kind == "Deployment" {
		w.Strategy = spec.Strategy.Type
	}
	for i := len(p) - 1; i >= 0; i-- {
		m, ok := lookupPath(props, p[:i])
		if !ok {
			continue
		}
		var wrap struct {
			Parallelism *int `json:"parallelism"`
		}
		if mm, ok := m.(map[string]any); ok {
			decode(map[string]any{"parallelism": mm["parallelism"]}, &wrap)
		}
		if wrap.Parallelism != nil && (w.Parallelism == nil || *wrap.Parallelism > *w.Parallelism) {
			w.Parallelism = wrap.Parallelism
			w.ParallelismAt = joinPath(append(append([]string(nil), p[:i]...), "parallelism"))
		}
	}
	return w
}

// joinPath writes a property path for messages: spec.tasks[0].template.spec.
func joinPath(p []string) string {
	var b strings.Builder
	for i, e := range p {
		if i > 0 && !strings.HasPrefix(e, "[") {
			b.WriteString(".")
		}
		b.WriteString(e)
	}
	return b.String()
}

// lookupPath is lookup along a path whose elements may index lists ("[3]").
func lookupPath(m map[string]any, p []string) (any, bool) {
	var cur any = m
	for _, e := range p {
		if strings.HasPrefix(e, "[") && strings.HasSuffix(e, "]") {
			i, err := strconv.Atoi(e[1 : len(e)-1])
			arr, ok := cur.([]any)
			if err != nil || !ok || i < 0 || i >= len(arr) {
				return nil, false
			}
			cur = arr[i]
			continue
		}
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[e]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// PodSpec is the part of a pod spec the rules read.
type PodSpec struct {
	Containers          []Container `json:"containers"`
	InitContainers      []Container `json:"initContainers"`
	EphemeralContainers []Container `json:"ephemeralContainers"`
	Volumes             []Volume    `json:"volumes"`
	// HostPID shares the node's process namespace: /proc/<pid>/root of every process on
	// the node, other pods' included, is in reach.
	HostPID bool `json:"hostPID"`
}

// ContainerRef is a container with where it sits in the pod spec.
type ContainerRef struct {
	Field string // "containers", "initContainers" or "ephemeralContainers"
	Index int
	C     Container
}

// String names the container for messages, e.g. initContainers[0] "boot".
func (c ContainerRef) String() string {
	s := c.Field + "[" + strconv.Itoa(c.Index) + "]"
	if c.C.Name != "" {
		s += " " + quote(c.C.Name)
	}
	return s
}

// AllContainers returns init, regular and ephemeral containers alike.
func (p PodSpec) AllContainers() []ContainerRef {
	var out []ContainerRef
	for _, group := range []struct {
		field string
		cs    []Container
	}{{"initContainers", p.InitContainers}, {"containers", p.Containers}, {"ephemeralContainers", p.EphemeralContainers}} {
		for i, c := range group.cs {
			out = append(out, ContainerRef{Field: group.field, Index: i, C: c})
		}
	}
	return out
}

// Volume returns the pod volume with the given name.
func (p PodSpec) Volume(name string) (Volume, bool) {
	for _, v := range p.Volumes {
		if v.Name == name {
			return v, true
		}
	}
	return Volume{}, false
}

// Container is the part of a container the rules read.
type Container struct {
	Name           string          `json:"name"`
	Image          string          `json:"image"`
	Command        []string        `json:"command"`
	Args           []string        `json:"args"`
	Env            []EnvVar        `json:"env"`
	EnvFrom        []EnvFromSource `json:"envFrom"`
	VolumeMounts   []VolumeMount   `json:"volumeMounts"`
	Lifecycle      *Lifecycle      `json:"lifecycle"`
	LivenessProbe  *Probe          `json:"livenessProbe"`
	ReadinessProbe *Probe          `json:"readinessProbe"`
	StartupProbe   *Probe          `json:"startupProbe"`
	// SecurityContext is read for privileged (every device and capability of the node).
	SecurityContext *struct {
		Privileged *bool `json:"privileged"`
	} `json:"securityContext"`
}

// EnvVar returns the container's env var of that name (the last one wins, as in Kubernetes).
func (c Container) EnvVar(name string) (EnvVar, bool) {
	var found EnvVar
	ok := false
	for _, e := range c.Env {
		if e.Name == name {
			found, ok = e, true
		}
	}
	return found, ok
}

// Commands returns every command line the container runs: command+args, lifecycle hooks
// and exec probes.
func (c Container) Commands() []CommandRef {
	command := c.Command
	if len(command) == 0 {
		// No command: the image's entrypoint runs the args. A codex CLI image's is codex.
		if ep := codexImageEntrypoint(c.Image); ep != "" {
			command = []string{ep}
		}
	}
	out := []CommandRef{{Where: "command/args", Argv: append(append([]string(nil), command...), c.Args...)}}
	if c.Lifecycle != nil {
		if h := c.Lifecycle.PostStart; h != nil && h.Exec != nil {
			out = append(out, CommandRef{Where: "lifecycle.postStart", Argv: h.Exec.Command})
		}
		if h := c.Lifecycle.PreStop; h != nil && h.Exec != nil {
			out = append(out, CommandRef{Where: "lifecycle.preStop", Argv: h.Exec.Command})
		}
	}
	for _, p := range []struct {
		where string
		p     *Probe
	}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}} {
		if p.p != nil && p.p.Exec != nil {
			out = append(out, CommandRef{Where: p.where, Argv: p.p.Exec.Command})
		}
	}
	return out
}

// codexImageEntrypoint returns "codex" for an image of the codex CLI (a repository named
// codex or codex-cli, e.g. ghcr.io/openai/codex:0.171.0), whose entrypoint is the CLI: its
// args then are codex's (args: [login] logs in). "" for any other image, whose entrypoint
// cannot be known here.
func codexImageEntrypoint(image string) string {
	repo := image
	if i := strings.IndexByte(repo, '@'); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		repo = repo[:i]
	}
	switch path.Base(repo) {
	case "codex", "codex-cli":
		return "codex"
	}
	return ""
}

// CommandRef is one command line of a container.
type CommandRef struct {
	Where string
	Argv  []string
}

// EnvVar is one env entry.
type EnvVar struct {
	Name      string        `json:"name"`
	Value     string        `json:"value"`
	ValueFrom *EnvVarSource `json:"valueFrom"`
}

// EnvVarSource is an env var's valueFrom.
type EnvVarSource struct {
	SecretKeyRef    *KeySelector `json:"secretKeyRef"`
	ConfigMapKeyRef *KeySelector `json:"configMapKeyRef"`
	FieldRef        *struct {
		FieldPath string `json:"fieldPath"`
	} `json:"fieldRef"`
	ResourceFieldRef *struct {
		Resource string `json:"resource"`
	} `json:"resourceFieldRef"`
	// FileKeyRef (Kubernetes 1.34+) reads the value from a file in one of the pod's
	// emptyDir volumes, written there by an init container.
	FileKeyRef *struct {
		VolumeName string `json:"volumeName"`
		Path       string `json:"path"`
		Key        string `json:"key"`
	} `json:"fileKeyRef"`
}

// KeySelector selects a key of a Secret or ConfigMap.
type KeySelector struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// EnvFromSource imports every key of a Secret or ConfigMap as env vars.
type EnvFromSource struct {
	Prefix       string   `json:"prefix"`
	SecretRef    *NameRef `json:"secretRef"`
	ConfigMapRef *NameRef `json:"configMapRef"`
}

// NameRef references an object by name.
type NameRef struct {
	Name string `json:"name"`
}

// VolumeMount is one mount of a container.
type VolumeMount struct {
	Name        string `json:"name"`
	MountPath   string `json:"mountPath"`
	SubPath     string `json:"subPath"`
	SubPathExpr string `json:"subPathExpr"`
}

// Lifecycle holds a container's hooks.
type Lifecycle struct {
	PostStart *Handler `json:"postStart"`
	PreStop   *Handler `json:"preStop"`
}

// Handler is a lifecycle hook.
type Handler struct {
	Exec *ExecAction `json:"exec"`
}

// Probe is a container probe.
type Probe struct {
	Exec *ExecAction `json:"exec"`
}

// ExecAction runs a command in the container.
type ExecAction struct {
	Command []string `json:"command"`
}

// Volume is one pod volume; exactly one source is set. Kind is the name of that source's
// field (e.g. "nfs", "persistentVolumeClaim"), so a source type the rules do not model is
// still named, and judged as content the pack cannot see.
type Volume struct {
	Name                  string           `json:"name"`
	Secret                *SecretVolume    `json:"secret"`
	ConfigMap             *ConfigMapVolume `json:"configMap"`
	Projected             *ProjectedVolume `json:"projected"`
	HostPath              *HostPathVolume  `json:"hostPath"`
	PersistentVolumeClaim *PVCVolume       `json:"persistentVolumeClaim"`
	CSI                   *CSIVolume       `json:"csi"`
	EmptyDir              *map[string]any  `json:"emptyDir"`
	Ephemeral             *EphemeralVolume `json:"ephemeral"`
	Image                 *ImageVolume     `json:"image"`
	DownwardAPI           *map[string]any  `json:"downwardAPI"`
	Kind                  string           `json:"-"`
}

// UnmarshalJSON decodes a volume and records which source field it sets.
func (v *Volume) UnmarshalJSON(b []byte) error {
	type plain Volume
	var p plain
	var typeErr *json.UnmarshalTypeError
	if err := json.Unmarshal(b, &p); err != nil && !errorsAs(err, &typeErr) {
		return err
	}
	*v = Volume(p)
	var raw map[string]json.RawMessage
	if json.Unmarshal(b, &raw) == nil {
		for _, k := range sortedRawKeys(raw) {
			if k != "name" {
				v.Kind = k
				break
			}
		}
	}
	return nil
}

// Source names the volume's source for messages, e.g. Secret "codex-auth".
func (v Volume) Source() string {
	switch {
	case v.Secret != nil:
		return "Secret " + quote(v.Secret.SecretName)
	case v.ConfigMap != nil:
		return "ConfigMap " + quote(v.ConfigMap.Name)
	case v.Projected != nil:
		return "projected volume " + quote(v.Name)
	case v.HostPath != nil:
		return "hostPath " + quote(v.HostPath.Path)
	case v.PersistentVolumeClaim != nil:
		return "PVC " + quote(v.PersistentVolumeClaim.ClaimName)
	case v.CSI != nil:
		return "CSI volume (driver " + quote(v.CSI.Driver) + ")"
	case v.EmptyDir != nil:
		return "emptyDir " + quote(v.Name)
	case v.Ephemeral != nil:
		return "generic ephemeral volume " + quote(v.Name)
	case v.Image != nil:
		return "image volume " + quote(v.Image.Reference)
	case v.DownwardAPI != nil:
		return "downwardAPI volume " + quote(v.Name)
	case v.Kind != "":
		return v.Kind + " volume " + quote(v.Name)
	}
	return "volume " + quote(v.Name)
}

// PodOwn reports whether the volume's content is the pod's own, not files someone put
// there: an emptyDir (what the pod's containers write), a downwardAPI volume, a projected
// volume made only of the pod's identity (service account token, downward API, cluster
// trust bundles, pod certificates), a generic ephemeral volume (a claim made empty for the
// pod, unless its template clones auth storage: auth_storage.go).
func (v Volume) PodOwn() bool {
	switch {
	case v.EmptyDir != nil, v.DownwardAPI != nil, v.Ephemeral != nil:
		return true
	case v.Projected != nil:
		for _, s := range v.Projected.Sources {
			if s.Secret != nil || s.ConfigMap != nil {
				return false
			}
		}
		return true
	}
	return false
}

// SecretVolume is a secret volume source.
type SecretVolume struct {
	SecretName string      `json:"secretName"`
	Items      []KeyToPath `json:"items"`
}

// ConfigMapVolume is a configMap volume source.
type ConfigMapVolume struct {
	Name  string      `json:"name"`
	Items []KeyToPath `json:"items"`
}

// KeyToPath maps a key to a file path in the volume.
type KeyToPath struct {
	Key  string `json:"key"`
	Path string `json:"path"`
}

// ProjectedVolume is a projected volume source. Only Secret and ConfigMap sources carry
// content from outside the pod; the others (serviceAccountToken, downwardAPI,
// clusterTrustBundle, podCertificate) are the pod's own identity.
type ProjectedVolume struct {
	Sources []struct {
		Secret              *ConfigMapVolume `json:"secret"`
		ConfigMap           *ConfigMapVolume `json:"configMap"`
		ServiceAccountToken *map[string]any  `json:"serviceAccountToken"`
		DownwardAPI         *map[string]any  `json:"downwardAPI"`
		ClusterTrustBundle  *map[string]any  `json:"clusterTrustBundle"`
		PodCertificate      *map[string]any  `json:"podCertificate"`
	} `json:"sources"`
}

// HostPathVolume is a hostPath volume source.
type HostPathVolume struct {
	Path string `json:"path"`
}

// PVCVolume is a persistentVolumeClaim volume source.
type PVCVolume struct {
	ClaimName string `json:"claimName"`
}

// CSIVolume is a csi volume source.
type CSIVolume struct {
	Driver string `json:"driver"`
}

// EphemeralVolume is a generic ephemeral volume: a claim made per pod from a template.
type EphemeralVolume struct {
	VolumeClaimTemplate *ClaimTemplate `json:"volumeClaimTemplate"`
}

// ImageVolume mounts an OCI image's content.
type ImageVolume struct {
	Reference string `json:"reference"`
}

// PVCSpec is the part of a PersistentVolumeClaim spec the rules read: where its data
// comes from (dataSource, dataSourceRef: a clone of another claim, a snapshot) and which
// PersistentVolume it binds.
type PVCSpec struct {
	AccessModes   []string        `json:"accessModes"`
	DataSource    *TypedObjectRef `json:"dataSource"`
	DataSourceRef *TypedObjectRef `json:"dataSourceRef"`
	VolumeName    string          `json:"volumeName"`
}

// TypedObjectRef is a dataSource / dataSourceRef.
type TypedObjectRef struct {
	APIGroup  string `json:"apiGroup"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

// pathWithin reports whether p is dir or inside it (both cleaned, absolute or not).
func pathWithin(p, dir string) bool {
	if p == "" || dir == "" || isUnknown(p) || isUnknown(dir) {
		return false
	}
	p, dir = path.Clean(p), path.Clean(dir)
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// hasPathElement reports whether some element of p equals name.
func hasPathElement(p, name string) bool {
	for _, e := range strings.Split(p, "/") {
		if e == name {
			return true
		}
	}
	return false
}

func quote(s string) string {
	if isUnknown(s) {
		return "(unknown)"
	}
	return `"` + s + `"`
}

func sortedRawKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// errorsAs is errors.As (kept here so the JSON decoding above reads in one place).
func errorsAs(err error, target any) bool { return errors.As(err, target) }
