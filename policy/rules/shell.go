package rules

import (
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"cloud-codex/codexauth"
	"cloud-codex/contract"
)

// This file reads what a container runs (its command and args, hooks, exec probes, and the
// scripts it mounts from the stack's ConfigMaps and Secrets) for the few things the rules
// need to find: a `codex login`, a credential variable assigned in the shell, a file
// written under a credential's name, and codex's -c config overrides. It is not a shell
// parser: it splits words and shell separators, drops quotes, and expands the variables
// whose values the stack knows, which is enough to find these shapes without guessing at
// anything else.

// shellSeparator stands for a shell separator (; & | newline parentheses backticks braces).
const shellSeparator = "\x00;"

// shellRedirect stands for an output redirection (> or >>).
const shellRedirect = "\x00>"

// unresolvedCodexHome replaces an unresolved $CODEX_HOME, so that a path under it is still
// recognised as the codex home (the variable names it whatever its value).
const unresolvedCodexHome = "/\x00CODEX_HOME"

// shellVarRef is a shell variable reference: $NAME or ${NAME} (also ${NAME:-x} and the like).
var shellVarRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// expandShellVars replaces the shell variables whose values env knows. CODEX_HOME, when
// unknown, becomes unresolvedCodexHome; other unknown variables are kept as $NAME.
func expandShellVars(s string, env map[string]EnvValue) string {
	if !strings.Contains(s, "$") {
		return s
	}
	return shellVarRef.ReplaceAllStringFunc(s, func(m string) string {
		sub := shellVarRef.FindStringSubmatch(m)
		name := sub[1] + sub[2]
		if v, ok := env[name]; ok && v.Known {
			return v.Value
		}
		if name == contract.CodexHomeEnv {
			return unresolvedCodexHome
		}
		return "$" + name
	})
}

// shellText is what a container runs, ready to scan: Kubernetes' $(VAR) references and the
// known shell variables expanded.
func shellText(argv []string, env map[string]EnvValue) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		parts[i] = expandK8sRefs(a, env)
	}
	return expandShellVars(strings.Join(parts, " "), env)
}

