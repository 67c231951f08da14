package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"unicode"

	"github.com/spf13/viper"
)

// EnvPrefix starts every environment variable that sets a config key.
const EnvPrefix = "MLFLOWCTL_"

// LoadOptions says where configuration comes from.
type LoadOptions struct {
	// Path is the config file; a missing file is fine unless Required.
	Path     string
	Required bool
	// Overrides are values from command-line flags, by config key
	// (for example "name" or "region"); they win over everything else.
	Overrides map[string]any
	// Dir is where a relative Path is read from ("": the working
	// directory); messages still name Path as given.
	Dir string
	// Env, when set, replaces the process's environment variables (the
	// CLI's tests run in parallel with it; nil: the process's).
	Env map[string]string
}

// lookupEnv reads name from Env, or from the process when Env is nil.
func (o LoadOptions) lookupEnv(name string) (string, bool) {
	if o.Env == nil {
		return os.LookupEnv(name)
	}
	v, ok := o.Env[name]
	return v, ok
}

// environ lists Env as NAME=value, or the process's variables.
func (o LoadOptions) environ() []string {
	if o.Env == nil {
		return os.Environ()
	}
	out := make([]string, 0, len(o.Env))
	for k, v := range o.Env {
		out = append(out, k+"="+v)
	}
	return out
}

// file is Path as read: a relative one under Dir.
func (o LoadOptions) file() string {
	if o.Dir == "" || filepath.IsAbs(o.Path) {
		return o.Path
	}
	return filepath.Join(o.Dir, o.Path)
}

// Load merges defaults, the file, MLFLOWCTL_* variables and overrides, in
// rising precedence, and decodes the result. It does not validate.
func Load(opts LoadOptions) (Config, error) {
	v := viper.New()
	leaves := leafKeys(Defaults())
	for key, val := range leaves {
		v.SetDefault(key, val)
		if reflect.ValueOf(val).Kind() == reflect.Slice {
			continue // lists are set in the file, not in one variable
		}
		if opts.Env != nil {
			continue // set below: viper reads only the process's variables
		}
		if err := v.BindEnv(key, EnvName(key)); err != nil {
			return Config{}, err
		}
	}
	unknown, err := readFile(v, opts)
	if err != nil {
		return Config{}, err
	}
	setEnv(v, leaves, opts.Env)
	for key, val := range opts.Overrides {
		v.Set(key, val)
	}
	var c Config
	err = v.Unmarshal(&c, decodeOptions)
	if err != nil {
		err = decodeError(err, opts.lookupEnv)
	}
	if len(unknown) > 0 {
		var verr *ValidationError
		if !errors.As(err, &verr) {
			verr = &ValidationError{}
		}
		verr.Problems = append(unknown, verr.Problems...)
		err = verr
	}
	return c, err
}

// LoadValid loads and validates, reporting decode and validation problems
// together so one run lists everything wrong.
func LoadValid(opts LoadOptions) (Config, error) {
	c, err := Load(opts)
	var fileErr *fileError
	if errors.As(err, &fileErr) {
		return c, err
	}
	var decodeErr *ValidationError
	if err != nil && !errors.As(err, &decodeErr) {
		return c, err
	}
	all := &ValidationError{Problems: envProblems(opts.environ())}
	reported := map[string]bool{}
	if decodeErr != nil {
		all.Problems = append(all.Problems, decodeErr.Problems...)
		for _, p := range decodeErr.Problems {
			reported[p.Field] = true
		}
	}
	var verr *ValidationError
	if errors.As(c.Validate(), &verr) {
		for _, p := range verr.Problems {
			if !reported[p.Field] && !underReported(p.Field, reported) {
				if _, flag := opts.Overrides[p.Field]; !flag {
					// the user looks where the value came from
					p.Message += envSource(p.Field, opts.lookupEnv)
				}
				all.Problems = append(all.Problems, p)
			}
		}
	}
	if len(all.Problems) == 0 {
		return c, nil
	}
	return c, all
}

// underReported: a problem inside a section whose shape is already
// reported (`server: 5`) is the section's zero value, not the user's.
func underReported(field string, reported map[string]bool) bool {
	for f := range reported {
		if strings.HasPrefix(field, f+".") || strings.HasPrefix(field, f+"[") {
			return true
		}
	}
	return false
}

// setEnv sets the keys env's variables name, as BindEnv would from the
// process: above the file and the defaults, below the overrides set after
// it, an empty variable counting as unset.
func setEnv(v *viper.Viper, leaves map[string]any, env map[string]string) {
	if env == nil {
		return
	}
	for key, val := range leaves {
		if reflect.ValueOf(val).Kind() == reflect.Slice {
			continue
		}
		if s := env[EnvName(key)]; s != "" {
			v.Set(key, s)
		}
	}
}

