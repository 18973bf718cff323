// Package config owns the server's settings: defaults, overridden by a JSON file, then by
// VAIHDE_* environment variables, then by command-line flags, and validated as a whole.
package config

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Trunk is the outbound SIP trunk to the carrier (CALL-3). An empty Host means no trunk.
type Trunk struct {
	Host      string            `json:"host"`
	Port      int               `json:"port"`
	Transport string            `json:"transport"` // udp, tcp or tls
	Username  string            `json:"username"`
	Password  string            `json:"password"`
	Domain    string            `json:"domain"`
	CallerID  string            `json:"caller_id"`
	DIDs      map[string]string `json:"dids"` // E.164 number → extension
	// EmergencyArea says how an emergency call (CALL-10) carries the caller's emergency-centre
	// area to the carrier: "header:<Header-Name>" adds that header with the area, "prefix"
	// puts the area in front of the emergency number in the Request-URI. Default
	// DefaultEmergencyArea.
	EmergencyArea string `json:"emergency_area"`
}

// DefaultEmergencyArea sends the area in an X-Emergency-Area header.
const DefaultEmergencyArea = "header:X-Emergency-Area"

// EmergencyAreaHeader parses an emergency_area setting: the header name for "header:<Name>"
// ("" for "prefix"), and whether the setting is valid.
func EmergencyAreaHeader(v string) (header string, prefix bool, ok bool) {
	if v == "prefix" {
		return "", true, true
	}
	name, found := strings.CutPrefix(v, "header:")
	if !found || name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
		return "", false, false
	}
	return name, false, true
}

// Config is the server's configuration.
type Config struct {
	SIPAddr  string `json:"sip_addr"` // UDP and TCP
	TLSAddr  string `json:"tls_addr"`
	TLSCert  string `json:"tls_cert"`
	TLSKey   string `json:"tls_key"`
	HTTPAddr string `json:"http_addr"` // plain HTTP, loopback only; "" disables
	// HTTPSAddr serves the API over HTTPS with the SIP TLS certificate when one is configured,
	// else a self-signed one kept beside the database (HTTPSCertFiles); "" disables.
	HTTPSAddr string `json:"https_addr"`
	DBPath    string `json:"db_path"`
	Demo      bool   `json:"demo"`
	// DemoPublic allows the demo accounts (public passwords) on a non-loopback address.
	DemoPublic         bool   `json:"demo_public"`
	MediaIP            string `json:"media_ip"` // advertised RTP address; default: host of SIPAddr
	RTPPortMin         int    `json:"rtp_port_min"`
	RTPPortMax         int    `json:"rtp_port_max"`
	Trunk              Trunk  `json:"trunk"`
	LogLevel           string `json:"log_level"` // debug, info, warn, error
	RegisterMinExpires int    `json:"register_min_expires"`
	RegisterMaxExpires int    `json:"register_max_expires"`
	// DigestAlgorithms are offered in SIP challenges in this order: "SHA-256", "MD5". Some
	// clients (SIPp 3.6, old phones) answer only the first challenge and know only MD5.
	DigestAlgorithms []string `json:"digest_algorithms"`
	// DigestMD5UserAgents are case-insensitive User-Agent substrings of clients that fail when
	// offered anything but MD5 (baresip 1.0, SIPp 3.6); they are challenged with MD5 alone.
	DigestMD5UserAgents []string `json:"digest_md5_user_agents"`
	// SMS is the SMS gateway (SMS-1); see sms.go.
	SMS SMS `json:"sms"`
	// SMTP is the mail server for voicemail notifications by email (VM-4); see smtp.go.
	SMTP SMTP `json:"smtp"`
	// PromptsDir holds the voice prompts (<lang>/<key>.wav, made by `make prompts`); relative
	// to the working directory. Without it the server answers service numbers with tones.
	PromptsDir string `json:"prompts_dir"`
	// ParkRingBack is how many seconds a parked call waits before it rings back whoever
	// parked it (CALL-7); 0 means 120.
	ParkRingBack int `json:"park_ring_back"`
}

