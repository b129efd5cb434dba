package rules

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"

	"cloud-codex/codexconfig"
)

// What the stack rules derive from a Stack, computed once per Stack (so once per stack
// validation: stackFromAnalyzer hands every rule the same Stack) and shared by all of them.
// Before, every rule converted every resource again, decoded every workload's pod spec and
// every object's metadata again (a JSON round trip each), re-parsed the same codex configs,
// and some graph questions scanned all resources for each resource (which workload mounts
// which PVC, which Secret a workload references): issue 11, docs/performance.md.
type stackMemo struct {
	mu     sync.Mutex
	owners map[*Resource]ownerOf
	metas  map[*Resource]ObjectMeta
	data   map[*Resource]map[string]string
	codex  map[string]parsedCodex
	// scriptVars: the variables each mounted script references; scripts: its expansions.
	scriptVars map[string][]string
	scripts    map[string]string
	facts      map[string]scriptFacts

	workloadsOnce sync.Once
	workloads     []StackWorkload

	pvcsOnce   sync.Once
	pvcs       []PVC
	pvcsByName map[string][]int // claim name -> indices into pvcs
	pvcByURN   map[string]int

	authOnce sync.Once
	authPVCs []PVC

	holdersOnce sync.Once
	holders     []StackWorkload

	storageOnce sync.Once
	storage     authStorage

	endpointsOnce sync.Once
	endpoints     []LiteLLMEndpoint

	configsOnce sync.Once
	configs     []PoolLiteLLMConfig

	sourcesOnce sync.Once
	sources     credentialSources

	landingsOnce sync.Once
	landings     map[*Resource]map[string]string
}

type ownerOf struct {
	role Role
	urn  string
}

type parsedCodex struct {
	cfg codexconfig.Config
	err error
}

// metaOf is r.meta(), decoded once per Stack.
func (s *Stack) metaOf(r *Resource) ObjectMeta {
	s.memo.mu.Lock()
	defer s.memo.mu.Unlock()
	if m, ok := s.memo.metas[r]; ok {
		return m
	}
	if s.memo.metas == nil {
		s.memo.metas = map[*Resource]ObjectMeta{}
	}
	m := r.meta()
	s.memo.metas[r] = m
	return m
}

// dataOf is stringData(r), decoded once per Stack. The map is shared: read it only.
func (s *Stack) dataOf(r *Resource) map[string]string {
	s.memo.mu.Lock()
	defer s.memo.mu.Unlock()
	if d, ok := s.memo.data[r]; ok {
		return d
	}
	if s.memo.data == nil {
		s.memo.data = map[*Resource]map[string]string{}
	}
	d := stringData(r)
	s.memo.data[r] = d
	return d
}

// codexConfig parses a codex config.toml once per Stack (two rules read the agents' configs).
func (s *Stack) codexConfig(text string) (codexconfig.Config, error) {
	s.memo.mu.Lock()
	defer s.memo.mu.Unlock()
	if p, ok := s.memo.codex[text]; ok {
		return p.cfg, p.err
	}
	if s.memo.codex == nil {
		s.memo.codex = map[string]parsedCodex{}
	}
	cfg, err := codexconfig.Parse(text)
	s.memo.codex[text] = parsedCodex{cfg, err}
	return cfg, err
}

// codexConfigFile is a TOML key (config.toml, or any *.toml: a profile file, a config kept
// under another name) of a Secret or ConfigMap outside the auth pool, parsed as a codex
// config (Err when it does not parse).
type codexConfigFile struct {
	Res  *Resource
	Kind string
	Role Role
	Key  string
	// Landing is where a workload mounts the key as a codex config file in a codex home
	// (config.toml or NAME.config.toml, by items[].path or subPath), "" if none does.
	Landing string
	Cfg     codexconfig.Config
	Err     error
}

// Name is the file name codex reads the key under: where it lands, else the key.
func (f codexConfigFile) Name() string {
	if f.Landing != "" {
		return path.Base(f.Landing)
	}
	return f.Key
}

// Where describes the key for messages.
func (f codexConfigFile) Where() string {
	if f.Landing != "" && path.Base(f.Landing) != f.Key {
		return fmt.Sprintf("%s (mounted as %s)", quote(f.Key), quote(f.Landing))
	}
	return quote(f.Key)
}

