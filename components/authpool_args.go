package components

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/contract"
	"cloud-codex/litellmconfig"
)

// Defaults of LiteLLMAuthPoolArgs. They are applied in one place, withDefaults.
const (
	// DefaultAuthPoolName is the Kubernetes name of the pool's objects and of the Service
	// the agents call.
	DefaultAuthPoolName = "litellm"
	// DefaultResponsesAlias is the model name codex agents ask LiteLLM for.
	DefaultResponsesAlias = "codex-cli/gpt-5.4"
	// DefaultResponsesUpstream is what the default alias maps to: the unprefixed chatgpt/
	// model, the only form that works on the Responses path.
	DefaultResponsesUpstream = "chatgpt/gpt-5.4"
	// DefaultRotationInterval is how often the rotator switches accounts.
	DefaultRotationInterval = "30m"
	// MinRotationInterval is the shortest rotation interval accepted.
	MinRotationInterval = 30 * time.Minute
	// DefaultAuthStorageSize is the size of the chatgpt-auth volume (token files plus the
	// device-auth station's pinned codex install).
	DefaultAuthStorageSize = "1Gi"
	// DefaultDatabaseSecretKey is the key of an existing Secret holding DATABASE_URL.
	DefaultDatabaseSecretKey = "DATABASE_URL"
	// DefaultInClusterDatabaseSize is the size of the dev Postgres volume.
	DefaultInClusterDatabaseSize = "2Gi"

	// authPoolMaxNameLen keeps derived names (`<name>-chatgpt-auth`, the Postgres
	// StatefulSet's `data-<name>-postgres-0` claim, pod names) within the 63-character limits.
	authPoolMaxNameLen = 40
	// authPoolMinLiteLLMMemory: LiteLLM (Python, Prisma migrations at boot) is OOM-killed
	// during start-up below this limit.
	authPoolMinLiteLLMMemory = "1Gi"
)

// authPoolRotationWhy is the reason a short rotation interval is refused.
const authPoolRotationWhy = "switching ChatGPT accounts more often than every 30 minutes from one address got sessions invalidated"

// DefaultAgentSelector returns the labels that identify this stack's agent pods (the
// CloudCodexAgent component labels its pods app.kubernetes.io/part-of=cloud-codex and
// app.kubernetes.io/component=agent). A NetworkPolicy pod selector only matches pods in
// the policy's own namespace, so together with Namespace it selects this stack's agents.
func DefaultAgentSelector() map[string]string {
	return map[string]string{
		contract.LabelPartOf:    PartOf,
		contract.LabelComponent: "agent",
	}
}

// AuthPoolModelPath is the API path a model alias is served on.
type AuthPoolModelPath string

const (
	// AuthPoolResponsesPath is the OpenAI Responses API, which codex agents speak. Its
	// upstream must be the unprefixed chatgpt/<model>.
	AuthPoolResponsesPath AuthPoolModelPath = "responses"
	// AuthPoolChatPath is the Chat Completions API (other clients). Its upstream must be
	// chatgpt/responses/<model>: LiteLLM bridges chat to the ChatGPT backend's responses.
	AuthPoolChatPath AuthPoolModelPath = "chat"
	// AuthPoolProviderPath is a model of another provider (upstream "<provider>/<model>",
	// e.g. "openai/gpt-4.1", "anthropic/claude-sonnet-4-5", "openai/text-embedding-3-small"),
	// served by LiteLLM as usual with the provider's key from a Secret (APIKeySecret). It is
	// never an agent's model: agents use a responses-path chatgpt/ alias. It is the default
	// Path of a model whose upstream is not chatgpt/.
	AuthPoolProviderPath AuthPoolModelPath = "provider"
)

