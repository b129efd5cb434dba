package config

import (
	"reflect"

	"cloud-codex/components"
)

// PoolArgs converts the litellm key into the LiteLLMAuthPool's args.
func (s Stack) PoolArgs() components.LiteLLMAuthPoolArgs {
	l := s.LiteLLM
	models := make([]components.AuthPoolModel, 0, len(l.Models))
	for _, m := range l.Models {
		models = append(models, components.AuthPoolModel{
			Alias: m.Alias, Upstream: m.Upstream, Path: components.AuthPoolModelPath(m.Path), Fallbacks: m.Fallbacks,
			APIKeySecret: m.APIKeySecret, APIBase: m.APIBase,
		})
	}
	if len(models) == 0 {
		models = nil
	}
	args := components.LiteLLMAuthPoolArgs{
		Namespace:        s.Namespace,
		Name:             l.Name,
		SkipAwait:        s.SkipAwait(),
		Image:            l.Image,
		Models:           models,
		ResponsesAlias:   l.ResponsesAlias,
		Accounts:         components.AuthPoolAccounts{InRotation: l.Accounts.InRotation, Reserved: l.Accounts.Reserved},
		RotationInterval: l.RotationInterval,
		AuthStorage:      components.AuthPoolStorage{Size: l.AuthStorage.Size, StorageClass: l.AuthStorage.StorageClass},
		CodexVersion:     l.CodexVersion,
		Placement:        l.Placement.args(),
		Upstream:         components.AuthPoolUpstream{ChatGPTAPIBase: l.Upstream.ChatGPTAPIBase, OAuthTokenURL: l.Upstream.OAuthTokenURL},
	}
	if l.Resources != nil {
		args.Resources = l.Resources
	}
	if r := l.Database.ExistingSecret; r != nil {
		args.Database.ExistingSecret = &components.AuthPoolSecretRef{Name: r.Name, Key: r.Key}
	}
	if d := l.Database.InCluster; d != nil {
		args.Database.InCluster = &components.AuthPoolInClusterDatabase{StorageSize: d.StorageSize, StorageClass: d.StorageClass}
	}
	return args
}

func (s Stack) validatePool() error {
	if err := s.PoolArgs().Validate(); err != nil {
		return atPath(Namespace+":litellm", reflect.TypeOf(LiteLLM{}), err, poolFieldKeys)
	}
	return nil
}

// poolFieldKeys maps the pool's field names where the config key is spelt differently.
var poolFieldKeys = map[string]string{
	"resources.cpuRequest":    "resources.requests.cpu",
	"resources.memoryRequest": "resources.requests.memory",
	"resources.cpuLimit":      "resources.limits.cpu",
	"resources.memoryLimit":   "resources.limits.memory",
}

// servedModels are the responses-path aliases the pool serves: what an agent's model may be.
func (s Stack) servedModels() []string {
	args := s.PoolArgs()
	if len(args.Models) == 0 {
		args.Models = components.DefaultAuthPoolModels()
	}
	var out []string
	for _, m := range args.Models {
		if m.Path == "" || m.Path == components.AuthPoolResponsesPath {
			out = append(out, m.Alias)
		}
	}
	return out
}