// landsWhereCodexReads reports whether the key is a file codex reads as its config: named
// config.toml or NAME.config.toml, or mounted as one in a codex home. There a TOML that
// sets only model or profile is a codex config (codex runs with its built-in provider).
func (f codexConfigFile) landsWhereCodexReads() bool {
	return f.Landing != "" || f.Key == codexconfig.FileName || isProfileFile(f.Key)
}

// isCodexConfigFileName reports whether a file name is one codex reads in its home.
func isCodexConfigFileName(name string) bool {
	return name == codexconfig.FileName || isProfileFile(name)
}

// codexConfigFiles are the stack's codex config files outside the auth pool, in resource
// order and by key; the pool's own (its holder's login config) are the pool's business.
func (s *Stack) codexConfigFiles() []codexConfigFile {
	var out []codexConfigFile
	for _, r := range s.Resources {
		kind := r.kindOf()
		if kind != "ConfigMap" && kind != "Secret" {
			continue
		}
		role, _ := s.owner(r)
		if role == RoleAuthPool {
			continue
		}
		data := s.dataOf(r)
		landings := s.codexConfigLandings()[r]
		for _, key := range slices.Sorted(maps.Keys(data)) {
			text := data[key]
			landing := landings[key]
			if isUnknown(text) || (key != codexconfig.FileName && !strings.HasSuffix(key, ".toml") && landing == "") {
				continue
			}
			cfg, err := s.codexConfig(text)
			out = append(out, codexConfigFile{Res: r, Kind: kind, Role: role, Key: key, Landing: landing, Cfg: cfg, Err: err})
		}
	}
	return out
}

// codexConfigLandings finds, for the stack's Secrets and ConfigMaps, the keys a workload
// (other than an auth holder) mounts as a codex config file in a codex home: a key under
// any name that lands, by items[].path or a subPath mount, at config.toml or
// NAME.config.toml in the container's codex home or a .codex directory. By object, then key
// (the first landing found).
func (s *Stack) codexConfigLandings() map[*Resource]map[string]string {
	s.memo.landingsOnce.Do(func() { s.memo.landings = s.findCodexConfigLandings() })
	return s.memo.landings
}

func (s *Stack) findCodexConfigLandings() map[*Resource]map[string]string {
	out := map[*Resource]map[string]string{}
	for _, sw := range s.workloads() {
		if s.isAuthHolder(sw) {
			continue
		}
		pod := s.podHomes(sw)
		ns := sw.W.Meta.Namespace
		for ci, c := range sw.W.Pod.AllContainers() {
			for _, m := range c.C.VolumeMounts {
				v, ok := sw.W.Pod.Volume(m.Name)
				if !ok {
					continue
				}
				for _, ref := range volumeObjectRefs(v) {
					for _, r := range s.Resources {
						if r.kindOf() != ref.Kind || !(objectKey{s.metaOf(r).Namespace, s.metaOf(r).Name}).matches(ns, ref.Name) {
							continue
						}
						for key := range s.dataOf(r) {
							file, ok := ref.fileOf(m, key)
							if !ok || !isCodexConfigFileName(path.Base(file)) || !pod.inHome(ci, file) {
								continue
							}
							if out[r] == nil {
								out[r] = map[string]string{}
							}
							if _, seen := out[r][key]; !seen {
								out[r][key] = file
							}
						}
					}
				}
			}
		}
	}
	return out
}

// owner returns the role of r and the URN of the component it belongs to (the nearest
// LiteLLMAuthPool or CloudCodexAgent ancestor, r included). The URN is "" when the
// component itself is not among the stack's resources (the role still comes from the URN).
func (s *Stack) owner(r *Resource) (Role, string) {
	s.memo.mu.Lock()
	defer s.memo.mu.Unlock()
	if o, ok := s.memo.owners[r]; ok {
		return o.role, o.urn
	}
	if s.memo.owners == nil {
		s.memo.owners = map[*Resource]ownerOf{}
	}
	o := s.findOwner(r)
	s.memo.owners[r] = o
	return o.role, o.urn
}

func (s *Stack) findOwner(r *Resource) ownerOf {
	seen := map[string]bool{}
	for p := r; p != nil && !seen[p.URN]; p = s.Get(p.Parent) {
		seen[p.URN] = true
		if role := roleOfType(p.Type); role != RoleNone {
			return ownerOf{role, p.URN}
		}
	}
	return ownerOf{roleFromURN(r.URN, r.Parent), ""}
}