// AuthPoolModel maps an alias clients ask for to a ChatGPT-subscription model.
type AuthPoolModel struct {
	// Alias is the model_name clients request, e.g. "codex-cli/gpt-5.4". Required.
	Alias string `json:"alias" pulumi:"alias"`
	// Upstream is LiteLLM's model: "chatgpt/<model>" on the responses path,
	// "chatgpt/responses/<model>" on the chat path. Required.
	Upstream string `json:"upstream" pulumi:"upstream"`
	// Path is the API path the alias serves. Default AuthPoolResponsesPath.
	Path AuthPoolModelPath `json:"path" pulumi:"path"`
	// Fallbacks are aliases of other models in Models LiteLLM tries, in order, when this
	// one fails: of the same Path, or provider-path models. Optional. Note that a fallback
	// hides failures of the primary model from the agents: watch LiteLLM's logs when you
	// use one.
	Fallbacks []string `json:"fallbacks" pulumi:"fallbacks"`
	// APIKeySecret holds the provider's API key of a provider-path model (LiteLLM reads it
	// from the environment: litellm_params.api_key = os.environ/...). nil: none (a provider
	// that needs no key). Not allowed on chatgpt/ models: they use the pool's token file.
	APIKeySecret *SecretRef `json:"apiKeySecret" pulumi:"apiKeySecret"`
	// APIBase is the provider's base URL of a provider-path model (litellm_params.api_base),
	// e.g. an Azure or self-hosted endpoint. Optional.
	APIBase string `json:"apiBase" pulumi:"apiBase"`
}

// DefaultAuthPoolModels is the default model list: the responses-path alias codex agents use.
func DefaultAuthPoolModels() []AuthPoolModel {
	return []AuthPoolModel{{Alias: DefaultResponsesAlias, Upstream: DefaultResponsesUpstream, Path: AuthPoolResponsesPath}}
}

// AuthPoolAccounts are the ChatGPT accounts (numbered from 1, stored as auth-N.json) the
// pool may hold.
type AuthPoolAccounts struct {
	// InRotation are the accounts the rotator hands to LiteLLM, round-robin in this order.
	// Default [1, 2].
	InRotation []int `json:"inRotation" pulumi:"inRotation"`
	// Reserved are accounts that may be logged in (auth-login N) and stored, but are never
	// read for use, refreshed or written by the rotator. Default none.
	Reserved []int `json:"reserved" pulumi:"reserved"`
}

// All returns the accounts in rotation followed by the reserved ones.
func (a AuthPoolAccounts) All() []int {
	return append(slices.Clone(a.InRotation), a.Reserved...)
}

// AuthPoolStorage is the chatgpt-auth volume.
type AuthPoolStorage struct {
	// Size of the claim. Default "1Gi".
	Size string `json:"size" pulumi:"size"`
	// StorageClass of the claim. Default "" (the cluster's default class).
	StorageClass string `json:"storageClass" pulumi:"storageClass"`
}

// AuthPoolSecretRef names a key of an existing Secret in the pool's Namespace (the shared
// SecretRef type, under the pool's name for its args).
type AuthPoolSecretRef = SecretRef

// AuthPoolInClusterDatabase is a single-replica Postgres StatefulSet for dev stacks, with a
// generated password. Its claim is retained when the StatefulSet is deleted.
type AuthPoolInClusterDatabase struct {
	// StorageSize of the data volume. Default "2Gi".
	StorageSize string `json:"storageSize" pulumi:"storageSize"`
	// StorageClass of the data volume. Default "" (the cluster's default class).
	StorageClass string `json:"storageClass" pulumi:"storageClass"`
}

// AuthPoolDatabase is LiteLLM's database (virtual keys). Set exactly one of the two.
type AuthPoolDatabase struct {
	// ExistingSecret is a Secret in Namespace whose Key (default "DATABASE_URL") holds a
	// postgresql:// URL. Use it for anything that must survive the stack.
	ExistingSecret *AuthPoolSecretRef `json:"existingSecret" pulumi:"existingSecret"`
	// InCluster asks for a dev Postgres next to LiteLLM. The pool does not declare it:
	// NewPoolDevDatabase does (main.go, for the stack config), and WithDevDatabase turns
	// it into ExistingSecret; NewLiteLLMAuthPool refuses args that still carry it.
	InCluster *AuthPoolInClusterDatabase `json:"inCluster" pulumi:"inCluster"`
	// WaitFor are what LiteLLM's Deployment waits for before it starts: the database's
	// own objects, set by WithDevDatabase. Not config.
	WaitFor []pulumi.Resource `json:"-" pulumi:"waitFor"`
}

// WithDevDatabase returns a copy of the args that reads db (declared by NewPoolDevDatabase
// for these args) as database.existingSecret, and starts LiteLLM after it.
func (a LiteLLMAuthPoolArgs) WithDevDatabase(db *DevDatabase) LiteLLMAuthPoolArgs {
	ref := db.URLSecret
	a.Database = AuthPoolDatabase{ExistingSecret: &ref, WaitFor: db.WaitFor}
	return a
}

