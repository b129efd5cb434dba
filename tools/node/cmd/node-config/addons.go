package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// addons renders the cluster objects the node needs from the API: local-path-provisioner's
// Namespace, ServiceAccount (its helper pods run as it), ConfigMap (setup/teardown scripts
// and helper pod template) and StorageClass, taken from upstream's own
// deploy/local-path-storage.yaml at the pinned version. Changed: the directory PVs are made
// in, the helper image (the locally built stand-in), and the StorageClass is the default.
// Left out: the provisioner's Deployment and RBAC, because the provisioner runs on the node
// as a process with the node's kubeconfig (no image of it exists here).
func addons(s settings) ([]byte, error) {
	raw, err := os.ReadFile(s.localPathYAML)
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{"Namespace": true, "ServiceAccount": true, "ConfigMap": true, "StorageClass": true}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	var out bytes.Buffer
	seen := map[string]bool{}
	for {
		var obj unstructured.Unstructured
		if err := dec.Decode(&obj.Object); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("%s: %w", s.localPathYAML, err)
		}
		if obj.Object == nil || !keep[obj.GetKind()] {
			continue
		}
		switch obj.GetKind() {
		case "ConfigMap":
			if err := patchLocalPathConfig(&obj, s); err != nil {
				return nil, fmt.Errorf("%s: ConfigMap %s: %w", s.localPathYAML, obj.GetName(), err)
			}
		case "StorageClass":
			ann := obj.GetAnnotations()
			if ann == nil {
				ann = map[string]string{}
			}
			ann["storageclass.kubernetes.io/is-default-class"] = "true"
			obj.SetAnnotations(ann)
		}
		seen[obj.GetKind()] = true
		b, err := yaml.Marshal(obj.Object)
		if err != nil {
			return nil, err
		}
		out.WriteString("---\n")
		out.Write(b)
	}
	for k := range keep {
		if !seen[k] {
			return nil, fmt.Errorf("%s has no %s: not the manifest this tool was written against", s.localPathYAML, k)
		}
	}
	return out.Bytes(), nil
}

// localPathConfig is config.json of local-path-provisioner (provisioner.go, ConfigData).
type localPathConfig struct {
	NodePathMap []localPathNodePaths `json:"nodePathMap"`
}

type localPathNodePaths struct {
	Node  string   `json:"node"`
	Paths []string `json:"paths"`
}

func patchLocalPathConfig(obj *unstructured.Unstructured, s settings) error {
	data, _, err := unstructured.NestedStringMap(obj.Object, "data")
	if err != nil {
		return err
	}
	if _, ok := data["config.json"]; !ok {
		return errors.New("no config.json")
	}
	cfg, err := json.MarshalIndent(localPathConfig{NodePathMap: []localPathNodePaths{
		{Node: "DEFAULT_PATH_FOR_NON_LISTED_NODES", Paths: []string{s.localPathDir}},
	}}, "", "  ")
	if err != nil {
		return err
	}
	data["config.json"] = string(cfg)
	var pod corev1.Pod
	if err := yaml.UnmarshalStrict([]byte(data["helperPod.yaml"]), &pod); err != nil {
		return fmt.Errorf("helperPod.yaml: %w", err)
	}
	if len(pod.Spec.Containers) != 1 {
		return fmt.Errorf("helperPod.yaml: want one container, got %d", len(pod.Spec.Containers))
	}
	pod.Spec.Containers[0].Image = s.helperImage
	pod.Spec.Containers[0].ImagePullPolicy = corev1.PullNever
	helper, err := yaml.Marshal(pod)
	if err != nil {
		return err
	}
	data["helperPod.yaml"] = string(helper)
	return unstructured.SetNestedStringMap(obj.Object, data, "data")
}
