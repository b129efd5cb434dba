package rules

import (
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"cloud-codex/components"
	"cloud-codex/contract"
)

func TestNoCodexCredentials_DevStackPasses(t *testing.T) {
	// The pool holds the PVC, a Secret of account files at a .codex path and runs `codex
	// login`: all fine inside the LiteLLMAuthPool. The agents hold none of it.
	if vs := CheckNoCodexCredentials(devStack(t)); len(vs) != 0 {
		t.Fatalf("compliant stack: %s", describe(vs))
	}
}

// credentialRouteCase is one route by which credentials could reach a container. Pod specs
// start with "containers:" when the route lives in a container, so that the test can move
// that container to initContainers and ephemeralContainers.
type credentialRouteCase struct {
	name      string
	pod       string
	extra     func(t testing.TB) []*Resource
	want      string
	container bool
}

var credentialRouteCases = []credentialRouteCase{
	{name: "mount path is auth.json", container: true, want: `at "/data/auth.json": a codex credential file`, pod: `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /data/auth.json}]}
volumes:
- {name: v, emptyDir: {}}
`},
	{name: "subPath is auth-N.json", container: true, want: `mounts subPath "auth-3.json"`, pod: `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /data/creds, subPath: auth-3.json}]}
volumes:
- {name: v, persistentVolumeClaim: {claimName: some-data}}
`},
	{name: "subPathExpr is auth.json", container: true, want: `mounts subPath "$(POD)/auth.json"`, pod: `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /data/creds, subPathExpr: $(POD)/auth.json}]}
volumes:
- {name: v, emptyDir: {}}
`},
	{name: "Secret mounted at .codex", container: true, want: `mounts Secret "opaque" at "/home/node/.codex", at or inside a .codex directory`, pod: `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /home/node/.codex}]}
volumes:
- {name: v, secret: {secretName: opaque}}
`},
	{name: "ConfigMap mounted inside .codex", container: true, want: `at or inside a .codex directory`, pod: `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /root/.codex/config.toml, subPath: config.toml}]}
volumes:
- {name: v, configMap: {name: some-config}}
`},
	{name: "projected volume at .codex", container: true, want: `mounts projected volume "v" at "/root/.codex/"`, pod: `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /root/.codex/}]}
volumes:
- name: v
  projected: {sources: [{secret: {name: opaque}}, {configMap: {name: cfg}}]}
`},
	{name: "hostPath mounted at .codex", container: true, want: `mounts hostPath "/srv/x" at "/root/.codex"`, pod: `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /root/.codex}]}
volumes:
- {name: v, hostPath: {path: /srv/x}}
`},
	{name: "CSI volume mounted at .codex", container: true, want: `at or inside a .codex directory`, pod: `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /home/node/.codex}]}
volumes:
- {name: v, csi: {driver: secrets-store.csi.k8s.io}}
`},
	{name: "Secret mounted at CODEX_HOME", container: true, want: `at or inside its CODEX_HOME "/codex-home"`, pod: `
containers:
- name: app
  image: busybox
  env: [{name: CODEX_HOME, value: /codex-home}]
  volumeMounts: [{name: v, mountPath: /codex-home/creds}]
volumes:
- {name: v, secret: {secretName: opaque}}
`},
	{name: "Secret items key auth.json", want: `projects Secret key "auth.json" to path "creds"`, pod: `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /x}]}
volumes:
- {name: v, secret: {secretName: opaque, items: [{key: auth.json, path: creds}]}}
`},
	{name: "ConfigMap items path auth-2.json", want: `projects ConfigMap key "token" to path "sub/auth-2.json"`, pod: `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /x}]}
volumes:
- {name: v, configMap: {name: cfg, items: [{key: token, path: sub/auth-2.json}]}}
`},
	{name: "projected Secret items path .codex/auth.json", want: `to path ".codex/auth.json"`, pod: `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /home/node}]}
volumes:
- name: v
  projected: {sources: [{secret: {name: opaque, items: [{key: token, path: .codex/auth.json}]}}]}
`},
	{name: "hostPath of a .codex directory", want: `is a host directory at or inside a .codex directory`, pod: `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /mnt/h}]}
volumes:
- {name: v, hostPath: {path: /home/user/.codex}}
`},
	{name: "hostPath of an auth file", want: `is a codex credential file on the host`, pod: `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /mnt/a}]}
volumes:
- {name: v, hostPath: {path: /var/lib/codex/auth-1.json, type: File}}
`},
	{name: "the auth pool's PVC", want: `is the auth pool's ChatGPT credential PVC "cloud-codex/litellm-chatgpt-auth"`, pod: `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /data}]}
volumes:
- {name: v, persistentVolumeClaim: {claimName: litellm-chatgpt-auth, readOnly: true}}
`},
	{name: "a stack Secret of account files projected whole", want: `projects every key of Secret "accounts", and its key "auth-1.json" is a codex credential file`,
		extra: accountsSecret, pod: `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /seed}]}
volumes:
- {name: v, secret: {secretName: accounts}}
`},
	{name: "a stack Secret whose value is an auth file", want: `projects Secret "leaked" key "token", whose value is a codex credential file`,
		extra: leakedSecret, pod: `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /x}]}
volumes:
- {name: v, secret: {secretName: leaked, items: [{key: token, path: token}]}}
`},
	{name: "env OPENAI_API_KEY literal", container: true, want: `sets env OPENAI_API_KEY (literal value)`, pod: `
containers:
- {name: app, image: busybox, env: [{name: OPENAI_API_KEY, value: sk-literal-0123456789}]}
`},
	{name: "env CODEX_API_KEY from a Secret", container: true, want: `sets env CODEX_API_KEY (from Secret "k" key "v")`, pod: `
containers:
- {name: app, image: busybox, env: [{name: CODEX_API_KEY, valueFrom: {secretKeyRef: {name: k, key: v}}}]}
`},
	{name: "env OPENAI_CODEX_*", container: true, want: `sets env OPENAI_CODEX_TOKEN`, pod: `
containers:
- {name: app, image: busybox, env: [{name: OPENAI_CODEX_TOKEN, valueFrom: {configMapKeyRef: {name: c, key: t}}}]}
`},
	{name: "env from a Secret key auth.json", container: true, want: `takes env CREDS from Secret "opaque" key "auth.json"`, pod: `
containers:
- {name: app, image: busybox, env: [{name: CREDS, valueFrom: {secretKeyRef: {name: opaque, key: auth.json}}}]}
`},
	{name: "env from a stack Secret holding an auth file", container: true, extra: leakedSecret,
		want: `takes env CREDS from Secret "leaked" key "token", whose value is a codex credential file`, pod: `
containers:
- {name: app, image: busybox, env: [{name: CREDS, valueFrom: {secretKeyRef: {name: leaked, key: token}}}]}
`},
	{name: "envFrom with an OPENAI_CODEX_ prefix", container: true, want: `with prefix "OPENAI_CODEX_"`, pod: `
containers:
- {name: app, image: busybox, envFrom: [{prefix: OPENAI_CODEX_, secretRef: {name: anything}}]}
`},
	{name: "envFrom a stack Secret with OPENAI_API_KEY", container: true, extra: leakedSecret,
		want: `imports Secret "leaked" as env, which sets OPENAI_API_KEY`, pod: `
containers:
- {name: app, image: busybox, envFrom: [{secretRef: {name: leaked}}]}
`},
	{name: "command codex login", container: true, want: "command/args runs `codex login`", pod: `
containers:
- {name: app, image: node, command: [codex, login, --device-auth]}
`},
	{name: "shell args run npx codex login with global flags", container: true, want: "command/args runs `codex login`", pod: `
containers:
- {name: app, image: node, command: [sh, -c], args: ["set -e; npx -y @openai/codex@0.171.0 -c model=x login --device-auth"]}
`},
	{name: "postStart hook runs codex login", container: true, want: "lifecycle.postStart runs `codex login`", pod: `
containers:
- name: app
  image: node
  lifecycle: {postStart: {exec: {command: [/usr/local/bin/codex, login]}}}
`},
	{name: "exec probe runs codex login", container: true, want: "livenessProbe runs `codex login`", pod: `
containers:
- name: app
  image: node
  livenessProbe: {exec: {command: [sh, -c, "codex login status"]}}
`},
}

