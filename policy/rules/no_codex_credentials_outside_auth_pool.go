package rules

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"cloud-codex/codexauth"
	"cloud-codex/codexconfig"
	"cloud-codex/contract"
)

// RuleNoCodexCredentials guards ADR-014, "the runtime is not the auth surface": the auth
// pool's holder (the one workload of a LiteLLMAuthPool that mounts the pool's credential
// PVC) is the only holder of ChatGPT OAuth credentials, and no other workload (agents, the
// pool's own database, anything else declared inside the pool) may receive them by any
// route. An agent that holds a codex auth.json becomes a second refresher of a single-use
// refresh token (which kills the account for everyone) and an exfiltration target; an
// agent that can run `codex login` can create one.
//
// The holder is recognised by the Pulumi resource graph (the workload's URN type chain and
// Parent links lead to a cloud-codex:index:LiteLLMAuthPool component, and it mounts that
// pool's PVC), never by labels or names: a workload that copies the pool's labels and name
// but is declared outside the component is checked like any other.
//
// It is a stack policy because most routes can only be recognised with the whole graph
// (which PVC is the pool's, what a ConfigMap a pod imports holds). Pulumi runs stack
// policies during preview (and `pulumi up` previews first), so a violation still stops the
// update before anything changes.
//
// Routes, for every pod template of every object (built-in kinds at their known path,
// custom resources found by shape, a patch resource merged into its target: a patch of the
// holder's pod template is not the holder) and every container (init, regular,
// ephemeral); the field-by-field table is in README.md:
//   - a file mounted (mountPath, subPath, items) under a credential file's name (auth.json,
//     auth-N.json): by content when the stack holds it (the codex auth.json / LiteLLM flat
//     file shapes of codexauth), by name where the content cannot be known (outside the
//     stack, or not known yet at preview), and never for container-registry credentials
//     (.dockerconfigjson items, containers/ paths);
//   - values under any name whose content is a ChatGPT/OpenAI credential
//     (contract.FindChatGPTCredential: OpenAI API keys, ChatGPT-issued JWTs) or the base64
//     of a credential file, read through env, envFrom, secretKeyRef or a volume;
//   - a volume whose content is outside the stack (a Secret, ConfigMap or claim the stack
//     does not declare, hostPath, CSI, image, network disks: contentOutsideStack) mounted
//     at or inside a .codex directory or the container's CODEX_HOME, CODEX_HOME resolved
//     through envFrom, configMapKeyRef and $(VAR) against the stack's objects; the stack's
//     own Secrets and ConfigMaps there are judged by the content of each key, as anywhere;
//   - Secret/ConfigMap/projected items or whole objects whose keys hold a credential file,
//     and hostPaths of a .codex directory or a credential file;
//   - the node's other pods: hostPID, a privileged container, a hostPath (or the host
//     directory of a hostPath/local PersistentVolume bound to a claim the pod mounts) of
//     the node's root, of a directory where the node keeps pods' volumes and files (the
//     kubelet's, the container runtime's, the local-path provisioners'), or above a node
//     user's codex home (/root, /home, /home/<user>);
//   - the auth pool's claim and storage one step away from it (auth_storage.go): clones,
//     snapshots, bound PersistentVolumes, generic ephemeral volumes and claim templates
//     made from them, and another stack's auth claim by its name;
//   - env OPENAI_API_KEY, CODEX_API_KEY, OPENAI_CODEX_* or any credential name that
//     mentions OpenAI, ChatGPT or codex (OPENAI_KEY, AZURE_OPENAI_API_KEY; literal or from anywhere),
//     env whose literal value or Secret/ConfigMap key holds a credential file (any name),
//     and envFrom that imports such names or values, or that imports an object outside
//     the stack under a prefix that makes a credential name of some key (OPENAI_, CODEX_);
//   - a command, args, lifecycle hook, exec probe or a script the container mounts from the
//     stack's ConfigMaps/Secrets that runs `codex login`, assigns a credential variable,
//     writes (cp, tee, a redirection, curl -o, wget -O...) a credential file into a codex
//     home, its own or another container's through a shared volume (clearing a variable,
//     VAR= or unset, assigns nothing), runs kubectl exec,
//     attach or cp into the holder's pods, or runs kubectl cp/exec on a credential file
//     path in any pod (the pod's name may come from $(kubectl get ...) and be unknowable); the same for the [mcp_servers.*] of a codex
//     config the container carries inline (codex starts them in it).
//
// Outside workloads: a codex config in a Secret or ConfigMap (outside the pool) whose MCP
// servers do the above, and a RoleBinding/ClusterRoleBinding of the stack that grants a
// subject exec, attach, ephemeral containers, pod creation or patching, or creation of a
// workload that makes pods where the holder runs, or nodes/proxy or user impersonation
// cluster-wide (rbac.go).
const RuleNoCodexCredentials = "no-codex-credentials-outside-auth-pool"

