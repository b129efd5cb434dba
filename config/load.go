package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"cloud-codex/components"
)

// Load reads the stack configuration from values (full keys such as "cloud-codex:agents"
// mapped to their raw values, as Pulumi passes them: structured values are JSON), fills
// defaults and validates everything. Keys of other namespaces (kubernetes:, ...) are left
// to their owners. Every problem is reported at once, one line each (errors.Join): first
// every unknown key and wrong type, then, when the values decode, every invalid value.
func Load(values map[string]string) (Stack, error) {
	var s Stack
	var errs []error
	known := jsonFields(reflect.TypeOf(s))
	for _, full := range slices.Sorted(maps.Keys(values)) {
		key, ok := strings.CutPrefix(full, Namespace+":")
		if !ok {
			continue
		}
		t, known := known[key]
		if !known {
			errs = append(errs, &KeyError{Path: full, Msg: "unknown key" + suggest(key, jsonFields(reflect.TypeOf(s)))})
			continue
		}
		raw := values[full]
		if t.Kind() == reflect.String {
			// Plain strings arrive unquoted.
			b, _ := json.Marshal(raw)
			raw = string(b)
		}
		target := reflect.ValueOf(&s).Elem().FieldByIndex(fieldIndex(reflect.TypeOf(s), key)).Addr().Interface()
		if err := decodeStrict(full, raw, target); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		// Validating half-decoded values would add errors that are not the user's.
		return Stack{}, errors.Join(errs...)
	}
	s = s.withDefaults().withStackValues()
	if err := s.validate(); err != nil {
		return Stack{}, err
	}
	return s, nil
}

func fieldIndex(t reflect.Type, jsonName string) []int {
	for i := 0; i < t.NumField(); i++ {
		if strings.Split(t.Field(i).Tag.Get("json"), ",")[0] == jsonName {
			return []int{i}
		}
	}
	panic("config: no field " + jsonName)
}

func (s Stack) withDefaults() Stack {
	if s.Namespace == "" {
		s.Namespace = "cloud-codex"
	}
	ps := &s.Cluster.PodSecurity
	if ps.Enforce == "" {
		// Every workload this program declares passes "restricted" (issue 21).
		ps.Enforce = "restricted"
	}
	if ps.Warn == "" {
		ps.Warn = "restricted"
	}
	if ps.Audit == "" {
		ps.Audit = "restricted"
	}
	return s
}

var podSecurityLevels = map[string]bool{"privileged": true, "baseline": true, "restricted": true}

func (s Stack) validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := components.CheckDNSLabel("namespace", s.Namespace, 63); err != nil {
		add(atPath(Namespace+":", reflect.TypeOf(s), err))
	}
	for _, l := range []struct{ key, v string }{
		{"enforce", s.Cluster.PodSecurity.Enforce}, {"warn", s.Cluster.PodSecurity.Warn}, {"audit", s.Cluster.PodSecurity.Audit},
	} {
		if !podSecurityLevels[l.v] {
			add(&KeyError{Path: Namespace + ":cluster.podSecurity." + l.key,
				Msg: fmt.Sprintf("invalid level %q: use privileged, baseline or restricted", l.v)})
		}
	}
	errs = append(errs, s.validateCluster()...)
	if err := s.LiteLLM.Validate(); err != nil {
		add(atPath(Namespace+":litellm", reflect.TypeOf(s.LiteLLM), err))
	}
	errs = append(errs, s.validateObjectNames()...)
	add(s.validateEgress())
	poolSecrets := s.LiteLLM.PoolSecrets()
	served := s.LiteLLM.ResponsesAliases()
	seen := map[string]int{}
	for i, a := range s.Agents {
		prefix := fmt.Sprintf("%s:agents[%d]", Namespace, i)
		if j, dup := seen[a.Name]; dup && a.Name != "" {
			add(&KeyError{Path: prefix + ".name",
				Msg: fmt.Sprintf("duplicate agent name %q (also agents[%d]): every agent needs its own name, PVC and identity", a.Name, j)})
		} else {
			seen[a.Name] = i
		}
		if err := a.Validate(); err != nil {
			add(atPath(prefix, reflect.TypeOf(a), err))
		}
		// The agent's model must be a responses-path alias the pool serves; otherwise every
		// call fails (or, with a fallback, silently goes elsewhere).
		if model := a.EffectiveModel(); model != "" && !slices.Contains(served, model) {
			add(&KeyError{Path: prefix + ".codex.model", Msg: fmt.Sprintf(
				"model %q is not a responses-path alias of litellm.models (served: %s); use one of those or add it there",
				model, strings.Join(served, ", "))})
		}
		errs = append(errs, agentPoolSecretRefs(prefix, a, s.forbiddenSecrets(i, poolSecrets))...)
	}
	return errors.Join(errs...)
}