// accountsSecret is a Secret outside the pool that holds an account file under its name.
func accountsSecret(t testing.TB) []*Resource {
	return []*Resource{secretRes(nil, "", "accounts", map[string]string{"auth-1.json": testAuthJSON()})}
}

// leakedSecret is a Secret outside the pool that holds an auth file and an OpenAI key.
func leakedSecret(t testing.TB) []*Resource {
	return []*Resource{secretRes(nil, "", "leaked", map[string]string{
		"token":          testAuthJSON(),
		"OPENAI_API_KEY": "sk-proj-abcdefghijklmnop",
	})}
}

func TestNoCodexCredentials_EveryRouteEveryKind(t *testing.T) {
	kinds := slices.Sorted(maps.Keys(kindTypes))
	for _, tc := range credentialRouteCases {
		fields := []string{"containers"}
		if tc.container {
			fields = append(fields, "initContainers", "ephemeralContainers")
		}
		for _, field := range fields {
			for _, kind := range kinds {
				t.Run(tc.name+"/"+field+"/"+kind, func(t *testing.T) {
					pod := strings.Replace(tc.pod, "containers:", field+":", 1)
					w := workloadRes(t, kind, "intruder", nil, "", pod)
					var extra []*Resource
					if tc.extra != nil {
						extra = tc.extra(t)
					}
					vs := CheckNoCodexCredentials(devStack(t, append(extra, w)...))
					assertViolations(t, vs, map[string][]string{w.URN: {tc.want, kind + ` "intruder" is not part of a LiteLLMAuthPool`}})
				})
			}
		}
	}
}

