package rules

import (
	"fmt"
	"regexp"
)

// This file resolves a container's environment the way the kubelet builds it, as far as
// the stack can tell: envFrom first (each ConfigMap/Secret key, with its prefix), then env
// in order (a later entry wins), literal values with $(VAR) references to earlier entries
// expanded, and configMapKeyRef/secretKeyRef values read from the stack's objects. A value
// that arrives indirectly (CODEX_HOME through envFrom or a configMapKeyRef, issue 18) is
// then seen like a literal. What comes from objects outside the stack stays unknown.

// EnvValue is one resolved env var.
type EnvValue struct {
	Value string
	Known bool
	// From says where it came from, for messages: "literal value", "from ConfigMap "x" key "y"".
	From string
}

// k8sVarRef is Kubernetes' $(VAR) reference in env values, command and args.
var k8sVarRef = regexp.MustCompile(`\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)`)

// expandK8sRefs expands $(VAR) references with the known values of env; $$ escapes a $;
// references to unknown variables are left as they are (as the kubelet does).
func expandK8sRefs(s string, env map[string]EnvValue) string {
	return k8sVarRef.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		name := m[2 : len(m)-1]
		if v, ok := env[name]; ok && v.Known {
			return v.Value
		}
		return m
	})
}

// resolvedEnv returns the container's environment as far as the stack knows it.
func (s *Stack) resolvedEnv(ns string, c Container) map[string]EnvValue {
	src := s.credentialSources()
	env := map[string]EnvValue{}
	for _, ef := range c.EnvFrom {
		kind, name := "", ""
		switch {
		case ef.ConfigMapRef != nil:
			kind, name = "ConfigMap", ef.ConfigMapRef.Name
		case ef.SecretRef != nil:
			kind, name = "Secret", ef.SecretRef.Name
		default:
			continue
		}
		for k, v := range src.data(kind, ns, name) {
			env[ef.Prefix+k] = EnvValue{Value: v, Known: !isUnknown(v), From: fmt.Sprintf("from envFrom %s %s", kind, quote(name))}
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			v := expandK8sRefs(e.Value, env)
			env[e.Name] = EnvValue{Value: v, Known: !isUnknown(e.Value), From: "literal value"}
		case e.ValueFrom.ConfigMapKeyRef != nil || e.ValueFrom.SecretKeyRef != nil:
			kind, sel := "ConfigMap", e.ValueFrom.ConfigMapKeyRef
			if sel == nil {
				kind, sel = "Secret", e.ValueFrom.SecretKeyRef
			}
			v, ok := src.data(kind, ns, sel.Name)[sel.Key]
			env[e.Name] = EnvValue{Value: v, Known: ok && !isUnknown(v), From: envSource(e)}
		default:
			env[e.Name] = EnvValue{From: envSource(e)}
		}
	}
	return env
}
