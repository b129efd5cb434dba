package main

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"cloud-codex/codexauth"
)

// RuleNoCodexCredentials guards ADR-014, "the runtime is not the auth surface": the
// LiteLLMAuthPool is the only holder of ChatGPT OAuth credentials, and no other workload
// (agents included) may receive them by any route. An agent that holds a codex auth.json
// becomes a second refresher of a single-use refresh token (which kills the account for
// everyone) and an exfiltration target; an agent that can run `codex login` can create one.
//
// The auth pool is recognised by the Pulumi resource graph (the workload's URN type chain
// and Parent links lead to a cloud-codex:index:LiteLLMAuthPool component), never by labels
// or names: a workload that copies the pool's labels and name but is declared outside the
// component is checked like any other.
//
// It is a stack policy because one route (mounting the pool's credential PVC) can only be
// recognised with the whole graph: the PVC is the one that is a child of the pool and that
// the pool's workload mounts. Pulumi runs stack policies during preview (and `pulumi up`
// previews first), so a violation still stops the update before anything changes.
//
// Routes, for every pod-bearing kind (Pod, PodTemplate, Deployment, StatefulSet, DaemonSet,
// ReplicaSet, ReplicationController, Job, CronJob) and every container (init, regular,
// ephemeral):
//   - a volume mount or subPath whose file name is auth.json or auth-N.json;
//   - a mount at or inside a .codex directory, or at or inside the directory the
//     container's CODEX_HOME names, backed by a Secret, ConfigMap, projected, hostPath or
//     CSI volume;
//   - Secret/ConfigMap/projected items whose key or path names such a file, a hostPath
//     that is (inside) a .codex directory or such a file, and a Secret/ConfigMap of the
//     stack projected whole whose keys name such a file or whose values are one;
//   - the auth pool's ChatGPT credential PVC;
//   - env OPENAI_API_KEY, CODEX_API_KEY or OPENAI_CODEX_* (literal or from anywhere),
//     env taken from a Secret/ConfigMap key that names or holds a credential file, and
//     envFrom that imports such names or values;
//   - a command, args, lifecycle hook or exec probe that runs `codex login`.
const RuleNoCodexCredentials = "no-codex-credentials-outside-auth-pool"

func noCodexCredentialsPolicy() policyx.Policy {
	return policyx.NewStackValidationPolicy(RuleNoCodexCredentials, policyx.StackValidationPolicyArgs{
		Description: "ADR-014: no workload but the LiteLLMAuthPool (recognised by the Pulumi resource graph, " +
			"not labels or names) may receive codex/ChatGPT credentials by any route.",
		EnforcementLevel: policyx.EnforcementLevelMandatory,
		ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
			report(args.Manager, CheckNoCodexCredentials(stackFromAnalyzer(args.Resources)))
			return nil
		},
	})
}

// CheckNoCodexCredentials returns one violation per workload outside the auth pool that
// codex credentials can reach, listing every route found.
func CheckNoCodexCredentials(s *Stack) []Violation {
	src := s.credentialSources()
	var out []Violation
	for _, sw := range s.workloads() {
		if sw.Role == RoleAuthPool {
			continue
		}
		routes := credentialRoutes(sw, src)
		if len(routes) == 0 {
			continue
		}
		out = append(out, Violation{
			URN: sw.Res.URN,
			Message: fmt.Sprintf("%s %s is not part of a LiteLLMAuthPool, but codex credentials can reach it:\n  - %s",
				sw.W.Kind, quote(sw.W.Meta.Name), strings.Join(routes, "\n  - ")),
		})
	}
	return out
}

// credentialSources is what the stack tells about where credentials may live (built once
// per Stack by Stack.credentialSources).
type credentialSources struct {
	authPVCs []PVC
	// objects holds the data of the stack's Secrets and ConfigMaps, by kind and name.
	objects map[string]map[string][]dataObject
}

type dataObject struct {
	Key  objectKey
	Data map[string]string
}