func TestNoCodexCredentials_AgentsAreNotExempt(t *testing.T) {
	// The same routes inside a CloudCodexAgent violate too: only the pool is exempt.
	for _, tc := range credentialRouteCases {
		t.Run(tc.name, func(t *testing.T) {
			chain := []string{contract.CloudCodexAgentType}
			w := workloadRes(t, "Deployment", "sidecar", chain, agentURN("alice"), tc.pod, recreate)
			var extra []*Resource
			if tc.extra != nil {
				extra = tc.extra(t)
			}
			vs := CheckNoCodexCredentials(devStack(t, append(extra, w)...))
			assertViolations(t, vs, map[string][]string{w.URN: {tc.want}})
		})
	}
}

func TestNoCodexCredentials_CopyOfThePoolIsNotThePool(t *testing.T) {
	// Same name, same labels, same pod spec as the pool's Deployment, but declared outside
	// the LiteLLMAuthPool component: it is checked like any workload.
	var pool *Resource
	for _, r := range poolResources(t) {
		if r.Type == kubeDeploy {
			pool = r
		}
	}
	for _, tc := range []struct {
		name   string
		urn    string
		parent string
	}{
		{"top level", childURN(nil, kubeDeploy, "litellm"), ""},
		{"inside another component", childURN([]string{"acme:index:Platform"}, kubeDeploy, "litellm"), childURN(nil, "acme:index:Platform", "p")},
		{"inside an agent", childURN([]string{contract.CloudCodexAgentType}, kubeDeploy, "litellm"), agentURN("alice")},
		{"inside an agent nested in a pool", childURN([]string{contract.LiteLLMAuthPoolType, contract.CloudCodexAgentType}, kubeDeploy, "litellm"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			copyRes := &Resource{URN: tc.urn, Type: kubeDeploy, Parent: tc.parent, Props: pool.Props}
			copyRes.Props = yamlMap(t, mustJSON(t, pool.Props))
			meta := copyRes.Props["metadata"].(map[string]any)
			meta["labels"] = map[string]any{
				"app.kubernetes.io/name": "litellm", "app.kubernetes.io/component": "auth-pool",
				"app.kubernetes.io/part-of": components.PartOf,
			}
			vs := CheckNoCodexCredentials(devStack(t, copyRes))
			assertViolations(t, vs, map[string][]string{copyRes.URN: {
				`is the auth pool's ChatGPT credential PVC`,
				`initContainers[2] "codex-cli" script "/opt/auth-pool/bin/auth-login" (ConfigMap "litellm-scripts" key "auth-login") runs ` + "`codex login`",
			}})
		})
	}
}