// Default returns the built-in defaults.
func Default() Config {
	return Config{
		SIPAddr:             "127.0.0.1:5060",
		TLSAddr:             "127.0.0.1:5061",
		HTTPAddr:            "127.0.0.1:8080",
		HTTPSAddr:           "127.0.0.1:8443",
		DBPath:              "vaihde.db",
		RTPPortMin:          10000,
		RTPPortMax:          20000,
		LogLevel:            "info",
		RegisterMinExpires:  60,
		RegisterMaxExpires:  3600,
		DigestAlgorithms:    []string{"SHA-256", "MD5"},
		DigestMD5UserAgents: []string{"baresip", "sipp"},
		PromptsDir:          "assets/prompts",
	}
}

// TLSEnabled reports whether a TLS listener is configured (both certificate and key).
func (c Config) TLSEnabled() bool { return c.TLSCert != "" && c.TLSKey != "" }

// HTTPSCertFiles are the certificate and key of the HTTPS API: the SIP TLS pair when configured,
// else the self-signed pair beside the database (made on first start).
func (c Config) HTTPSCertFiles() (cert, key string, selfSigned bool) {
	if c.TLSEnabled() {
		return c.TLSCert, c.TLSKey, false
	}
	dir := filepath.Dir(c.DBPath)
	return filepath.Join(dir, "https-cert.pem"), filepath.Join(dir, "https-key.pem"), true
}

// PublicListeners names the configured listen addresses that are not loopback-only, as
// "name address" (for the -demo check and its warning).
func (c Config) PublicListeners() []string {
	var out []string
	for _, a := range c.listeners() {
		if a.v != "" && !LoopbackAddr(a.v) {
			out = append(out, a.name+" "+a.v)
		}
	}
	return out
}

// listeners are the addresses the server listens on; empty ones are disabled.
func (c Config) listeners() []struct{ name, v string } {
	l := []struct{ name, v string }{{"sip_addr", c.SIPAddr}, {"http_addr", c.HTTPAddr}, {"https_addr", c.HTTPSAddr}}
	if c.TLSEnabled() {
		l = append(l, struct{ name, v string }{"tls_addr", c.TLSAddr})
	}
	return l
}

