package keyregistrar

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"cloud-codex/keyregistrar/internal/litellmstub"
)

const (
	testMaster = "sk-master0123456789abcdefghijklmnopqrstuvwxyzABCD"
	testKey    = "sk-agentkey0123456789abcdefghijklmnopqrstuvwxyzAB"
	oldKey     = "sk-oldvalue0123456789abcdefghijklmnopqrstuvwxyzAB"
	testAlias  = "cloud-codex-cody"
	testModel  = "codex-cli/gpt-5.4"
)

func testConfig(url string, log *bytes.Buffer) Config {
	return Config{
		URL:            url + "/v1",
		MasterKey:      testMaster,
		Key:            testKey,
		Alias:          testAlias,
		Models:         []string{testModel},
		Metadata:       map[string]string{"managed-by": "cloud-codex", "agent": "cody"},
		ReadyInterval:  5 * time.Millisecond,
		ReadyTimeout:   2 * time.Second,
		RequestTimeout: 2 * time.Second,
		Attempts:       3,
		Backoff:        time.Millisecond,
		Log:            log,
	}
}

// register runs Register and checks that neither key ever reaches the log or the error.
func register(t *testing.T, cfg Config) (Outcome, error) {
	t.Helper()
	out, err := Register(context.Background(), cfg)
	text := cfg.Log.(*bytes.Buffer).String()
	if err != nil {
		text += err.Error()
	}
	for _, secret := range []string{testMaster, testKey, "sk-wrongmaster0123456789abcdefghijklmnopqrstuv"} {
		if strings.Contains(text, secret) {
			t.Fatalf("a key leaked into the log or error:\n%s", text)
		}
	}
	return out, err
}

func onlyKey(t *testing.T, stub *litellmstub.Stub) litellmstub.Key {
	t.Helper()
	keys := stub.Keys()
	if len(keys) != 1 {
		t.Fatalf("LiteLLM holds %d keys, want 1: %+v", len(keys), keys)
	}
	return keys[0]
}

func TestRegisterCreatesTheKey(t *testing.T) {
	stub := litellmstub.New(testMaster)
	defer stub.Close()
	var log bytes.Buffer
	out, err := register(t, testConfig(stub.URL, &log))
	if err != nil || out != Created {
		t.Fatalf("Register = %q, %v\n%s", out, err, log.String())
	}
	k := onlyKey(t, stub)
	if k.Value != testKey || k.Alias != testAlias || strings.Join(k.Models, ",") != testModel || k.Metadata["agent"] != "cody" {
		t.Errorf("stored %+v", k)
	}
	gen := stub.Requests()
	var paths []string
	for _, r := range gen {
		paths = append(paths, r.Method+" "+r.Path)
		if r.Path != "/health/readiness" && r.Authorization != "Bearer "+testMaster {
			t.Errorf("%s %s: Authorization %q, want the master key as bearer", r.Method, r.Path, r.Authorization)
		}
		if r.Path == "/key/generate" {
			for _, field := range []string{"key", "key_alias", "models", "metadata"} {
				if _, ok := r.Body[field]; !ok {
					t.Errorf("/key/generate body lacks %q: %v", field, r.Body)
				}
			}
		}
	}
	want := "GET /health/readiness,POST /key/generate,GET /key/info"
	if strings.Join(paths, ",") != want {
		t.Errorf("requests %v, want %s", paths, want)
	}
	if !strings.Contains(log.String(), `key "cloud-codex-cody" created`) {
		t.Errorf("log:\n%s", log.String())
	}
}

func TestRegisterUpdatesAnExistingKey(t *testing.T) {
	stub := litellmstub.New(testMaster, litellmstub.Key{Value: testKey, Alias: testAlias, Models: []string{"old-model"}, Metadata: map[string]string{"foreign": "x"}})
	defer stub.Close()
	var log bytes.Buffer
	cfg := testConfig(stub.URL, &log)
	cfg.Models = []string{testModel, "codex-cli/gpt-5.3"}
	out, err := register(t, cfg)
	if err != nil || out != Updated {
		t.Fatalf("Register = %q, %v\n%s", out, err, log.String())
	}
	k := onlyKey(t, stub)
	if strings.Join(k.Models, ",") != testModel+",codex-cli/gpt-5.3" || k.Metadata["foreign"] != "" || k.Metadata["agent"] != "cody" {
		t.Errorf("stored %+v", k)
	}
	if stub.Count("/key/generate") != 1 || stub.Count("/key/update") != 1 {
		t.Errorf("want one generate then one update: %+v", stub.Requests())
	}
	if !strings.Contains(log.String(), "Key with alias 'cloud-codex-cody' already exists") {
		t.Errorf("LiteLLM's answer is not in the log:\n%s", log.String())
	}
}

