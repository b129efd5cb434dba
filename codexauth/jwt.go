package codexauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// maxExp bounds a believable exp claim (the end of year 9999). Anything larger is not a
// real token, and converting it to int64 would overflow into a date in the past.
const maxExp = 253402300799

// JWTExpiry returns the exp claim of a JWT. The signature is not checked: the token is
// only read to learn when it expires.
func JWTExpiry(token string) (time.Time, error) {
	claims, err := JWTClaims(token)
	if err != nil {
		return time.Time{}, err
	}
	exp, ok := claims["exp"].(float64)
	if !ok || math.IsNaN(exp) || exp <= 0 {
		return time.Time{}, errors.New("JWT has no numeric exp claim")
	}
	if exp > maxExp {
		return time.Time{}, fmt.Errorf("JWT exp claim %g is out of range", exp)
	}
	return time.Unix(int64(exp), 0), nil
}

// JWTIssuedAt returns the iat claim of a JWT: when it was issued. A refresh issues a later
// one, whatever lifetime the new token has, so iat orders generations of a login.
func JWTIssuedAt(token string) (time.Time, error) {
	claims, err := JWTClaims(token)
	if err != nil {
		return time.Time{}, err
	}
	iat, ok := claims["iat"].(float64)
	if !ok || math.IsNaN(iat) || iat <= 0 || iat > maxExp {
		return time.Time{}, errors.New("JWT has no usable iat claim")
	}
	return time.Unix(int64(iat), 0), nil
}

// JWTClaims decodes the payload of a compact JWT.
func JWTClaims(token string) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return nil, errors.New("not a JWT (want three dot-separated parts)")
	}
	// JWTs use unpadded base64url; tolerate padding that some writers add anyway.
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, fmt.Errorf("JWT payload: %w", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, fmt.Errorf("JWT payload: %w", err)
	}
	if claims == nil {
		// The payload "null" decodes without error into a nil map: not a claim set.
		return nil, errors.New("JWT payload: not a JSON object")
	}
	return claims, nil
}

// LooksLikeJWT reports whether s is a decodable JWT (used to spot leaked tokens).
func LooksLikeJWT(s string) bool {
	_, err := JWTClaims(strings.TrimSpace(s))
	return err == nil
}
