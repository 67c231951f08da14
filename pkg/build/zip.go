package build

import (
	"archive/zip"
	"bytes"
	"time"
)

// zipEpoch is every entry's modification time: with sorted names, fixed
// modes and no extra fields, the same files always give the same bytes, so
// the uploaded context's key and ETag follow its content.
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Zip is the build context as a deterministic zip archive.
func (im Image) Zip() ([]byte, error) {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, name := range im.names() {
		hdr := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: zipEpoch}
		hdr.SetMode(0o644)
		f, err := w.CreateHeader(hdr)
		if err != nil {
			return nil, err
		}
		if _, err := f.Write(im.Files[name]); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
