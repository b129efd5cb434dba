package rules

import (
	"reflect"
	"testing"
)

func TestMergePatchFollowsTheListKeys(t *testing.T) {
	target := yamlMap(t, `
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: app
        image: app:1
        command: [run, a]
        env: [{name: A, value: "1"}, {name: B, value: "2"}]
        volumeMounts: [{name: data, mountPath: /data}]
      volumes: [{name: data, persistentVolumeClaim: {claimName: d}}]
`)
	patch := yamlMap(t, `
spec:
  replicas: null
  template:
    spec:
      containers:
      - name: app
        command: [run, b]
        env: [{name: B, value: "3"}]
        volumeMounts: [{name: data, mountPath: /data, readOnly: true}]
      - name: side
        image: side:1
        volumeMounts: [{name: data, mountPath: /d}]
`)
	want := yamlMap(t, `
spec:
  template:
    spec:
      containers:
      - name: app
        image: app:1
        command: [run, b]
        env: [{name: A, value: "1"}, {name: B, value: "3"}]
        volumeMounts: [{name: data, mountPath: /data, readOnly: true}]
      - name: side
        image: side:1
        volumeMounts: [{name: data, mountPath: /d}]
      volumes: [{name: data, persistentVolumeClaim: {claimName: d}}]
`)
	if got := mergePatch(target, patch, ""); !reflect.DeepEqual(got, want) {
		t.Fatalf("merged:\n%s\nwant:\n%s", mustJSON(t, got), mustJSON(t, want))
	}
	// A key that cannot identify an element is never compared (a map would panic).
	odd := mergePatch(map[string]any{"volumes": []any{map[string]any{"name": map[string]any{}}}},
		map[string]any{"volumes": []any{map[string]any{"name": map[string]any{}}}}, "")
	if n := len(odd.(map[string]any)["volumes"].([]any)); n != 2 {
		t.Fatalf("volumes without a usable key: %d, want both kept", n)
	}
}
