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
// unknown-provider error, and nothing before the first model call notices.
var MinChatGPTLiteLLMVersion = [3]int{1, 81, 3}

// litellmTagVersionRE finds the release a LiteLLM tag names: "v1.88.2", "1.88.2",
// "main-v1.81.0-stable", "v1.88.0-rc.1".
var litellmTagVersionRE = regexp.MustCompile(`(?:^|[^0-9.])v?([0-9]+)\.([0-9]+)\.([0-9]+)(?:[^0-9.]|$)`)

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

// checkLiteLLMImageServesChatGPT refuses an image whose tag names a LiteLLM release older
// than MinChatGPTLiteLLMVersion when a model of the pool is a chatgpt/ model. A tag without
// a version is allowed: nothing can be known about it (docs/config-reference.md says to
// check such a build for the provider).
func checkLiteLLMImageServesChatGPT(field, image string, models []AuthPoolModel) error {
	v, ok := LiteLLMTagVersion(image)
	if !ok || !versionLess(v, MinChatGPTLiteLLMVersion) {
		return nil
	}
	for _, m := range models {
		if strings.HasPrefix(m.Upstream, litellmconfig.ChatGPTPrefix) {
			return &FieldError{field, fmt.Sprintf("%q", image), fmt.Sprintf(
				"names LiteLLM %s, older than %s, the first release with the chatgpt/ provider that model %q (%s) needs; use %s or a tag of %s or later",
				versionString(v), versionString(MinChatGPTLiteLLMVersion), m.Alias, m.Upstream, DefaultLiteLLMImage, versionString(MinChatGPTLiteLLMVersion))}
		}
	}
	return nil
}