// shellTokens splits a command line into words, dropping quotes and comments and turning
// shell separators into shellSeparator and > / >> into shellRedirect.
func shellTokens(s string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch r {
		case ' ', '\t', '\r':
			flush()
		case ';', '&', '|', '\n', '(', ')', '`', '{', '}':
			flush()
			out = append(out, shellSeparator)
		case '>':
			flush()
			if i+1 < len(rs) && rs[i+1] == '>' {
				i++
			}
			out = append(out, shellRedirect)
		case '#':
			if cur.Len() > 0 {
				cur.WriteRune(r)
				continue
			}
			// a comment runs to the end of the line (a shebang too)
			for i+1 < len(rs) && rs[i+1] != '\n' {
				i++
			}
		case '"', '\'', '\\':
			// quoting does not change which words a command is made of here
		case '$':
			// an unresolved variable stays one word without its $ (its name is kept)
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return out
}

// simpleCommands splits tokens into simple commands (at shell separators).
func simpleCommands(tokens []string) [][]string {
	var out [][]string
	var cur []string
	for _, t := range tokens {
		if t == shellSeparator {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, t)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// codexFlagsWithValue are codex's global options that take a separate value, so that
// `codex -c k=v login` is recognised too.
var codexFlagsWithValue = map[string]bool{
	"-c": true, "--config": true, "-m": true, "--model": true, "-p": true, "--profile": true,
	"-C": true, "--cd": true, "-s": true, "--sandbox": true, "-a": true, "--ask-for-approval": true,
	"-i": true, "--image": true, "--enable": true, "--disable": true,
}

// runsCodexLogin reports whether a command line runs `codex login`, directly
// (["codex", "login"]), through npx (`npx @openai/codex@0.171.0 login`), through node
// (`node .../codex.js login`), or inside a shell script (`sh -c "...; codex login ..."`).
func runsCodexLogin(argv []string) bool {
	return textRunsCodexLogin(strings.Join(argv, " "))
}

// textRunsCodexLogin is runsCodexLogin on a (variable-expanded) script text.
func textRunsCodexLogin(text string) bool {
	for _, args := range codexInvocations(text) {
		for j := 0; j < len(args); j++ {
			if strings.HasPrefix(args[j], "-") {
				if codexFlagsWithValue[args[j]] {
					j++
				}
				continue
			}
			if trimListPunct(args[j]) == "login" {
				return true
			}
			break // the first non-flag word is the subcommand
		}
	}
	return false
}

// codexInvocations returns the arguments of every codex invocation in a script text: the
// words after the codex executable up to the end of its command (a separator or a
// redirection).
func codexInvocations(text string) [][]string {
	tokens := shellTokens(commandLookup.ReplaceAllString(text, "$1$2"))
	vars := codexVariables(tokens)
	var out [][]string
	for i, t := range tokens {
		if !isCodexExecutable(t) && !vars[t] {
			continue
		}
		end := i + 1
		for end < len(tokens) && tokens[end] != shellSeparator && tokens[end] != shellRedirect {
			end++
		}
		out = append(out, tokens[i+1:end])
	}
	return out
}

// commandLookup is a command substitution that only looks an executable up on the PATH
// ($(command -v codex), $(which codex), `type -p codex`): it stands for that executable, so
// `$(command -v codex) login` is codex's login.
var commandLookup = regexp.MustCompile("\\$\\(\\s*(?:command\\s+-v|which|type\\s+-[pP])\\s+([^\\s()`;|&]+)\\s*\\)|" +
	"`\\s*(?:command\\s+-v|which|type\\s+-[pP])\\s+([^\\s()`;|&]+)\\s*`")

// codexVariables returns the shell variables a script assigns the codex executable
// (bin=codex, CODEX_BIN=/usr/local/bin/codex, c=$(command -v codex)): a word that is one of
// them (the tokens keep an unresolved $NAME as NAME) runs codex.
func codexVariables(tokens []string) map[string]bool {
	var vars map[string]bool
	for _, t := range tokens {
		name, value, ok := strings.Cut(t, "=")
		if !ok || !shellName.MatchString(name) || !isCodexExecutable(value) {
			continue
		}
		if vars == nil {
			vars = map[string]bool{}
		}
		vars[name] = true
	}
	return vars
}

// shellName is a shell variable name.
var shellName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// isCodexExecutable reports whether a word invokes the codex CLI: codex, codex.js, the npm
// package codex@..., or a variable that was not resolved and is named for it (CODEX_BIN):
// its value cannot be known, its name says what it runs.
func isCodexExecutable(word string) bool {
	word = trimListPunct(word)
	base := path.Base(word)
	if base == "codex" || base == "codex.js" || strings.HasPrefix(base, "codex@") {
		return true
	}
	return word == strings.ToUpper(word) && strings.Contains(word, "CODEX") && !strings.Contains(word, "/") &&
		!strings.Contains(word, "=") && word != contract.CodexHomeEnv
}

// trimListPunct drops the brackets and commas around a word of a list literal: a program
// that starts codex from Python or JavaScript (subprocess.run(['codex', 'login']),
// spawn("codex", ["login"])) leaves them on the words once quotes are dropped.
func trimListPunct(word string) string { return strings.Trim(word, "[],") }

// credentialAssignments returns the credential variables (isCredentialEnvName) a script
// assigns a value: NAME=value as a word of a command (export NAME=..., NAME=... cmd, env
// NAME=...). Clearing one is no assignment of a credential (`env OPENAI_API_KEY= codex
// exec`, `export OPENAI_API_KEY=""`; `unset` assigns nothing): a name is reported when one
// of its assignments in the text has a value.
func credentialAssignments(text string) []string {
	var out []string
	for _, t := range shellTokens(text) {
		name, _, ok := strings.Cut(t, "=")
		if ok && isCredentialEnvName(name) && !contains(out, name) && assignsValue(text, name) {
			out = append(out, name)
		}
	}
	return out
}

// assignsValue reports whether some NAME=word in text gives NAME a non-empty value. The
// word scan drops quotes and splits at $, so the raw text is read: the word after = up to a
// blank, with its quotes and a trailing separator dropped.
func assignsValue(text, name string) bool {
	for rest := text; ; {
		i := strings.Index(rest, name+"=")
		if i < 0 {
			return false
		}
		before := byte(' ')
		if i > 0 {
			before = rest[i-1]
		}
		rest = rest[i+len(name)+1:]
		if isNameByte(before) {
			continue // part of a longer name (MY_OPENAI_API_KEY=)
		}
		word := rest
		if j := strings.IndexAny(word, " \t\r\n"); j >= 0 {
			word = word[:j]
		}
		if strings.Trim(word, `"';&|)`) != "" {
			return true
		}
	}
}

func isNameByte(b byte) bool {
	return b == '_' || b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9'
}

// fileWrite is a file a script writes: its destination and the sources it copies from.
type fileWrite struct {
	Dest    string
	Sources []string
	Cmd     string
}

// commandWrappers run their arguments as a command.
var commandWrappers = map[string]bool{"exec": true, "sudo": true, "env": true, "command": true, "busybox": true, "nohup": true}

// shells run a script given with -c.
var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "ash": true, "zsh": true, "ksh": true}

// copyCommands are commands that copy files to their last argument.
var copyCommands = map[string]bool{"cp": true, "mv": true, "install": true, "ln": true, "rsync": true}

// fileWrites returns the files a script writes: the last operand of cp/mv/install/ln/
// rsync, the operands of tee, dd's of=, curl's -o/--output and wget's -O/
// --output-document (a download), and the target of an output redirection.
func fileWrites(text string) []fileWrite {
	var out []fileWrite
	for _, cmd := range simpleCommands(shellTokens(text)) {
		// Redirections first: > file writes whatever the command prints.
		var words []string
		for i := 0; i < len(cmd); i++ {
			if cmd[i] == shellRedirect {
				if i+1 < len(cmd) && cmd[i+1] != shellRedirect {
					out = append(out, fileWrite{Dest: cmd[i+1], Cmd: "redirection"})
					i++
				}
				continue
			}
			words = append(words, cmd[i])
		}
		// Skip leading assignments (NAME=value cmd), wrappers that run their arguments, and a
		// shell given the script inline (sh -c "cp ..." arrives here as sh -c cp ...).
	skip:
		for len(words) > 0 {
			w := path.Base(words[0])
			switch {
			case strings.Contains(words[0], "=") || commandWrappers[w]:
				words = words[1:]
			case shells[w]:
				words = words[1:]
				for len(words) > 0 && strings.HasPrefix(words[0], "-") {
					words = words[1:]
				}
			default:
				break skip
			}
		}
		if len(words) == 0 {
			continue
		}
		name := path.Base(words[0])
		var operands []string
		for _, w := range words[1:] {
			if !strings.HasPrefix(w, "-") {
				operands = append(operands, w)
			}
		}
		switch {
		case copyCommands[name] && len(operands) >= 2:
			out = append(out, fileWrite{Dest: operands[len(operands)-1], Sources: operands[:len(operands)-1], Cmd: name})
		case name == "tee":
			for _, o := range operands {
				out = append(out, fileWrite{Dest: o, Cmd: name})
			}
		case name == "dd":
			for _, o := range operands {
				if d, ok := strings.CutPrefix(o, "of="); ok {
					out = append(out, fileWrite{Dest: d, Cmd: name})
				}
			}
		case name == "curl":
			for _, d := range optionValues(words[1:], 'o', "--output") {
				out = append(out, fileWrite{Dest: d, Cmd: name})
			}
		case name == "wget":
			for _, d := range optionValues(words[1:], 'O', "--output-document") {
				if d != "-" {
					out = append(out, fileWrite{Dest: d, Cmd: name})
				}
			}
		}
	}
	return out
}

// optionValues returns the values of a command's option given as a short letter (-o FILE,
// -oFILE, -sSLo FILE) or a long name (--output FILE, --output=FILE).
func optionValues(words []string, short byte, long string) []string {
	var out []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == long:
			if i+1 < len(words) {
				out = append(out, words[i+1])
				i++
			}
		case strings.HasPrefix(w, long+"="):
			out = append(out, strings.TrimPrefix(w, long+"="))
		case len(w) > 1 && w[0] == '-' && w[1] != '-':
			at := strings.IndexByte(w[1:], short)
			if at < 0 {
				continue
			}
			if rest := w[at+2:]; rest != "" {
				out = append(out, rest)
			} else if i+1 < len(words) {
				out = append(out, words[i+1])
				i++
			}
		}
	}
	return out
}