// LoopbackAddr reports whether a host:port listens on loopback only (127.0.0.0/8, ::1 or
// localhost); an empty host (all interfaces) and other names are not.
func LoopbackAddr(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// TrunkEnabled reports whether an outbound trunk is configured.
func (c Config) TrunkEnabled() bool { return c.Trunk.Host != "" }

// Load builds the configuration from defaults < the JSON file named by -config (or
// VAIHDE_CONFIG) < environment < flags in args. getenv is os.Getenv in production.
func Load(args []string, getenv func(string) string) (Config, error) {
	cfg := Default()
	fs, configPath, fl := newFlagSet(getenv)
	fs.SetOutput(new(strings.Builder)) // Load reports errors itself
	if err := fs.Parse(args); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("config: unexpected arguments %q", fs.Args())
	}
	if *configPath != "" {
		if err := loadFile(&cfg, *configPath); err != nil {
			return Config{}, err
		}
	}
	if err := applyEnv(&cfg, getenv); err != nil {
		return Config{}, err
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "sip-addr":
			cfg.SIPAddr = fl.SIPAddr
		case "tls-addr":
			cfg.TLSAddr = fl.TLSAddr
		case "tls-cert":
			cfg.TLSCert = fl.TLSCert
		case "tls-key":
			cfg.TLSKey = fl.TLSKey
		case "http-addr":
			cfg.HTTPAddr = fl.HTTPAddr
		case "https-addr":
			cfg.HTTPSAddr = fl.HTTPSAddr
		case "db":
			cfg.DBPath = fl.DBPath
		case "demo":
			cfg.Demo = fl.Demo
		case "demo-public":
			cfg.DemoPublic = fl.DemoPublic
		case "media-ip":
			cfg.MediaIP = fl.MediaIP
		case "rtp-port-min":
			cfg.RTPPortMin = fl.RTPPortMin
		case "rtp-port-max":
			cfg.RTPPortMax = fl.RTPPortMax
		case "log-level":
			cfg.LogLevel = fl.LogLevel
		case "prompts-dir":
			cfg.PromptsDir = fl.PromptsDir
		case "smtp-host":
			cfg.SMTP.Host = fl.SMTP.Host
		case "smtp-port":
			cfg.SMTP.Port = fl.SMTP.Port
		case "smtp-from":
			cfg.SMTP.From = fl.SMTP.From
		case "smtp-tls":
			cfg.SMTP.TLS = fl.SMTP.TLS
		case "digest-algorithms":
			cfg.DigestAlgorithms = splitList(f.Value.String())
		}
	})
	cfg.finish()
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func newFlagSet(getenv func(string) string) (*flag.FlagSet, *string, *Config) {
	def := Default()
	fs := flag.NewFlagSet("vaihde", flag.ContinueOnError)
	configPath := fs.String("config", getenv("VAIHDE_CONFIG"), "JSON configuration file (env VAIHDE_CONFIG)")
	// Flag values are parsed into a scratch Config; only flags actually given are applied.
	fl := new(Config)
	fs.StringVar(&fl.SIPAddr, "sip-addr", "", "SIP UDP+TCP listen address (default "+def.SIPAddr+", env VAIHDE_SIP_ADDR)")
	fs.StringVar(&fl.TLSAddr, "tls-addr", "", "SIP TLS listen address (default "+def.TLSAddr+", env VAIHDE_TLS_ADDR)")
	fs.StringVar(&fl.TLSCert, "tls-cert", "", "TLS certificate file, PEM (env VAIHDE_TLS_CERT)")
	fs.StringVar(&fl.TLSKey, "tls-key", "", "TLS key file, PEM (env VAIHDE_TLS_KEY)")
	fs.StringVar(&fl.HTTPAddr, "http-addr", "", "plain HTTP API listen address, loopback only: plain HTTP is refused on any other address (default "+def.HTTPAddr+", \"\" disables, env VAIHDE_HTTP_ADDR)")
	fs.StringVar(&fl.HTTPSAddr, "https-addr", "", "HTTPS API listen address, with -tls-cert or else a self-signed certificate kept beside the database (default "+def.HTTPSAddr+", \"\" disables, env VAIHDE_HTTPS_ADDR)")
	fs.StringVar(&fl.DBPath, "db", "", "SQLite database file (default "+def.DBPath+", env VAIHDE_DB_PATH)")
	fs.BoolVar(&fl.Demo, "demo", false, "create the demo organisation and accounts; refused on non-loopback addresses without -demo-public (env VAIHDE_DEMO)")
	fs.BoolVar(&fl.DemoPublic, "demo-public", false, "allow -demo on non-loopback addresses although the demo passwords are public (env VAIHDE_DEMO_PUBLIC)")
	fs.StringVar(&fl.MediaIP, "media-ip", "", "IP address advertised for RTP (default: host of -sip-addr, env VAIHDE_MEDIA_IP)")
	fs.IntVar(&fl.RTPPortMin, "rtp-port-min", 0, "lowest RTP port (default 10000, env VAIHDE_RTP_PORT_MIN)")
	fs.IntVar(&fl.RTPPortMax, "rtp-port-max", 0, "highest RTP port (default 20000, env VAIHDE_RTP_PORT_MAX)")
	fs.StringVar(&fl.PromptsDir, "prompts-dir", "", "voice prompts directory (default "+def.PromptsDir+", env VAIHDE_PROMPTS_DIR)")
	fs.StringVar(&fl.LogLevel, "log-level", "", "log level: debug, info, warn, error (env VAIHDE_LOG_LEVEL)")
	fs.StringVar(&fl.SMTP.Host, "smtp-host", "", "SMTP server for voicemail email; empty: no email (env VAIHDE_SMTP_HOST)")
	fs.IntVar(&fl.SMTP.Port, "smtp-port", 0, "SMTP port (default 25, 465 with -smtp-tls tls; env VAIHDE_SMTP_PORT)")
	fs.StringVar(&fl.SMTP.From, "smtp-from", "", "voicemail email sender (default \"Vaihde <voicemail@<org domain>>\", env VAIHDE_SMTP_FROM)")
	fs.StringVar(&fl.SMTP.TLS, "smtp-tls", "", "SMTP TLS: starttls (if offered, default), require, tls (implicit) or none (env VAIHDE_SMTP_TLS)")
	fs.String("digest-algorithms", "", "SIP digest algorithms offered, in order (default SHA-256,MD5, env VAIHDE_DIGEST_ALGORITHMS)")
	return fs, configPath, fl
}