// data returns the data of the stack's Secret or ConfigMap that a workload in namespace ns
// references by name, merged if several may match; nil if the stack has none.
func (c credentialSources) data(kind, ns, name string) map[string]string {
	var out map[string]string
	for _, o := range c.objects[kind][name] {
		if !o.Key.matches(ns, name) {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		for k, v := range o.Data {
			out[k] = v
		}
	}
	return out
}

// credentialRoutes lists every route by which codex credentials reach the workload.
func credentialRoutes(sw StackWorkload, src credentialSources) []string {
	var routes []string
	seen := map[string]bool{}
	add := func(format string, a ...any) {
		s := fmt.Sprintf(format, a...)
		if !seen[s] {
			seen[s] = true
			routes = append(routes, s)
		}
	}
	w := sw.W
	ns := w.Meta.Namespace

	for _, v := range w.Pod.Volumes {
		vol := fmt.Sprintf("volume %s (%s)", quote(v.Name), v.Source())
		for _, ref := range volumeObjectRefs(v) {
			for _, it := range ref.Items {
				if codexauth.IsCredentialFileName(it.Key) || codexauth.IsCredentialFileName(it.Path) {
					add("%s projects %s key %s to path %s: a codex credential file", vol, ref.Kind, quote(it.Key), quote(it.Path))
				}
			}
			data := src.data(ref.Kind, ns, ref.Name)
			for _, k := range slices.Sorted(maps.Keys(data)) {
				if len(ref.Items) > 0 && !itemsSelect(ref.Items, k) {
					continue
				}
				if len(ref.Items) == 0 && codexauth.IsCredentialFileName(k) {
					add("%s projects every key of %s %s, and its key %s is a codex credential file", vol, ref.Kind, quote(ref.Name), quote(k))
				} else if looksLikeCredentialValue(data[k]) {
					add("%s projects %s %s key %s, whose value is a codex credential file", vol, ref.Kind, quote(ref.Name), quote(k))
				}
			}
		}
		if v.HostPath != nil {
			if hasPathElement(v.HostPath.Path, codexauth.CodexHomeDirName) {
				add("%s is a host directory at or inside a %s directory", vol, codexauth.CodexHomeDirName)
			} else if codexauth.IsCredentialFileName(v.HostPath.Path) {
				add("%s is a codex credential file on the host", vol)
			}
		}
		if v.PersistentVolumeClaim != nil {
			for _, p := range src.authPVCs {
				if claimRefers(v, ns, sw.Res, p) {
					add("%s is the auth pool's ChatGPT credential PVC %s (%s)", vol, quote(p.Key.String()), p.Res.URN)
				}
			}
		}
	}

	for _, c := range w.Pod.AllContainers() {
		codexHome := ""
		if e, ok := c.C.EnvVar("CODEX_HOME"); ok && e.ValueFrom == nil && !isUnknown(e.Value) {
			codexHome = e.Value
		}
		for _, m := range c.C.VolumeMounts {
			v, ok := w.Pod.Volume(m.Name)
			if codexauth.IsCredentialFileName(m.MountPath) {
				add("%s mounts volume %s at %s: a codex credential file", c, quote(m.Name), quote(m.MountPath))
			}
			for _, sub := range []string{m.SubPath, m.SubPathExpr} {
				if sub != "" && codexauth.IsCredentialFileName(sub) {
					add("%s mounts subPath %s of volume %s: a codex credential file", c, quote(sub), quote(m.Name))
				}
			}
			if !ok || !v.CarriesFiles() {
				continue
			}
			switch {
			case hasPathElement(path.Clean(m.MountPath), codexauth.CodexHomeDirName):
				add("%s mounts %s at %s, at or inside a %s directory", c, v.Source(), quote(m.MountPath), codexauth.CodexHomeDirName)
			case codexHome != "" && pathWithin(m.MountPath, codexHome):
				add("%s mounts %s at %s, at or inside its CODEX_HOME %s", c, v.Source(), quote(m.MountPath), quote(codexHome))
			}
		}
		for _, e := range c.C.Env {
			if isCredentialEnvName(e.Name) {
				add("%s sets env %s (%s): a ChatGPT/OpenAI credential variable", c, e.Name, envSource(e))
			}
			if e.ValueFrom == nil {
				continue
			}
			for _, ref := range []struct {
				kind string
				sel  *KeySelector
			}{{"Secret", e.ValueFrom.SecretKeyRef}, {"ConfigMap", e.ValueFrom.ConfigMapKeyRef}} {
				if ref.sel == nil {
					continue
				}
				if codexauth.IsCredentialFileName(ref.sel.Key) {
					add("%s takes env %s from %s %s key %s: a codex credential file", c, e.Name, ref.kind, quote(ref.sel.Name), quote(ref.sel.Key))
				} else if val, ok := src.data(ref.kind, ns, ref.sel.Name)[ref.sel.Key]; ok && looksLikeCredentialValue(val) {
					add("%s takes env %s from %s %s key %s, whose value is a codex credential file", c, e.Name, ref.kind, quote(ref.sel.Name), quote(ref.sel.Key))
				}
			}
		}
		for _, ef := range c.C.EnvFrom {
			kind, name := "Secret", ""
			switch {
			case ef.SecretRef != nil:
				name = ef.SecretRef.Name
			case ef.ConfigMapRef != nil:
				kind, name = "ConfigMap", ef.ConfigMapRef.Name
			default:
				continue
			}
			if strings.HasPrefix(ef.Prefix, credentialEnvPrefix) {
				add("%s imports %s %s as env with prefix %s: ChatGPT/OpenAI credential variables", c, kind, quote(name), quote(ef.Prefix))
			}
			data := src.data(kind, ns, name)
			for _, k := range slices.Sorted(maps.Keys(data)) {
				if isCredentialEnvName(ef.Prefix + k) {
					add("%s imports %s %s as env, which sets %s: a ChatGPT/OpenAI credential variable", c, kind, quote(name), ef.Prefix+k)
				} else if looksLikeCredentialValue(data[k]) {
					add("%s imports %s %s as env, and its key %s holds a codex credential file", c, kind, quote(name), quote(k))
				}
			}
		}
		for _, cmd := range c.C.Commands() {
			if runsCodexLogin(cmd.Argv) {
				add("%s %s runs `codex login`", c, cmd.Where)
			}
		}
	}
	return routes
}

// volumeObjectRef is a Secret or ConfigMap a volume projects, with the items it selects.
type volumeObjectRef struct {
	Kind  string
	Name  string
	Items []KeyToPath
}

func volumeObjectRefs(v Volume) []volumeObjectRef {
	var out []volumeObjectRef
	if v.Secret != nil {
		out = append(out, volumeObjectRef{"Secret", v.Secret.SecretName, v.Secret.Items})
	}
	if v.ConfigMap != nil {
		out = append(out, volumeObjectRef{"ConfigMap", v.ConfigMap.Name, v.ConfigMap.Items})
	}
	if v.Projected != nil {
		for _, s := range v.Projected.Sources {
			if s.Secret != nil {
				out = append(out, volumeObjectRef{"Secret", s.Secret.Name, s.Secret.Items})
			}
			if s.ConfigMap != nil {
				out = append(out, volumeObjectRef{"ConfigMap", s.ConfigMap.Name, s.ConfigMap.Items})
			}
		}
	}
	return out
}

func itemsSelect(items []KeyToPath, key string) bool {
	for _, it := range items {
		if it.Key == key {
			return true
		}
	}
	return false
}

// credentialEnvPrefix: every OPENAI_CODEX_* variable is treated as a credential.
const credentialEnvPrefix = "OPENAI_CODEX_"

// isCredentialEnvName reports whether an env var carries a ChatGPT/OpenAI credential codex
// would use instead of LiteLLM.
func isCredentialEnvName(name string) bool {
	return name == "OPENAI_API_KEY" || name == "CODEX_API_KEY" || strings.HasPrefix(name, credentialEnvPrefix)
}

// looksLikeCredentialValue reports whether a value is a codex auth file or LiteLLM's flat
// token file, by content.
func looksLikeCredentialValue(s string) bool {
	return !isUnknown(s) && codexauth.LooksLikeCredentialFile([]byte(s))
}

// envSource describes where an env var's value comes from.
func envSource(e EnvVar) string {
	switch {
	case e.ValueFrom == nil:
		return "literal value"
	case e.ValueFrom.SecretKeyRef != nil:
		return fmt.Sprintf("from Secret %s key %s", quote(e.ValueFrom.SecretKeyRef.Name), quote(e.ValueFrom.SecretKeyRef.Key))
	case e.ValueFrom.ConfigMapKeyRef != nil:
		return fmt.Sprintf("from ConfigMap %s key %s", quote(e.ValueFrom.ConfigMapKeyRef.Name), quote(e.ValueFrom.ConfigMapKeyRef.Key))
	case e.ValueFrom.FieldRef != nil:
		return "from field " + quote(e.ValueFrom.FieldRef.FieldPath)
	default:
		return "from valueFrom"
	}
}

// codexFlagsWithValue are codex's global options that take a separate value, so that
// `codex -c k=v login` is recognised too.
var codexFlagsWithValue = map[string]bool{
	"-c": true, "--config": true, "-m": true, "--model": true, "-p": true, "--profile": true,
	"-C": true, "--cd": true, "-s": true, "--sandbox": true, "-a": true, "--ask-for-approval": true,
	"-i": true, "--image": true, "--enable": true, "--disable": true,
}

// runsCodexLogin reports whether a command line runs `codex login`, directly
// (["codex", "login"]), through npx (`npx @openai/codex@0.171.0 login`), through node
// (`node .../codex.js login`), or inside a shell script (`sh -c "...; codex login ..."`).
func runsCodexLogin(argv []string) bool {
	tokens := shellTokens(strings.Join(argv, " "))
	for i, t := range tokens {
		if !isCodexExecutable(t) {
			continue
		}
		for j := i + 1; j < len(tokens); j++ {
			tok := tokens[j]
			if tok == shellSeparator {
				break
			}
			if strings.HasPrefix(tok, "-") {
				if codexFlagsWithValue[tok] {
					j++
				}
				continue
			}
			if tok == "login" {
				return true
			}
			break // the first non-flag word is the subcommand
		}
	}
	return false
}

// isCodexExecutable reports whether a word invokes the codex CLI.
func isCodexExecutable(word string) bool {
	base := path.Base(word)
	return base == "codex" || base == "codex.js" || strings.HasPrefix(base, "codex@")
}

const shellSeparator = "\x00;"

// shellTokens splits a command line into words, dropping quotes and turning shell
// separators (; & | newline parentheses backticks $( ) into shellSeparator. It is not a
// shell parser; it only needs to find `codex ... login` in what a container runs.
func shellTokens(s string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch r {
		case ' ', '\t', '\r':
			flush()
		case ';', '&', '|', '\n', '(', ')', '`', '{', '}':
			flush()
			out = append(out, shellSeparator)
		case '"', '\'', '\\':
			// quoting does not change which words a command is made of here
		case '$':
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return out
}
