// Package podspec holds the pod-spec pieces every component of this project builds its
// pods from (env, mounts, the scratch volume, security contexts, the shipped-Go build
// step), so that each is written once and the components differ only where they mean to.
// It imports no other package of components: the components import it, never the reverse.
package podspec