// FlagUsage returns the help text for the flags Load accepts.
func FlagUsage() string {
	fs, _, _ := newFlagSet(func(string) string { return "" })
	var b strings.Builder
	fs.SetOutput(&b)
	fs.PrintDefaults()
	b.WriteString("  trunk: VAIHDE_TRUNK_HOST, _PORT, _TRANSPORT, _USERNAME, _PASSWORD, _DOMAIN, _CALLER_ID, _EMERGENCY_AREA, or \"trunk\" in the config file\n")
	b.WriteString("    trunk.emergency_area: how 112 calls carry the user's emergency-centre area: \"header:<Header-Name>\" (default \"" + DefaultEmergencyArea + "\") or \"prefix\" (area digits before the number)\n")
	b.WriteString("  sms: VAIHDE_SMS_PROVIDER (outbox, http, none), _OUTBOX, _URL, _USERNAME, _PASSWORD, _TOKEN, or \"sms\" in the config file\n")
	b.WriteString("  smtp: VAIHDE_SMTP_HOST, _PORT, _USERNAME, _PASSWORD, _FROM, _TLS (starttls, require, tls, none), or \"smtp\" in the config file (the password only there or in the environment)\n")
	return b.String()
}

func loadFile(cfg *Config, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: read %s: %w", path, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := 1 + strings.Count(string(data[:min(int(se.Offset), len(data))]), "\n")
			return fmt.Errorf("config: parse %s: line %d: %w", path, line, err)
		}
		return fmt.Errorf("config: parse %s: %w", path, err)
	}
	return nil
}

func applyEnv(cfg *Config, getenv func(string) string) error {
	strs := map[string]*string{
		"VAIHDE_SIP_ADDR":             &cfg.SIPAddr,
		"VAIHDE_TLS_ADDR":             &cfg.TLSAddr,
		"VAIHDE_TLS_CERT":             &cfg.TLSCert,
		"VAIHDE_TLS_KEY":              &cfg.TLSKey,
		"VAIHDE_DB_PATH":              &cfg.DBPath,
		"VAIHDE_MEDIA_IP":             &cfg.MediaIP,
		"VAIHDE_LOG_LEVEL":            &cfg.LogLevel,
		"VAIHDE_PROMPTS_DIR":          &cfg.PromptsDir,
		"VAIHDE_TRUNK_HOST":           &cfg.Trunk.Host,
		"VAIHDE_TRUNK_TRANSPORT":      &cfg.Trunk.Transport,
		"VAIHDE_TRUNK_USERNAME":       &cfg.Trunk.Username,
		"VAIHDE_TRUNK_PASSWORD":       &cfg.Trunk.Password,
		"VAIHDE_TRUNK_DOMAIN":         &cfg.Trunk.Domain,
		"VAIHDE_TRUNK_CALLER_ID":      &cfg.Trunk.CallerID,
		"VAIHDE_TRUNK_EMERGENCY_AREA": &cfg.Trunk.EmergencyArea,
	}
	for k, p := range strs {
		if v := getenv(k); v != "" {
			*p = v
		}
	}
	ints := map[string]*int{
		"VAIHDE_RTP_PORT_MIN":         &cfg.RTPPortMin,
		"VAIHDE_RTP_PORT_MAX":         &cfg.RTPPortMax,
		"VAIHDE_REGISTER_MIN_EXPIRES": &cfg.RegisterMinExpires,
		"VAIHDE_REGISTER_MAX_EXPIRES": &cfg.RegisterMaxExpires,
		"VAIHDE_TRUNK_PORT":           &cfg.Trunk.Port,
		"VAIHDE_PARK_RING_BACK":       &cfg.ParkRingBack,
	}
	for k, p := range ints {
		if v := getenv(k); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("config: %s=%q is not a number", k, v)
			}
			*p = n
		}
	}
	// "-" disables a listener (getenv cannot tell empty from unset).
	for k, p := range map[string]*string{"VAIHDE_HTTP_ADDR": &cfg.HTTPAddr, "VAIHDE_HTTPS_ADDR": &cfg.HTTPSAddr} {
		if v, ok := lookup(getenv, k); ok {
			*p = v
		}
	}
	if v := getenv("VAIHDE_DIGEST_ALGORITHMS"); v != "" {
		cfg.DigestAlgorithms = splitList(v)
	}
	if v, ok := lookup(getenv, "VAIHDE_DIGEST_MD5_USER_AGENTS"); ok {
		cfg.DigestMD5UserAgents = splitList(v) // empty: no exceptions
	}
	if err := applySMSEnv(&cfg.SMS, getenv); err != nil {
		return err
	}
	if err := applySMTPEnv(&cfg.SMTP, getenv); err != nil {
		return err
	}
	for k, p := range map[string]*bool{"VAIHDE_DEMO": &cfg.Demo, "VAIHDE_DEMO_PUBLIC": &cfg.DemoPublic} {
		if v := getenv(k); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("config: %s=%q is not a boolean", k, v)
			}
			*p = b
		}
	}
	return nil
}

