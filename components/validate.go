package components

import (
	"fmt"
	"net/url"
	"regexp"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
)

var dns1123Label = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// FieldError is an invalid argument: which field, what is wrong, and how to fix it.
type FieldError struct {
	Field string
	Value any
	Fix   string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: invalid value %v: %s", e.Field, e.Value, e.Fix)
}

// CheckDNSLabel checks that v is a DNS-1123 label of at most max characters, so names
// derived from it (with prefixes and suffixes) stay valid.
func CheckDNSLabel(field, v string, max int) error {
	if v == "" {
		return &FieldError{field, `""`, "required; use lowercase letters, digits and '-'"}
	}
	if len(v) > max || !dns1123Label.MatchString(v) {
		return &FieldError{field, fmt.Sprintf("%q", v), fmt.Sprintf(
			"must be a DNS-1123 label (lowercase letters, digits, '-', starting and ending alphanumeric) of at most %d characters", max)}
	}
	return nil
}

// CheckQuantity checks a Kubernetes resource quantity such as "1Gi" or "500m".
func CheckQuantity(field, v string) error {
	if _, err := resource.ParseQuantity(v); err != nil {
		return &FieldError{field, fmt.Sprintf("%q", v), `must be a Kubernetes quantity such as "1Gi", "512Mi" or "500m" (note: "2GB" is not one; use "2G" or "2Gi")`}
	}
	return nil
}

// CheckHTTPURL checks an absolute http(s) URL.
func CheckHTTPURL(field, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &FieldError{field, fmt.Sprintf("%q", v), "must be an absolute http:// or https:// URL"}
	}
	return nil
}

// CheckRequired checks that a required string is set.
func CheckRequired(field, v, fix string) error {
	if v == "" {
		return &FieldError{field, `""`, fix}
	}
	return nil
}

// CheckMinDuration checks a Go duration string with a lower bound and says why.
func CheckMinDuration(field, v string, min time.Duration, why string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, &FieldError{field, fmt.Sprintf("%q", v), `must be a duration such as "30m" or "1h"`}
	}
	if d < min {
		return 0, &FieldError{field, fmt.Sprintf("%q", v), fmt.Sprintf("must be at least %s: %s", min, why)}
	}
	return d, nil
}
