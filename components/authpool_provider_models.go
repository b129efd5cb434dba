package components

import (
	"fmt"
	"strings"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"cloud-codex/components/podspec"
	"cloud-codex/litellmconfig"
)

// Provider-path models: other providers' models served by the same LiteLLM (fallbacks to
// another provider, embeddings), each with its API key from a Secret. LiteLLM reads the key
// from the litellm container's environment (litellm_params.api_key: os.environ/NAME), so
// the key never appears in config.yaml, the ConfigMap or the stack's state.

// authPoolModelKeyEnv is the environment variable holding Models[i]'s provider key.
func authPoolModelKeyEnv(i int) string { return fmt.Sprintf("LITELLM_MODEL_%d_API_KEY", i) }

func validateProviderModel(f string, m AuthPoolModel) []error {
	var errs []error
	provider, model, ok := strings.Cut(m.Upstream, "/")
	switch {
	case strings.HasPrefix(m.Upstream, litellmconfig.ChatGPTPrefix):
		errs = append(errs, &FieldError{f + ".path", fmt.Sprintf("%q", m.Path), fmt.Sprintf(
			"%q is a ChatGPT-subscription model: use path %q (agents) or %q, not %q", m.Upstream, AuthPoolResponsesPath, AuthPoolChatPath, AuthPoolProviderPath)})
	case !ok || provider == "" || model == "" || strings.ContainsAny(m.Upstream, " \t\n"):
		errs = append(errs, &FieldError{f + ".upstream", fmt.Sprintf("%q", m.Upstream), `a provider-path model is LiteLLM's "<provider>/<model>", e.g. "openai/gpt-4.1" or "anthropic/claude-sonnet-4-5"`})
	}
	if s := m.APIKeySecret; s != nil {
		if msgs := validation.IsDNS1123Subdomain(s.Name); len(msgs) > 0 {
			errs = append(errs, &FieldError{f + ".apiKeySecret.name", fmt.Sprintf("%q", s.Name), "must be the name of a Secret in the pool's namespace: " + strings.Join(msgs, "; ")})
		}
		if msgs := validation.IsConfigMapKey(s.Key); len(msgs) > 0 {
			errs = append(errs, &FieldError{f + ".apiKeySecret.key", fmt.Sprintf("%q", s.Key), "must be a key of that Secret: " + strings.Join(msgs, "; ")})
		}
	}
	if m.APIBase != "" {
		if err := CheckCredentialURL(f+".apiBase", m.APIBase); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// authPoolModelParams is a model's litellm_params.
func authPoolModelParams(i int, m AuthPoolModel) litellmconfig.LiteLLMParams {
	p := litellmconfig.LiteLLMParams{Model: m.Upstream, APIBase: m.APIBase}
	if m.APIKeySecret != nil {
		p.APIKey = litellmconfig.EnvRef(authPoolModelKeyEnv(i))
	}
	return p
}

// authPoolModelKeyEnvs are the litellm container's secretKeyRef entries for provider keys.
// Required (not optional): a missing key Secret keeps LiteLLM from starting with a clear
// CreateContainerConfigError instead of failing that model's calls later.
func authPoolModelKeyEnvs(a LiteLLMAuthPoolArgs) corev1.EnvVarArray {
	var env corev1.EnvVarArray
	for i, m := range a.Models {
		if m.APIKeySecret != nil {
			env = append(env, podspec.SecretEnv(authPoolModelKeyEnv(i), m.APIKeySecret.Name, m.APIKeySecret.Key))
		}
	}
	return env
}

// AuthPoolProviderKeySecrets lists the Secrets holding provider keys (the operator creates
// them), as "name/key".
func (a LiteLLMAuthPoolArgs) AuthPoolProviderKeySecrets() []string {
	var out []string
	for _, m := range a.withDefaults().Models {
		if m.APIKeySecret != nil {
			out = append(out, m.APIKeySecret.Name+"/"+m.APIKeySecret.Key)
		}
	}
	return out
}