func TestNoCodexCredentials_AuthPVCRecognisedByGraphNotName(t *testing.T) {
	// The pool's PVC renamed: still recognised, because it is the pool's child that the
	// pool's Deployment mounts.
	s := devStack(t)
	var rs []*Resource
	for _, r := range s.Resources {
		if r.Type == kubePVC && r.Name() == authPVCName {
			r = pvcRes(t, []string{contract.LiteLLMAuthPoolType}, poolURN, "tokens", "ReadWriteOnce")
		}
		if r.Type == kubeDeploy && r.Name() == "litellm-deployment" {
			r = &Resource{URN: r.URN, Type: r.Type, Parent: r.Parent, Props: yamlMap(t, strings.ReplaceAll(mustJSON(t, r.Props), authPVCName, "tokens"))}
		}
		rs = append(rs, r)
	}
	thief := workloadRes(t, "Job", "backup", nil, "", `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /data}]}
volumes:
- {name: v, persistentVolumeClaim: {claimName: tokens}}
`)
	// A PVC named litellm-chatgpt-auth outside the pool is just a PVC.
	decoy := pvcRes(t, nil, "", authPVCName+"-copy", "ReadWriteOnce")
	user := workloadRes(t, "Job", "user", nil, "", `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /data}]}
volumes:
- {name: v, persistentVolumeClaim: {claimName: litellm-chatgpt-auth-copy}}
`)
	vs := CheckNoCodexCredentials(NewStack(append(rs, thief, decoy, user)))
	assertViolations(t, vs, map[string][]string{thief.URN: {`credential PVC "cloud-codex/tokens"`}})
}

func TestNoCodexCredentials_UnknownClaimNameUsesDependencies(t *testing.T) {
	w := workloadRes(t, "Deployment", "sneaky", nil, "", `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /data}]}
volumes:
- {name: v, persistentVolumeClaim: {claimName: "\0<unknown>"}}
`)
	if vs := CheckNoCodexCredentials(devStack(t, w)); len(vs) != 0 {
		t.Fatalf("unknown claim without dependency: %s", describe(vs))
	}
	w.Dependencies = []string{childURN([]string{contract.LiteLLMAuthPoolType}, kubePVC, authPVCName)}
	assertViolations(t, CheckNoCodexCredentials(devStack(t, w)), map[string][]string{w.URN: {"credential PVC"}})
}

