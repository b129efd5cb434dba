// Command images builds local stand-ins for the container images the program pins, from
// Debian packages, npm and Go, as OCI layout tars that `ctr images import` names with the
// exact references the program uses. scripts/images.sh drives it; see
// docs/runbooks/local-images.md.
//
//	images build -cache DIR -main-module DIR [-only REF]... [-v]
//	images list  -cache DIR [-tsv] [-only REF]...
//	images reachable -only REF [-timeout 10s]   exit 0 if REF's registry serves its manifest
//	images standins -cache DIR                 setting, pinned image, its full name, stand-in:
//	                                          one line per stand-in selected through a setting
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

type refList []string

func (r *refList) String() string     { return strings.Join(*r, ",") }
func (r *refList) Set(v string) error { *r = append(*r, v); return nil }

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "images:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: images build|list -cache DIR [...]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	cache := fs.String("cache", "", "the image cache directory ($CLOUD_CODEX_CACHE/images)")
	mainModule := fs.String("main-module", "", "the project's checkout (for images built from its packages)")
	mirror := fs.String("mirror", "http://deb.debian.org/debian", "Debian mirror for debootstrap")
	verbose := fs.Bool("v", false, "also report images that are cached")
	tsv := fs.Bool("tsv", false, "list: tab-separated ref, name, tar, digest, description (no header)")
	timeout := fs.Duration("timeout", 10*time.Second, "reachable: how long the registry may take to answer")
	var only refList
	fs.Var(&only, "only", "build only this reference (repeatable)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *cache == "" {
		return errors.New("-cache is required")
	}
	b := &builder{cache: *cache, mainModule: *mainModule, mirror: *mirror, verbose: *verbose, stderr: os.Stderr}
	if args[0] == "reachable" {
		// Any reference: also the pinned images that have no build here (StandsInFor).
		if len(only) != 1 {
			return errors.New("reachable takes exactly one -only REF")
		}
		return reachable(only[0], *timeout)
	}
	selected, err := selectImages(only)
	if err != nil {
		return err
	}
	switch args[0] {
	case "build":
		if os.Geteuid() != 0 {
			return errors.New("build needs root (debootstrap, chroot, file ownership); run it with sudo")
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		var failed []string
		for _, img := range selected {
			err := b.withLog(slug(img.Ref), func() error { _, err := b.build(ctx, img); return err })
			if err != nil {
				fmt.Fprintf(os.Stderr, "images: %s: FAILED: %v\n", img.Ref, err)
				failed = append(failed, img.Ref)
				if ctx.Err() != nil {
					break
				}
			}
		}
		if len(failed) > 0 {
			return fmt.Errorf("%d image(s) not built: %s (the others are ready)", len(failed), strings.Join(failed, ", "))
		}
		return nil
	case "list":
		return list(b, selected, *tsv)
	case "standins":
		for _, img := range selected {
			if img.StandsInFor == "" {
				continue
			}
			full, err := FullName(img.StandsInFor)
			if err != nil {
				return err
			}
			fmt.Printf("%s\t%s\t%s\t%s\n", img.Setting, img.StandsInFor, full, img.Ref)
		}
		return nil
	}
	return fmt.Errorf("unknown command %q (build, list, reachable, standins)", args[0])
}

func selectImages(only []string) ([]Image, error) {
	if len(only) == 0 {
		return Catalog, nil
	}
	var out []Image
	for _, ref := range only {
		found := false
		for _, img := range Catalog {
			if img.Ref == ref {
				out = append(out, img)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("no image %q in the catalog (tools/images/catalog.go)", ref)
		}
	}
	return out, nil
}

// list prints each image with its tar and what it stands for, from the last build.
func list(b *builder, imgs []Image, tsv bool) error {
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', 0)
	if !tsv {
		fmt.Fprintln(w, "REF\tTAR\tSTANDS FOR")
	}
	for _, img := range imgs {
		full, err := FullName(img.Ref)
		if err != nil {
			return err
		}
		st, err := b.readState(img.Ref)
		tarPath, digest := "(not built: scripts/images.sh build)", "-"
		if err == nil {
			if _, serr := os.Stat(st.Tar); serr == nil {
				tarPath, digest = st.Tar, st.Digest
			}
		}
		if tsv {
			fmt.Printf("%s\t%s\t%s\t%s\t%s\n", img.Ref, full, tarPath, digest, img.Description())
		} else {
			fmt.Fprintf(w, "%s\t%s\t%s\n", img.Ref, tarPath, img.Description())
		}
	}
	if tsv {
		return nil
	}
	return w.Flush()
}
