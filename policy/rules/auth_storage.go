package rules

import (
	"fmt"
	"strings"

	"cloud-codex/contract"
)

// This file answers "which storage holds the auth pool's ChatGPT credentials", one step
// further than the pool's own claim (issue 18): a claim's data can be reached without
// mounting that claim.
//
//   - a PersistentVolumeClaim cloned from it (spec.dataSource / dataSourceRef of kind
//     PersistentVolumeClaim), or restored from a VolumeSnapshot of it;
//   - a PersistentVolume bound to it (spec.claimRef, or the claim's spec.volumeName), and
//     every other claim that names that volume in its spec.volumeName;
//   - a generic ephemeral volume or a volumeClaimTemplate whose claim is cloned from any
//     of the above;
//   - the host directory of a hostPath or local PersistentVolume bound to it;
//   - the auth claim of a pool in another stack: a claim a workload mounts that is not in
//     this stack and is named like the claim the LiteLLMAuthPool component creates
//     (<pool>-chatgpt-auth), or a claim of this stack declared outside any pool that
//     carries the pool's labels (an adopted or copied claim). The content of a claim
//     outside the stack cannot be known, so this is the one place a name decides.
//
// Shared: computed once per Stack, read only.

// authStore is a piece of storage that holds (a copy of) the auth pool's credentials.
type authStore struct {
	Kind string // "PersistentVolumeClaim", "PersistentVolume", "VolumeSnapshot"
	Key  objectKey
	// Why says how it holds them, for messages.
	Why string
}

// authStorage is every authStore of the stack, indexed for the questions the rules ask.
type authStorage struct {
	claims    []authStore
	volumes   map[string]authStore // PersistentVolume name -> store
	snapshots []authStore
	hostPaths []authStore // Key.Name is the host path
	// pvs are every PersistentVolume of the stack, and claimVolumes each claim's
	// spec.volumeName, for boundHostPaths.
	pvs          []pvObject
	claimVolumes map[objectKey]string
}

// claim reports whether a claim named name in namespace ns holds the auth credentials.
func (a authStorage) claim(ns, name string) (authStore, bool) {
	for _, c := range a.claims {
		if c.Key.matches(ns, name) {
			return c, true
		}
	}
	return authStore{}, false
}

// source reports whether a dataSource / dataSourceRef names auth storage.
func (a authStorage) source(ns string, ref *TypedObjectRef) (authStore, bool) {
	if ref == nil {
		return authStore{}, false
	}
	if ref.Namespace != "" {
		ns = ref.Namespace
	}
	switch ref.Kind {
	case "PersistentVolumeClaim":
		if ref.APIGroup == "" {
			return a.claim(ns, ref.Name)
		}
	case "VolumeSnapshot":
		for _, s := range a.snapshots {
			if s.Key.matches(ns, ref.Name) {
				return s, true
			}
		}
	}
	return authStore{}, false
}

// claimSpec reports whether a claim with this spec (a PVC, a generic ephemeral volume's
// or a volumeClaimTemplate's) gets its data from auth storage.
func (a authStorage) claimSpec(ns string, spec PVCSpec) (authStore, bool) {
	for _, ref := range []*TypedObjectRef{spec.DataSource, spec.DataSourceRef} {
		if st, ok := a.source(ns, ref); ok {
			return st, true
		}
	}
	if v, ok := a.volumes[spec.VolumeName]; ok && spec.VolumeName != "" {
		return v, true
	}
	return authStore{}, false
}

// hostPath reports whether a host path is (inside, or contains) the directory of a
// hostPath/local PersistentVolume that holds the auth credentials.
func (a authStorage) hostPath(p string) (authStore, bool) {
	for _, h := range a.hostPaths {
		if pathWithin(p, h.Key.Name) || pathWithin(h.Key.Name, p) {
			return h, true
		}
	}
	return authStore{}, false
}