// DefaultLiteLLMResources are the LiteLLM container's defaults: 1Gi request, 2Gi limit.
func DefaultLiteLLMResources() ResourcesArgs {
	return requestsAndLimits("250m", "1Gi", "2", "2Gi")
}

// LiteLLMAuthPoolArgs configures NewLiteLLMAuthPool. Zero values mean "the default". It is
// also the stack config's litellm key: the json tags are the keys (docs/config-reference.md);
// fields tagged json:"-" are not config, and the stack or main.go fills them.
// The pulumi tags name the inputs a component package would expose: the config key where
// there is one, so a program and a stack file spell every field alike.
type LiteLLMAuthPoolArgs struct {
	// Namespace all objects go to. It must already exist (main creates it). Required.
	// Config: the stack's namespace.
	Namespace string `json:"-" pulumi:"namespace"`
	// Name of the Kubernetes objects (Deployment, Service, ...). The Service name is part
	// of the agents' base URL. Default "litellm".
	Name string `json:"name" pulumi:"name"`
	// SkipAwait adds the pulumi.com/skipAwait annotation to every object (API-only
	// clusters, where nothing ever becomes ready). Default false. Config: the stack's
	// cluster.skipAwait.
	SkipAwait bool `json:"-" pulumi:"skipAwait"`

	// Image is the LiteLLM image, pinned by tag. Default DefaultLiteLLMImage (non-root).
	Image string `json:"image" pulumi:"image"`
	// Resources of the LiteLLM container. Default DefaultLiteLLMResources(); the memory
	// limit must be at least 1Gi.
	Resources *ResourcesArgs `json:"resources" pulumi:"resources"`

	// Models served. Default DefaultAuthPoolModels() (codex-cli/gpt-5.4 → chatgpt/gpt-5.4).
	Models []AuthPoolModel `json:"models" pulumi:"models"`
	// ResponsesAlias is the alias codex agents use (output ResponsesAlias). It must be a
	// responses-path model of Models. Default: the first responses-path model.
	ResponsesAlias string `json:"responsesAlias" pulumi:"responsesAlias"`

	// Accounts in rotation and reserved. Default InRotation [1, 2], Reserved none.
	Accounts AuthPoolAccounts `json:"accounts" pulumi:"accounts"`
	// RotationInterval is how often the rotator switches accounts, a Go duration.
	// Default "30m"; shorter is refused (sessions got invalidated).
	RotationInterval string `json:"rotationInterval" pulumi:"rotationInterval"`

	// AuthStorage is the chatgpt-auth volume. Default 1Gi, default storage class.
	AuthStorage AuthPoolStorage `json:"authStorage" pulumi:"authStorage"`

	// Database for LiteLLM's virtual keys: exactly one of ExistingSecret or InCluster.
	// Required.
	Database AuthPoolDatabase `json:"database" pulumi:"database"`

	// CodexVersion is the @openai/codex version of the device-auth station.
	// Default DefaultCodexVersion (the agents' default).
	CodexVersion string `json:"codexVersion" pulumi:"codexVersion"`

	// Placement of the pool's pods (LiteLLM and, with Database.InCluster, the dev
	// Postgres): node selector, tolerations, affinity, priority class. Default: none.
	Placement PlacementArgs `json:"placement" pulumi:"placement"`

	// Upstream overrides OpenAI's endpoints (an egress gateway; the running-system test's
	// stand-in). Default: OpenAI's own.
	Upstream AuthPoolUpstream `json:"upstream" pulumi:"upstream"`

	// AgentSelector are the pod labels the NetworkPolicy admits to port 4000, in Namespace.
	// Default DefaultAgentSelector(). Must not be empty (that would admit every pod).
	AgentSelector map[string]string `json:"-" pulumi:"agentSelector"`
}

