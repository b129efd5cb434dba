package rules

import (
	"fmt"
	"slices"
	"strings"
)

// This file answers "does RBAC declared in this stack let someone into the auth pool":
// the components create no RBAC, so a Role or ClusterRole the stack declares and binds to a
// subject is someone else's, and these grants reach past the pool's boundary without any
// workload of the stack doing so:
//   - pods/exec, pods/attach, pods/ephemeralcontainers, or creating pods, in the holder's
//     namespace: a shell in the holder (or a pod of one's own mounting its claim) reads
//     the ChatGPT credential files (no-codex-credentials-outside-auth-pool); so does
//     patching a pod (its containers' images can be replaced: the holder's pod then runs
//     another image next to its auth volume), and creating, updating or patching any
//     built-in workload that makes pods from a template (deployments, replicasets,
//     statefulsets, daemonsets, jobs, cronjobs, replicationcontrollers: the controller
//     starts a pod mounting the auth claim for the subject, who needs no pods permission);
//     a create cannot be restricted by resourceNames (the API server grants no create
//     through such a rule), an update or patch of any named workload can add the claim;
//   - nodes/proxy (get or create) through a ClusterRoleBinding: the kubelet's API on the
//     holder's node runs commands in any of its containers (/exec, /run) and reads its
//     pods, past the pods/exec authorization;
//   - impersonate on users or groups through a ClusterRoleBinding, unrestricted or naming
//     system:masters: the subject can act as a cluster administrator, who can do all of the
//     above. Impersonating service accounts, and serviceaccounts/token create, are not
//     counted: they give the rights of a service account, and any grant of the above to a
//     service account the stack makes is itself reported on its binding;
//   - get, list or watch on secrets in a pool Secret's namespace: LiteLLM's master key,
//     salt key, database URL (litellm-pool-secrets-only-in-pool);
//   - deployments (or statefulsets, replicasets) scale, update or patch in a single writer's
//     namespace: `kubectl scale --replicas=2` runs a second pod on its ReadWriteOnce or auth
//     volume (single-writer-not-scaled-from-outside).
//
// A RoleBinding grants in its namespace, a ClusterRoleBinding in every namespace. The role
// is the stack's Role/ClusterRole of that name (an aggregated ClusterRole: the stack's
// ClusterRoles its selectors match), or one of Kubernetes' default ClusterRoles
// (cluster-admin, admin, edit) when the stack does not declare it. Rules match as the API
// server matches them ("*" for groups, resources and verbs, "*/exec" for a subresource,
// resourceNames restricting to those objects). Each grant is reported on its binding.

// rbacAccess is a class of access into the pool, each checked by one rule.
type rbacAccess int

const (
	rbacIntoHolder rbacAccess = iota
	rbacPoolSecrets
	rbacScaleWriter
)

// policyRule is one RBAC rule.
type policyRule struct {
	APIGroups     []string `json:"apiGroups"`
	Resources     []string `json:"resources"`
	Verbs         []string `json:"verbs"`
	ResourceNames []string `json:"resourceNames"`
}

// permission is what a class of access needs: a resource (with its subresource) of a
// group, one of the verbs.
type permission struct {
	Group, Resource string
	Verbs           []string
	// ClusterScoped: the resource is not namespaced, so only a ClusterRoleBinding grants it.
	ClusterScoped bool
	// AnyName: a resourceNames entry restricts it to objects any of which reach the pool
	// (a workload that can be changed to mount the auth claim); Create: a resourceNames
	// rule never grants it (the API server cannot restrict create by name).
	AnyName, Create bool
	// Names, when set, are the only resourceNames that reach the pool (impersonation).
	Names []string
}

var rbacPermissions = map[rbacAccess][]permission{
	rbacIntoHolder: {
		{Resource: "pods/exec", Verbs: []string{"create", "get"}}, {Resource: "pods/attach", Verbs: []string{"create", "get"}},
		{Resource: "pods/ephemeralcontainers", Verbs: []string{"update", "patch"}}, {Resource: "pods", Verbs: []string{"create"}, Create: true},
		{Resource: "pods", Verbs: []string{"update", "patch"}},
		{Group: "apps", Resource: "deployments", Verbs: workloadVerbs, AnyName: true},
		{Group: "apps", Resource: "replicasets", Verbs: workloadVerbs, AnyName: true},
		{Group: "apps", Resource: "statefulsets", Verbs: workloadVerbs, AnyName: true},
		{Group: "apps", Resource: "daemonsets", Verbs: workloadVerbs, AnyName: true},
		{Group: "batch", Resource: "jobs", Verbs: workloadVerbs, AnyName: true},
		{Group: "batch", Resource: "cronjobs", Verbs: workloadVerbs, AnyName: true},
		{Resource: "replicationcontrollers", Verbs: workloadVerbs, AnyName: true},
		{Resource: "nodes/proxy", Verbs: []string{"get", "create"}, ClusterScoped: true, AnyName: true},
		{Resource: "users", Verbs: []string{"impersonate"}, ClusterScoped: true, Names: []string{"system:admin"}},
		{Resource: "groups", Verbs: []string{"impersonate"}, ClusterScoped: true, Names: []string{"system:masters"}},
	},
	rbacPoolSecrets: {{Resource: "secrets", Verbs: []string{"get", "list", "watch"}}},
	rbacScaleWriter: {
		{Group: "apps", Resource: "deployments/scale", Verbs: []string{"update", "patch"}}, {Group: "apps", Resource: "deployments", Verbs: []string{"update", "patch"}},
		{Group: "apps", Resource: "statefulsets/scale", Verbs: []string{"update", "patch"}}, {Group: "apps", Resource: "replicasets/scale", Verbs: []string{"update", "patch"}},
	},
}

