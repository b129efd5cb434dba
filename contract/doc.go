// Package contract holds the names the components emit and the policy pack checks: type
// tokens, annotation and label keys, environment variable names, file and Secret key names.
//
// Both sides import it, so a name changed here changes on both sides at once; a name
// declared on each side would drift silently and turn into a false pass (the pack no
// longer recognising what it guards) or a false violation. It imports the standard
// library only, so that the policy pack can read it without linking the components and
// their SDKs.
package contract