// readFile merges the file into v; unknown keys are left out and
// returned as problems, to be listed with the rest.
func readFile(v *viper.Viper, opts LoadOptions) ([]Problem, error) {
	if opts.Path == "" {
		return nil, nil
	}
	if st, err := os.Stat(opts.file()); err == nil && st.Size() > MaxFileBytes {
		return nil, &fileError{&ValidationError{Problems: []Problem{{Field: "--config", Message: fmt.Sprintf("%s is %d bytes, more than the %d a configuration may have: is it the right file?", opts.Path, st.Size(), MaxFileBytes)}}}}
	}
	data, err := os.ReadFile(opts.file())
	if errors.Is(err, fs.ErrNotExist) && !opts.Required {
		return nil, nil
	}
	if err != nil {
		return nil, &fileError{&ValidationError{Problems: []Problem{{Field: "--config", Message: fmt.Sprintf("cannot read %s: %v; run `mlflowctl config init` to write one", opts.Path, errors.Unwrap(err))}}}}
	}
	probe, err := parseYAML(data)
	if err != nil {
		// Alone: the defaults' problems that follow a file not read would bury it.
		return nil, &fileError{&ValidationError{Problems: []Problem{{Field: "--config", Message: opts.Path + " is not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}}}}
	}
	if problems := checkKeys(probe, ""); len(problems) > 0 {
		return nil, &fileError{&ValidationError{Problems: problems}}
	}
	unknown := unknownKeys(probe)
	if probe == nil {
		return unknown, nil // an empty file
	}
	return unknown, v.MergeConfigMap(probe)
}

// fileError is a file that could not be read as a configuration at all:
// reported alone, since the defaults' problems that would follow bury it.
type fileError struct{ *ValidationError }

func (e *fileError) Unwrap() error { return e.ValidationError }

// decodeError turns mapstructure's joined errors into one problem each.
func decodeError(err error, lookupEnv func(string) (string, bool)) error {
	var out []Problem
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "*"))
		if line == "" || strings.HasPrefix(line, "decoding failed") {
			continue
		}
		field, msg := "config", line
		if strings.HasPrefix(line, "'") {
			if end := strings.Index(line[1:], "'"); end >= 0 {
				field, msg = line[1:end+1], strings.TrimSpace(line[end+2:])
			}
		}
		if strings.HasPrefix(msg, "cannot parse value as") {
			msg = "has a value of the wrong type (" + strings.TrimPrefix(msg, "cannot parse value as ") + "): " + typeHint(msg)
		}
		if field == "config.Config" { // mapstructure's name for the top level
			field = "config"
		}
		if keys, ok := strings.CutPrefix(msg, "has invalid keys: "); ok {
			msg = "has unknown keys: " + suggestKeys(field, keys) + "; remove them or fix their spelling (see `mlflowctl config init` for every key)"
		} else if field != "config" {
			msg += envSource(field, lookupEnv)
		}
		out = append(out, Problem{Field: field, Message: msg})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return &ValidationError{Problems: out}
}

// suggestKeys names each unknown key under parent with the nearest known
// key, when one is close.
func suggestKeys(parent, list string) string {
	prefix := ""
	if parent != "" && parent != "config" {
		prefix = parent + "."
	}
	var known []string
	for k := range leafKeys(Defaults()) {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			top, _, _ := strings.Cut(rest, ".")
			known = append(known, top)
		}
	}
	sort.Strings(known)
	keys := strings.Split(list, ", ")
	for i, k := range keys {
		if near := nearest(k, known); near != "" && near != k {
			keys[i] = fmt.Sprintf("%s%s (did you mean %s%s?)", prefix, k, prefix, near)
		} else {
			keys[i] = prefix + k
		}
	}
	return strings.Join(keys, ", ")
}

// EnvName is the environment variable for a config key:
// "server.desiredCount" → MLFLOWCTL_SERVER_DESIRED_COUNT.
func EnvName(key string) string {
	var b strings.Builder
	b.WriteString(EnvPrefix)
	for i, r := range key {
		switch {
		case r == '.':
			b.WriteByte('_')
		case unicode.IsUpper(r) && i > 0 && key[i-1] != '.':
			b.WriteByte('_')
			b.WriteRune(r)
		default:
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}

// leafKeys flattens a Config into dotted keys (as written in YAML) with
// their values; lists stay whole values.
func leafKeys(c Config) map[string]any {
	out := map[string]any{}
	flatten(reflect.ValueOf(c), "", out)
	return out
}

func flatten(v reflect.Value, prefix string, out map[string]any) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")
		fv := v.Field(i)
		if len(tag) > 1 && tag[1] == "inline" {
			flatten(fv, prefix, out)
			continue
		}
		key := prefix + tag[0]
		if fv.Kind() == reflect.Struct {
			flatten(fv, key+".", out)
			continue
		}
		out[key] = fv.Interface()
	}
}

// Keys lists every scalar config key, sorted; used for help and completion.
func Keys() []string {
	var keys []string
	for k, v := range leafKeys(Defaults()) {
		if reflect.ValueOf(v).Kind() != reflect.Slice {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func typeHint(msg string) string {
	switch {
	case strings.Contains(msg, "'int'"):
		return "use a whole number"
	case strings.Contains(msg, "'float"):
		return "use a number"
	case strings.Contains(msg, "'bool'"):
		return "use true or false"
	}
	return "see `mlflowctl config init` for the expected form"
}
