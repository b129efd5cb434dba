package main

import (
	"path"
	"strconv"
	"strings"
)

// This file is the one place that knows where each pod-bearing kind keeps its pod template,
// and the Kubernetes-like structs the rules decode a pod spec into. Every rule that looks
// at containers, env or volumes goes through WorkloadOf.

// podSpecPaths maps a pod-bearing kind to the property path of its pod spec.
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
// read, and its pod spec.
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
}

// WorkloadOf returns the workload view of a resource, if it is a pod-bearing Kubernetes
// object (any API version, patch resources included).
func WorkloadOf(r *Resource) (Workload, bool) {
	t, ok := parseKubeType(r.Type)
	if !ok {
		return Workload{}, false
	}
	return workloadFromProps(t.Kind, r.Props)
}

// workloadFromProps builds the workload view of an object of the given kind.
func workloadFromProps(kind string, props map[string]any) (Workload, bool) {
	p, ok := podSpecPaths[kind]
	if !ok {
		return Workload{}, false
	}
	w := Workload{Kind: kind, PodPath: strings.Join(p, ".")}
	if v, ok := props["metadata"]; ok {
		decode(v, &w.Meta)
	}
	if v, ok := lookup(props, p...); ok {
		decode(v, &w.Pod)
	}
	if v, ok := lookup(props, append(append([]string(nil), p[:len(p)-1]...), "metadata", "labels")...); ok {
		decode(v, &w.PodLabels)
	}
	var spec struct {
		Replicas *int `json:"replicas"`
		Strategy struct {
			Type string `json:"type"`
		} `json:"strategy"`
	}
	if v, ok := props["spec"]; ok {
		decode(v, &spec)
	}
	if kind == "Deployment" || kind == "StatefulSet" || kind == "ReplicaSet" || kind == "ReplicationController" {
		w.Replicas = spec.Replicas
	}
	if kind == "Deployment" {
		w.Strategy = spec.Strategy.Type
	}
	return w, true
}

// PodSpec is the part of a pod spec the rules read.
type PodSpec struct {
	Containers          []Container `json:"containers"`
	InitContainers      []Container `json:"initContainers"`
	EphemeralContainers []Container `json:"ephemeralContainers"`
	Volumes             []Volume    `json:"volumes"`
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
	out := []CommandRef{{Where: "command/args", Argv: append(append([]string(nil), c.Command...), c.Args...)}}
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

// Volume is one pod volume; exactly one source is set.
type Volume struct {
	Name                  string           `json:"name"`
	Secret                *SecretVolume    `json:"secret"`
	ConfigMap             *ConfigMapVolume `json:"configMap"`
	Projected             *ProjectedVolume `json:"projected"`
	HostPath              *HostPathVolume  `json:"hostPath"`
	PersistentVolumeClaim *PVCVolume       `json:"persistentVolumeClaim"`
	CSI                   *CSIVolume       `json:"csi"`
	EmptyDir              *map[string]any  `json:"emptyDir"`
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
	}
	return "volume " + quote(v.Name)
}

// CarriesFiles reports whether the volume's content comes from outside the pod as files
// someone put there: Secret, ConfigMap, projected, hostPath, or a CSI driver (the
// secrets-store CSI driver mounts secrets this way).
func (v Volume) CarriesFiles() bool {
	return v.Secret != nil || v.ConfigMap != nil || v.Projected != nil || v.HostPath != nil || v.CSI != nil
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

// ProjectedVolume is a projected volume source.
type ProjectedVolume struct {
	Sources []struct {
		Secret    *ConfigMapVolume `json:"secret"`
		ConfigMap *ConfigMapVolume `json:"configMap"`
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