func TestRegisterIsIdempotent(t *testing.T) {
	stub := litellmstub.New(testMaster)
	defer stub.Close()
	var log bytes.Buffer
	for i, want := range []Outcome{Created, Updated, Updated} {
		out, err := register(t, testConfig(stub.URL, &log))
		if err != nil || out != want {
			t.Fatalf("run %d: Register = %q, %v, want %q\n%s", i, out, err, want, log.String())
		}
	}
	if k := onlyKey(t, stub); k.Value != testKey || strings.Join(k.Models, ",") != testModel {
		t.Errorf("stored %+v", k)
	}
}

func TestRegisterReplacesARotatedKey(t *testing.T) {
	stub := litellmstub.New(testMaster,
		litellmstub.Key{Value: oldKey, Alias: testAlias, Models: []string{testModel}},
		litellmstub.Key{Value: "sk-otheragent0123456789abcdefghijklmnopqrstuvwxyz", Alias: "cloud-codex-ada", Models: []string{testModel}})
	defer stub.Close()
	var log bytes.Buffer
	out, err := register(t, testConfig(stub.URL, &log))
	if err != nil || out != Replaced {
		t.Fatalf("Register = %q, %v\n%s", out, err, log.String())
	}
	keys := stub.Keys()
	if len(keys) != 2 {
		t.Fatalf("keys %+v", keys)
	}
	for _, k := range keys {
		if k.Value == oldKey {
			t.Errorf("the rotated key's previous value is still valid")
		}
		if k.Alias == testAlias && k.Value != testKey {
			t.Errorf("alias held by %+v", k)
		}
	}
	if !strings.Contains(log.String(), "belongs to another key") {
		t.Errorf("log:\n%s", log.String())
	}
}

func TestRegisterRepairsASilentGenerate(t *testing.T) {
	// The key value exists under another alias: LiteLLM answers the generate with 200 and
	// writes nothing (BerriAI/litellm#20494). The read-back catches it.
	stub := litellmstub.New(testMaster, litellmstub.Key{Value: testKey, Alias: "renamed-in-the-ui", Models: []string{"old-model"}})
	defer stub.Close()
	var log bytes.Buffer
	out, err := register(t, testConfig(stub.URL, &log))
	if err != nil || out != Updated {
		t.Fatalf("Register = %q, %v\n%s", out, err, log.String())
	}
	if k := onlyKey(t, stub); k.Alias != testAlias || strings.Join(k.Models, ",") != testModel {
		t.Errorf("stored %+v", k)
	}
}

