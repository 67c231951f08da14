package wizard

import (
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
)

// styles are the wizard's colours: the progress display's (pkg/tui) basic
// ANSI palette, so the terminal's theme decides the actual colours.
type styles struct {
	title, step, note, warn, ok, label, value, dim, box lipgloss.Style
}

func newStyles(noColor bool) styles {
	plain := lipgloss.NewStyle()
	if noColor {
		return styles{
			title: plain, step: plain, note: plain, warn: plain, ok: plain,
			label: plain.Width(16), value: plain, dim: plain,
			box: plain.Border(lipgloss.NormalBorder()).Padding(0, 1),
		}
	}
	return styles{
		title: plain.Bold(true),
		step:  plain.Faint(true),
		note:  plain.Faint(true).Italic(true),
		warn:  plain.Foreground(lipgloss.Color("3")),
		ok:    plain.Foreground(lipgloss.Color("2")),
		label: plain.Faint(true).Width(16),
		value: plain.Bold(true),
		dim:   plain.Faint(true),
		box:   plain.Border(lipgloss.RoundedBorder()).Padding(0, 1),
	}
}

// formTheme is huh's ANSI (base16) theme, matching the palette above.
func formTheme(noColor bool) huh.Theme {
	if noColor {
		return huh.ThemeFunc(huh.ThemeBase)
	}
	return huh.ThemeFunc(huh.ThemeBase16)
}
