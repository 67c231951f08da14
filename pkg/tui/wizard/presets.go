package wizard

import (
	"fmt"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// Preset is a named size for the whole deployment.
type Preset struct {
	Name    string
	Summary string
	Server  config.Service
	Gateway config.Service
	MinACU  float64
	MaxACU  float64
	NAT     int
}

// Presets are the sizes the wizard offers. "team" equals the defaults, so
// taking every default gives the same file as `config init`.
func Presets() []Preset {
	d := config.Defaults()
	return []Preset{
		{
			Name: "dev", Summary: "one person trying it out; the database pauses when idle",
			Server:  config.Service{CPU: 512, Memory: 1024, DesiredCount: 1, MaxCount: 2, Architecture: "x86_64"},
			Gateway: config.Service{CPU: 256, Memory: 512, DesiredCount: 1, MaxCount: 1, Architecture: "x86_64"},
			MinACU:  0, MaxACU: 1, NAT: 1,
		},
		{
			Name: "team", Summary: "a team sharing one server; two tasks for rolling updates",
			Server: d.Server, Gateway: d.Gateway.Service,
			MinACU: d.Database.MinCapacity, MaxACU: d.Database.MaxCapacity, NAT: d.Network.NatGateways,
		},
		{
			Name: "production", Summary: "always on, survives the loss of an availability zone",
			Server:  config.Service{CPU: 2048, Memory: 4096, DesiredCount: 3, MaxCount: 10, Architecture: "x86_64"},
			Gateway: config.Service{CPU: 1024, Memory: 2048, DesiredCount: 2, MaxCount: 6, Architecture: "x86_64"},
			MinACU:  1, MaxACU: 8, NAT: 2,
		},
	}
}

// presetByName finds a preset; unknown names give the team preset.
func presetByName(name string) Preset {
	for _, p := range Presets() {
		if p.Name == name {
			return p
		}
	}
	return Presets()[1]
}

// Apply sets the preset's sizes on c, keeping each service's image.
func (p Preset) Apply(c config.Config) config.Config {
	c.Server = withImage(p.Server, c.Server.Image)
	c.Gateway.Service = withImage(p.Gateway, c.Gateway.Image)
	c.Database.MinCapacity = p.MinACU
	c.Database.MaxCapacity = p.MaxACU
	c.Network.NatGateways = p.NAT
	return c
}

func withImage(s config.Service, image string) config.Service {
	s.Image = image
	return s
}

// matchPreset names the preset whose sizes c has, or "" when none fits.
func matchPreset(c config.Config) string {
	for _, p := range Presets() {
		if sameSizes(p.Apply(c), c) {
			return p.Name
		}
	}
	return ""
}

func sameSizes(a, b config.Config) bool {
	return a.Server == b.Server && a.Gateway.Service == b.Gateway.Service &&
		a.Database.MinCapacity == b.Database.MinCapacity && a.Database.MaxCapacity == b.Database.MaxCapacity &&
		a.Network.NatGateways == b.Network.NatGateways
}

// Sizes describes what the preset runs, for a select option or a summary.
func (p Preset) Sizes(separateGateway bool) string {
	s := fmt.Sprintf("server %s × %d–%d, Aurora %s–%s ACU, %d NAT",
		cpuMem(p.Server), p.Server.DesiredCount, p.Server.MaxCount, acu(p.MinACU), acu(p.MaxACU), p.NAT)
	if separateGateway {
		s += fmt.Sprintf(", gateway %s × %d", cpuMem(p.Gateway), p.Gateway.DesiredCount)
	}
	return s
}

func cpuMem(s config.Service) string {
	return fmt.Sprintf("%s vCPU/%s GB", trimFloat(float64(s.CPU)/1024), trimFloat(float64(s.Memory)/1024))
}

func acu(v float64) string { return trimFloat(v) }

func trimFloat(v float64) string { return fmt.Sprintf("%g", v) }
