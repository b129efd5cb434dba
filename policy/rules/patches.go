package rules

// This file answers "what pod does a patch resource make": a pulumi-kubernetes patch
// (DeploymentPatch, StatefulSetPatch, JobPatch, ...) changes an object declared elsewhere,
// with server-side apply, so its own properties are only the fields it sets. A container
// it adds to the pool holder's pod template mounts the holder's auth volume, which the
// patch does not declare: judged on its own, such a patch showed nothing. So each patch
// whose target is in the stack (the same kind, in its API group, name and namespace) is
// merged into the target and judged as that merged pod, under the patch's own URN and
// role; a patch whose target is not in the stack is judged on its own fields, which is all
// the stack holds of it.
//
// The merge follows the list keys Kubernetes merges by (server-side apply's list-map
// keys, the strategic merge keys): containers, volumes, env, ... by name, volumeMounts by
// mountPath, ports by containerPort, volumeDevices by devicePath; any other list is
// replaced by the patch's, a map is merged key by key, a null removes the key.

// patchMergeKeys are the fields whose list elements merge by a key.
var patchMergeKeys = map[string]string{
	"containers": "name", "initContainers": "name", "ephemeralContainers": "name", "volumes": "name",
	"env": "name", "imagePullSecrets": "name", "volumeClaimTemplates": "name", "tasks": "name",
	"volumeMounts": "mountPath", "volumeDevices": "devicePath", "ports": "containerPort",
}

// mergePatch merges a patch's value into its target's; field is the name of the field
// both are the value of ("" at the top).
func mergePatch(target, patch any, field string) any {
	switch p := patch.(type) {
	case map[string]any:
		t, ok := target.(map[string]any)
		if !ok {
			return p
		}
		out := make(map[string]any, len(t)+len(p))
		for k, v := range t {
			out[k] = v
		}
		for k, v := range p {
			if v == nil {
				delete(out, k)
				continue
			}
			out[k] = mergePatch(t[k], v, k)
		}
		return out
	case []any:
		key, keyed := patchMergeKeys[field]
		t, ok := target.([]any)
		if !keyed || !ok {
			return p
		}
		out := append([]any(nil), t...)
		for _, pe := range p {
			pm, ok := pe.(map[string]any)
			merged := false
			if ok && isMergeKey(pm[key]) {
				for i, te := range out {
					if tm, ok := te.(map[string]any); ok && isMergeKey(tm[key]) && tm[key] == pm[key] {
						out[i] = mergePatch(tm, pm, "")
						merged = true
						break
					}
				}
			}
			if !merged {
				out = append(out, pe)
			}
		}
		return out
	default:
		return patch
	}
}

// isMergeKey reports whether a list element's key value can identify it (a string or a
// number; anything else is compared as unequal).
func isMergeKey(v any) bool {
	switch v.(type) {
	case string, float64:
		return true
	}
	return false
}

// patchTargets returns the objects of the stack a patch resource changes: the resources of
// the same kind (KubeType.Name) that are not patches, with its metadata name, in a
// namespace that may be its namespace.
func (s *Stack) patchTargets(patch *Resource) []*Resource {
	pt, ok := parseKubeType(patch.Type)
	if !ok || !pt.Patch {
		return nil
	}
	m := s.metaOf(patch)
	if m.Name == "" || isUnknown(m.Name) {
		return nil
	}
	var out []*Resource
	for _, r := range s.Resources {
		t, ok := parseKubeType(r.Type)
		if !ok || t.Patch || t.Name() != pt.Name() {
			continue
		}
		if tm := s.metaOf(r); tm.Name == m.Name && sameNamespace(tm.Namespace, m.Namespace) {
			out = append(out, r)
		}
	}
	return out
}

// mustKubeType is parseKubeType for a token already known to parse.
func mustKubeType(token string) KubeType {
	t, _ := parseKubeType(token)
	return t
}

// patched is the object a patch makes of its target: the target's properties with the
// patch's merged in, under the patch's URN, type and parent, depending on what both
// depend on.
func patched(target, patch *Resource) *Resource {
	props, _ := mergePatch(target.Props, patch.Props, "").(map[string]any)
	deps := append(append([]string(nil), target.Dependencies...), patch.Dependencies...)
	return &Resource{URN: patch.URN, Type: patch.Type, Parent: patch.Parent, Dependencies: deps, Props: props}
}

// touchesPodTemplate reports whether a patch resource sets anything of a pod template
// (spec.template of a built-in kind, spec.jobTemplate of a CronJob, or a pod spec found by
// shape): the pod it changes is then no longer the one its component declared.
func touchesPodTemplate(patch *Resource, t KubeType) bool {
	if p, ok := podSpecPaths[t.Name()]; ok {
		template := p // a Pod's own spec
		if len(p) >= 2 {
			template = p[:len(p)-1] // spec.template, spec.jobTemplate.spec.template, template
		}
		if _, ok := lookupPath(patch.Props, template); ok {
			return true
		}
	}
	return len(findPodSpecs(patch.Props)) > 0
}
