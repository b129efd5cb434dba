package components

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/blang/semver"
)

// Image references and tool versions must be pinned: an unpinned install crash-looped an
// agent of the original system for 28 hours, and an image that moves under a Deployment
// changes it without a diff. One rule for every image and version field, agents and pool
// alike.

// imageRefRE is the container image reference grammar (github.com/distribution/reference,
// reference.go: domain, lowercase path components, tag, digest), which the container
// runtime applies: anything else fails at the kubelet with InvalidImageName.
var imageRefRE = regexp.MustCompile(`^` +
	`(?:(?P<domain>(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?)/)?` +
	`(?P<path>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)` +
	`(?::(?P<tag>[\w][\w.-]{0,127}))?` +
	`(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$`)

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

// movingTag reports a tag that names whatever was pushed last ("latest", LiteLLM's
// "main-latest"), not a release.
func movingTag(tag string) bool {
	t := strings.ToLower(tag)
	return t == "latest" || strings.HasSuffix(t, "-latest")
}

// CheckPinnedImage refuses an image that is not a reference, has neither tag nor digest, or
// is pinned only to a moving tag such as "latest". A digest always pins.
func CheckPinnedImage(field, image, example string) error {
	ref, ok := ParseImageRef(image)
	switch {
	case !ok:
		return &FieldError{field, fmt.Sprintf("%q", image), fmt.Sprintf(
			"must be an image reference (lowercase repository, optional registry, :tag and/or @sha256:digest), e.g. %q; the kubelet refuses anything else with InvalidImageName", example)}
	case ref.Digest != "":
		return nil
	case ref.Tag == "":
		return &FieldError{field, fmt.Sprintf("%q", image), fmt.Sprintf(
			"pin the image by tag or digest, e.g. %q: without one the runtime pulls \"latest\", which changes under you", example)}
	case movingTag(ref.Tag):
		return &FieldError{field, fmt.Sprintf("%q", image), fmt.Sprintf(
			"%q is a moving tag; pin a release tag or a digest, e.g. %q", ref.Tag, example)}
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
