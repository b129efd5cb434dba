package components

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/validation"
)

// A name accepted at its maximum length stays valid in every object named after it, suffixes
// included, by the rule of the object's kind; and a name that becomes a Service's is a DNS-1035
// label (a letter first).
func TestLongestNamesStayValidAfterTheirSuffixes(t *testing.T) {
	valid := func(what, name string, check func(string) []string) {
		t.Helper()
		require.Empty(t, check(name), "%s %q", what, name)
	}
	// maxRevisionHash is the longest controller-revision-hash suffix (a uint32 in decimal): a
	// StatefulSet's pods carry <statefulset>-<hash> as a label value.
	const maxRevisionHash = "4294967295"

	agent := strings.Repeat("a", MaxAgentNameLen)
	require.NoError(t, CheckDNSLabel("name", agent, MaxAgentNameLen))
	for _, n := range []string{AgentResourceName(agent), AgentResourceName(agent) + "-config", AgentResourceName(agent) + "-scripts",
		AgentLiteLLMKeySecretName(agent), AgentTokenSecretName(agent)} {
		valid("agent object", n, validation.IsDNS1123Subdomain)
	}
	valid("agent label value", AgentResourceName(agent), validation.IsValidLabelValue)
	// A Job's name is its pods' job-name label value (at most 63).
	valid("key registration Job", AgentKeyJobName(agent, strings.Repeat("f", 10)), validation.IsValidLabelValue)
	// An agent name may start with a digit: every object is named cloud-codex-<name>, and no
	// agent object is a Service.
	require.NoError(t, CheckDNSLabel("name", "1cody", MaxAgentNameLen))

	pool := authPoolDevArgs()
	pool.Name = "p" + strings.Repeat("a", authPoolMaxNameLen-1)
	require.NoError(t, pool.Validate())
	d := pool.withDefaults()
	for _, n := range d.ObjectNames() {
		valid("pool object", n, validation.IsDNS1123Subdomain)
	}
	names := authPoolNamesFor(d)
	valid("pool Service", names.service, validation.IsDNS1035Label)
	valid("dev Postgres Service", names.database.postgres, validation.IsDNS1035Label)
	valid("dev Postgres revision label", names.database.postgres+"-"+maxRevisionHash, validation.IsValidLabelValue)
	valid("dev Postgres pod", names.database.postgres+"-0", validation.IsDNS1123Label)
	valid("dev Postgres claim", "data-"+names.database.postgres+"-0", validation.IsDNS1123Subdomain)
	valid("pool label value", d.Name, validation.IsValidLabelValue)

	instance := "p" + strings.Repeat("a", devDatabaseMaxInstanceLen-1)
	db := devDatabaseNamesFor(instance)
	valid("standalone dev Postgres revision label", db.postgres+"-"+maxRevisionHash, validation.IsValidLabelValue)
	valid("standalone dev Postgres Service", db.postgres, validation.IsDNS1035Label)
	valid("standalone dev Postgres claim", "data-"+db.postgres+"-0", validation.IsDNS1123Label)

	// Names that pass DNS-1123 but not DNS-1035 are refused where they name a Service.
	for _, name := range []string{"1pool", "0", "9-litellm"} {
		pool.Name = name
		require.ErrorContains(t, pool.Validate(), `name: invalid value "`+name+`": must start with a letter: it names a Service`)
		require.ErrorContains(t, DevDatabaseArgs{Instance: name}.validate(), "instance: invalid value")
	}
}
