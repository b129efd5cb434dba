package rules

import (
	"path"
	"regexp"
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
			if args[j] == "login" {
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
	tokens := shellTokens(text)
	var out [][]string
	for i, t := range tokens {
		if !isCodexExecutable(t) {
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

// isCodexExecutable reports whether a word invokes the codex CLI: codex, codex.js, the npm
// package codex@..., or a variable that was not resolved and is named for it (CODEX_BIN):
// its value cannot be known, its name says what it runs.
func isCodexExecutable(word string) bool {
	base := path.Base(word)
	if base == "codex" || base == "codex.js" || strings.HasPrefix(base, "codex@") {
		return true
	}
	return word == strings.ToUpper(word) && strings.Contains(word, "CODEX") && !strings.Contains(word, "/") &&
		!strings.Contains(word, "=") && word != contract.CodexHomeEnv
}

// credentialAssignments returns the credential variables (isCredentialEnvName) a script
// assigns: NAME=value as a word of a command (export NAME=..., NAME=... cmd, env NAME=...).
func credentialAssignments(text string) []string {
	var out []string
	for _, t := range shellTokens(text) {
		name, _, ok := strings.Cut(t, "=")
		if ok && isCredentialEnvName(name) && !contains(out, name) {
			out = append(out, name)
		}
	}
	return out
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
// rsync, the operands of tee, dd's of=, and the target of an output redirection.
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
		}
	}
	return out
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
