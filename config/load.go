package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"

	"cloud-codex/components"
)

// Load reads the stack configuration from values (full keys such as "cloud-codex:agents"
// mapped to their raw values, as Pulumi passes them: structured values are JSON), fills
// defaults and validates everything. Keys of other namespaces (kubernetes:, ...) are left
// to their owners. Every problem is reported at once, one line each (errors.Join): every
// unknown key and wrong type, and every invalid value of each top-level key and each agent
// whose own value decoded (decodeFailures). Any error returns the zero Stack: main.go
// registers nothing then.
//
// secretKeys are the full keys set as secrets (FromContext). Every one of this namespace is
// refused (secretKeyError) and its value is neither decoded nor validated: its errors would
// print the decrypted value.
func Load(values map[string]string, secretKeys ...string) (Stack, error) {
	var s Stack
	var errs []error
	failed := decodeFailures{keys: map[string]bool{}, agents: map[int]bool{}}
	known := jsonFields(reflect.TypeOf(s))
	for _, full := range slices.Sorted(maps.Keys(values)) {
		key, ok := strings.CutPrefix(full, Namespace+":")
		if !ok {
			continue
		}
		if slices.Contains(secretKeys, full) {
			errs = append(errs, secretKeyError(full))
			failed.keys[key] = true
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
		if key == "agents" {
			errs = append(errs, decodeAgents(full, raw, &s.Agents, failed)...)
			continue
		}
		target := reflect.ValueOf(&s).Elem().FieldByIndex(fieldIndex(reflect.TypeOf(s), key)).Addr().Interface()
		if err := decodeStrict(full, raw, target); err != nil {
			errs = append(errs, err)
			failed.keys[key] = true
		}
	}
	s = s.withDefaults().withStackValues()
	if failed.keys["litellm"] || !s.poolAliasServed() {
		// The agents' default model is unknown (litellm did not decode) or wrong (reported
		// once, at litellm.responsesAlias): a stand-in keeps it from being reported again at
		// every agent that did not set its own codex.model.
		s = s.withPoolUnknown()
	}
	if err := s.validate(failed); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return Stack{}, errors.Join(errs...)
	}
	return s, nil
}

// secretKeyError refuses a key set as a secret. Nothing in this program's config takes a
// credential (credentials come by Secret reference), and Pulumi hands the program the
// decrypted value: it would be written in plaintext into a Deployment, a ConfigMap and the
// stack's state. Pulumi marks the whole top-level key secret when any value inside it is
// one (sdk/go/common/resource/config: an object value is secure if any element is, Map.
// SecureKeys), so `pulumi config set --secret --path 'agents[0].env.X'` marks
// cloud-codex:agents, and only the top-level key can be named.
func secretKeyError(full string) error {
	return &KeyError{Path: full, Msg: "is set as a secret (pulumi config set --secret; with --path, a secret value anywhere inside it marks the whole key), " +
		"but nothing in this program's config takes a credential: the program reads the value decrypted and would write it in plaintext into the objects it declares and the stack's state. " +
		"Put the credential in a Kubernetes Secret and reference it: codex.mcpServers.<id>.secretEnv ({name, key}) for an MCP server, registry.tokenSecret, litellm.keySecret, " +
		"litellm.models[].apiKeySecret, litellm.database.existingSecret; then set this key again without --secret (its value is not checked until then)"}
}

// decodeFailures are the values that did not decode (an unknown key or a wrong type inside
// them). decodeStrict leaves such a value zero, so it is not validated, and neither is what
// needs it (the agents' cross-checks against litellm): that would add errors that are not
// the user's. Everything else still is, so one misspelt key hides nothing unrelated.
type decodeFailures struct {
	keys   map[string]bool // top-level keys ("cluster", "litellm", "egress"; "agents" when it is no list)
	agents map[int]bool    // agents[i]
}