// kubectlCall is one kubectl command that reaches into a workload's pods or changes its
// replicas: exec, attach, cp (Source: the pod copied from), scale, autoscale.
type kubectlCall struct {
	Verb      string
	Namespace string // -n/--namespace, "" when not given
	// Targets are the objects named: TYPE/NAME, TYPE NAME (as "TYPE/NAME"), or a bare pod name.
	Targets []string
	// Replicas is scale's --replicas, or autoscale's --max (-1 when not given).
	Replicas int
}

// kubectlValueFlags are kubectl's global and the verbs' flags that take a separate value.
var kubectlValueFlags = map[string]bool{
	"-n": true, "--namespace": true, "-c": true, "--container": true, "--context": true, "--kubeconfig": true,
	"-l": true, "--selector": true, "--replicas": true, "--max": true, "--min": true, "--cpu-percent": true,
	"--current-replicas": true, "--resource-version": true, "--timeout": true, "-f": true, "--filename": true,
	"--pod-running-timeout": true, "--cluster": true, "--user": true, "-s": true, "--server": true, "--retries": true,
}

// kubectlCalls returns the kubectl exec/attach/cp/scale/autoscale commands of a script.
func kubectlCalls(text string) []kubectlCall {
	var out []kubectlCall
	for _, cmd := range simpleCommands(shellTokens(text)) {
		for i, w := range cmd {
			if path.Base(w) != "kubectl" {
				continue
			}
			call := kubectlCall{Replicas: -1}
			var operands []string
			args := cmd[i+1:]
			for j := 0; j < len(args); j++ {
				a := args[j]
				if a == "--" || a == shellRedirect {
					break // the command run in the container follows
				}
				flag, value, hasValue := strings.Cut(a, "=")
				if !strings.HasPrefix(a, "-") {
					operands = append(operands, a)
					continue
				}
				if !hasValue && kubectlValueFlags[flag] && j+1 < len(args) {
					value, hasValue = args[j+1], true
					j++
				}
				if !hasValue && strings.HasPrefix(flag, "-n") && !strings.HasPrefix(flag, "--") && len(flag) > 2 {
					flag, value, hasValue = "-n", flag[2:], true
				}
				switch flag {
				case "-n", "--namespace":
					call.Namespace = value
				case "--replicas", "--max":
					if n, err := strconv.Atoi(value); err == nil {
						call.Replicas = n
					}
				}
			}
			if len(operands) == 0 {
				break
			}
			call.Verb = operands[0]
			rest := operands[1:]
			switch call.Verb {
			case "exec", "attach":
				if len(rest) > 0 {
					call.Targets = []string{rest[0]}
				}
			case "cp":
				// kubectl cp [ns/]pod:path dest: the source is the pod read from.
				if len(rest) > 0 {
					if src, _, ok := strings.Cut(rest[0], ":"); ok {
						if ns, pod, ok := strings.Cut(src, "/"); ok {
							call.Namespace, src = ns, pod
						}
						call.Targets = []string{src}
					}
				}
			case "scale", "autoscale":
				for k := 0; k < len(rest); k++ {
					if strings.Contains(rest[k], "/") {
						call.Targets = append(call.Targets, rest[k])
					} else if k+1 < len(rest) {
						call.Targets = append(call.Targets, rest[k]+"/"+rest[k+1])
						k++
					}
				}
			}
			if len(call.Targets) > 0 {
				out = append(out, call)
			}
			break
		}
	}
	return out
}