func noCodexCredentialsPolicy() policyx.Policy {
	return policyx.NewStackValidationPolicy(RuleNoCodexCredentials, policyx.StackValidationPolicyArgs{
		Description: "ADR-014: no workload but the LiteLLMAuthPool's holder (the pool workload that mounts its credential PVC, " +
			"recognised by the Pulumi resource graph, not labels or names) may receive codex/ChatGPT credentials by any route.",
		EnforcementLevel: policyx.EnforcementLevelMandatory,
		ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
			report(args.Manager, CheckNoCodexCredentials(stackFromAnalyzer(args.Resources)))
			return nil
		},
	})
}

// CheckNoCodexCredentials returns one violation per workload, other than the auth pools'
// holders, that codex credentials can reach, listing every route found.
func CheckNoCodexCredentials(s *Stack) []Violation {
	var out []Violation
	for _, sw := range s.workloads() {
		if s.isAuthHolder(sw) {
			continue
		}
		routes := s.credentialRoutes(sw)
		if len(routes) == 0 {
			continue
		}
		what := "is not part of a LiteLLMAuthPool"
		if sw.Role == RoleAuthPool {
			what = "is part of a LiteLLMAuthPool but is not its auth holder (the one workload that mounts the pool's credential PVC)"
		}
		if sw.isPatchView() && s.isAuthHolder(*sw.Target) {
			what = "patches the pod template of the auth pool's holder from outside it (a container it adds there shares the holder's volumes)"
		}
		msg := fmt.Sprintf("%s %s, but codex credentials can reach it:\n  - %s", sw, what, strings.Join(routes, "\n  - "))
		if nodeWideAccess(sw.W.Pod) {
			msg += "\n" + nodeAgentAdvice
		}
		out = append(out, Violation{URN: sw.Res.URN, Message: msg})
	}
	// Codex configs in Secrets and ConfigMaps outside the pool: the MCP servers they make
	// codex start run in every pod that uses them.
	for _, f := range s.codexConfigFiles() {
		if f.Err != nil || !looksLikeCodexConfig(f.Cfg) {
			continue
		}
		if routes := s.codexConfigObjectRoutes(f.Cfg); len(routes) > 0 {
			out = append(out, Violation{URN: f.Res.URN, Message: fmt.Sprintf(
				"%s %s key %s is a codex config whose MCP servers reach codex credentials wherever it is used:\n  - %s",
				f.Kind, quote(s.metaOf(f.Res).Name), f.Where(), strings.Join(routes, "\n  - "))})
		}
	}
	return append(out, s.rbacViolations(rbacIntoHolder)...)
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
	// Unknown: the object's data is not known yet as a whole (dataWhollyUnknown).
	Unknown bool
}