// decodeAgents decodes the agents list entry by entry, so that one entry's unknown key or
// wrong type leaves the others to be validated.
func decodeAgents(full, raw string, out *[]components.CloudCodexAgentArgs, failed decodeFailures) []error {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var list []any
	if dec.Decode(&list) != nil || trailing(dec) {
		// Not a list: decodeStrict says what it is instead.
		if err := decodeStrict(full, raw, out); err != nil {
			failed.keys["agents"] = true
			return []error{err}
		}
		return nil
	}
	*out = make([]components.CloudCodexAgentArgs, len(list))
	var errs []error
	for i, item := range list {
		b, err := json.Marshal(item)
		if err == nil {
			err = decodeStrict(fmt.Sprintf("%s[%d]", full, i), string(b), &(*out)[i])
		}
		if err != nil {
			errs = append(errs, err)
			failed.agents[i] = true
		}
	}
	return errs
}

// trailing reports input after the first JSON value.
func trailing(dec *json.Decoder) bool {
	_, err := dec.Token()
	return err != io.EOF
}

// withPoolUnknown stands in for the agents' default model when litellm did not decode, or
// its responses alias is no responses-path alias of its models (litellm.responsesAlias is
// reported, once): an agent without its own codex.model takes the first model its allowlist
// names (else the pool's alias, or the default pool's when the pool has none) rather than be
// reported against a pool value the user has not got right yet. The cross-check of an
// inherited model against litellm.models is skipped (validate checks an agent's own
// codex.model only).
func (s Stack) withPoolUnknown() Stack {
	for i := range s.Agents {
		a := &s.Agents[i]
		if j := slices.IndexFunc(a.LiteLLM.ModelAllowlist, func(m string) bool { return strings.TrimSpace(m) != "" }); j >= 0 {
			a.LiteLLM.DefaultModel = a.LiteLLM.ModelAllowlist[j]
		} else if a.LiteLLM.DefaultModel == "" {
			a.LiteLLM.DefaultModel = components.DefaultResponsesAlias
		}
	}
	return s
}

// poolAliasServed reports whether the pool's (defaulted) responses alias is one of its
// responses-path aliases: the agents' default model is then one the pool serves.
func (s Stack) poolAliasServed() bool {
	alias := s.LiteLLM.EffectiveResponsesAlias()
	return alias != "" && slices.Contains(s.LiteLLM.ResponsesAliases(), alias)
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

func (s Stack) validate(failed decodeFailures) error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := components.CheckStackNamespace("namespace", s.Namespace); err != nil {
		add(atPath(Namespace+":", reflect.TypeOf(s), err))
	}
	if !failed.keys["cluster"] {
		for _, l := range []struct{ key, v string }{
			{"enforce", s.Cluster.PodSecurity.Enforce}, {"warn", s.Cluster.PodSecurity.Warn}, {"audit", s.Cluster.PodSecurity.Audit},
		} {
			if !podSecurityLevels[l.v] {
				add(&KeyError{Path: Namespace + ":cluster.podSecurity." + l.key,
					Msg: fmt.Sprintf("invalid level %q: use privileged, baseline or restricted", l.v)})
			}
		}
		errs = append(errs, s.validateCluster()...)
	}
	poolKnown := !failed.keys["litellm"]
	var poolSecrets map[string]string
	var served []string
	if poolKnown {
		if err := s.LiteLLM.Validate(); err != nil {
			add(atPath(Namespace+":litellm", reflect.TypeOf(s.LiteLLM), err))
		}
		errs = append(errs, s.validateObjectNames()...)
		poolSecrets = s.LiteLLM.PoolSecrets()
		served = s.LiteLLM.ResponsesAliases()
	}
	if !failed.keys["egress"] {
		add(s.validateEgress())
	}
	seen := map[string]int{}
	for i, a := range s.Agents {
		if failed.agents[i] {
			continue
		}
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
		// The agent's own model must be a responses-path alias the pool serves; otherwise every
		// call fails (or, with a fallback, silently goes elsewhere). An inherited one is the
		// pool's alias, checked once at litellm.responsesAlias.
		if model := a.Codex.Model; poolKnown && model != "" && !slices.Contains(served, model) {
			servedList := strings.Join(served, ", ")
			if len(served) == 0 {
				servedList = "none yet, see litellm.responsesAlias"
			}
			add(&KeyError{Path: prefix + ".codex.model", Msg: fmt.Sprintf(
				"model %q is not a responses-path alias of litellm.models (served: %s); use one of those or add it there",
				model, servedList)})
		}
		errs = append(errs, agentPoolSecretRefs(prefix, a, s.forbiddenSecrets(i, poolSecrets, failed.agents))...)
	}
	return errors.Join(errs...)
}