// withDefaults returns a copy of a with every default filled in. It is the only place
// defaults are applied.
func (a LiteLLMAuthPoolArgs) withDefaults() LiteLLMAuthPoolArgs {
	if a.Name == "" {
		a.Name = DefaultAuthPoolName
	}
	if a.Image == "" {
		a.Image = DefaultLiteLLMImage
	}
	res := DefaultLiteLLMResources()
	if a.Resources != nil {
		r := *a.Resources
		res = requestsAndLimits(
			cmp.Or(r.Requests.CPU, res.Requests.CPU), cmp.Or(r.Requests.Memory, res.Requests.Memory),
			cmp.Or(r.Limits.CPU, res.Limits.CPU), cmp.Or(r.Limits.Memory, res.Limits.Memory))
	}
	a.Resources = &res

	if len(a.Models) == 0 {
		a.Models = DefaultAuthPoolModels()
	} else {
		models := make([]AuthPoolModel, len(a.Models))
		for i, m := range a.Models {
			if m.Path == "" {
				m.Path = AuthPoolResponsesPath
				if !strings.HasPrefix(m.Upstream, litellmconfig.ChatGPTPrefix) {
					m.Path = AuthPoolProviderPath
				}
			}
			m.Fallbacks = slices.Clone(m.Fallbacks)
			if m.APIKeySecret != nil {
				k := *m.APIKeySecret
				m.APIKeySecret = &k
			}
			models[i] = m
		}
		a.Models = models
	}
	if a.ResponsesAlias == "" {
		for _, m := range a.Models {
			if m.Path == AuthPoolResponsesPath {
				a.ResponsesAlias = m.Alias
				break
			}
		}
	}

	if a.Accounts.InRotation == nil {
		a.Accounts.InRotation = []int{1, 2}
	} else {
		a.Accounts.InRotation = slices.Clone(a.Accounts.InRotation)
	}
	a.Accounts.Reserved = slices.Clone(a.Accounts.Reserved)
	if a.RotationInterval == "" {
		a.RotationInterval = DefaultRotationInterval
	}
	if a.AuthStorage.Size == "" {
		a.AuthStorage.Size = DefaultAuthStorageSize
	}
	if s := a.Database.ExistingSecret; s != nil {
		c := *s
		if c.Key == "" {
			c.Key = DefaultDatabaseSecretKey
		}
		a.Database.ExistingSecret = &c
	}
	if d := a.Database.InCluster; d != nil {
		c := *d
		if c.StorageSize == "" {
			c.StorageSize = DefaultInClusterDatabaseSize
		}
		a.Database.InCluster = &c
	}
	if a.CodexVersion == "" {
		a.CodexVersion = DefaultCodexVersion
	}
	a.Placement = a.Placement.clone()
	if a.AgentSelector == nil {
		a.AgentSelector = DefaultAgentSelector()
	} else {
		a.AgentSelector = maps.Clone(a.AgentSelector)
	}
	return a
}

var (
	authPoolAliasRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]*$`)
	authPoolModelRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]*$`)
)

// validate checks defaulted args (call withDefaults first). It reports every problem at
// once; each error is a *FieldError naming the field and the fix.
func (a LiteLLMAuthPoolArgs) validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	add(CheckDNSLabel("namespace", a.Namespace, 63))
	// The pool's Service (and, with database.inCluster, the dev Postgres' Service
	// "<name>-postgres") is named after it.
	add(CheckServiceName("name", a.Name, authPoolMaxNameLen))
	errs = append(errs, a.validateImage()...)
	add(a.Resources.validate("resources", authPoolMinLiteLLMMemory))

	errs = append(errs, a.validateModels()...)
	errs = append(errs, a.Placement.validate("placement")...)
	errs = append(errs, a.Upstream.validate()...)
	errs = append(errs, a.validateAccounts()...)

	_, err := CheckMinDuration("rotationInterval", a.RotationInterval, MinRotationInterval, authPoolRotationWhy)
	add(err)

	add(CheckStorageSize("authStorage.size", a.AuthStorage.Size))
	add(authPoolCheckStorageClass("authStorage.storageClass", a.AuthStorage.StorageClass))

	errs = append(errs, a.validateDatabase()...)

	add(CheckExactVersion("codexVersion", a.CodexVersion, DefaultCodexVersion))

	if len(a.AgentSelector) == 0 {
		add(&FieldError{"agentSelector", "{}", "must name at least one label: an empty selector would admit every pod of the namespace to LiteLLM; leave it nil for the default " + fmt.Sprint(DefaultAgentSelector())})
	}
	for _, k := range slices.Sorted(maps.Keys(a.AgentSelector)) {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			add(&FieldError{"agentSelector", fmt.Sprintf("key %q", k), "must be a label key: " + strings.Join(msgs, "; ")})
		}
		if v := a.AgentSelector[k]; v == "" {
			add(&FieldError{"agentSelector", fmt.Sprintf("%s=%q", k, v), "label values must not be empty"})
		} else if msgs := validation.IsValidLabelValue(v); len(msgs) > 0 {
			add(&FieldError{"agentSelector", fmt.Sprintf("%s=%q", k, v), "must be a label value: " + strings.Join(msgs, "; ")})
		}
	}
	return errors.Join(errs...)
}

