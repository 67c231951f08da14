package wizard

import (
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
)

// styles are the wizard's colours, in the progress display's palette.
type styles struct {
	title, step, note, warn, ok, label, value, dim, box lipgloss.Style
}

var (
	accent = lipgloss.Color("#7D56F4")
	green  = lipgloss.Color("#3FB950")
	amber  = lipgloss.Color("#D29922")
	grey   = lipgloss.Color("#8B949E")
)

func newStyles(noColor bool) styles {
	if noColor {
		plain := lipgloss.NewStyle()
		return styles{
			title: plain, step: plain, note: plain, warn: plain, ok: plain,
			label: plain.Width(16), value: plain, dim: plain,
			box: plain.Border(lipgloss.NormalBorder()).Padding(0, 1),
		}
	}
	return styles{
		title: lipgloss.NewStyle().Bold(true).Foreground(accent),
		step:  lipgloss.NewStyle().Foreground(grey),
		note:  lipgloss.NewStyle().Foreground(grey).Italic(true),
		warn:  lipgloss.NewStyle().Foreground(amber),
		ok:    lipgloss.NewStyle().Foreground(green),
		label: lipgloss.NewStyle().Foreground(grey).Width(16),
		value: lipgloss.NewStyle().Bold(true),
		dim:   lipgloss.NewStyle().Foreground(grey),
		box:   lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(accent).Padding(0, 1),
	}
}

func formTheme(noColor bool) huh.Theme {
	if noColor {
		return huh.ThemeFunc(huh.ThemeBase)
	}
	return huh.ThemeFunc(huh.ThemeCharm)
}
