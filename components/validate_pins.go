package components

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/blang/semver"
)

// Image references and tool versions must be pinned: an unpinned install crash-looped an
// agent of the original system for 28 hours, and an image that moves under a Deployment
// changes it without a diff. One rule for every image and version field, agents and pool
// alike.

// imageRefRE is the container image reference grammar (github.com/distribution/reference,
// reference.go: domain, lowercase path components, tag, digest), which the container
// runtime applies: anything else fails at the kubelet with InvalidImageName. The digest is
// held to what the runtime can verify, not to the reference grammar's looser
// algorithm:hex: github.com/opencontainers/go-digest (digest.Parse, Algorithm.Validate)
// accepts only registered algorithms with their exact encoded length in lowercase hex,
// sha256 (64) and sha512 (128); "sha384:…", "md5:…", a short or upper-case hex fails the
// pull with "invalid checksum digest format" / "unsupported digest algorithm".
var imageRefRE = regexp.MustCompile(`^` +
	`(?:(?P<domain>(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?)/)?` +
	`(?P<path>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)` +
	`(?::(?P<tag>[\w][\w.-]{0,127}))?` +
	`(?:@(?P<digest>sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}))?$`)

// ImageRef is a parsed image reference.
type ImageRef struct{ Name, Tag, Digest string }

// ParseImageRef splits an image reference; ok is false when it is not one.
func ParseImageRef(image string) (ref ImageRef, ok bool) {
	m := imageRefRE.FindStringSubmatch(image)
	if m == nil {
		return ImageRef{}, false
	}
	get := func(group string) string { return m[imageRefRE.SubexpIndex(group)] }
	name := get("path")
	if d := get("domain"); d != "" {
		name = d + "/" + name
	}
	return ImageRef{Name: name, Tag: get("tag"), Digest: get("digest")}, true
}

// LocalImagePrefix marks an image built on this machine and imported into the embedded
// cluster's containerd (scripts/images.sh, tools/images: the LiteLLM stand-in
// cloud-codex.local/litellm-standin:dev). No registry serves it, so its tag names the local
// build, not a channel anyone can move: such references are exempt from the channel rule
// (movingTag). "latest" and a missing tag stay refused for them too: the kubelet pulls those
// on every start (imagePullPolicy Always), and there is nothing to pull from.
const LocalImagePrefix = "cloud-codex.local/"

// channelWords name a release channel or branch, not a release: an image under such a tag
// is replaced whenever the channel moves ("lts", LiteLLM's "main-stable" and
// "litellm_stable_release_branch").
var channelWords = map[string]bool{
	"stable": true, "main": true, "master": true, "lts": true, "current": true,
	"edge": true, "nightly": true, "dev": true, "develop": true, "rc": true, "beta": true,
	"alpha": true, "release": true, "next": true, "canary": true, "unstable": true, "preview": true,
}

// variantWordRE is a base-image or build variant ("alpine", "slim", "bookworm",
// "alpine3.20"): a tag made only of variants names no release of the software itself
// ("node:alpine" is the newest Node.js on Alpine).
var variantWordRE = regexp.MustCompile(`^(?:alpine|slim|bookworm|bullseye|buster|stretch|trixie|debian|ubuntu|jammy|noble|focal|bionic|windowsservercore|nanoserver)[0-9.]*$`)

// versionWordRE is a word of a tag that is a version: "22", "1.26.8", "v1.88.2", "20260101",
// or a commit (7 or more hex digits, as in a branch-plus-commit tag "main-a1b2c3d" or
// "sha-0f3e9c1"): a commit names one build exactly, whether its first digit is a letter or
// not.
var versionWordRE = regexp.MustCompile(`^(?:v?[0-9]|[0-9a-f]{7,}$)`)

// movingTag says why a tag names whatever is pushed next rather than a release ("" when it
// names a release): "latest" anywhere ("latest", LiteLLM's "main-latest"); or no version at
// all and either a channel ("lts", "current-alpine", "main-stable",
// "litellm_stable_release_branch") or only base-image variants ("alpine", "slim-bookworm").
// A tag with a version is a release even when it also names a channel or a variant
// ("22-bookworm-slim", "main-v1.88.2-stable", "v1.88.0-rc.1", "main-a1b2c3d"). The channel rule is a deny
// list: a tag such as "our-build" says nothing either way and is accepted. local (an image
// under LocalImagePrefix) is exempt from everything but "latest".
func movingTag(tag string, local bool) string {
	words := strings.FieldsFunc(strings.ToLower(tag), func(r rune) bool { return r == '-' || r == '_' })
	if slices.Contains(words, "latest") {
		return "it names whatever was pushed last"
	}
	if local || slices.ContainsFunc(words, versionWordRE.MatchString) {
		return ""
	}
	if i := slices.IndexFunc(words, func(w string) bool { return channelWords[w] }); i >= 0 {
		return fmt.Sprintf("it names the channel %q and no version", words[i])
	}
	if len(words) > 0 && !slices.ContainsFunc(words, func(w string) bool { return !variantWordRE.MatchString(w) }) {
		return "it names only a base-image variant, no version"
	}
	return ""
}

// CheckPinnedImage is the one check of every image field: it refuses an image that is not a
// reference, has neither tag nor digest, or is pinned only to a moving tag ("latest", a
// channel such as "lts" or "main-stable", a bare variant such as "alpine"; see movingTag).
// A digest always pins.
func CheckPinnedImage(field, image, example string) error {
	ref, ok := ParseImageRef(image)
	switch {
	case !ok:
		return &FieldError{field, fmt.Sprintf("%q", image), fmt.Sprintf(
			"must be an image reference (lowercase repository, optional registry, :tag and/or @sha256:<64 lowercase hex digits> or @sha512:<128>), e.g. %q; the kubelet refuses anything else with InvalidImageName", example)}
	case ref.Digest != "":
		return nil
	case ref.Tag == "":
		return &FieldError{field, fmt.Sprintf("%q", image), fmt.Sprintf(
			"pin the image by tag or digest, e.g. %q: without one the runtime pulls \"latest\", which changes under you", example)}
	}
	if why := movingTag(ref.Tag, strings.HasPrefix(ref.Name, LocalImagePrefix)); why != "" {
		return &FieldError{field, fmt.Sprintf("%q", image), fmt.Sprintf(
			"%q is a moving tag (%s): the image changes under the Deployment without a diff; pin a release tag (with a version) or a digest, e.g. %q", ref.Tag, why, example)}
	}
	return nil
}

// CheckExactVersion refuses an npm version that is not one exact semantic version: no
// "latest", no ranges ("^1.2.3", "~1.2", ">=1"), no partial versions ("0.171").
func CheckExactVersion(field, v, example string) error {
	if _, err := semver.Parse(v); err != nil || v != strings.TrimSpace(v) {
		return &FieldError{field, fmt.Sprintf("%q", v), fmt.Sprintf(
			"must be an exact version such as %q (no \"latest\", no ranges like \"^%s\", no partial versions): the install must be the same on every start", example, example)}
	}
	return nil
}
