package teardown

import (
	"fmt"
	"github.com/mlflowctl/mlflowctl/pkg/sagemaker"
	"io"
	"strings"
)

// WritePlan prints the plan for a person to confirm.
func WritePlan(w io.Writer, p Plan) error {
	var b strings.Builder
	if p.Empty() {
		fmt.Fprintf(&b, "Nothing to delete: no stack or leftover of deployment %q in this account and region.\n", p.Deployment)
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "mlflowctl down will delete deployment %q:\n", p.Deployment)
	writeStudio(&b, p)
	if len(p.Stacks) > 0 {
		fmt.Fprintf(&b, "  %s, in this order:\n", plural(len(p.Stacks), "stack"))
		for i, wave := range DeleteOrder(Deployment(p.Deployment, p.Stacks)) {
			var names []string
			for _, id := range wave {
				names = append(names, p.Deployment+"-"+id+" ("+statusOf(p.Stacks, id)+")")
			}
			fmt.Fprintf(&b, "    %d. %s\n", i+1, strings.Join(names, ", "))
		}
	}
	if len(p.Buckets) > 0 {
		fmt.Fprintf(&b, "  %s, every object version and delete marker:\n", plural(len(p.Buckets), "bucket"))
		for _, bk := range p.Buckets {
			note := ""
			if bk.Keep {
				note = "  (kept: --keep-data)"
			}
			fmt.Fprintf(&b, "    %s (stack %s): %s%s\n", bk.Name, bk.Stack, plural(bk.Objects, "object"), note)
		}
	}
	if len(p.Repositories) > 0 {
		word := "repositories"
		if len(p.Repositories) == 1 {
			word = "repository"
		}
		fmt.Fprintf(&b, "  %d ECR %s:\n", len(p.Repositories), word)
		for _, r := range p.Repositories {
			owner := "stack " + r.Stack
			if r.Stack == PushedBy {
				owner = "made by push-container"
			}
			fmt.Fprintf(&b, "    %s (%s): %s\n", r.Name, owner, plural(r.Images, "image"))
		}
	}
	if p.KeepData {
		b.WriteString("  --keep-data: the artifact bucket and the database (or its final snapshot) stay\n")
	} else {
		// the database's final snapshot exists only if the database did
		b.WriteString("  then the deployment's log groups, and any final DB snapshot its database left\n")
	}
	if len(p.Leftovers) > 0 {
		fmt.Fprintf(&b, "  %s of an earlier run:\n", plural(len(p.Leftovers), "leftover"))
		for _, l := range p.Leftovers {
			fmt.Fprintf(&b, "    %s\n", l)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeStudio(b *strings.Builder, p Plan) {
	inv := p.Studio
	if inv == nil || inv.Empty() {
		return
	}
	owner := "an existing domain: only this deployment's profiles"
	if inv.DomainCreated {
		owner = "created by mlflowctl; its home EFS and NFS security groups go after it"
	}
	fmt.Fprintf(b, "  Studio domain %s (%s), first:\n", inv.DomainID, owner)
	fmt.Fprintf(b, "    %s: %s\n", plural(len(inv.Apps), "app"), appList(inv))
	if len(inv.Spaces) > 0 {
		var names []string
		for _, s := range inv.Spaces {
			names = append(names, s.Name+" (owner "+s.Owner+")")
		}
		fmt.Fprintf(b, "    %s: %s\n", plural(len(inv.Spaces), "space"), strings.Join(names, ", "))
	}
	fmt.Fprintf(b, "    %s: %s\n", plural(len(inv.Profiles), "user profile"), strings.Join(inv.Profiles, ", "))
	if inv.OtherProfiles > 0 {
		fmt.Fprintf(b, "    (%s of others in the domain stay)\n", plural(inv.OtherProfiles, "user profile"))
	}
}

func appList(inv *sagemaker.Inventory) string {
	var names []string
	for _, a := range inv.Apps {
		names = append(names, a.String())
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func statusOf(found []Stack, id string) string {
	for _, s := range found {
		if s.ID == id {
			return s.Status
		}
	}
	return "?"
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// WriteKept lists what was kept, by name: by --keep-data, or on purpose
// by a template (mlflowctl:retained).
func WriteKept(w io.Writer, kept []Kept) error {
	if len(kept) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("Kept:\n")
	for _, k := range kept {
		fmt.Fprintf(&b, "  %s %s\n", k.Kind, k.Name)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
