package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"
)

// HTTPConfig configures the HTTP gateway.
type HTTPConfig struct {
	URL         string
	Method      string // default POST
	ContentType string // default application/json
	// BodyTemplate is a text/template over .From, .To and .Text (and .Parts); {{json .Text}}
	// writes a JSON string literal. Default: {"from":…,"to":…,"text":…}.
	BodyTemplate string
	// Username/Password (basic auth) or Token (bearer); never logged.
	Username string
	Password string
	Token    string
	Timeout  time.Duration // default 10 s
	// Client sends the requests; default a client with Timeout.
	Client *http.Client
}

// DefaultBodyTemplate is the HTTP gateway's body when none is configured.
const DefaultBodyTemplate = `{"from":{{json .From}},"to":{{json .To}},"text":{{json .Text}}}`

// HTTP is a gateway that sends each SMS as one HTTP request to a provider.
type HTTP struct {
	cfg  HTTPConfig
	tmpl *template.Template
	cli  *http.Client
}

var _ Gateway = (*HTTP)(nil)

var templateFuncs = template.FuncMap{"json": func(s string) (string, error) {
	b, err := json.Marshal(s)
	return string(b), err
}}

// NewHTTP returns an HTTP gateway; it checks the URL and parses the template.
func NewHTTP(cfg HTTPConfig) (*HTTP, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("sms: gateway URL must be an absolute http:// or https:// URL")
	}
	if cfg.Method == "" {
		cfg.Method = http.MethodPost
	}
	if cfg.ContentType == "" {
		cfg.ContentType = "application/json"
	}
	if cfg.BodyTemplate == "" {
		cfg.BodyTemplate = DefaultBodyTemplate
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	tmpl, err := template.New("sms").Funcs(templateFuncs).Option("missingkey=error").Parse(cfg.BodyTemplate)
	if err != nil {
		return nil, fmt.Errorf("sms: body template: %w", err)
	}
	cli := cfg.Client
	if cli == nil {
		cli = &http.Client{Timeout: cfg.Timeout}
	}
	return &HTTP{cfg: cfg, tmpl: tmpl, cli: cli}, nil
}

// Send posts m to the provider. A 2xx answer means sent; the provider's message ID is taken
// from a JSON "id" or "message_id" field when there is one.
func (g *HTTP) Send(ctx context.Context, m Message) (string, error) {
	var body bytes.Buffer
	if err := g.tmpl.Execute(&body, m); err != nil {
		return "", fmt.Errorf("sms: render body: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, g.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, g.cfg.Method, g.cfg.URL, &body)
	if err != nil {
		return "", fmt.Errorf("sms: build request: %w", err)
	}
	req.Header.Set("Content-Type", g.cfg.ContentType)
	req.Header.Set("Accept", "application/json, */*")
	switch {
	case g.cfg.Token != "":
		req.Header.Set("Authorization", "Bearer "+g.cfg.Token)
	case g.cfg.Username != "":
		req.SetBasicAuth(g.cfg.Username, g.cfg.Password)
	}
	res, err := g.cli.Do(req)
	if err != nil {
		// *url.Error repeats the URL; ours holds no credentials (config refuses them) but a
		// query token could be there, so only scheme and host are reported.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("sms: %s %s: %w", g.cfg.Method, g.host(), err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return "", fmt.Errorf("sms: gateway %s answered %d: %s", g.host(), res.StatusCode, excerpt(data, 200))
	}
	return providerID(data), nil
}

func (g *HTTP) host() string {
	if u, err := url.Parse(g.cfg.URL); err == nil {
		return u.Scheme + "://" + u.Host
	}
	return "gateway"
}

// providerID finds "id" or "message_id" (string or number) in a JSON object answer, also one
// level down (e.g. {"data":{"id":…}} or {"messages":[{"id":…}]}).
func providerID(data []byte) string {
	var obj map[string]any
	if json.Unmarshal(data, &obj) != nil {
		return ""
	}
	if id := idOf(obj); id != "" {
		return id
	}
	for _, v := range obj {
		switch v := v.(type) {
		case map[string]any:
			if id := idOf(v); id != "" {
				return id
			}
		case []any:
			if len(v) > 0 {
				if o, ok := v[0].(map[string]any); ok {
					if id := idOf(o); id != "" {
						return id
					}
				}
			}
		}
	}
	return ""
}

func idOf(obj map[string]any) string {
	for _, k := range []string{"id", "message_id", "messageId"} {
		switch v := obj[k].(type) {
		case string:
			return excerpt([]byte(v), 100)
		case float64:
			return fmt.Sprintf("%.0f", v)
		}
	}
	return ""
}

// excerpt is the start of a provider's answer for an error message: one line, valid UTF-8.
func excerpt(b []byte, n int) string {
	s := strings.ToValidUTF8(string(b), "?")
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return s
}