func TestRegisterFailsOnABadMasterKeyWithLiteLLMsAnswer(t *testing.T) {
	stub := litellmstub.New(testMaster)
	defer stub.Close()
	var log bytes.Buffer
	cfg := testConfig(stub.URL, &log)
	cfg.MasterKey = "sk-wrongmaster0123456789abcdefghijklmnopqrstuv"
	_, err := register(t, cfg)
	if err == nil {
		t.Fatal("Register succeeded with a wrong master key")
	}
	for _, want := range []string{"401", "Authentication Error, Invalid proxy server token passed", "LITELLM_MASTER_KEY"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if n := stub.Count("/key/generate"); n != 1 {
		t.Errorf("a 401 was retried: %d generates", n)
	}
	if len(stub.Keys()) != 0 {
		t.Errorf("keys %+v", stub.Keys())
	}
}

func TestRegisterRetries5xxABoundedNumberOfTimes(t *testing.T) {
	t.Run("transient", func(t *testing.T) {
		stub := litellmstub.New(testMaster)
		defer stub.Close()
		stub.Fail5xx["/key/generate"] = 2
		var log bytes.Buffer
		out, err := register(t, testConfig(stub.URL, &log))
		if err != nil || out != Created {
			t.Fatalf("Register = %q, %v\n%s", out, err, log.String())
		}
		if n := stub.Count("/key/generate"); n != 3 {
			t.Errorf("%d generates, want 3", n)
		}
		if !strings.Contains(log.String(), "retrying") {
			t.Errorf("log:\n%s", log.String())
		}
	})
	t.Run("persistent", func(t *testing.T) {
		stub := litellmstub.New(testMaster)
		defer stub.Close()
		stub.Fail5xx["/key/generate"] = -1
		stub.Status5xx = 503
		var log bytes.Buffer
		_, err := register(t, testConfig(stub.URL, &log))
		if err == nil {
			t.Fatal("Register succeeded against a failing LiteLLM")
		}
		for _, want := range []string{"503", "Database not connected", "after 3 attempts"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		if n := stub.Count("/key/generate"); n != 3 {
			t.Errorf("%d generates, want exactly 3 (Attempts)", n)
		}
	})
}

func TestRegisterTimesOut(t *testing.T) {
	stub := litellmstub.New(testMaster)
	defer stub.Close()
	stub.Hang["/key/generate"] = true
	var log bytes.Buffer
	cfg := testConfig(stub.URL, &log)
	cfg.RequestTimeout = 100 * time.Millisecond
	cfg.Attempts = 2
	start := time.Now()
	_, err := register(t, cfg)
	if err == nil {
		t.Fatal("Register succeeded against a LiteLLM that never answers")
	}
	if !strings.Contains(err.Error(), "timed out") || !strings.Contains(err.Error(), "after 2 attempts") {
		t.Errorf("error %q does not say it timed out after 2 attempts", err)
	}
	if n := stub.Count("/key/generate"); n != 2 {
		t.Errorf("%d generates, want 2", n)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestRegisterWaitsForReadiness(t *testing.T) {
	stub := litellmstub.New(testMaster)
	defer stub.Close()
	stub.NotReady = 3
	var log bytes.Buffer
	out, err := register(t, testConfig(stub.URL, &log))
	if err != nil || out != Created {
		t.Fatalf("Register = %q, %v\n%s", out, err, log.String())
	}
	if n := stub.Count("/health/readiness"); n != 4 {
		t.Errorf("%d readiness probes, want 4", n)
	}

	never := litellmstub.New(testMaster)
	defer never.Close()
	never.NotReady = 1 << 30
	cfg := testConfig(never.URL, &log)
	cfg.ReadyTimeout = 50 * time.Millisecond
	_, err = register(t, cfg)
	if err == nil || !strings.Contains(err.Error(), "was not ready within 50ms") || !strings.Contains(err.Error(), "503") {
		t.Errorf("Register = %v", err)
	}
	if never.Count("/key/generate") != 0 {
		t.Errorf("generated before LiteLLM was ready")
	}
}

func TestRegisterFailsWhenTheReadBackDisagrees(t *testing.T) {
	// A key that keeps its old allowlist after an update (e.g. a LiteLLM that ignores
	// "models") must not pass as registered.
	stub := litellmstub.New(testMaster, litellmstub.Key{Value: testKey, Alias: testAlias, Models: []string{"old-model"}})
	defer stub.Close()
	var log bytes.Buffer
	cfg := testConfig(stub.URL, &log)
	cfg.HTTPClient = &http.Client{Transport: dropModels{}}
	_, err := register(t, cfg)
	if err == nil || !strings.Contains(err.Error(), `LiteLLM reports the key with alias "cloud-codex-cody" and models ["old-model"]`) {
		t.Errorf("Register = %v", err)
	}
}

func TestAdminBase(t *testing.T) {
	for in, want := range map[string]string{
		"http://litellm.ns.svc.cluster.local:4000/v1":  "http://litellm.ns.svc.cluster.local:4000",
		"http://litellm.ns.svc.cluster.local:4000/v1/": "http://litellm.ns.svc.cluster.local:4000",
		"http://litellm.ns.svc.cluster.local:4000":     "http://litellm.ns.svc.cluster.local:4000",
		"http://litellm:4000/":                         "http://litellm:4000",
		"https://gw.example.com/litellm/v1":            "https://gw.example.com/litellm",
	} {
		got, err := AdminBase(in)
		if err != nil || got != want {
			t.Errorf("AdminBase(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "litellm:4000", "ftp://x", "http://", "http://x/v1?a=b", "http://u:p@x"} {
		if got, err := AdminBase(bad); err == nil {
			t.Errorf("AdminBase(%q) = %q, want an error", bad, got)
		}
	}
}

func TestValidate(t *testing.T) {
	var log bytes.Buffer
	for name, edit := range map[string]func(*Config){
		"no master key":      func(c *Config) { c.MasterKey = "" },
		"master key format":  func(c *Config) { c.MasterKey = "master" },
		"no key":             func(c *Config) { c.Key = "" },
		"key format":         func(c *Config) { c.Key = "pk-" + strings.Repeat("a", 40) },
		"short key":          func(c *Config) { c.Key = "sk-short" },
		"key with newline":   func(c *Config) { c.Key = testKey + "\n" },
		"key is master":      func(c *Config) { c.Key = c.MasterKey },
		"no alias":           func(c *Config) { c.Alias = " " },
		"no models":          func(c *Config) { c.Models = nil },
		"empty model":        func(c *Config) { c.Models = []string{testModel, ""} },
		"url without scheme": func(c *Config) { c.URL = "litellm:4000" },
	} {
		cfg := testConfig("http://litellm:4000", &log)
		edit(&cfg)
		if err := cfg.Validate(); err == nil {
			t.Errorf("%s: Validate passed", name)
		} else if strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), testMaster) {
			t.Errorf("%s: a key leaked into %q", name, err)
		}
	}
	if err := testConfig("http://litellm:4000", &log).Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
}

// dropModels is a transport that removes "models" from /key/update bodies.
type dropModels struct{}

func (dropModels) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/key/update" && r.Body != nil {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		delete(body, "models")
		data, _ := json.Marshal(body)
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(data))
		r.ContentLength = int64(len(data))
	}
	return http.DefaultTransport.RoundTrip(r)
}