func TestNoCodexCredentials_CompliantWorkloads(t *testing.T) {
	for _, tc := range []struct{ name, pod string }{
		{"agent-like pod", agentPodSpec("carol")},
		{"codex exec whose prompt says login", `
containers:
- {name: app, image: node, command: [codex, exec, --skip-git-repo-check, "please login to the site"]}
`},
		{"codex logout and login-like words", `
containers:
- {name: app, image: node, command: [sh, -c, "codex logout; echo codex-login; ./login"]}
`},
		{"ConfigMap next to .codex, not in it", `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /home/node/.codex-template}]}
volumes:
- {name: v, configMap: {name: cfg}}
`},
		{"Secret with ordinary items", `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /etc/secrets}]}
volumes:
- {name: v, secret: {secretName: opaque, items: [{key: api-key, path: api-key}]}}
`},
		{"emptyDir at .codex", `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /root/.codex}]}
volumes:
- {name: v, emptyDir: {}}
`},
		{"unrelated OpenAI settings", `
containers:
- {name: app, image: busybox, env: [{name: OPENAI_BASE_URL, value: "http://litellm:4000/v1"}, {name: CODEX_HOME, value: /data/codex}]}
`},
		{"the pool's config ConfigMap (not credentials)", `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /etc/litellm}]}
volumes:
- {name: v, configMap: {name: litellm-config}}
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, kind := range slices.Sorted(maps.Keys(kindTypes)) {
				w := workloadRes(t, kind, "ok", nil, "", tc.pod)
				// carol's home claim is in the stack: a claim outside it, at a codex home, is
				// judged by where it is mounted.
				home := pvcRes(t, nil, "", "carol-home", "ReadWriteOnce")
				if vs := CheckNoCodexCredentials(devStack(t, w, home)); len(vs) != 0 {
					t.Errorf("%s: %s", kind, describe(vs))
				}
			}
		})
	}
}

func TestRunsCodexLogin(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want bool
	}{
		{[]string{"codex", "login"}, true},
		{[]string{"codex", "login", "--device-auth"}, true},
		{[]string{"/usr/bin/codex", "--config", "x=y", "login"}, true},
		{[]string{"sh", "-c", "apt-get update && codex login --with-api-key < /k"}, true},
		{[]string{"bash", "-c", "out=$(codex login status)"}, true},
		{[]string{"npx", "@openai/codex", "login"}, true},
		{[]string{"node", "/usr/lib/node_modules/@openai/codex/bin/codex.js", "login"}, true},
		{[]string{"codex", "exec", "login"}, false},
		{[]string{"codex", "exec", "--", "login"}, false},
		{[]string{"sh", "-c", "codex exec 'x'; echo login"}, false},
		{[]string{"mycodex", "login"}, false},
		{nil, false},
	} {
		if got := runsCodexLogin(tc.argv); got != tc.want {
			t.Errorf("runsCodexLogin(%q) = %v, want %v", tc.argv, got, tc.want)
		}
	}
}

func TestRoleFromURN(t *testing.T) {
	for _, tc := range []struct {
		urn, parent string
		want        Role
	}{
		{childURN([]string{contract.LiteLLMAuthPoolType}, kubeDeploy, "litellm"), "", RoleAuthPool},
		{childURN([]string{"x:index:Outer", contract.LiteLLMAuthPoolType}, kubeDeploy, "litellm"), "", RoleAuthPool},
		{childURN([]string{contract.CloudCodexAgentType}, kubeDeploy, "a"), "", RoleAgent},
		{childURN([]string{contract.LiteLLMAuthPoolType, contract.CloudCodexAgentType}, kubeDeploy, "a"), "", RoleAgent},
		{childURN(nil, kubeDeploy, contract.LiteLLMAuthPoolType), "", RoleNone},
		{"not-a-urn", poolURN, RoleAuthPool},
		{"not-a-urn", "", RoleNone},
	} {
		if got := roleFromURN(tc.urn, tc.parent); got != tc.want {
			t.Errorf("roleFromURN(%q, %q) = %v, want %v", tc.urn, tc.parent, got, tc.want)
		}
	}
}

func TestPodSpecPathsCoverEveryKind(t *testing.T) {
	// Every kind the samples use is understood, and a CronJob's pod spec is found at its
	// deeper path.
	want := slices.Sorted(maps.Keys(kindTypes))
	got := slices.Sorted(maps.Keys(podSpecPaths))
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("podSpecPaths kinds %v, samples cover %v", got, want)
	}
	w, ok := WorkloadOf(workloadRes(t, "CronJob", "c", nil, "", "containers: [{name: a, image: b}]"))
	if !ok || len(w.Pod.Containers) != 1 || w.PodPath != "spec.jobTemplate.spec.template.spec" {
		t.Fatalf("CronJob: %+v", w)
	}
	if w, ok := WorkloadOf(&Resource{Type: "kubernetes:apps/v1:DeploymentPatch", Props: map[string]any{
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "x"}}}}},
	}}); !ok || w.Kind != "Deployment" || len(w.Pod.Containers) != 1 {
		t.Fatalf("DeploymentPatch: %+v %v", w, ok)
	}
}

func TestWorkloadsOfKeysKindsByGroup(t *testing.T) {
	pod := map[string]any{"containers": []any{map[string]any{"name": "x", "image": "y"}}}
	for _, tc := range []struct {
		typ   string
		props map[string]any
		kind  string
		paths []string
	}{
		{"kubernetes:batch/v1:Job", map[string]any{"spec": map[string]any{"template": map[string]any{"spec": pod}}}, "Job", []string{"spec.template.spec"}},
		{"kubernetes:batch.volcano.sh/v1alpha1:Job", map[string]any{"spec": map[string]any{"tasks": []any{
			map[string]any{"template": map[string]any{"spec": pod}}, map[string]any{"template": map[string]any{"spec": pod}},
		}}}, "Job.batch.volcano.sh", []string{"spec.tasks[0].template.spec", "spec.tasks[1].template.spec"}},
		{"kubernetes:serving.knative.dev/v1:Service", map[string]any{"spec": map[string]any{"template": map[string]any{"spec": pod}}},
			"Service.serving.knative.dev", []string{"spec.template.spec"}},
		{"kubernetes:core/v1:Service", map[string]any{"spec": map[string]any{"template": map[string]any{"spec": pod}}}, "", nil},
		// A known kind whose known path holds no pod spec is searched by shape.
		{"kubernetes:apps/v1:Deployment", map[string]any{"spec": map[string]any{"podTemplate": map[string]any{"spec": pod}}},
			"Deployment", []string{"spec.podTemplate.spec"}},
		// A patch that sets no template has no pod.
		{"kubernetes:apps/v1:DeploymentPatch", map[string]any{"spec": map[string]any{"replicas": 2.0}}, "", nil},
	} {
		ws := WorkloadsOf(&Resource{Type: tc.typ, Props: tc.props})
		var paths []string
		for _, w := range ws {
			paths = append(paths, w.PodPath)
			if w.Kind != tc.kind {
				t.Errorf("%s: kind %q, want %q", tc.typ, w.Kind, tc.kind)
			}
		}
		if !slices.Equal(paths, tc.paths) {
			t.Errorf("%s: pod paths %q, want %q", tc.typ, paths, tc.paths)
		}
	}
	if got := (KubeType{Group: "secrets.example.io", Kind: "Secret"}).Name(); got != "Secret.secrets.example.io" {
		t.Errorf("a CRD named Secret: %q", got)
	}
}

func TestNodeStorageHostPath(t *testing.T) {
	for p, want := range map[string]string{
		"/": "/", "/var": "/var/lib/kubelet", "/var/lib/kubelet/pods/x": "/var/lib/kubelet/pods/x", "/opt": "/opt/local-path-provisioner",
		"/var/lib/rancher/k3s/storage/pvc-1_ns_auth": "/var/lib/rancher/k3s/storage/pvc-1_ns_auth", "/proc/1/root": "/proc/1/root",
		"/var/log": "", "/etc/ssl/certs": "", "/srv/data": "", "relative": "", "/var/lib/kubeletx": "",
	} {
		got, ok := nodeStorageHostPath(p)
		if got != want || ok != (want != "") {
			t.Errorf("nodeStorageHostPath(%q) = %q, %v; want %q", p, got, ok, want)
		}
	}
}

func TestShellDownloadsAndKubectl(t *testing.T) {
	var dests []string
	for _, w := range fileWrites(`curl -fsSLo /a/auth.json u; curl --output=/b u; curl -o /c u; wget -qO- u; wget -O /d u; wget --output-document /e u; curl -s u`) {
		dests = append(dests, w.Cmd+":"+w.Dest)
	}
	if want := []string{"curl:/a/auth.json", "curl:/b", "curl:/c", "wget:/d", "wget:/e"}; !slices.Equal(dests, want) {
		t.Errorf("downloads %q, want %q", dests, want)
	}
	calls := kubectlCalls(`kubectl -n ns exec -it deploy/litellm -c x -- cat /a; kubectl cp ns/litellm-abc12-xyz12:/f /g; ` +
		`kubectl scale --replicas=2 deployment litellm; kubectl autoscale deploy/litellm --max=3; kubectl logs deploy/litellm; kubectl get pods`)
	var got []string
	for _, c := range calls {
		got = append(got, c.Verb+" "+c.Namespace+" "+strings.Join(c.Targets, ",")+" "+strconv.Itoa(c.Replicas))
	}
	if want := []string{"exec ns deploy/litellm -1", "cp ns litellm-abc12-xyz12 -1", "scale  deployment/litellm 2", "autoscale  deploy/litellm 3"}; !slices.Equal(got, want) {
		t.Errorf("kubectl calls %q, want %q", got, want)
	}
	for target, want := range map[string]bool{
		"deploy/litellm": true, "deployments.apps/litellm": true, "litellm-7d9f8b6c5d-x2k4p": true, "pod/litellm-7d9f8b6c5d-x2k4p": true,
		"litellm-postgres-0": false, "deploy/litellm-postgres": false, "sts/litellm": false, "litellm": false,
	} {
		if got := kubectlNames(target, "Deployment", "litellm"); got != want {
			t.Errorf("kubectlNames(%q) = %v, want %v", target, got, want)
		}
	}
}

func TestAuthStorage_UnnamedCloneEnds(t *testing.T) {
	// A clone whose name is not known yet (preview) is followed once, not forever.
	clone := res(t, childURN(nil, kubePVC, "clone"), "", `
metadata: {namespace: cloud-codex}
spec: {dataSource: {kind: PersistentVolumeClaim, name: litellm-chatgpt-auth}}
`)
	clone.Props["metadata"].(map[string]any)["name"] = unknownValue
	a := devStack(t, clone).authStorage()
	if len(a.claims) != 2 {
		t.Fatalf("auth claims %+v, want the pool's and the clone", a.claims)
	}
}