func (a LiteLLMAuthPoolArgs) validateModels() []error {
	var errs []error
	byAlias := map[string]AuthPoolModel{}
	for i, m := range a.Models {
		f := fmt.Sprintf("models[%d]", i)
		switch {
		case m.Alias == "":
			errs = append(errs, &FieldError{f + ".alias", `""`, "required: the model name clients ask for, e.g. " + DefaultResponsesAlias})
		case !authPoolAliasRE.MatchString(m.Alias):
			errs = append(errs, &FieldError{f + ".alias", fmt.Sprintf("%q", m.Alias), "use letters, digits and . _ : / - only"})
		default:
			if _, dup := byAlias[m.Alias]; dup {
				errs = append(errs, &FieldError{f + ".alias", fmt.Sprintf("%q", m.Alias), "is listed twice; every alias must be unique"})
			}
			byAlias[m.Alias] = m
		}
		switch m.Path {
		case AuthPoolResponsesPath:
			model, ok := strings.CutPrefix(m.Upstream, litellmconfig.ChatGPTPrefix)
			switch {
			case strings.HasPrefix(m.Upstream, litellmconfig.ChatGPTResponsesPrefix):
				errs = append(errs, &FieldError{f + ".upstream", fmt.Sprintf("%q", m.Upstream), fmt.Sprintf(
					"a responses-path alias must map to the unprefixed %s<model> (e.g. %q): %s<model> leaks \"responses/\" upstream on the Responses path and fails with 400; use path %q for chat-path aliases",
					litellmconfig.ChatGPTPrefix, DefaultResponsesUpstream, litellmconfig.ChatGPTResponsesPrefix, AuthPoolChatPath)})
			case !ok || !authPoolModelRE.MatchString(model) || !litellmconfig.IsResponsesPathModel(m.Upstream):
				errs = append(errs, &FieldError{f + ".upstream", fmt.Sprintf("%q", m.Upstream), fmt.Sprintf("a responses-path alias must map to %s<model>, e.g. %q", litellmconfig.ChatGPTPrefix, DefaultResponsesUpstream)})
			}
		case AuthPoolChatPath:
			model, ok := strings.CutPrefix(m.Upstream, litellmconfig.ChatGPTResponsesPrefix)
			if !ok || !authPoolModelRE.MatchString(model) {
				errs = append(errs, &FieldError{f + ".upstream", fmt.Sprintf("%q", m.Upstream), fmt.Sprintf("a chat-path alias must map to %s<model>, e.g. %q", litellmconfig.ChatGPTResponsesPrefix, litellmconfig.ChatGPTResponsesPrefix+"gpt-5.4")})
			}
		case AuthPoolProviderPath:
			errs = append(errs, validateProviderModel(f, m)...)
		default:
			errs = append(errs, &FieldError{f + ".path", fmt.Sprintf("%q", m.Path), fmt.Sprintf("must be %q (codex agents), %q or %q (another provider's model)", AuthPoolResponsesPath, AuthPoolChatPath, AuthPoolProviderPath)})
		}
		if m.Path != AuthPoolProviderPath && m.APIKeySecret != nil {
			errs = append(errs, &FieldError{f + ".apiKeySecret", m.APIKeySecret.Name, "only provider-path models take a provider key: chatgpt/ models use the pool's ChatGPT token file"})
		}
	}
	for i, m := range a.Models {
		seen := map[string]bool{}
		for j, fb := range m.Fallbacks {
			f := fmt.Sprintf("models[%d].fallbacks[%d]", i, j)
			target, ok := byAlias[fb]
			switch {
			case fb == m.Alias:
				errs = append(errs, &FieldError{f, fmt.Sprintf("%q", fb), "a model cannot fall back to itself"})
			case !ok:
				errs = append(errs, &FieldError{f, fmt.Sprintf("%q", fb), "must be the alias of another entry of models"})
			case target.Path != m.Path && target.Path != AuthPoolProviderPath:
				errs = append(errs, &FieldError{f, fmt.Sprintf("%q", fb), fmt.Sprintf("is a %s-path alias but %q is %s-path: a fallback must serve the same API path, or be a provider-path model", target.Path, m.Alias, m.Path)})
			case seen[fb]:
				errs = append(errs, &FieldError{f, fmt.Sprintf("%q", fb), "is listed twice"})
			}
			seen[fb] = true
		}
	}
	if a.ResponsesAlias == "" {
		// withDefaults found no responses-path entry to default to.
		errs = append(errs, &FieldError{"responsesAlias", `""`, fmt.Sprintf(
			"models has no responses-path entry, and codex agents need one (their default codex.model is this alias): add one mapped to %s<model>, e.g. {alias: %q, upstream: %q}, and keep the other providers' models as fallbacks or for other clients",
			litellmconfig.ChatGPTPrefix, DefaultResponsesAlias, DefaultResponsesUpstream)})
	} else if m, ok := byAlias[a.ResponsesAlias]; !ok || m.Path != AuthPoolResponsesPath {
		errs = append(errs, &FieldError{"responsesAlias", fmt.Sprintf("%q", a.ResponsesAlias), fmt.Sprintf(
			"must be the alias of a responses-path entry of models (mapped to %s<model>): codex agents use it, and another provider's model (path %q) is never an agent's model; keep a chatgpt/ model for the agents and use the others as fallbacks or for other clients",
			litellmconfig.ChatGPTPrefix, AuthPoolProviderPath)})
	}
	return errs
}