// workloadVerbs make a built-in workload run a pod from a template of the subject's.
var workloadVerbs = []string{"create", "update", "patch"}

// defaultClusterRoles are the parts of Kubernetes' default user-facing ClusterRoles that
// matter here (admin and edit hold all of them, view none).
var defaultClusterRoles = map[string][]policyRule{
	"cluster-admin": {{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}},
	"admin":         defaultEditRules,
	"edit":          defaultEditRules,
}

var defaultEditRules = []policyRule{
	{APIGroups: []string{""}, Resources: []string{"pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"},
		Verbs: []string{"create", "delete", "deletecollection", "patch", "update", "get", "list", "watch"}},
	{APIGroups: []string{""}, Resources: []string{"pods/ephemeralcontainers"}, Verbs: []string{"patch", "update"}},
	{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"create", "delete", "deletecollection", "patch", "update", "get", "list", "watch"}},
	{APIGroups: []string{"apps"}, Resources: []string{"daemonsets", "deployments", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"},
		Verbs: []string{"create", "delete", "deletecollection", "patch", "update", "get", "list", "watch"}},
	{APIGroups: []string{"batch"}, Resources: []string{"cronjobs", "jobs"},
		Verbs: []string{"create", "delete", "deletecollection", "patch", "update", "get", "list", "watch"}},
	{APIGroups: []string{""}, Resources: []string{"replicationcontrollers", "replicationcontrollers/scale"},
		Verbs: []string{"create", "delete", "deletecollection", "patch", "update", "get", "list", "watch"}},
}

// allows reports whether the rule grants the permission on an object named name ("" = any).
func (r policyRule) allows(p permission, names func(string) bool) bool {
	if !slices.Contains(r.APIGroups, "*") && !slices.Contains(r.APIGroups, p.Group) {
		return false
	}
	_, sub, hasSub := strings.Cut(p.Resource, "/")
	resource := false
	for _, rr := range r.Resources {
		if rr == "*" || rr == p.Resource || (hasSub && rr == "*/"+sub) {
			resource = true
		}
	}
	if !resource {
		return false
	}
	verb := slices.Contains(r.Verbs, "*")
	for _, v := range p.Verbs {
		verb = verb || slices.Contains(r.Verbs, v)
	}
	if !verb {
		return false
	}
	if len(r.ResourceNames) == 0 {
		return true
	}
	switch {
	case len(p.Names) > 0:
		return slices.ContainsFunc(r.ResourceNames, func(n string) bool { return slices.Contains(p.Names, n) })
	case p.Create && !slices.ContainsFunc(p.Verbs, func(v string) bool { return v != "create" && slices.Contains(r.Verbs, v) }) && !slices.Contains(r.Verbs, "*"):
		// Only create is granted, and a resourceNames rule grants no create; the
		// historical check (a name of the holder's pods) is kept for pods.
		return slices.ContainsFunc(r.ResourceNames, names)
	case p.AnyName:
		// Any named object reaches the pool, through a verb other than create.
		return slices.Contains(r.Verbs, "*") || slices.ContainsFunc(p.Verbs, func(v string) bool { return v != "create" && slices.Contains(r.Verbs, v) })
	}
	return slices.ContainsFunc(r.ResourceNames, names)
}

