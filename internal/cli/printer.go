package cli

import (
	"fmt"
	"io"
)

// printer writes report lines and keeps the first write error, so long
// reports check it once at the end.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}
