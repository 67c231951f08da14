package plural

import "testing"

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int
		word string
		want string
	}{
		{1, "change", "1 change"},
		{0, "change", "0 changes"},
		{2, "change", "2 changes"},
		{1, "repository", "1 repository"},
		{3, "repository", "3 repositories"},
		{2, "day", "2 days"},
		{2, "user profile", "2 user profiles"},
		{2, "patch", "2 patches"},
		{2, "status", "2 statuses"},
		{1, "stack", "1 stack"},
		{5, "stack", "5 stacks"},
		{2, "patch file", "2 patch files"},
	} {
		if got := Count(c.n, c.word); got != c.want {
			t.Errorf("Count(%d, %q) = %q, want %q", c.n, c.word, got, c.want)
		}
	}
}
