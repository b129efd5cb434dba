package components

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"cloud-codex/litellmconfig"
)

// MinChatGPTLiteLLMVersion is the first LiteLLM release with the ChatGPT-subscription
// provider (chatgpt/<model>): LiteLLM's release notes list it as new in v1.81.3 (PR 19030);
// v1.81.0's notes do not have it. An older image answers every chatgpt/ call with an
// unknown-provider error, and nothing before the first model call notices. It is the
// minimum of a chat-path model (chatgpt/responses/<model>).
var MinChatGPTLiteLLMVersion = [3]int{1, 81, 3}

// MinResponsesLiteLLMVersion is the minimum of a pool serving a responses-path model (the
// alias codex agents call; every pool has one, responsesAlias). Before it, LiteLLM's
// chatgpt/ Responses bridge answers with an empty output or fails with
// "'ResponsesAPIResponse' object has no attribute 'output'" (BerriAI/litellm issue 26179;
// the fix, PR 26219, merged 2026-04-22, names no release). The first release seen to work
// is v1.88.0-rc.1, after v1.83.7-stable and v1.86.2 were seen to fail the same call
// (Team-Commonly/commonly PR 460); v1.87.x was not tried, so the floor is v1.88.0.
// docs/litellm-image.md says why and what to check.
var MinResponsesLiteLLMVersion = [3]int{1, 88, 0}

// litellmTagVersionRE finds the release a LiteLLM tag names: "v1.88.2", "1.88.2",
// "main-v1.81.0-stable", "v1.88.0-rc.1", and "v1.80" (a two-part version is X.Y.0).
var litellmTagVersionRE = regexp.MustCompile(`(?:^|[^0-9.])v?([0-9]+)\.([0-9]+)(?:\.([0-9]+))?(?:[^0-9.]|$)`)

// LiteLLMTagVersion returns the release version an image's tag names; ok is false for a
// tag without one (a custom build, "main-stable") or an image pinned by digest only.
func LiteLLMTagVersion(image string) (v [3]int, ok bool) {
	ref, parsed := ParseImageRef(image)
	if !parsed || ref.Tag == "" {
		return v, false
	}
	m := litellmTagVersionRE.FindStringSubmatch(ref.Tag)
	if m == nil {
		return v, false
	}
	for i := range v {
		if m[i+1] == "" { // vX.Y: X.Y.0
			continue
		}
		n, err := strconv.Atoi(m[i+1])
		if err != nil {
			return v, false
		}
		v[i] = n
	}
	return v, true
}

func versionLess(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

func versionString(v [3]int) string { return fmt.Sprintf("v%d.%d.%d", v[0], v[1], v[2]) }

// minLiteLLMVersion is the oldest LiteLLM release that serves model m, and why; ok is
// false for a model of another provider (no minimum of this project's own).
func minLiteLLMVersion(m AuthPoolModel) (min [3]int, why string, ok bool) {
	switch {
	case !strings.HasPrefix(m.Upstream, litellmconfig.ChatGPTPrefix):
		return min, "", false
	case m.Path == AuthPoolResponsesPath:
		return MinResponsesLiteLLMVersion, fmt.Sprintf(
			"model %q (%s) is on the responses path the agents call, and before %s LiteLLM's chatgpt/ Responses bridge returns an empty output or fails with \"'ResponsesAPIResponse' object has no attribute 'output'\" (docs/litellm-image.md)",
			m.Alias, m.Upstream, versionString(MinResponsesLiteLLMVersion)), true
	default:
		return MinChatGPTLiteLLMVersion, fmt.Sprintf(
			"%s is the first release with the chatgpt/ provider that model %q (%s) needs",
			versionString(MinChatGPTLiteLLMVersion), m.Alias, m.Upstream), true
	}
}

// checkLiteLLMImageServesChatGPT refuses an image whose tag names a LiteLLM release older
// than a chatgpt/ model of the pool needs (minLiteLLMVersion): the responses path needs
// MinResponsesLiteLLMVersion, the chat path MinChatGPTLiteLLMVersion. A tag without a
// version is allowed: nothing can be known about it (docs/config-reference.md says to
// check such a build).
func checkLiteLLMImageServesChatGPT(field, image string, models []AuthPoolModel) error {
	v, ok := LiteLLMTagVersion(image)
	if !ok {
		return nil
	}
	var need [3]int
	var why string
	for _, m := range models {
		if min, reason, ok := minLiteLLMVersion(m); ok && versionLess(need, min) {
			need, why = min, reason
		}
	}
	if !versionLess(v, need) {
		return nil
	}
	return &FieldError{field, fmt.Sprintf("%q", image), fmt.Sprintf(
		"names LiteLLM %s, older than %s: %s; use %s (the default: leave it unset) or a tag of %s or later",
		versionString(v), versionString(need), why, DefaultLiteLLMImage, versionString(need))}
}