// lookup treats a variable set to "-" as set-but-empty, since getenv cannot tell empty from unset.
func lookup(getenv func(string) string, k string) (string, bool) {
	v := getenv(k)
	if v == "-" {
		return "", true
	}
	return v, v != ""
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// finish fills values derived from others.
func (c *Config) finish() {
	if c.MediaIP == "" {
		if host, _, err := net.SplitHostPort(c.SIPAddr); err == nil {
			c.MediaIP = host
		}
	}
	if c.Trunk.Host != "" {
		if c.Trunk.Port == 0 {
			c.Trunk.Port = 5060
		}
		if c.Trunk.Transport == "" {
			c.Trunk.Transport = "udp"
		}
		c.Trunk.Transport = strings.ToLower(c.Trunk.Transport)
		if c.Trunk.EmergencyArea == "" {
			c.Trunk.EmergencyArea = DefaultEmergencyArea
		}
	}
	c.LogLevel = strings.ToLower(c.LogLevel)
	c.SMS.finish(c.DBPath)
	c.SMTP.finish()
	for i, a := range c.DigestAlgorithms {
		c.DigestAlgorithms[i] = strings.ToUpper(a)
	}
}

// Validate checks the configuration and returns the first problem found.
func (c Config) Validate() error {
	for _, a := range c.listeners() {
		if a.v == "" && (a.name == "http_addr" || a.name == "https_addr") {
			continue // disabled
		}
		if _, port, err := net.SplitHostPort(a.v); err != nil {
			return fmt.Errorf("config: %s %q: %v", a.name, a.v, err)
		} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			return fmt.Errorf("config: %s %q: bad port", a.name, a.v)
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("config: tls_cert and tls_key must be set together")
	}
	if c.HTTPAddr == "" && c.HTTPSAddr == "" {
		return errors.New("config: http_addr and https_addr are both empty: the API would not be served")
	}
	if c.HTTPAddr != "" && !LoopbackAddr(c.HTTPAddr) {
		return fmt.Errorf("config: http_addr %q: plain HTTP is served on loopback only (127.0.0.1, ::1, localhost); use https_addr (-https-addr) for other addresses", c.HTTPAddr)
	}
	if c.Demo && !c.DemoPublic {
		if pub := c.PublicListeners(); len(pub) > 0 {
			return fmt.Errorf("config: demo accounts on a non-loopback address (%s): their passwords are public; listen on 127.0.0.1, or give -demo-public to run the demo there anyway", strings.Join(pub, ", "))
		}
	}
	if c.DBPath == "" {
		return errors.New("config: db_path is empty")
	}
	if c.MediaIP != "" && net.ParseIP(c.MediaIP) == nil {
		return fmt.Errorf("config: media_ip %q is not an IP address", c.MediaIP)
	}
	if ip := net.ParseIP(c.MediaIP); ip != nil && ip.IsUnspecified() {
		return fmt.Errorf("config: media_ip %s cannot be advertised: set media_ip when sip_addr listens on all interfaces", c.MediaIP)
	}
	if c.MediaIP == "" {
		return errors.New("config: media_ip is empty and sip_addr has no host to derive it from")
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"rtp_port_min", c.RTPPortMin}, {"rtp_port_max", c.RTPPortMax}} {
		if p.v < 1024 || p.v > 65535 {
			return fmt.Errorf("config: %s %d out of range (1024-65535)", p.name, p.v)
		}
	}
	if c.RTPPortMax-c.RTPPortMin < 3 {
		return fmt.Errorf("config: rtp_port_min %d .. rtp_port_max %d leaves fewer than 4 ports", c.RTPPortMin, c.RTPPortMax)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: log_level %q must be debug, info, warn or error", c.LogLevel)
	}
	if c.ParkRingBack < 0 {
		return fmt.Errorf("config: park_ring_back %d must not be negative", c.ParkRingBack)
	}
	if c.RegisterMinExpires < 1 {
		return fmt.Errorf("config: register_min_expires %d must be at least 1", c.RegisterMinExpires)
	}
	if c.RegisterMaxExpires < c.RegisterMinExpires {
		return fmt.Errorf("config: register_max_expires %d is below register_min_expires %d", c.RegisterMaxExpires, c.RegisterMinExpires)
	}
	if len(c.DigestAlgorithms) == 0 {
		return errors.New("config: digest_algorithms is empty (use SHA-256, MD5 or both)")
	}
	seen := map[string]bool{}
	for _, a := range c.DigestAlgorithms {
		if a != "SHA-256" && a != "MD5" || seen[a] {
			return fmt.Errorf("config: digest_algorithms %q: each must be SHA-256 or MD5, once", c.DigestAlgorithms)
		}
		seen[a] = true
	}
	if c.Trunk.Host != "" {
		switch c.Trunk.Transport {
		case "udp", "tcp", "tls":
		default:
			return fmt.Errorf("config: trunk.transport %q must be udp, tcp or tls", c.Trunk.Transport)
		}
		if c.Trunk.Port < 1 || c.Trunk.Port > 65535 {
			return fmt.Errorf("config: trunk.port %d out of range", c.Trunk.Port)
		}
		if _, _, ok := EmergencyAreaHeader(c.Trunk.EmergencyArea); !ok && c.Trunk.EmergencyArea != "" {
			return fmt.Errorf("config: trunk.emergency_area %q must be \"header:<Header-Name>\" or \"prefix\"", c.Trunk.EmergencyArea)
		}
		for num, ext := range c.Trunk.DIDs {
			if !strings.HasPrefix(num, "+") || len(num) < 4 || strings.Trim(num[1:], "0123456789") != "" {
				return fmt.Errorf("config: trunk.dids key %q is not an E.164 number", num)
			}
			if ext == "" {
				return fmt.Errorf("config: trunk.dids %s has no extension", num)
			}
		}
	}
	if err := c.SMS.validate(); err != nil {
		return err
	}
	if err := c.SMTP.validate(); err != nil {
		return err
	}
	return nil
}

// String describes the configuration without secrets, for logs.
func (c Config) String() string {
	t := c
	if t.Trunk.Password != "" {
		t.Trunk.Password = "***"
	}
	t.SMS = t.SMS.redacted()
	t.SMTP = t.SMTP.redacted()
	b, _ := json.Marshal(t)
	return string(b)
}