// authStorage returns the stack's auth storage. Shared: read it only.
func (s *Stack) authStorage() authStorage {
	s.memo.storageOnce.Do(func() { s.memo.storage = s.findAuthStorage() })
	return s.memo.storage
}

type pvObject struct {
	res  *Resource
	name string
	spec struct {
		ClaimRef *struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"claimRef"`
		HostPath *HostPathVolume `json:"hostPath"`
		Local    *HostPathVolume `json:"local"`
	}
}

type snapshotObject struct {
	key  objectKey
	spec struct {
		Source struct {
			PersistentVolumeClaimName string `json:"persistentVolumeClaimName"`
		} `json:"source"`
	}
}

func (s *Stack) findAuthStorage() authStorage {
	a := authStorage{volumes: map[string]authStore{}, claimVolumes: map[objectKey]string{}}
	specs := map[*Resource]PVCSpec{}

	var pvs []pvObject
	var snaps []snapshotObject
	for _, r := range s.Resources {
		switch r.kindOf() {
		case "PersistentVolumeClaim":
			var spec PVCSpec
			if v, ok := r.Props["spec"]; ok {
				decode(v, &spec)
			}
			specs[r] = spec
		case "PersistentVolume":
			pv := pvObject{res: r, name: s.metaOf(r).Name}
			if v, ok := r.Props["spec"]; ok {
				decode(v, &pv.spec)
			}
			pvs = append(pvs, pv)
			a.pvs = append(a.pvs, pv)
		case "VolumeSnapshot":
			m := s.metaOf(r)
			sn := snapshotObject{key: objectKey{Namespace: m.Namespace, Name: m.Name}}
			if v, ok := r.Props["spec"]; ok {
				decode(v, &sn.spec)
			}
			snaps = append(snaps, sn)
		}
	}

	// The pools' own claims, and claims of this stack that carry the pool's labels outside
	// any pool (they are some pool's auth claim, adopted or copied).
	for _, p := range s.authPVCs() {
		a.claims = append(a.claims, authStore{"PersistentVolumeClaim", p.Key,
			fmt.Sprintf("the auth pool's ChatGPT credential PVC %s (%s)", quote(p.Key.String()), p.Res.URN)})
	}
	for _, p := range s.pvcs() {
		if p.Role == RoleAuthPool {
			continue
		}
		if l := s.metaOf(p.Res).Labels; l[contract.LabelComponent] == contract.AuthPoolLabelComponent && l[contract.LabelName] == contract.AuthPoolLabelName {
			a.claims = append(a.claims, authStore{"PersistentVolumeClaim", p.Key, fmt.Sprintf(
				"PVC %s, declared outside any LiteLLMAuthPool but labelled as an auth pool's (%s=%s): a pool's ChatGPT credential claim",
				quote(p.Key.String()), contract.LabelComponent, contract.AuthPoolLabelComponent)})
		}
	}

	// Follow clones, snapshots and bound volumes until nothing new is found (each object is
	// added once, so this ends).
	added := map[*Resource]bool{}
	for _, p := range s.authPVCs() {
		added[p.Res] = true
	}
	for changed := true; changed; {
		changed = false
		for _, p := range s.pvcs() {
			if added[p.Res] {
				continue
			}
			if _, ok := a.claim(p.Key.Namespace, p.Key.Name); ok {
				added[p.Res] = true
				continue
			}
			if st, ok := a.claimSpec(p.Key.Namespace, specs[p.Res]); ok {
				added[p.Res] = true
				a.claims = append(a.claims, authStore{"PersistentVolumeClaim", p.Key,
					fmt.Sprintf("PVC %s, whose data comes from %s", quote(p.Key.String()), st.Why)})
				changed = true
			}
		}
		for _, sn := range snaps {
			if containsStore(a.snapshots, sn.key) {
				continue
			}
			if st, ok := a.claim(sn.key.Namespace, sn.spec.Source.PersistentVolumeClaimName); ok {
				a.snapshots = append(a.snapshots, authStore{"VolumeSnapshot", sn.key,
					fmt.Sprintf("VolumeSnapshot %s of %s", quote(sn.key.String()), st.Why)})
				changed = true
			}
		}
		for _, pv := range pvs {
			if _, ok := a.volumes[pv.name]; ok || pv.name == "" || isUnknown(pv.name) {
				continue
			}
			st, ok := authStore{}, false
			if ref := pv.spec.ClaimRef; ref != nil {
				st, ok = a.claim(ref.Namespace, ref.Name)
			}
			if !ok {
				for _, p := range s.pvcs() {
					if specs[p.Res].VolumeName != pv.name {
						continue
					}
					if st, ok = a.claim(p.Key.Namespace, p.Key.Name); ok {
						break
					}
				}
			}
			if !ok {
				continue
			}
			store := authStore{"PersistentVolume", objectKey{Name: pv.name},
				fmt.Sprintf("PersistentVolume %s, bound to %s", quote(pv.name), st.Why)}
			a.volumes[pv.name] = store
			for _, h := range []*HostPathVolume{pv.spec.HostPath, pv.spec.Local} {
				if h != nil && h.Path != "" && !isUnknown(h.Path) {
					a.hostPaths = append(a.hostPaths, authStore{"PersistentVolume", objectKey{Name: h.Path},
						fmt.Sprintf("the host directory of %s", store.Why)})
				}
			}
			changed = true
		}
	}
	for _, p := range s.pvcs() {
		if vn := specs[p.Res].VolumeName; vn != "" && !isUnknown(vn) {
			a.claimVolumes[p.Key] = vn
		}
	}
	return a
}

// boundHostPath is the host directory of a hostPath or local PersistentVolume a claim is
// bound to.
type boundHostPath struct {
	PV, Field, Path string
}

// boundHostPaths returns the host directories of the stack's hostPath/local
// PersistentVolumes bound to a claim a workload in namespace ns uses: the claim named
// claim (a PV whose claimRef names it, or the volume the stack's claim of that name names in
// volumeName), or a claim made from a template naming volumeName. Such a volume is the
// host directory itself, judged like a pod's hostPath (hostPathRoutes).
func (a authStorage) boundHostPaths(ns, claim, volumeName string) []boundHostPath {
	if claim != "" && !isUnknown(claim) && volumeName == "" {
		for k, vn := range a.claimVolumes {
			if k.matches(ns, claim) {
				volumeName = vn
			}
		}
	}
	var out []boundHostPath
	for _, pv := range a.pvs {
		bound := volumeName != "" && pv.name == volumeName
		if ref := pv.spec.ClaimRef; ref != nil && claim != "" && !isUnknown(claim) && ref.Name == claim && sameNamespace(ns, ref.Namespace) {
			bound = true
		}
		if !bound {
			continue
		}
		for _, h := range []struct {
			field string
			v     *HostPathVolume
		}{{"hostPath", pv.spec.HostPath}, {"local", pv.spec.Local}} {
			if h.v != nil && h.v.Path != "" && !isUnknown(h.v.Path) {
				out = append(out, boundHostPath{PV: pv.name, Field: h.field, Path: h.v.Path})
			}
		}
	}
	return out
}

// boundHostPathRoutes lists the routes of the host directories bound to the claims a
// workload mounts (PVC volumes, generic ephemeral volumes, volumeClaimTemplates).
func (s *Stack) boundHostPathRoutes(sw StackWorkload) []string {
	a := s.authStorage()
	ns := sw.W.Meta.Namespace
	var out []string
	add := func(who string, bs []boundHostPath) {
		for _, b := range bs {
			for _, why := range hostPathRoutes(b.Path) {
				out = append(out, fmt.Sprintf("%s is bound to PersistentVolume %s, whose %s path %s %s", who, quote(b.PV), b.Field, quote(b.Path), why))
			}
		}
	}
	for _, v := range sw.W.Pod.Volumes {
		who := fmt.Sprintf("volume %s (%s)", quote(v.Name), v.Source())
		switch {
		case v.PersistentVolumeClaim != nil:
			add(who, a.boundHostPaths(ns, v.PersistentVolumeClaim.ClaimName, ""))
		case v.Ephemeral != nil && v.Ephemeral.VolumeClaimTemplate != nil:
			if vn := v.Ephemeral.VolumeClaimTemplate.Spec.VolumeName; vn != "" {
				add(who, a.boundHostPaths(ns, "", vn))
			}
		}
	}
	for _, t := range sw.W.ClaimTemplates {
		if t.Spec.VolumeName != "" {
			add(fmt.Sprintf("volumeClaimTemplate %s", quote(t.Metadata.Name)), a.boundHostPaths(ns, "", t.Spec.VolumeName))
		}
	}
	return out
}

func containsStore(ss []authStore, k objectKey) bool {
	for _, s := range ss {
		if s.Key == k {
			return true
		}
	}
	return false
}

// foreignAuthClaim reports whether a claim a workload mounts is, by its name, the auth
// claim of a LiteLLMAuthPool in another stack: it is not a claim of this stack, and it is
// named <pool>-chatgpt-auth as the component names it. Only for claims outside the stack,
// whose content the pack cannot see.
func (s *Stack) foreignAuthClaim(ns, name string) bool {
	if name == "" || isUnknown(name) || !strings.HasSuffix(name, contract.AuthClaimSuffix) || name == contract.AuthClaimSuffix {
		return false
	}
	s.pvcs()
	for _, i := range s.memo.pvcsByName[name] {
		if s.memo.pvcs[i].Key.matches(ns, name) {
			return false
		}
	}
	return true
}

// volumeAuthRoute says how a pod volume reaches the auth credentials, or "" if it does
// not: the pool's claim or one derived from it, a generic ephemeral volume cloned from
// one, the host directory of a bound volume, or another stack's auth claim by name.
func (s *Stack) volumeAuthRoute(sw StackWorkload, v Volume) string {
	a := s.authStorage()
	ns := sw.W.Meta.Namespace
	switch {
	case v.PersistentVolumeClaim != nil:
		claim := v.PersistentVolumeClaim.ClaimName
		for _, p := range s.authPVCs() {
			if claimRefers(v, ns, sw.Res, p) {
				return fmt.Sprintf("is the auth pool's ChatGPT credential PVC %s (%s)", quote(p.Key.String()), p.Res.URN)
			}
		}
		if st, ok := a.claim(ns, claim); ok {
			return "is " + st.Why
		}
		if s.foreignAuthClaim(ns, claim) {
			return fmt.Sprintf("is PVC %s, which is not in this stack and is named like a LiteLLMAuthPool's ChatGPT credential claim (<pool>%s)",
				quote(claim), contract.AuthClaimSuffix)
		}
	case v.Ephemeral != nil && v.Ephemeral.VolumeClaimTemplate != nil:
		if st, ok := a.claimSpec(ns, v.Ephemeral.VolumeClaimTemplate.Spec); ok {
			return "is a generic ephemeral volume whose claim is made from " + st.Why
		}
	case v.HostPath != nil:
		if st, ok := a.hostPath(v.HostPath.Path); ok {
			return "is " + st.Why
		}
	}
	return ""
}

// claimTemplateAuthRoutes lists the workload's volumeClaimTemplates whose claims are made
// from auth storage.
func (s *Stack) claimTemplateAuthRoutes(sw StackWorkload) []string {
	var out []string
	for _, t := range sw.W.ClaimTemplates {
		if st, ok := s.authStorage().claimSpec(sw.W.Meta.Namespace, t.Spec); ok {
			out = append(out, fmt.Sprintf("volumeClaimTemplate %s makes each pod's claim from %s", quote(t.Metadata.Name), st.Why))
		}
	}
	return out
}
