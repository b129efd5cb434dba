package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConfigKeySpellsComponentFieldsAsConfigKeys(t *testing.T) {
	for field, want := range map[string]string{
		"Models[0].Alias":                 "models[0].alias",
		"Resources.CPULimit":              "resources.cpuLimit",
		"Resources.MemoryRequest":         "resources.memoryRequest",
		"Database.InCluster.StorageSize":  "database.inCluster.storageSize",
		"registry.apiUrl":                 "registry.apiUrl",
		"ID":                              "id",
		"Accounts.InRotation[1]":          "accounts.inRotation[1]",
		"codex.mcpServers.github.command": "codex.mcpServers.github.command",
	} {
		require.Equal(t, want, configKey(field), "configKey(%q)", field)
	}
}
