// Package plural writes counted nouns the way a person would: "1 change",
// "2 changes", "3 repositories", never "1 changes" or "repositor(ies)".
package plural

import (
	"strconv"
	"strings"
)

// Count is n followed by word, in the plural unless n is 1.
func Count(n int, word string) string {
	return strconv.Itoa(n) + " " + Word(n, word)
}

// Word is word in the plural unless n is 1. The last word of a phrase
// takes the plural ("user profile" → "user profiles"); English rules for
// the nouns mlflowctl counts: -y after a consonant → -ies, -s/-x/-ch/-sh
// → -es, else -s.
func Word(n int, word string) string {
	if n == 1 || word == "" {
		return word
	}
	switch {
	case strings.HasSuffix(word, "y") && len(word) > 1 && !strings.ContainsAny(word[len(word)-2:len(word)-1], "aeiou"):
		return word[:len(word)-1] + "ies"
	case strings.HasSuffix(word, "s"), strings.HasSuffix(word, "x"),
		strings.HasSuffix(word, "ch"), strings.HasSuffix(word, "sh"):
		return word + "es"
	}
	return word + "s"
}
