package rules

import (
	"testing"

	"cloud-codex/contract"
)

// Samples for every class of route issue 18 names, each a violating sample and, where the
// class has a look-alike, a compliant one that must pass.

// classCase is a stack variant: the resources added to the dev stack, and the violation
// (URN and message substrings) expected, or none.
type classCase struct {
	name  string
	extra func(t testing.TB) []*Resource
	urn   string
	want  []string
}

const intruderURN = "urn:pulumi:dev::cloud-codex::kubernetes:apps/v1:Deployment::intruder"

func intruder(t testing.TB, pod string) *Resource {
	return workloadRes(t, "Deployment", "intruder", nil, "", pod, recreate)
}

func withIntruder(pod string, extra ...func(t testing.TB) *Resource) func(t testing.TB) []*Resource {
	return func(t testing.TB) []*Resource {
		out := []*Resource{intruder(t, pod)}
		for _, e := range extra {
			out = append(out, e(t))
		}
		return out
	}
}

func cm(name string, data map[string]string) func(t testing.TB) *Resource {
	return func(testing.TB) *Resource { return configMapRes(nil, "", name, data) }
}

func yamlRes(u, props string) func(t testing.TB) *Resource {
	return func(t testing.TB) *Resource { return res(t, u, "", props) }
}

var credentialClassCases = []classCase{
	// Values that arrive indirectly.
	{name: "CODEX_HOME through envFrom", urn: intruderURN, want: []string{`at or inside its CODEX_HOME "/work/codex"`},
		extra: withIntruder(`
containers:
- name: app
  image: node
  envFrom: [{configMapRef: {name: codex-env}}]
  volumeMounts: [{name: v, mountPath: /work/codex}]
volumes: [{name: v, secret: {secretName: opaque}}]
`, cm("codex-env", map[string]string{"CODEX_HOME": "/work/codex"}))},
	{name: "CODEX_HOME through a configMapKeyRef", urn: intruderURN, want: []string{`at or inside its CODEX_HOME "/work/codex"`},
		extra: withIntruder(`
containers:
- name: app
  image: node
  env: [{name: CODEX_HOME, valueFrom: {configMapKeyRef: {name: codex-env, key: home}}}]
  volumeMounts: [{name: v, mountPath: /work/codex/creds}]
volumes: [{name: v, secret: {secretName: opaque}}]
`, cm("codex-env", map[string]string{"home": "/work/codex"}))},
	{name: "CODEX_HOME through $(VAR)", urn: intruderURN, want: []string{`at or inside its CODEX_HOME "/work/codex"`},
		extra: withIntruder(`
containers:
- name: app
  image: node
  env: [{name: BASE, value: /work}, {name: CODEX_HOME, value: $(BASE)/codex}]
  volumeMounts: [{name: v, mountPath: /work/codex}]
volumes: [{name: v, csi: {driver: secrets-store.csi.k8s.io}}]
`)},
	{name: "credential assigned in a shell command", urn: intruderURN, want: []string{"command/args assigns OPENAI_API_KEY"},
		extra: withIntruder(`
containers:
- {name: app, image: node, command: [sh, -c, "export OPENAI_API_KEY=$(cat /run/k); codex exec hi"]}
`)},
	{name: "credential assigned inline before codex", urn: intruderURN, want: []string{"assigns CODEX_API_KEY"},
		extra: withIntruder(`
containers:
- {name: app, image: node, args: [sh, -c, "CODEX_API_KEY=sk-0123456789abcdef codex exec hi"]}
`)},
	{name: "login run from a script mounted from a ConfigMap", urn: intruderURN,
		want: []string{"script \"/opt/tools/setup.sh\" (ConfigMap \"tools\" key \"setup.sh\") runs `codex login`"},
		extra: withIntruder(`
containers:
- name: app
  image: node
  command: [/bin/sh, /opt/tools/setup.sh]
  volumeMounts: [{name: tools, mountPath: /opt/tools}]
volumes: [{name: tools, configMap: {name: tools}}]
`, cm("tools", map[string]string{"setup.sh": "set -e\nnpx -y @openai/codex@0.171.0 login --device-auth\n"}))},
	{name: "login through a variable the env names", urn: intruderURN, want: []string{"runs `codex login`"},
		extra: withIntruder(`
containers:
- name: app
  image: node
  env: [{name: TOOL, value: /opt/node_modules/.bin/codex}]
  volumeMounts: [{name: tools, mountPath: /opt/tools, readOnly: true}]
volumes: [{name: tools, configMap: {name: tools, items: [{key: l, path: login.sh}]}}]
`, cm("tools", map[string]string{"l": "#!/bin/sh\nHOME=\"$work\" \"$TOOL\" login\n"}))},
	{name: "login through an unresolved CODEX_BIN", urn: intruderURN, want: []string{"runs `codex login`"},
		extra: withIntruder(`
containers:
- {name: app, image: node, command: [sh, -c, "\"$CODEX_BIN\" login --device-auth"]}
`)},
	{name: "an init container copies a credential into the agent's codex home", urn: intruderURN,
		want: []string{`initContainers[0] "seed" command/args writes a codex credential file into a codex home (cp to "/shared/auth.json")`},
		extra: withIntruder(`
initContainers:
- name: seed
  image: busybox
  command: [sh, -c, "cp /seed/token /shared/auth.json"]
  volumeMounts: [{name: seed, mountPath: /seed}, {name: home, mountPath: /shared}]
containers:
- name: app
  image: node
  volumeMounts: [{name: home, mountPath: /home/node/.codex}]
volumes:
- {name: seed, secret: {secretName: opaque}}
- {name: home, emptyDir: {}}
`)},
	{name: "a sidecar writes into CODEX_HOME through a shared subPath", urn: intruderURN,
		want: []string{`writes a codex credential file into a codex home (redirection to "/mnt/x/codex/auth.json")`},
		extra: withIntruder(`
containers:
- name: app
  image: node
  env: [{name: CODEX_HOME, value: /state/codex}]
  volumeMounts: [{name: state, mountPath: /state}]
- name: helper
  image: busybox
  command: [sh, -c, "cat /run/token > /mnt/x/codex/auth.json"]
  volumeMounts: [{name: state, mountPath: /mnt/x}]
volumes: [{name: state, emptyDir: {}}]
`)},
	{name: "a redirect into an unresolved $CODEX_HOME", urn: intruderURN,
		want: []string{`redirection to "$CODEX_HOME/auth.json"`},
		extra: withIntruder(`
containers:
- name: app
  image: node
  envFrom: [{configMapRef: {name: not-in-this-stack}}]
  command: [sh, -c, "echo \"$TOKEN_JSON\" > \"$CODEX_HOME/auth.json\"; codex exec hi"]
`)},

	// The node's other pods.
	{name: "host PID namespace and a privileged container", urn: intruderURN,
		want: []string{"hostPID: true reaches every process on its node", `containers[0] "app" is privileged`},
		extra: withIntruder(`
hostPID: true
containers: [{name: app, image: busybox, securityContext: {privileged: true}}]
`)},

	// Pod templates the rules do not know by kind.
	{name: "an Argo Rollout", urn: "urn:pulumi:dev::cloud-codex::kubernetes:argoproj.io/v1alpha1:Rollout::r",
		want: []string{`Rollout "r" (pod template at spec.template.spec) is not part of a LiteLLMAuthPool`, `at or inside a .codex directory`},
		extra: func(t testing.TB) []*Resource {
			return []*Resource{res(t, "urn:pulumi:dev::cloud-codex::kubernetes:argoproj.io/v1alpha1:Rollout::r", "", `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: r, namespace: cloud-codex}
spec:
  replicas: 2
  strategy: {canary: {steps: [{setWeight: 50}]}}
  template:
    metadata: {labels: {app: r}}
    spec:
      containers:
      - {name: app, image: node, volumeMounts: [{name: v, mountPath: /root/.codex}]}
      volumes: [{name: v, secret: {secretName: opaque}}]
`)}
		}},
	{name: "a custom resource with two pod templates", urn: "urn:pulumi:dev::cloud-codex::kubernetes:kubeflow.org/v2beta1:MPIJob::m",
		want: []string{"spec.mpiReplicaSpecs.Worker.template.spec", "runs `codex login`"},
		extra: func(t testing.TB) []*Resource {
			return []*Resource{res(t, "urn:pulumi:dev::cloud-codex::kubernetes:kubeflow.org/v2beta1:MPIJob::m", "", `
metadata: {name: m, namespace: cloud-codex}
spec:
  mpiReplicaSpecs:
    Launcher: {replicas: 1, template: {spec: {containers: [{name: l, image: x}]}}}
    Worker: {replicas: 2, template: {spec: {containers: [{name: w, image: node, command: [codex, login]}]}}}
`)}
		}},

	// Storage reached one step away.
	{name: "a claim cloned from the auth claim", urn: intruderURN, want: []string{`PVC "cloud-codex/copy", whose data comes from the auth pool's ChatGPT credential PVC`},
		extra: withIntruder(claimPod("copy"), yamlRes(childURN(nil, kubePVC, "copy"), `
metadata: {name: copy, namespace: cloud-codex}
spec: {accessModes: [ReadWriteOnce], dataSource: {kind: PersistentVolumeClaim, name: litellm-chatgpt-auth}}
`))},
	{name: "a claim cloned through dataSourceRef", urn: intruderURN, want: []string{`whose data comes from the auth pool's`},
		extra: withIntruder(claimPod("copy"), yamlRes(childURN(nil, kubePVC, "copy"), `
metadata: {name: copy, namespace: cloud-codex}
spec: {accessModes: [ReadWriteOnce], dataSourceRef: {kind: PersistentVolumeClaim, name: litellm-chatgpt-auth, namespace: cloud-codex}}
`))},
	{name: "a claim restored from a snapshot of the auth claim", urn: intruderURN,
		want: []string{`whose data comes from VolumeSnapshot "cloud-codex/snap" of the auth pool's ChatGPT credential PVC`},
		extra: withIntruder(claimPod("restored"),
			yamlRes("urn:pulumi:dev::cloud-codex::kubernetes:snapshot.storage.k8s.io/v1:VolumeSnapshot::snap", `
metadata: {name: snap, namespace: cloud-codex}
spec: {source: {persistentVolumeClaimName: litellm-chatgpt-auth}}
`), yamlRes(childURN(nil, kubePVC, "restored"), `
metadata: {name: restored, namespace: cloud-codex}
spec: {dataSource: {apiGroup: snapshot.storage.k8s.io, kind: VolumeSnapshot, name: snap}}
`))},
	{name: "a generic ephemeral volume cloned from the auth claim", urn: intruderURN,
		want: []string{`is a generic ephemeral volume whose claim is made from the auth pool's ChatGPT credential PVC`},
		extra: withIntruder(`
containers: [{name: app, image: busybox, volumeMounts: [{name: v, mountPath: /data}]}]
volumes:
- name: v
  ephemeral: {volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], dataSource: {kind: PersistentVolumeClaim, name: litellm-chatgpt-auth}}}}
`)},
	{name: "a claim bound to the auth claim's PersistentVolume", urn: intruderURN,
		want: []string{`PersistentVolume "pv-auth", bound to the auth pool's ChatGPT credential PVC`},
		extra: withIntruder(claimPod("same-disk"),
			yamlRes("urn:pulumi:dev::cloud-codex::kubernetes:core/v1:PersistentVolume::pv-auth", `
metadata: {name: pv-auth}
spec: {claimRef: {name: litellm-chatgpt-auth, namespace: cloud-codex}, hostPath: {path: /var/lib/auth-disk}}
`), yamlRes(childURN(nil, kubePVC, "same-disk"), `
metadata: {name: same-disk, namespace: cloud-codex}
spec: {volumeName: pv-auth}
`))},
	{name: "the host directory of the auth claim's volume", urn: intruderURN,
		want: []string{`is the host directory of PersistentVolume "pv-auth"`},
		extra: withIntruder(`
containers: [{name: app, image: busybox, volumeMounts: [{name: v, mountPath: /data}]}]
volumes: [{name: v, hostPath: {path: /var/lib/auth-disk/sub}}]
`, yamlRes("urn:pulumi:dev::cloud-codex::kubernetes:core/v1:PersistentVolume::pv-auth", `
metadata: {name: pv-auth}
spec: {claimRef: {name: litellm-chatgpt-auth, namespace: cloud-codex}, local: {path: /var/lib/auth-disk}}
`))},
	{name: "a StatefulSet's claim template cloned from the auth claim",
		urn:  "urn:pulumi:dev::cloud-codex::kubernetes:apps/v1:StatefulSet::sts",
		want: []string{`volumeClaimTemplate "data" makes each pod's claim from the auth pool's ChatGPT credential PVC`},
		extra: func(t testing.TB) []*Resource {
			return []*Resource{workloadRes(t, "StatefulSet", "sts", nil, "", `
containers: [{name: app, image: busybox, volumeMounts: [{name: data, mountPath: /data}]}]
`, func(p map[string]any) {
				p["spec"].(map[string]any)["volumeClaimTemplates"] = []any{map[string]any{
					"metadata": map[string]any{"name": "data"},
					"spec":     map[string]any{"dataSource": map[string]any{"kind": "PersistentVolumeClaim", "name": "litellm-chatgpt-auth"}},
				}}
			})}
		}},
	{name: "another stack's auth claim, by its name", urn: intruderURN,
		want:  []string{`is PVC "team-b-chatgpt-auth", which is not in this stack and is named like a LiteLLMAuthPool's ChatGPT credential claim`},
		extra: withIntruder(claimPod("team-b-chatgpt-auth"))},
	{name: "a claim of this stack labelled as a pool's, outside any pool", urn: intruderURN,
		want: []string{`PVC "cloud-codex/adopted", declared outside any LiteLLMAuthPool but labelled as an auth pool's`},
		extra: withIntruder(claimPod("adopted"), yamlRes(childURN(nil, kubePVC, "adopted"), `
metadata: {name: adopted, namespace: cloud-codex, labels: {app.kubernetes.io/name: litellm, app.kubernetes.io/component: auth-pool}}
spec: {accessModes: [ReadWriteOnce]}
`))},

	// The pool's exemption is its holder only.
	{name: "a Job declared inside the pool", urn: childURN([]string{contract.LiteLLMAuthPoolType}, "kubernetes:batch/v1:Job", "backup"),
		want: []string{"is part of a LiteLLMAuthPool but is not its auth holder", `projects every key of Secret "litellm-accounts"`},
		extra: func(t testing.TB) []*Resource {
			return []*Resource{workloadRes(t, "Job", "backup", []string{contract.LiteLLMAuthPoolType}, poolURN, `
containers: [{name: app, image: busybox, volumeMounts: [{name: v, mountPath: /root/.codex}]}]
volumes: [{name: v, secret: {secretName: litellm-accounts}}]
`)}
		}},

	// Judged by content, not by the name auth.json.
	{name: "a stack Secret holding a codex login, mounted as auth.json", urn: intruderURN,
		want: []string{`mounts subPath "auth.json" of volume "v": its content is a codex credential file`},
		extra: func(t testing.TB) []*Resource {
			return []*Resource{intruder(t, `
containers: [{name: app, image: busybox, volumeMounts: [{name: v, mountPath: /etc/app/auth.json, subPath: auth.json}]}]
volumes: [{name: v, secret: {secretName: login}}]
`), secretRes(nil, "", "login", map[string]string{"auth.json": testAuthJSON()})}
		}},

	// Compliant look-alikes.
	{name: "registry credentials mounted as containers' auth.json", extra: withIntruder(`
containers:
- name: skopeo
  image: quay.io/skopeo/stable
  volumeMounts:
  - {name: reg, mountPath: /run/containers/0}
  - {name: reg2, mountPath: /home/u/.config/containers/auth.json, subPath: auth.json}
volumes:
- {name: reg, secret: {secretName: regcred, items: [{key: .dockerconfigjson, path: auth.json}]}}
- {name: reg2, secret: {secretName: regcred2}}
`)},
	{name: "a stack registry Secret mounted at /etc/auth.json", extra: func(t testing.TB) []*Resource {
		return []*Resource{intruder(t, `
containers: [{name: app, image: busybox, volumeMounts: [{name: v, mountPath: /etc/auth.json, subPath: auth.json}]}]
volumes: [{name: v, secret: {secretName: reg, items: [{key: .dockerconfigjson, path: auth.json}]}}]
`), secretRes(nil, "", "reg", map[string]string{".dockerconfigjson": `{"auths":{"ghcr.io":{"auth":"dXNlcjpwYXNz"}}}`})}
	}},
	{name: "an OAuth token that is not a codex login", extra: func(t testing.TB) []*Resource {
		return []*Resource{intruder(t, `
containers: [{name: app, image: busybox, volumeMounts: [{name: v, mountPath: /etc/google}]}]
volumes: [{name: v, secret: {secretName: gcp-oauth}}]
`), secretRes(nil, "", "gcp-oauth", map[string]string{"token.json": `{"access_token":"ya29.x","refresh_token":"1//r","token_type":"Bearer","expires_in":3599,"expires_at":2000000000}`})}
	}},
	{name: "a boot script that removes a stray auth.json", extra: withIntruder(`
containers:
- name: app
  image: node
  env: [{name: CODEX_HOME, value: /state/.codex}]
  command: [/bin/sh, /etc/s/boot.sh]
  volumeMounts: [{name: s, mountPath: /etc/s}, {name: state, mountPath: /state}]
volumes: [{name: s, configMap: {name: boot}}, {name: state, emptyDir: {}}]
`, cm("boot", map[string]string{"boot.sh": "#!/bin/sh\ncp /etc/c/config.toml \"$CODEX_HOME/config.toml\"\nif [ -e \"$CODEX_HOME/auth.json\" ]; then\n  echo \"removing $CODEX_HOME/auth.json\" >&2\n  rm -f \"$CODEX_HOME/auth.json\"\nfi\nexec codex exec hi\n"}))},
	{name: "a claim cloned from an agent's claim", extra: withIntruder(claimPod("alice-copy"), yamlRes(childURN(nil, kubePVC, "alice-copy"), `
metadata: {name: alice-copy, namespace: cloud-codex}
spec: {accessModes: [ReadWriteOnce], dataSource: {kind: PersistentVolumeClaim, name: alice-home}}
`))},
	{name: "a compliant Rollout", extra: func(t testing.TB) []*Resource {
		return []*Resource{res(t, "urn:pulumi:dev::cloud-codex::kubernetes:argoproj.io/v1alpha1:Rollout::r", "", `
metadata: {name: r, namespace: cloud-codex}
spec:
  template:
    spec:
      containers: [{name: app, image: nginx, env: [{name: HOME, value: /tmp}]}]
`)}
	}},
}

// claimPod is a pod that mounts the claim at /data.
func claimPod(claim string) string {
	return `
containers: [{name: app, image: busybox, volumeMounts: [{name: v, mountPath: /data}]}]
volumes: [{name: v, persistentVolumeClaim: {claimName: ` + claim + `}}]
`
}

func TestNoCodexCredentials_Issue18Classes(t *testing.T) {
	for _, tc := range credentialClassCases {
		t.Run(tc.name, func(t *testing.T) {
			vs := CheckNoCodexCredentials(devStack(t, tc.extra(t)...))
			want := map[string][]string{}
			if tc.urn != "" {
				want[tc.urn] = tc.want
			}
			assertViolations(t, vs, want)
		})
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
