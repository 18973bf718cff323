package notify

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// email is one notification message, everything fixed so that building it is deterministic.
type email struct {
	From, To    mail.Address
	Subject     string // UTF-8; RFC 2047-encoded when not ASCII
	Date        time.Time
	MessageID   string // without angle brackets
	Boundary    string
	Body        string // UTF-8 text; sent quoted-printable
	FileName    string // ASCII (fileName makes it so)
	ContentType string // of the attachment, e.g. "audio/wav"
	Attachment  []byte
}

// build renders the message with CRLF line ends: headers, then multipart/mixed with the text
// and the base64 attachment.
func (e email) build() ([]byte, error) {
	var b bytes.Buffer
	hdr := func(k, v string) { b.WriteString(foldHeader(k, v) + "\r\n") }
	hdr("Date", e.Date.Format(time.RFC1123Z))
	hdr("From", e.From.String())
	hdr("To", e.To.String())
	hdr("Subject", encodeHeader(e.Subject))
	hdr("Message-ID", "<"+e.MessageID+">")
	hdr("MIME-Version", "1.0")
	// RFC 3834: automatic replies (vacation notices) must not answer this.
	hdr("Auto-Submitted", "auto-generated")
	hdr("Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": e.Boundary}))
	b.WriteString("\r\n")

	mw := multipart.NewWriter(&b)
	if err := mw.SetBoundary(e.Boundary); err != nil {
		return nil, fmt.Errorf("boundary: %w", err)
	}
	tp, err := mw.CreatePart(partHeader(map[string][]string{
		"Content-Type":              {"text/plain; charset=utf-8"},
		"Content-Transfer-Encoding": {"quoted-printable"},
	}))
	if err != nil {
		return nil, err
	}
	qp := quotedprintable.NewWriter(tp)
	if _, err := qp.Write([]byte(e.Body)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	ap, err := mw.CreatePart(partHeader(map[string][]string{
		"Content-Type":              {mime.FormatMediaType(e.ContentType, map[string]string{"name": e.FileName})},
		"Content-Transfer-Encoding": {"base64"},
		"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": e.FileName})},
	}))
	if err != nil {
		return nil, err
	}
	if err := writeBase64(ap, e.Attachment); err != nil {
		return nil, err
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// partHeader folds a part's header values like foldHeader (multipart writes them verbatim).
func partHeader(h map[string][]string) textproto.MIMEHeader {
	out := make(textproto.MIMEHeader, len(h))
	for k, vs := range h {
		for _, v := range vs {
			f := strings.TrimPrefix(foldHeader(k, v), k+":")
			out[k] = append(out[k], strings.TrimPrefix(f, " "))
		}
	}
	return out
}

// writeBase64 writes data in base64 lines of 76 characters (RFC 2045).
func writeBase64(w interface{ Write([]byte) (int, error) }, data []byte) error {
	const perLine = 57 // bytes that make 76 characters
	line := make([]byte, base64.StdEncoding.EncodedLen(perLine)+2)
	for len(data) > 0 {
		n := min(perLine, len(data))
		m := base64.StdEncoding.EncodedLen(n)
		base64.StdEncoding.Encode(line, data[:n])
		line[m], line[m+1] = '\r', '\n'
		if _, err := w.Write(line[:m+2]); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// encodeHeader RFC 2047-encodes a header value that is not plain ASCII.
func encodeHeader(s string) string { return mime.QEncoding.Encode("utf-8", s) }

// foldHeader renders "Key: value", folding at spaces so that lines stay within 78 characters
// where the words allow (RFC 5322 section 2.2.3). The whitespace between two encoded words
// is not part of the text (RFC 2047), so folding there changes nothing.
func foldHeader(k, v string) string {
	const limit = 78
	var b strings.Builder
	b.WriteString(k + ":")
	n := len(k) + 1
	for _, w := range strings.Split(v, " ") {
		if w != "" && n+1+len(w) > limit && n > 1 {
			b.WriteString("\r\n")
			n = 0
		}
		b.WriteString(" " + w)
		n += 1 + len(w)
	}
	return b.String()
}

// newMessageID returns a unique Message-ID (without brackets) in the sender's domain.
func newMessageID(now time.Time, domain string) string {
	var r [8]byte
	rand.Read(r[:])
	if domain == "" {
		domain = "vaihde.invalid"
	}
	return fmt.Sprintf("%d.%s@%s", now.UnixNano(), hex.EncodeToString(r[:]), domain)
}

// newBoundary returns a random multipart boundary.
func newBoundary() string {
	var r [15]byte
	rand.Read(r[:])
	return "vaihde-" + hex.EncodeToString(r[:])
}

// domainOf returns the domain part of an address.
func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return ""
}
