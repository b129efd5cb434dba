package components

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"

	"cloud-codex/components/podspec"
)

// AuthPoolUpstream overrides the two OpenAI endpoints the pool talks to. Both default to
// OpenAI's own, and a production stack leaves them empty. Set them when an egress gateway
// fronts OpenAI, and in the project's running-system test, where a stand-in plays OpenAI's
// side (tests/standin/chatgpt).
type AuthPoolUpstream struct {
	// ChatGPTAPIBase is LiteLLM's CHATGPT_API_BASE: the ChatGPT codex backend its chatgpt/
	// provider posts {base}/responses to (read in litellm/llms/chatgpt/authenticator.py,
	// get_api_base, then OPENAI_CHATGPT_API_BASE; the default is in common_utils.py:
	// https://chatgpt.com/backend-api/codex). Empty: LiteLLM's default.
	ChatGPTAPIBase string `json:"chatgptApiBase" pulumi:"chatgptApiBase"`
	// OAuthTokenURL is the token endpoint the rotator refreshes accounts against (its
	// --token-url; default rotator.DefaultTokenURL, https://auth.openai.com/oauth/token).
	// LiteLLM's own refresh, which runs only when the rotator is down, keeps OpenAI's.
	OAuthTokenURL string `json:"oauthTokenUrl" pulumi:"oauthTokenUrl"`
}

func (u AuthPoolUpstream) validate() []error {
	var errs []error
	if u.ChatGPTAPIBase != "" {
		if err := CheckCredentialURL("upstream.chatgptApiBase", u.ChatGPTAPIBase); err != nil {
			errs = append(errs, err)
		}
	}
	if u.OAuthTokenURL != "" {
		if err := CheckCredentialURL("upstream.oauthTokenUrl", u.OAuthTokenURL); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// liteLLMEnv is the litellm container's env for the override (none by default).
func (u AuthPoolUpstream) liteLLMEnv() corev1.EnvVarArray {
	if u.ChatGPTAPIBase == "" {
		return nil
	}
	return corev1.EnvVarArray{podspec.Env("CHATGPT_API_BASE", u.ChatGPTAPIBase)}
}

// rotatorFlags are the seed's and the rotator's flags for the override (none by default).
func (u AuthPoolUpstream) rotatorFlags() []string {
	if u.OAuthTokenURL == "" {
		return nil
	}
	return []string{"--token-url", u.OAuthTokenURL}
}