// kubectlCredentialPaths returns the codex credential files (auth.json, auth-N.json, at an
// absolute or home path) on the pod side of the `kubectl cp`, `exec` or `attach` a script
// runs: POD:/path in a copy (either direction), or a path the command after `--` uses in
// the pod. Which pod cannot always be known (a name from $(kubectl get pod ...) splits the
// command here, so the pod side is recognised by its shape anywhere in the script), and
// need not be: copying a ChatGPT login out of, or into, any pod is a route to it. Local
// paths and container-registry auth.json paths (containers/, .docker/) are not.
func kubectlCredentialPaths(text string) []string {
	tokens := shellTokens(text)
	cmds := simpleCommands(tokens)
	reaches := false
	for _, cmd := range cmds {
		for i, w := range cmd {
			if path.Base(w) == "kubectl" && slices.ContainsFunc(cmd[i+1:], func(a string) bool { return a == "cp" || a == "exec" || a == "attach" }) {
				reaches = true
			}
		}
	}
	if !reaches {
		return nil
	}
	var out []string
	for _, cmd := range cmds {
		inPod := false // after `--`: the command run in the pod
		for _, t := range cmd {
			if t == "--" {
				inPod = true
				continue
			}
			p := t
			if i := strings.LastIndex(t, ":"); i >= 0 {
				p = t[i+1:]
			} else if !inPod {
				continue
			}
			if (strings.HasPrefix(p, "/") || strings.HasPrefix(p, "~/")) && codexauth.IsCredentialFileName(p) && !isRegistryAuthPath(p) &&
				!slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// kubectlNames reports whether a kubectl target names a workload of the given kind and
// name (deploy/NAME, deployment/NAME, deployments.apps/NAME, ...) or one of its pods (a
// Deployment's pods are NAME-<template hash>-<5 characters>, a StatefulSet's NAME-<ordinal>).
func kubectlNames(target, kind, name string) bool {
	if name == "" || isUnknown(name) {
		return false
	}
	typ, n, typed := strings.Cut(target, "/")
	if !typed {
		typ, n = "pod", target
	}
	typ = strings.ToLower(strings.SplitN(typ, ".", 2)[0])
	if typ == "po" || typ == "pod" || typ == "pods" {
		return podOf(n, kind, name)
	}
	aliases := map[string][]string{
		"deployment": {"deploy", "deployment", "deployments"}, "statefulset": {"sts", "statefulset", "statefulsets"},
		"replicaset": {"rs", "replicaset", "replicasets"}, "replicationcontroller": {"rc", "replicationcontroller", "replicationcontrollers"},
		"job": {"job", "jobs"}, "daemonset": {"ds", "daemonset", "daemonsets"},
	}
	return n == name && slices.Contains(aliases[strings.ToLower(kind)], typ)
}

// podOf reports whether a pod name is one a workload's controller gives its pods.
func podOf(pod, kind, name string) bool {
	rest, ok := strings.CutPrefix(pod, name+"-")
	if !ok {
		return false
	}
	switch kind {
	case "Deployment":
		hash, suffix, ok := strings.Cut(rest, "-")
		return ok && isLowerAlnum(hash) && len(suffix) == 5 && isLowerAlnum(suffix)
	case "StatefulSet":
		_, err := strconv.Atoi(rest)
		return err == nil
	default:
		return len(rest) == 5 && isLowerAlnum(rest)
	}
}

func isLowerAlnum(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// writesCredentialFile reports whether a write puts a codex credential file at or under
// dir (a codex home): a destination named like one inside dir, or a credential file copied
// into dir.
func (w fileWrite) writesCredentialFile(dir func(string) bool) bool {
	if codexauth.IsCredentialFileName(w.Dest) && dir(path.Dir(w.Dest)) {
		return true
	}
	if dir(w.Dest) {
		for _, s := range w.Sources {
			if codexauth.IsCredentialFileName(s) {
				return true
			}
		}
	}
	return false
}