// data returns the data of the stack's Secret or ConfigMap that a workload in namespace ns
// references by name, merged if several may match; nil if the stack has none, or only
// ones whose data is wholly unknown at preview (content not known: judged like an object
// outside the stack, by name and by where it lands; notInStack says which).
func (c credentialSources) data(kind, ns, name string) map[string]string {
	var out map[string]string
	for _, o := range c.objects[kind][name] {
		if !o.Key.matches(ns, name) || o.Unknown {
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

// declared reports whether the stack declares a Secret or ConfigMap that a workload in
// namespace ns may reference by name, known data or not.
func (c credentialSources) declared(kind, ns, name string) bool {
	return slices.ContainsFunc(c.objects[kind][name], func(o dataObject) bool { return o.Key.matches(ns, name) })
}

// notInStack says why the content of an object data returned nil for is not known: the
// stack does not declare it, or its data is not known yet.
func (c credentialSources) notInStack(kind, ns, name string) string {
	if c.declared(kind, ns, name) {
		return fmt.Sprintf("the data of %s %s is not known yet", kind, quote(name))
	}
	return fmt.Sprintf("%s %s is not in this stack", kind, quote(name))
}

// routeSet collects route descriptions, each once, in the order found.
type routeSet struct {
	list []string
	seen map[string]bool
}

func (r *routeSet) add(format string, a ...any) {
	s := fmt.Sprintf(format, a...)
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	if !r.seen[s] {
		r.seen[s] = true
		r.list = append(r.list, s)
	}
}

// credentialRoutes lists every route by which codex credentials reach the workload.
func (s *Stack) credentialRoutes(sw StackWorkload) []string {
	src := s.credentialSources()
	var routes routeSet
	w := sw.W
	ns := w.Meta.Namespace

	for _, v := range w.Pod.Volumes {
		vol := fmt.Sprintf("volume %s (%s)", quote(v.Name), v.Source())
		for _, ref := range volumeObjectRefs(v) {
			data := src.data(ref.Kind, ns, ref.Name)
			for _, it := range ref.Items {
				if !codexauth.IsCredentialFileName(it.Key) && !codexauth.IsCredentialFileName(it.Path) {
					continue
				}
				val, ok := data[it.Key]
				if data != nil && (!ok || !isUnknown(val)) {
					continue // the content is known (judged below), or the key is not there
				}
				if registryAuthKeys[it.Key] || isRegistryAuthPath(it.Path) {
					continue
				}
				why := src.notInStack(ref.Kind, ns, ref.Name)
				if data != nil {
					why = fmt.Sprintf("the value of %s %s key %s is not known yet", ref.Kind, quote(ref.Name), quote(it.Key))
				}
				routes.add("%s projects %s key %s to path %s: named like a codex credential file, and %s, so its content cannot be checked",
					vol, ref.Kind, quote(it.Key), quote(it.Path), why)
			}
			for _, k := range slices.Sorted(maps.Keys(data)) {
				if len(ref.Items) > 0 && !itemsSelect(ref.Items, k) {
					continue
				}
				if len(ref.Items) == 0 && isUnknown(data[k]) && codexauth.IsCredentialFileName(k) && !registryAuthKeys[k] {
					// Content unknown at preview: judged by its name, as outside the stack.
					routes.add("%s projects every key of %s %s, and its key %s is named like a codex credential file whose value is not known yet",
						vol, ref.Kind, quote(ref.Name), quote(k))
					continue
				}
				what := credentialValue(data[k])
				if what == "" {
					continue
				}
				if len(ref.Items) == 0 && codexauth.IsCredentialFileName(k) {
					routes.add("%s projects every key of %s %s, and its key %s is %s", vol, ref.Kind, quote(ref.Name), quote(k), what)
				} else {
					routes.add("%s projects %s %s key %s, whose value is %s", vol, ref.Kind, quote(ref.Name), quote(k), what)
				}
			}
		}
		if v.HostPath != nil {
			for _, why := range hostPathRoutes(v.HostPath.Path) {
				routes.add("%s %s", vol, why)
			}
		}
		if r := s.volumeAuthRoute(sw, v); r != "" {
			routes.add("%s %s", vol, r)
		}
	}
	for _, r := range s.claimTemplateAuthRoutes(sw) {
		routes.add("%s", r)
	}
	for _, r := range s.boundHostPathRoutes(sw) {
		routes.add("%s", r)
	}
	downwardAPIRoutes(&routes, w)
	// The node's other pods: their files are reachable through the host's process table or
	// its devices, the auth holder's volume included when both run on one node.
	if w.Pod.HostPID {
		routes.add("hostPID: true reaches every process on its node, the auth pool's holder included (/proc/<pid>/root)")
	}
	for _, c := range w.Pod.AllContainers() {
		if sc := c.C.SecurityContext; sc != nil && sc.Privileged != nil && *sc.Privileged {
			routes.add("%s is privileged: it can mount the node's disks, the auth pool's volume included", c)
		}
	}

	pod := s.podHomes(sw)
	for ci, c := range w.Pod.AllContainers() {
		env := pod.env[ci]
		inHome := func(p string) bool { return pod.inHome(ci, p) }
		for _, m := range c.C.VolumeMounts {
			v, ok := w.Pod.Volume(m.Name)
			for _, file := range []string{m.MountPath, m.SubPath, m.SubPathExpr} {
				// Cleaned: the runtime mounts "/x/auth.json/." at /x/auth.json.
				if file == "" || !codexauth.IsCredentialFileName(path.Clean(file)) {
					continue
				}
				if why := s.mountedCredentialFile(ns, v, m, inHome(m.MountPath)); why != "" {
					if file == m.MountPath {
						routes.add("%s mounts volume %s at %s: %s", c, quote(m.Name), quote(m.MountPath), why)
					} else {
						routes.add("%s mounts subPath %s of volume %s: %s", c, quote(file), quote(m.Name), why)
					}
				}
			}
			if !ok {
				continue
			}
			// In the codex home, content the stack holds is judged by content (each key, above);
			// content it cannot see by where it lands, the only evidence there is.
			outside := s.contentOutsideStack(sw, v)
			if outside == "" {
				continue
			}
			switch {
			case hasPathElement(path.Clean(m.MountPath), codexauth.CodexHomeDirName):
				routes.add("%s mounts %s at %s, at or inside a %s directory, and %s, so what it puts there cannot be checked",
					c, v.Source(), quote(m.MountPath), codexauth.CodexHomeDirName, outside)
			case inHome(m.MountPath):
				routes.add("%s mounts %s at %s, at or inside its CODEX_HOME %s, and %s, so what it puts there cannot be checked",
					c, v.Source(), quote(m.MountPath), quote(pod.homes[ci][0]), outside)
			}
		}
		for _, e := range c.C.Env {
			if isCredentialEnvName(e.Name) && (e.ValueFrom != nil || e.Value != "") {
				// An empty literal clears the variable: no credential is assigned.
				routes.add("%s sets env %s (%s): a ChatGPT/OpenAI credential variable", c, e.Name, envSource(e))
			}
			if e.ValueFrom == nil {
				// A literal is judged by content whatever its name ($(VAR) expanded).
				what := credentialValue(e.Value)
				if v := env[e.Name]; what == "" && v.Known {
					what = credentialValue(v.Value)
				}
				if what != "" {
					routes.add("%s sets env %s to a literal value that is %s", c, e.Name, what)
				}
				continue
			}
			for _, ref := range []struct {
				kind string
				sel  *KeySelector
			}{{"Secret", e.ValueFrom.SecretKeyRef}, {"ConfigMap", e.ValueFrom.ConfigMapKeyRef}} {
				if ref.sel == nil {
					continue
				}
				data := src.data(ref.kind, ns, ref.sel.Name)
				val, ok := data[ref.sel.Key]
				switch {
				case ok && !isUnknown(val):
					if what := credentialValue(val); what != "" {
						routes.add("%s takes env %s from %s %s key %s, whose value is %s", c, e.Name, ref.kind, quote(ref.sel.Name), quote(ref.sel.Key), what)
					}
				case !codexauth.IsCredentialFileName(ref.sel.Key):
				case data == nil && !src.declared(ref.kind, ns, ref.sel.Name):
					routes.add("%s takes env %s from %s %s key %s: named like a codex credential file, and the %s is not in this stack",
						c, e.Name, ref.kind, quote(ref.sel.Name), quote(ref.sel.Key), ref.kind)
				case data == nil || ok:
					// The stack declares it, but the value (or all its data) is not known yet:
					// judged by the name, as the README promises (by content where known).
					routes.add("%s takes env %s from %s %s key %s: named like a codex credential file, and its value is not known yet",
						c, e.Name, ref.kind, quote(ref.sel.Name), quote(ref.sel.Key))
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
			data := src.data(kind, ns, name)
			switch {
			case strings.HasPrefix(ef.Prefix, contract.ChatGPTCredentialEnvPrefix):
				routes.add("%s imports %s %s as env with prefix %s: ChatGPT/OpenAI credential variables", c, kind, quote(name), quote(ef.Prefix))
			case data == nil && contract.PrefixMayNameChatGPTCredentialEnv(ef.Prefix):
				where := "which is not in this stack"
				if src.declared(kind, ns, name) {
					where = "whose data is not known yet"
				}
				routes.add("%s imports %s %s, %s, as env with prefix %s: a key such as %s makes a ChatGPT/OpenAI credential variable",
					c, kind, quote(name), where, quote(ef.Prefix), quote(credentialKeyFor(ef.Prefix)))
			}
			for _, k := range slices.Sorted(maps.Keys(data)) {
				if isCredentialEnvName(ef.Prefix + k) {
					routes.add("%s imports %s %s as env, which sets %s: a ChatGPT/OpenAI credential variable", c, kind, quote(name), ef.Prefix+k)
				} else if what := credentialValue(data[k]); what != "" {
					routes.add("%s imports %s %s as env, and its key %s holds %s", c, kind, quote(name), quote(k), what)
				}
			}
		}
		anyHome := func(p string) bool { return pod.inAnyHome(ci, p) }
		for _, run := range s.containerScripts(sw, c.C, env) {
			s.scriptRoutes(&routes, c.String()+" "+run.Where, run.Text, anyHome)
		}
		// The MCP servers of the codex configs it carries inline: codex starts them in this
		// container.
		for _, ic := range s.inlineCodexConfigs(sw, c.C, env) {
			where := ic.Where
			if ic.Kind == inlineEnv {
				where = "env " + ic.Name
			}
			for _, run := range mcpServerRuns(ic.Cfg) {
				s.scriptRoutes(&routes, fmt.Sprintf("%s %s: codex config %s", c, where, run.Where), expandShellVars(run.Text, env), anyHome)
			}
		}
	}
	return routes.list
}

// scriptRoutes adds the routes one thing a container runs opens (who names it): a `codex
// login`, a credential variable assigned, a credential file written into a codex home
// (inHome), kubectl exec/attach/cp into the auth pool's holder.
func (s *Stack) scriptRoutes(routes *routeSet, who, text string, inHome func(string) bool) {
	facts := s.factsOf(text)
	if facts.login {
		routes.add("%s runs `codex login`", who)
	}
	for _, name := range facts.assigns {
		routes.add("%s assigns %s: a ChatGPT/OpenAI credential variable", who, name)
	}
	for _, fw := range facts.writes {
		if fw.writesCredentialFile(inHome) {
			routes.add("%s writes a codex credential file into a codex home (%s to %s)", who, fw.Cmd, quote(strings.ReplaceAll(fw.Dest, unresolvedCodexHome, "$CODEX_HOME")))
		}
	}
	for _, p := range facts.kubectlCreds {
		routes.add("%s runs kubectl cp/exec on the codex credential file %s in another pod: whichever pod it names, that copies a ChatGPT login out of it or into it", who, quote(p))
	}
	for _, k := range facts.kubectl {
		if k.Verb != "exec" && k.Verb != "attach" && k.Verb != "cp" {
			continue
		}
		for _, h := range s.authHolders() {
			if k.Namespace != "" && !sameNamespace(k.Namespace, h.W.Meta.Namespace) {
				continue
			}
			for _, target := range k.Targets {
				if kubectlNames(target, h.W.Kind, h.W.Meta.Name) {
					what := "runs commands in"
					if k.Verb == "cp" {
						what = "copies files out of"
					}
					routes.add("%s runs `kubectl %s %s`, which %s the auth pool's holder %s (its auth volume included)", who, k.Verb, target, what, h)
				}
			}
		}
	}
}

// codexConfigObjectRoutes lists, for a Secret or ConfigMap value that is a codex config,
// what its MCP servers open (codex starts them wherever the config is used).
func (s *Stack) codexConfigObjectRoutes(cfg codexconfig.Config) []string {
	var routes routeSet
	inHome := func(p string) bool {
		return strings.Contains(p, unresolvedCodexHome) || hasPathElement(path.Clean(p), codexauth.CodexHomeDirName)
	}
	for _, run := range mcpServerRuns(cfg) {
		s.scriptRoutes(&routes, run.Where, expandShellVars(run.Text, nil), inHome)
	}
	return routes.list
}

// contentOutsideStack says why the files a volume puts in a container are not known to the
// stack, or "" when they are: the pod's own volumes (PodOwn), a claim of this stack (its
// content is what pods write, and auth storage is judged in auth_storage.go), Secrets and
// ConfigMaps of this stack whose selected keys are known (each judged by content). What is
// left cannot be seen: a Secret, ConfigMap or claim the stack does not declare (or whose
// values are not known yet), a hostPath, CSI, image or network volume.
func (s *Stack) contentOutsideStack(sw StackWorkload, v Volume) string {
	ns := sw.W.Meta.Namespace
	switch {
	case v.PodOwn():
		return ""
	case v.PersistentVolumeClaim != nil:
		if s.claimInStack(sw, v.PersistentVolumeClaim.ClaimName) {
			return ""
		}
		return fmt.Sprintf("PVC %s is not in this stack", quote(v.PersistentVolumeClaim.ClaimName))
	case v.Secret != nil || v.ConfigMap != nil || v.Projected != nil:
		var outside []string
		for _, ref := range volumeObjectRefs(v) {
			data := s.credentialSources().data(ref.Kind, ns, ref.Name)
			if data == nil {
				outside = append(outside, s.credentialSources().notInStack(ref.Kind, ns, ref.Name))
				continue
			}
			for k, val := range data {
				if isUnknown(val) && (len(ref.Items) == 0 || itemsSelect(ref.Items, k)) {
					outside = append(outside, fmt.Sprintf("%s %s key %s is not known yet", ref.Kind, quote(ref.Name), quote(k)))
				}
			}
		}
		slices.Sort(outside)
		return strings.Join(outside, ", ")
	case v.HostPath != nil:
		return "a host directory's content is not in this stack"
	}
	return "its content is not in this stack"
}

// claimInStack reports whether a claim a workload mounts is a PersistentVolumeClaim of
// this stack (a name not known yet: one the workload depends on).
func (s *Stack) claimInStack(sw StackWorkload, claim string) bool {
	all := s.pvcs()
	if isUnknown(claim) {
		for _, d := range sw.Res.Dependencies {
			if _, ok := s.memo.pvcByURN[d]; ok {
				return true
			}
		}
		return false
	}
	for _, i := range s.memo.pvcsByName[claim] {
		if all[i].Key.matches(sw.W.Meta.Namespace, claim) {
			return true
		}
	}
	return false
}

// nodeStorageDirs are the node directories that hold other pods' volumes and files: the
// kubelet's pod and volume directories, the container runtimes' state and image layers
// (a container's files, its writable layer included), the local-path provisioners'
// volumes (where a dynamically provisioned local claim, the auth claim included, lives:
// local-path-provisioner's default, k3s' and kind's), the node's process table
// (/proc/<pid>/root of every container, as with hostPID).
var nodeStorageDirs = []string{
	"/var/lib/kubelet", "/var/lib/containerd", "/run/containerd", "/var/run/containerd",
	"/var/lib/docker", "/var/lib/containers", "/run/containers", "/var/run/containers", "/run/crio",
	"/var/run/crio", "/var/lib/rancher", "/run/k3s", "/opt/local-path-provisioner", "/var/local-path-provisioner",
	"/var/lib/local-path-provisioner", "/var/snap/microk8s/common", "/proc",
}

// nodeAgentAdvice follows the routes of a workload that reaches its whole node (a node
// agent such as node-exporter, which reads the node's root and /proc with hostPID).
const nodeAgentAdvice = "Reading the node's root, its process table (hostPID, /proc) or its disks (privileged) reads " +
	"every pod's files on that node, the holder's ChatGPT credential files included whenever both run there, " +
	"so the invariant refuses it even read-only. The pack has no per-workload exemption (a stack rule takes " +
	"no config properties): mount only the host directories the agent reads (/sys, /var/log, /var/log/pods), " +
	"or deploy a node agent that needs more from a stack without the auth pool, with this rule lowered to " +
	"advisory there (--policy-pack-config), and keep the holder off its nodes (a tainted node pool the agent does not tolerate)."

// nodeWideAccess reports whether a pod reaches every pod's files on its node: hostPID, a
// privileged container, a hostPath of the node's storage (nodeStorageHostPath).
func nodeWideAccess(p PodSpec) bool {
	if p.HostPID {
		return true
	}
	for _, c := range p.AllContainers() {
		if sc := c.C.SecurityContext; sc != nil && sc.Privileged != nil && *sc.Privileged {
			return true
		}
	}
	for _, v := range p.Volumes {
		if v.HostPath != nil {
			if _, ok := nodeStorageHostPath(v.HostPath.Path); ok {
				return true
			}
		}
	}
	return false
}

// nodeLogDirs are directories inside nodeStorageDirs that hold no pod's files: docker's
// per-container directories keep the container's log (*-json.log, also reached through
// /var/log/containers), its config, its hosts/resolv.conf and the pod's /dev/shm
// (mounts/shm; the holder keeps its credentials on the auth claim); its filesystem is in the
// storage driver's directory (/var/lib/docker/overlay2) and its volumes under
// /var/lib/kubelet. Log shippers (fluent-bit's and promtail's charts) mount it.
var nodeLogDirs = []string{"/var/lib/docker/containers"}

// nodeStorageHostPath reports whether a hostPath is the node's root, one of
// nodeStorageDirs, a directory inside one (but not inside nodeLogDirs) or above one
// (/var, /run, /opt); it returns the node directory reached.
func nodeStorageHostPath(p string) (string, bool) {
	if p == "" || isUnknown(p) || !strings.HasPrefix(p, "/") {
		return "", false
	}
	p = path.Clean(p)
	if p == "/" {
		return "/", true
	}
	for _, d := range nodeLogDirs {
		if pathWithin(p, d) {
			return "", false
		}
	}
	for _, d := range nodeStorageDirs {
		if pathWithin(p, d) {
			return p, true
		}
		if pathWithin(d, p) {
			return d, true
		}
	}
	return "", false
}

// hostPathRoutes says why a host path a pod reaches (a hostPath volume, or the hostPath or
// local path of a PersistentVolume bound to a claim it mounts) is a route, each reason a
// phrase after the volume's description: the node's storage of other pods
// (nodeStorageHostPath), a .codex directory or a codex credential file on the host, or a
// directory above the codex home of one of the node's users (codexHomeAncestor).
func hostPathRoutes(p string) []string {
	var out []string
	if dir, ok := nodeStorageHostPath(p); ok {
		out = append(out, fmt.Sprintf("reaches %s on its node, where the node keeps every pod's volumes (the auth pool's holder's included when both run on one node)", quote(dir)))
	}
	switch {
	case hasPathElement(p, codexauth.CodexHomeDirName):
		out = append(out, fmt.Sprintf("is a host directory at or inside a %s directory", codexauth.CodexHomeDirName))
	case codexauth.IsCredentialFileName(p) && !isRegistryAuthPath(p):
		out = append(out, "is a codex credential file on the host")
	default:
		if home, ok := codexHomeAncestor(p); ok {
			out = append(out, fmt.Sprintf("is host directory %s, which holds %s, the codex home of a user of the node", quote(path.Clean(p)), quote(home)))
		}
	}
	return out
}

// codexHomeAncestor reports whether a host path is a directory above the codex home
// (~/.codex) of one of the node's users: /root, /home, or /home/<user>. Mounting it hands
// the pod that user's codex login (auth.json) whatever the pack knows of the node. Other
// host directories (/var/log, /etc/ssl/certs, /dev/shm, /home/<user>/work) are not.
func codexHomeAncestor(p string) (string, bool) {
	if p == "" || isUnknown(p) || !strings.HasPrefix(p, "/") {
		return "", false
	}
	p = path.Clean(p)
	switch {
	case p == "/root":
		return "/root/" + codexauth.CodexHomeDirName, true
	case p == "/home":
		return "/home/*/" + codexauth.CodexHomeDirName, true
	case path.Dir(p) == "/home":
		return p + "/" + codexauth.CodexHomeDirName, true
	}
	return "", false
}

// mountedCredentialFile says why a file mounted under a credential file's name is a route,
// or "" if it is not: by content when the stack holds the Secret/ConfigMap key mounted
// there; otherwise (content the pack cannot see) by the name, unless it is where container
// tools keep registry credentials under the same name, outside any codex home.
func (s *Stack) mountedCredentialFile(ns string, v Volume, m VolumeMount, inHome bool) string {
	if content, ok := s.mountedFileContent(ns, v, m); ok {
		if what := credentialValue(content); what != "" {
			return "its content is " + what
		}
		return ""
	}
	if !inHome {
		if isRegistryAuthPath(m.MountPath) {
			return ""
		}
		// A registry Secret's key mounted by subPath as auth.json (skopeo's, podman's
		// REGISTRY_AUTH_FILE) is that key, as an item selecting it is (below).
		if registryAuthKeys[m.SubPath] {
			return ""
		}
		refs := volumeObjectRefs(v)
		registry := len(refs) > 0
		for _, ref := range refs {
			if len(ref.Items) == 0 {
				registry = false
			}
			for _, it := range ref.Items {
				registry = registry && registryAuthKeys[it.Key]
			}
		}
		if registry {
			return ""
		}
	}
	return "a codex credential file by its name (its content is not in this stack)"
}

// mountedFileContent returns the content of the file a subPath mount of a Secret or
// ConfigMap of the stack puts at its mount path.
func (s *Stack) mountedFileContent(ns string, v Volume, m VolumeMount) (string, bool) {
	if m.SubPath == "" {
		return "", false
	}
	for _, ref := range volumeObjectRefs(v) {
		data := s.credentialSources().data(ref.Kind, ns, ref.Name)
		if data == nil {
			continue
		}
		key := m.SubPath
		for _, it := range ref.Items {
			if path.Clean(it.Path) == path.Clean(m.SubPath) {
				key = it.Key
			}
		}
		if val, ok := data[key]; ok && !isUnknown(val) {
			return val, true
		}
	}
	return "", false
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

// fileOf says where the object's key lands in a container that mounts the volume with m
// (items rename a key and leave the others out; a subPath mounts one entry at the mount
// path), and false when the key is not there.
func (ref volumeObjectRef) fileOf(m VolumeMount, key string) (string, bool) {
	rel := key
	if len(ref.Items) > 0 {
		if !itemsSelect(ref.Items, key) {
			return "", false
		}
		for _, it := range ref.Items {
			if it.Key == key {
				rel = it.Path
			}
		}
	}
	if m.SubPath != "" {
		if path.Clean(m.SubPath) != path.Clean(rel) {
			return "", false
		}
		return path.Clean(m.MountPath), true
	}
	return path.Join(m.MountPath, rel), true
}

func itemsSelect(items []KeyToPath, key string) bool {
	for _, it := range items {
		if it.Key == key {
			return true
		}
	}
	return false
}

// credentialKeyFor returns a key that an envFrom prefix turns into a credential env name
// (for messages).
func credentialKeyFor(prefix string) string {
	for _, n := range contract.ChatGPTCredentialEnv {
		if k, ok := strings.CutPrefix(n, prefix); ok && k != "" {
			return k
		}
	}
	if k, ok := strings.CutPrefix(contract.ChatGPTCredentialEnvPrefix, prefix); ok {
		return k + "TOKEN"
	}
	return "TOKEN"
}

// isCredentialEnvName reports whether an env var carries a ChatGPT/OpenAI credential codex
// would use instead of LiteLLM.
func isCredentialEnvName(name string) bool {
	return contract.IsChatGPTCredentialEnv(name)
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
