package cli

import "strings"

// sameTarget is a command with the flags that chose this deployment, so
// the advice runs against the same one.
func sameTarget(g *globalOpts, command string) string {
	parts := []string{"mlflowctl", command}
	if g.flags != nil && g.flags.Changed("config") {
		parts = append(parts, "--config", g.configPath)
	}
	for _, f := range [][2]string{{"name", g.name}, {"region", g.region}, {"profile", g.profile}} {
		if f[1] != "" {
			parts = append(parts, "--"+f[0], f[1])
		}
	}
	return strings.Join(parts, " ")
}
