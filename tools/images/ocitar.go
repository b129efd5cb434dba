package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image goes into an OCI image layout, packed as one tar: `ctr images import` reads
// it and names the image from the io.containerd.image.name annotation, and the manifest
// digest containerd records is the one computed here, so "already imported" is a digest
// comparison. Layers are stored uncompressed (media type ...layer.v1.tar): nothing is
// transferred over a network, and gzip would only cost build time.

// AnnotationImageName is containerd's image-name annotation (images.AnnotationImageName).
const AnnotationImageName = "io.containerd.image.name"

// fileLayer is an uncompressed layer backed by a file whose sha256 is known.
type fileLayer struct{ info layerInfo }

func (l fileLayer) Digest() (v1.Hash, error)            { return v1.NewHash(l.info.Digest) }
func (l fileLayer) DiffID() (v1.Hash, error)            { return v1.NewHash(l.info.Digest) }
func (l fileLayer) Size() (int64, error)                { return l.info.Size, nil }
func (l fileLayer) MediaType() (types.MediaType, error) { return types.OCIUncompressedLayer, nil }
func (l fileLayer) Compressed() (io.ReadCloser, error)  { return os.Open(l.info.Path) }
func (l fileLayer) Uncompressed() (io.ReadCloser, error) {
	return os.Open(l.info.Path)
}

// FullName is ref as containerd and the kubelet name it: "node:22-bookworm-slim" is
// "docker.io/library/node:22-bookworm-slim".
func FullName(ref string) (string, error) {
	r, err := name.ParseReference(ref, name.WithDefaultRegistry("docker.io"))
	if err != nil {
		return "", fmt.Errorf("image reference %q: %w", ref, err)
	}
	reg := r.Context().RegistryStr()
	if reg == name.DefaultRegistry {
		reg = "docker.io"
	}
	return reg + "/" + r.Context().RepositoryStr() + ":" + r.Identifier(), nil
}

// assemble makes the image from its layers and config.
func assemble(img Image, layers []layerInfo, created time.Time) (v1.Image, error) {
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	var adds []mutate.Addendum
	for _, l := range layers {
		adds = append(adds, mutate.Addendum{Layer: fileLayer{l}, MediaType: types.OCIUncompressedLayer,
			History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "cloud-codex tools/images: " + img.Ref}})
	}
	out, err := mutate.Append(base, adds...)
	if err != nil {
		return nil, err
	}
	cf, err := out.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Created = v1.Time{Time: created}
	c := img.Config
	labels := map[string]string{}
	for k, v := range c.Labels {
		labels[k] = v
	}
	labels[DescriptionLabel] = img.Description()
	cf.Config = v1.Config{
		Env: c.Env, User: c.User, WorkingDir: c.WorkingDir, Entrypoint: c.Entrypoint, Cmd: c.Cmd,
		StopSignal: c.StopSignal, Labels: labels,
	}
	if len(c.ExposedPorts) > 0 {
		cf.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range c.ExposedPorts {
			cf.Config.ExposedPorts[p] = struct{}{}
		}
	}
	if len(c.Volumes) > 0 {
		cf.Config.Volumes = map[string]struct{}{}
		for _, v := range c.Volumes {
			cf.Config.Volumes[v] = struct{}{}
		}
	}
	out, err = mutate.ConfigFile(out, cf)
	if err != nil {
		return nil, err
	}
	return mutate.CreatedAt(out, v1.Time{Time: created})
}

// writeOCITar writes img as an OCI image layout tar at path, its one manifest annotated
// with the full name (for containerd) and the tag (org.opencontainers.image.ref.name).
func writeOCITar(img v1.Image, ref, path string) (v1.Hash, error) {
	full, err := FullName(ref)
	if err != nil {
		return v1.Hash{}, err
	}
	manifest, err := img.RawManifest()
	if err != nil {
		return v1.Hash{}, err
	}
	digest, err := img.Digest()
	if err != nil {
		return v1.Hash{}, err
	}
	config, err := img.RawConfigFile()
	if err != nil {
		return v1.Hash{}, err
	}
	configName, err := img.ConfigName()
	if err != nil {
		return v1.Hash{}, err
	}
	mt, err := img.MediaType()
	if err != nil {
		return v1.Hash{}, err
	}
	index := v1.IndexManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIImageIndex,
		Manifests: []v1.Descriptor{{
			MediaType: mt, Digest: digest, Size: int64(len(manifest)),
			Platform: &v1.Platform{OS: "linux", Architecture: "amd64"},
			Annotations: map[string]string{
				AnnotationImageName:                 full,
				"org.opencontainers.image.ref.name": full[strings.LastIndexByte(full, ':')+1:],
			},
		}},
	}
	indexJSON, err := json.Marshal(index)
	if err != nil {
		return v1.Hash{}, err
	}

	f, err := os.Create(path + ".tmp")
	if err != nil {
		return v1.Hash{}, err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	mtime := time.Unix(0, 0)
	add := func(name string, size int64, r io.Reader) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, ModTime: mtime, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := io.Copy(tw, r)
		return err
	}
	blob := func(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }
	if err := tw.WriteHeader(&tar.Header{Name: "blobs/", Mode: 0o755, ModTime: mtime, Typeflag: tar.TypeDir}); err != nil {
		return v1.Hash{}, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "blobs/sha256/", Mode: 0o755, ModTime: mtime, Typeflag: tar.TypeDir}); err != nil {
		return v1.Hash{}, err
	}
	layers, err := img.Layers()
	if err != nil {
		return v1.Hash{}, err
	}
	written := map[v1.Hash]bool{}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return v1.Hash{}, err
		}
		if written[d] {
			continue
		}
		written[d] = true
		size, err := l.Size()
		if err != nil {
			return v1.Hash{}, err
		}
		rc, err := l.Compressed()
		if err != nil {
			return v1.Hash{}, err
		}
		err = add(blob(d), size, rc)
		rc.Close()
		if err != nil {
			return v1.Hash{}, fmt.Errorf("writing layer %s: %w", d, err)
		}
	}
	for _, b := range []struct {
		name string
		data []byte
	}{
		{blob(configName), config},
		{blob(digest), manifest},
		{"index.json", indexJSON},
		{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)},
	} {
		if err := add(b.name, int64(len(b.data)), bytes.NewReader(b.data)); err != nil {
			return v1.Hash{}, err
		}
	}
	if err := tw.Close(); err != nil {
		return v1.Hash{}, err
	}
	if err := f.Close(); err != nil {
		return v1.Hash{}, err
	}
	return digest, os.Rename(path+".tmp", path)
}
