// Package awslookup lists what the init wizard offers as choices: the
// profiles in the user's AWS config files, the regions and the SageMaker
// Studio domains of an account. Every look-up can fail; callers fall back
// to typed values.
package awslookup

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Profile is one named profile and the region it sets, if any.
type Profile struct {
	Name   string
	Region string
}

// Files are the shared AWS config and credentials files.
type Files struct {
	Config      string
	Credentials string
}

// DefaultFiles are the files the AWS SDK reads: AWS_CONFIG_FILE and
// AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/config and ~/.aws/credentials.
func DefaultFiles() Files {
	home, _ := os.UserHomeDir()
	return Files{
		Config:      envOr("AWS_CONFIG_FILE", filepath.Join(home, ".aws", "config")),
		Credentials: envOr("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, ".aws", "credentials")),
	}
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

// ErrNoProfiles says neither file names a profile.
var ErrNoProfiles = errors.New("no profiles in the AWS config files")

// Profiles lists the profiles named in either file, "default" first and the
// rest sorted. A missing file is not an error; two missing files give
// ErrNoProfiles.
func Profiles(f Files) ([]Profile, error) {
	regions := map[string]string{}
	names := map[string]bool{}
	for _, src := range []struct {
		path     string
		isConfig bool
	}{{f.Config, true}, {f.Credentials, false}} {
		sections, err := readINI(src.path)
		if err != nil {
			return nil, err
		}
		for _, s := range sections {
			name, ok := profileName(s.name, src.isConfig)
			if !ok {
				continue
			}
			names[name] = true
			if r := s.keys["region"]; r != "" && regions[name] == "" {
				regions[name] = r
			}
		}
	}
	if len(names) == 0 {
		return nil, ErrNoProfiles
	}
	out := make([]Profile, 0, len(names))
	for n := range names {
		out = append(out, Profile{Name: n, Region: regions[n]})
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i].Name == "default") != (out[j].Name == "default") {
			return out[i].Name == "default"
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// profileName maps a section header to a profile name. The config file
// writes "[profile x]" (but "[default]"); it also holds sections that are
// not profiles ("[sso-session x]", "[services x]"). The credentials file
// writes "[x]".
func profileName(section string, isConfig bool) (string, bool) {
	if !isConfig {
		return section, section != ""
	}
	if section == "default" {
		return section, true
	}
	fields := strings.Fields(section)
	if len(fields) == 2 && fields[0] == "profile" {
		return fields[1], true
	}
	return "", false
}

type section struct {
	name string
	keys map[string]string
}

// readINI reads the sections of an AWS-style INI file; nested settings
// (indented lines under "s3 =") are skipped.
func readINI(path string) ([]section, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []section
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			out = append(out, section{name: strings.TrimSpace(line[1 : len(line)-1]), keys: map[string]string{}})
		case len(out) > 0 && raw[0] != ' ' && raw[0] != '\t':
			if k, v, ok := strings.Cut(line, "="); ok {
				out[len(out)-1].keys[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
	}
	return out, sc.Err()
}
