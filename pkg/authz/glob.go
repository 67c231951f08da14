package authz

// ARN patterns follow execute-api (and IAM) semantics: "*" matches any run
// of characters, "/" included, "?" exactly one character; matching is
// case-sensitive.

// Match reports whether s matches the pattern.
func Match(pattern, s string) bool {
	// Iterative matcher with one backtrack point: linear for patterns
	// whose stars are independent, which is every pattern made here.
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]) && pattern[p] != '*':
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// Overlap reports whether some string matches both patterns. The policy
// generator uses it to prove a wildcard covers no route a group is denied.
func Overlap(a, b string) bool {
	memo := make(map[[2]int]bool)
	var rec func(i, j int) bool
	rec = func(i, j int) bool {
		for {
			if i == len(a) && j == len(b) {
				return true
			}
			if i < len(a) && a[i] == '*' || j < len(b) && b[j] == '*' {
				break
			}
			if i == len(a) || j == len(b) || a[i] != b[j] && a[i] != '?' && b[j] != '?' {
				return false
			}
			i, j = i+1, j+1
		}
		key := [2]int{i, j}
		if v, ok := memo[key]; ok {
			return v
		}
		var v bool
		if i < len(a) && a[i] == '*' {
			v = rec(i+1, j) || j < len(b) && rec(i, j+1)
		} else {
			v = rec(i, j+1) || i < len(a) && rec(i+1, j)
		}
		memo[key] = v
		return v
	}
	return rec(0, 0)
}