func (a LiteLLMAuthPoolArgs) validateAccounts() []error {
	var errs []error
	if len(a.Accounts.InRotation) == 0 {
		errs = append(errs, &FieldError{"accounts.inRotation", "[]", "needs at least one account number (default [1, 2]); leave it nil for the default"})
	}
	seen := map[int]string{}
	for _, set := range []struct {
		field string
		ns    []int
	}{{"accounts.inRotation", a.Accounts.InRotation}, {"accounts.reserved", a.Accounts.Reserved}} {
		for i, n := range set.ns {
			f := fmt.Sprintf("%s[%d]", set.field, i)
			if n <= 0 {
				errs = append(errs, &FieldError{f, n, "account numbers start at 1 (the account's token file is auth-N.json)"})
				continue
			}
			if prev, dup := seen[n]; dup {
				fix := "is listed twice; list every account once"
				if prev != set.field {
					fix = fmt.Sprintf("is already in %s: an account is either in rotation or reserved, not both", prev)
				}
				errs = append(errs, &FieldError{f, n, fix})
				continue
			}
			seen[n] = set.field
		}
	}
	return errs
}

func (a LiteLLMAuthPoolArgs) validateDatabase() []error {
	d := a.Database
	switch {
	case d.ExistingSecret == nil && d.InCluster == nil:
		return []error{&FieldError{"database", "{}", "set database.existingSecret (a Secret holding DATABASE_URL; production) or database.inCluster (a dev Postgres in the cluster)"}}
	case d.ExistingSecret != nil && d.InCluster != nil:
		return []error{&FieldError{"database", "both existingSecret and inCluster", "set exactly one of database.existingSecret and database.inCluster"}}
	}
	var errs []error
	if s := d.ExistingSecret; s != nil {
		if s.Name == "" {
			errs = append(errs, &FieldError{"database.existingSecret.name", `""`, "required: the name of a Secret in the namespace whose key holds DATABASE_URL"})
		} else if msgs := validation.IsDNS1123Subdomain(s.Name); len(msgs) > 0 {
			errs = append(errs, &FieldError{"database.existingSecret.name", fmt.Sprintf("%q", s.Name), "must be a Secret name: " + strings.Join(msgs, "; ")})
		}
		if msgs := validation.IsConfigMapKey(s.Key); len(msgs) > 0 {
			errs = append(errs, &FieldError{"database.existingSecret.key", fmt.Sprintf("%q", s.Key), "must be a Secret key (default DATABASE_URL): " + strings.Join(msgs, "; ")})
		}
	}
	if c := d.InCluster; c != nil {
		if err := CheckStorageSize("database.inCluster.storageSize", c.StorageSize); err != nil {
			errs = append(errs, err)
		}
		if err := authPoolCheckStorageClass("database.inCluster.storageClass", c.StorageClass); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func authPoolCheckStorageClass(field, v string) error {
	if v == "" {
		return nil
	}
	if msgs := validation.IsDNS1123Subdomain(v); len(msgs) > 0 {
		return &FieldError{field, fmt.Sprintf("%q", v), "must be a StorageClass name, or empty for the cluster default: " + strings.Join(msgs, "; ")}
	}
	return nil
}
