package rules

import (
	"regexp"
)

// The downward API hands a pod its own metadata, as a file (a downwardAPI volume or a
// projected volume's downwardAPI source) or as an env var (valueFrom.fieldRef). A pod
// template's annotations are free text the stack writes: an annotation that holds a codex
// auth.json, projected to $CODEX_HOME/auth.json or read into env, carries the credential
// as a ConfigMap key does, so it is judged by content like one. Only a single-key reference
// (metadata.annotations['k']) hands over a value whole: metadata.annotations as a whole is
// k="v" lines, and a label value is at most 63 characters of [A-Za-z0-9_.-].

// downwardAnnotationRef is a fieldPath that selects one annotation.
var downwardAnnotationRef = regexp.MustCompile(`^metadata\.annotations\['([^']*)'\]$`)

// downwardItems is the part of a downwardAPI volume (or projected source) the rule reads.
type downwardItems struct {
	Items []struct {
		Path     string `json:"path"`
		FieldRef *struct {
			FieldPath string `json:"fieldPath"`
		} `json:"fieldRef"`
	} `json:"items"`
}

// downwardAnnotation returns the pod annotation a fieldPath selects, if it holds a codex
// credential file.
func downwardAnnotation(w Workload, fieldPath string) (string, bool) {
	m := downwardAnnotationRef.FindStringSubmatch(fieldPath)
	if m == nil {
		return "", false
	}
	return m[1], looksLikeCredentialValue(w.PodAnnotations[m[1]])
}

// downwardAPIRoutes adds the routes by which the pod's annotations hand a container a
// codex credential file: as a file of a downwardAPI volume, or as an env var.
func downwardAPIRoutes(routes *routeSet, w Workload) {
	if len(w.PodAnnotations) == 0 {
		return
	}
	for _, v := range w.Pod.Volumes {
		var sources []*map[string]any
		if v.DownwardAPI != nil {
			sources = append(sources, v.DownwardAPI)
		}
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if s.DownwardAPI != nil {
					sources = append(sources, s.DownwardAPI)
				}
			}
		}
		for _, src := range sources {
			var d downwardItems
			decode(*src, &d)
			for _, it := range d.Items {
				if it.FieldRef == nil {
					continue
				}
				if a, ok := downwardAnnotation(w, it.FieldRef.FieldPath); ok {
					routes.add("volume %s (%s) puts the pod's annotation %s, whose value is a codex credential file, at path %s",
						quote(v.Name), v.Source(), quote(a), quote(it.Path))
				}
			}
		}
	}
	for _, c := range w.Pod.AllContainers() {
		for _, e := range c.C.Env {
			if e.ValueFrom == nil || e.ValueFrom.FieldRef == nil {
				continue
			}
			if a, ok := downwardAnnotation(w, e.ValueFrom.FieldRef.FieldPath); ok {
				routes.add("%s takes env %s from the pod's annotation %s, whose value is a codex credential file", c, e.Name, quote(a))
			}
		}
	}
}
