package rules

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"cloud-codex/codexauth"
	"cloud-codex/contract"
)

// This file answers, for one pod template, "where is codex's home" (per container: its
// CODEX_HOME as resolved against the stack, else $HOME/.codex, and any .codex directory)
// and "which volume holds it", so that a file one container writes into a shared volume
// is recognised as landing in another container's codex home (issue 18: files copied into
// the codex home by another container of the pod); and it lists what each container runs,
// the scripts it mounts from the stack included.

// podHomeView is the codex homes of one pod template's containers (indexed like
// PodSpec.AllContainers).
type podHomeView struct {
	pod   PodSpec
	env   []map[string]EnvValue
	homes [][]string
	// homeVolumes are the (volume, path inside the volume) pairs of every container's homes.
	homeVolumes []volumePathRef
}

type volumePathRef struct {
	Volume string
	Path   string
}

// podHomes builds the view of a workload's pod template.
func (s *Stack) podHomes(sw StackWorkload) podHomeView {
	cs := sw.W.Pod.AllContainers()
	v := podHomeView{pod: sw.W.Pod, env: make([]map[string]EnvValue, len(cs)), homes: make([][]string, len(cs))}
	for i, c := range cs {
		env := s.resolvedEnv(sw.W.Meta.Namespace, c.C)
		v.env[i] = env
		if h, ok := env[contract.CodexHomeEnv]; ok && h.Known && strings.HasPrefix(h.Value, "/") {
			v.homes[i] = append(v.homes[i], path.Clean(h.Value))
		} else if h, ok := env["HOME"]; ok && h.Known && strings.HasPrefix(h.Value, "/") {
			v.homes[i] = append(v.homes[i], path.Join(h.Value, codexauth.CodexHomeDirName))
		}
		for _, m := range c.C.VolumeMounts {
			if hasPathElement(path.Clean(m.MountPath), codexauth.CodexHomeDirName) {
				v.homes[i] = append(v.homes[i], path.Clean(m.MountPath))
			}
		}
		for _, h := range v.homes[i] {
			if ref, ok := volumePathOf(c.C, h); ok {
				v.homeVolumes = append(v.homeVolumes, ref)
			}
		}
	}
	return v
}

// inHome reports whether a path of container ci is in its codex home.
func (v podHomeView) inHome(ci int, p string) bool {
	if strings.Contains(p, unresolvedCodexHome) || hasPathElement(path.Clean(p), codexauth.CodexHomeDirName) {
		return true
	}
	for _, h := range v.homes[ci] {
		if pathWithin(p, h) {
			return true
		}
	}
	return false
}

// inAnyHome reports whether a path of container ci is in its own codex home or, through a
// volume they share, in another container's.
func (v podHomeView) inAnyHome(ci int, p string) bool {
	if v.inHome(ci, p) {
		return true
	}
	cs := v.pod.AllContainers()
	ref, ok := volumePathOf(cs[ci].C, p)
	if !ok {
		return false
	}
	for _, h := range v.homeVolumes {
		if h.Volume == ref.Volume && pathWithin(ref.Path, h.Path) {
			return true
		}
	}
	return false
}

// volumePathOf maps a path of a container to the volume mounted there and the path inside
// that volume (the deepest mount that contains it; a subPath mount adds its subPath).
func volumePathOf(c Container, p string) (volumePathRef, bool) {
	if !strings.HasPrefix(p, "/") {
		return volumePathRef{}, false
	}
	p = path.Clean(p)
	best := -1
	for i, m := range c.VolumeMounts {
		if pathWithin(p, m.MountPath) && (best < 0 || len(path.Clean(m.MountPath)) > len(path.Clean(c.VolumeMounts[best].MountPath))) {
			best = i
		}
	}
	if best < 0 {
		return volumePathRef{}, false
	}
	m := c.VolumeMounts[best]
	rel := strings.TrimPrefix(p, path.Clean(m.MountPath))
	return volumePathRef{Volume: m.Name, Path: path.Join("/", m.SubPath, rel)}, true
}

// scriptRun is one thing a container runs, as text ready to scan.
type scriptRun struct {
	Where string
	Text  string
}

