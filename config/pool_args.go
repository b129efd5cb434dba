package config

import "cloud-codex/components"

// PoolArgs converts the litellm key into the LiteLLMAuthPool's args.
func (s Stack) PoolArgs() components.LiteLLMAuthPoolArgs {
	l := s.LiteLLM
	models := make([]components.AuthPoolModel, 0, len(l.Models))
	for _, m := range l.Models {
		models = append(models, components.AuthPoolModel{
			Alias: m.Alias, Upstream: m.Upstream, Path: components.AuthPoolModelPath(m.Path), Fallbacks: m.Fallbacks,
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
	}
	if l.Resources != nil {
		args.Resources = &components.AuthPoolResources{
			CPURequest: l.Resources.Requests.CPU, MemoryRequest: l.Resources.Requests.Memory,
			CPULimit: l.Resources.Limits.CPU, MemoryLimit: l.Resources.Limits.Memory,
		}
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
		return atPath(Namespace+":litellm", err)
	}
	return nil
}
