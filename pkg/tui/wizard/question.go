package wizard

import (
	"charm.land/huh/v2"
)

// qkind is the shape of a question's answer.
type qkind int

const (
	qInput qkind = iota
	qSelect
	qMulti
	qConfirm
)

// question is one screen's question, described once and asked either as a
// huh field (the TUI) or as a plain line prompt (accessible mode).
type question struct {
	kind        qkind
	title, desc string
	// options are the choices of a select or multi-select.
	options []huh.Option[string]
	// text, flag and list hold the answer of an input or select, a
	// confirm, a multi-select.
	text *string
	flag *bool
	list *[]string
	// validate checks a typed answer (input only).
	validate func(string) error
	// charLimit caps an input's length; zero is no cap.
	charLimit int
	// yes and no label a confirm's answers in the TUI.
	yes, no string
	// TUI only: greyed example, tab completions, list height.
	placeholder string
	suggestions []string
	height      int
}

// field builds the question's huh field for the TUI.
func (q question) field() huh.Field {
	switch q.kind {
	case qSelect:
		f := huh.NewSelect[string]().Title(q.title).Options(q.options...).Value(q.text)
		if q.desc != "" {
			f = f.Description(q.desc)
		}
		if q.height > 0 {
			f = f.Height(q.height)
		}
		return f
	case qMulti:
		f := huh.NewMultiSelect[string]().Title(q.title).Options(q.options...).Value(q.list)
		if q.desc != "" {
			f = f.Description(q.desc)
		}
		if q.height > 0 {
			f = f.Height(q.height)
		}
		return f
	case qConfirm:
		f := huh.NewConfirm().Title(q.title).Value(q.flag)
		if q.desc != "" {
			f = f.Description(q.desc)
		}
		if q.yes != "" {
			f = f.Affirmative(q.yes).Negative(q.no)
		}
		return f
	default:
		f := huh.NewInput().Title(q.title).Value(q.text)
		if q.desc != "" {
			f = f.Description(q.desc)
		}
		if q.placeholder != "" {
			f = f.Placeholder(q.placeholder)
		}
		if q.suggestions != nil {
			f = f.Suggestions(q.suggestions)
		}
		if q.validate != nil {
			f = f.Validate(q.validate)
		}
		if q.charLimit > 0 {
			f = f.CharLimit(q.charLimit)
		}
		return f
	}
}