// shellScriptExts are the file extensions of shell scripts.
var shellScriptExts = map[string]bool{".sh": true, ".bash": true, ".ksh": true, ".zsh": true}

// containerScripts returns what a container runs: its command and args, lifecycle hooks and
// exec probes, and every script it mounts from a Secret or ConfigMap of the stack (a file
// that starts with #!, has a shell extension, or is named in one of its commands). A
// mounted script counts even when the container does not run it itself: `kubectl exec`
// runs it (the auth pool's auth-login is run that way).
func (s *Stack) containerScripts(sw StackWorkload, c Container, env map[string]EnvValue) []scriptRun {
	var out []scriptRun
	var all strings.Builder
	for _, cmd := range c.Commands() {
		text := shellText(cmd.Argv, env)
		out = append(out, scriptRun{Where: cmd.Where, Text: text})
		all.WriteString(text)
		all.WriteString("\n")
	}
	commands := all.String()
	src := s.credentialSources()
	for _, m := range c.VolumeMounts {
		v, ok := sw.W.Pod.Volume(m.Name)
		if !ok {
			continue
		}
		for _, ref := range volumeObjectRefs(v) {
			data := src.data(ref.Kind, sw.W.Meta.Namespace, ref.Name)
			for _, k := range slices.Sorted(maps.Keys(data)) {
				file, ok := ref.fileOf(m, k)
				if !ok {
					continue
				}
				val := data[k]
				if isUnknown(val) {
					continue
				}
				if !strings.HasPrefix(val, "#!") && !shellScriptExts[path.Ext(k)] && !strings.Contains(commands, file) {
					continue
				}
				out = append(out, scriptRun{
					Where: fmt.Sprintf("script %s (%s %s key %s)", quote(file), ref.Kind, quote(ref.Name), quote(k)),
					Text:  s.expandScript(val, env),
				})
			}
		}
	}
	return out
}

// expandScript is expandShellVars for a mounted script, computed once per stack for each
// script and set of values of the variables it references: every agent mounts the same
// scripts, and their variables mostly have the same values.
func (s *Stack) expandScript(text string, env map[string]EnvValue) string {
	s.memo.mu.Lock()
	names, ok := s.memo.scriptVars[text]
	if !ok {
		seen := map[string]bool{}
		for _, m := range shellVarRef.FindAllStringSubmatch(text, -1) {
			if n := m[1] + m[2]; !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
		if s.memo.scriptVars == nil {
			s.memo.scriptVars = map[string][]string{}
			s.memo.scripts = map[string]string{}
		}
		s.memo.scriptVars[text] = names
	}
	var key strings.Builder
	key.WriteString(text)
	for _, n := range names {
		v := env[n]
		fmt.Fprintf(&key, "\x00%s=%t:%s", n, v.Known, v.Value)
	}
	out, ok := s.memo.scripts[key.String()]
	s.memo.mu.Unlock()
	if ok {
		return out
	}
	out = expandShellVars(text, env)
	s.memo.mu.Lock()
	s.memo.scripts[key.String()] = out
	s.memo.mu.Unlock()
	return out
}

// scriptFacts is what the rules look for in one (expanded) script, found with one read.
type scriptFacts struct {
	login     bool
	assigns   []string
	writes    []fileWrite
	overrides string
	hasConfig bool
	kubectl   []kubectlCall
	// kubectlCreds are the credential files a kubectl cp/exec of the script names.
	kubectlCreds []string
}

// factsOf reads a script once per stack (agents share their scripts).
func (s *Stack) factsOf(text string) scriptFacts {
	s.memo.mu.Lock()
	f, ok := s.memo.facts[text]
	s.memo.mu.Unlock()
	if ok {
		return f
	}
	f = scriptFacts{login: textRunsCodexLogin(text), assigns: credentialAssignments(text), writes: fileWrites(text), kubectl: kubectlCalls(text),
		kubectlCreds: kubectlCredentialPaths(text)}
	f.overrides, f.hasConfig = codexOverrides(text)
	s.memo.mu.Lock()
	if s.memo.facts == nil {
		s.memo.facts = map[string]scriptFacts{}
	}
	s.memo.facts[text] = f
	s.memo.mu.Unlock()
	return f
}