type rbacRole struct {
	Rules           []policyRule `json:"rules"`
	AggregationRule *struct {
		ClusterRoleSelectors []struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"clusterRoleSelectors"`
	} `json:"aggregationRule"`
}

type rbacBinding struct {
	RoleRef struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"roleRef"`
	Subjects []struct {
		Kind      string `json:"kind"`
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"subjects"`
}

// roleRules returns the rules of the role a binding in namespace ns refers to, and a
// description of it.
func (s *Stack) roleRules(ns, kind, name string) ([]policyRule, string) {
	var rules []policyRule
	found := false
	var aggregated []map[string]string
	for _, r := range s.Resources {
		if r.kindOf() != kind {
			continue
		}
		m := s.metaOf(r)
		if m.Name != name || (kind == "Role" && !sameNamespace(m.Namespace, ns)) {
			continue
		}
		var role rbacRole
		decode(r.Props, &role)
		rules = append(rules, role.Rules...)
		found = true
		if role.AggregationRule != nil {
			for _, sel := range role.AggregationRule.ClusterRoleSelectors {
				aggregated = append(aggregated, sel.MatchLabels)
			}
		}
	}
	for _, sel := range aggregated {
		for _, r := range s.Resources {
			if r.kindOf() == "ClusterRole" && selects(sel, s.metaOf(r).Labels) {
				var role rbacRole
				decode(r.Props, &role)
				rules = append(rules, role.Rules...)
			}
		}
	}
	if !found && kind == "ClusterRole" {
		if d, ok := defaultClusterRoles[name]; ok {
			return d, fmt.Sprintf("the default ClusterRole %s", quote(name))
		}
	}
	return rules, fmt.Sprintf("%s %s", kind, quote(name))
}

// rbacTarget is what one class of access reaches: the namespaces it matters in and the
// objects a resourceNames entry may name.
type rbacTarget struct {
	what       string
	namespaces []string
	names      func(permission, string) bool
}

func (s *Stack) rbacTargetOf(a rbacAccess) rbacTarget {
	var t rbacTarget
	switch a {
	case rbacIntoHolder:
		t.what = "the auth pool's holder runs, so it reaches into the holder's pod and its auth volume"
		for _, h := range s.authHolders() {
			t.namespaces = append(t.namespaces, h.W.Meta.Namespace)
		}
		t.names = func(_ permission, n string) bool {
			for _, h := range s.authHolders() {
				if podOf(n, h.W.Kind, h.W.Meta.Name) {
					return true
				}
			}
			return false
		}
	case rbacPoolSecrets:
		t.what = "the LiteLLM pool's Secrets are (master key, salt key, database URL)"
		secrets := s.poolSecrets()
		for _, p := range secrets {
			t.namespaces = append(t.namespaces, p.Key.Namespace)
		}
		t.names = func(_ permission, n string) bool {
			return slices.ContainsFunc(secrets, func(p poolSecret) bool { return p.Key.Name == n })
		}
	case rbacScaleWriter:
		t.what = "a single writer runs, so it can run a second pod on its ReadWriteOnce or auth volume"
		writers := s.singleWriters()
		for _, w := range writers {
			t.namespaces = append(t.namespaces, w.W.Meta.Namespace)
		}
		t.names = func(_ permission, n string) bool {
			return slices.ContainsFunc(writers, func(w StackWorkload) bool { return w.W.Meta.Name == n })
		}
	}
	return t
}

// rbacViolations returns one violation per binding of the stack that grants a subject one
// class of access where it reaches into the pool.
func (s *Stack) rbacViolations(a rbacAccess) []Violation {
	var bindings []*Resource
	for _, r := range s.Resources {
		if k := r.kindOf(); k == "RoleBinding" || k == "ClusterRoleBinding" {
			bindings = append(bindings, r)
		}
	}
	if len(bindings) == 0 {
		return nil
	}
	t := s.rbacTargetOf(a)
	if len(t.namespaces) == 0 {
		return nil
	}
	var out []Violation
	for _, r := range bindings {
		var b rbacBinding
		decode(r.Props, &b)
		if len(b.Subjects) == 0 {
			continue
		}
		kind := r.kindOf()
		ns := s.metaOf(r).Namespace
		scope := "in every namespace"
		if kind == "RoleBinding" {
			if !slices.ContainsFunc(t.namespaces, func(n string) bool { return sameNamespace(n, ns) }) {
				continue
			}
			scope = "in namespace " + quote(ns)
		}
		rules, role := s.roleRules(ns, b.RoleRef.Kind, b.RoleRef.Name)
		var granted []string
		for _, p := range rbacPermissions[a] {
			if p.ClusterScoped && kind != "ClusterRoleBinding" {
				continue // a RoleBinding grants nothing on cluster-scoped resources
			}
			for _, rule := range rules {
				if rule.allows(p, func(n string) bool { return t.names(p, n) }) {
					granted = append(granted, p.Resource+" ("+strings.Join(p.Verbs, "/")+")")
					break
				}
			}
		}
		if len(granted) == 0 {
			continue
		}
		var subjects []string
		for _, sub := range b.Subjects {
			n := sub.Name
			if sub.Namespace != "" {
				n = sub.Namespace + "/" + n
			}
			subjects = append(subjects, sub.Kind+" "+quote(n))
		}
		out = append(out, Violation{URN: r.URN, Message: fmt.Sprintf(
			"%s %s binds %s to %s: it grants %s %s, where %s. The stack's components create no RBAC; "+
				"give the subject what it needs outside the pool's namespace.",
			kind, quote(s.metaOf(r).Name), role, strings.Join(subjects, ", "), strings.Join(granted, ", "), scope, t.what)})
	}
	return out
}