// workloads returns every pod-bearing resource of the stack; a patch resource that sets a
// pod template and whose target is in the stack gives the merged object's views
// (patches.go), with Target set. Shared: read it only.
func (s *Stack) workloads() []StackWorkload {
	s.memo.workloadsOnce.Do(func() {
		for _, r := range s.Resources {
			role, owner := s.owner(r)
			if targets := s.patchTargets(r); len(targets) > 0 && touchesPodTemplate(r, mustKubeType(r.Type)) {
				for _, target := range targets {
					merged := patched(target, r)
					tws := WorkloadsOf(target)
					trole, towner := s.owner(target)
					for _, w := range WorkloadsOf(merged) {
						sw := StackWorkload{Res: merged, W: w, Role: role, Owner: owner, Patch: r}
						for _, tw := range tws {
							if tw.PodPath == w.PodPath {
								sw.Target = &StackWorkload{Res: target, W: tw, Role: trole, Owner: towner}
							}
						}
						if sw.Target == nil {
							sw.Target = &StackWorkload{Res: target, Role: trole, Owner: towner}
						}
						s.memo.workloads = append(s.memo.workloads, sw)
					}
				}
				continue
			}
			for _, w := range WorkloadsOf(r) {
				s.memo.workloads = append(s.memo.workloads, StackWorkload{Res: r, W: w, Role: role, Owner: owner})
			}
		}
	})
	return s.memo.workloads
}

// pvcs returns every PersistentVolumeClaim of the stack. Shared: read it only.
func (s *Stack) pvcs() []PVC {
	s.memo.pvcsOnce.Do(func() {
		s.memo.pvcsByName = map[string][]int{}
		s.memo.pvcByURN = map[string]int{}
		for _, r := range s.Resources {
			if r.kindOf() != "PersistentVolumeClaim" {
				continue
			}
			var spec struct {
				AccessModes []string `json:"accessModes"`
			}
			if v, ok := r.Props["spec"]; ok {
				decode(v, &spec)
			}
			m := s.metaOf(r)
			role, owner := s.owner(r)
			i := len(s.memo.pvcs)
			s.memo.pvcs = append(s.memo.pvcs, PVC{
				Res: r, Key: objectKey{Namespace: m.Namespace, Name: m.Name},
				AccessModes: spec.AccessModes, Role: role, Owner: owner,
			})
			s.memo.pvcsByName[m.Name] = append(s.memo.pvcsByName[m.Name], i)
			s.memo.pvcByURN[r.URN] = i
		}
	})
	return s.memo.pvcs
}

// mountedPVCs returns the stack's PVCs that the workload mounts (claimRefers for one of its
// volumes), in stack order, each once: an index lookup by claim name (or, for a claim name
// not known yet, by the workload's dependencies) instead of a scan of every PVC.
func (s *Stack) mountedPVCs(sw StackWorkload) []PVC {
	all := s.pvcs()
	var idx []int
	for _, v := range sw.W.Pod.Volumes {
		if v.PersistentVolumeClaim == nil {
			continue
		}
		claim := v.PersistentVolumeClaim.ClaimName
		if isUnknown(claim) {
			for _, d := range sw.Res.Dependencies {
				if i, ok := s.memo.pvcByURN[d]; ok {
					idx = append(idx, i)
				}
			}
			continue
		}
		for _, i := range s.memo.pvcsByName[claim] {
			if all[i].Key.matches(sw.W.Meta.Namespace, claim) {
				idx = append(idx, i)
			}
		}
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	out := make([]PVC, 0, len(idx))
	for _, i := range idx {
		out = append(out, all[i])
	}
	return out
}

// credentialSources returns the stack's Secrets and ConfigMaps, indexed by kind and name.
func (s *Stack) credentialSources() credentialSources {
	s.memo.sourcesOnce.Do(func() {
		src := credentialSources{authPVCs: s.authPVCs(), objects: map[string]map[string][]dataObject{}}
		for _, r := range s.Resources {
			kind := r.kindOf()
			if kind != "Secret" && kind != "ConfigMap" {
				continue
			}
			m := s.metaOf(r)
			if src.objects[kind] == nil {
				src.objects[kind] = map[string][]dataObject{}
			}
			src.objects[kind][m.Name] = append(src.objects[kind][m.Name], dataObject{
				Key: objectKey{Namespace: m.Namespace, Name: m.Name}, Data: s.dataOf(r), Unknown: dataWhollyUnknown(r),
			})
		}
		s.memo.sources = src
	})
	return s.memo.sources
}
