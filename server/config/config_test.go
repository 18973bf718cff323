package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "vaihde.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	c, err := Load(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.SIPAddr != "127.0.0.1:5060" || c.HTTPAddr != "127.0.0.1:8080" || c.DBPath != "vaihde.db" ||
		c.MediaIP != "127.0.0.1" || c.RTPPortMin != 10000 || c.RTPPortMax != 20000 ||
		c.RegisterMinExpires != 60 || c.RegisterMaxExpires != 3600 || c.TLSEnabled() || c.TrunkEnabled() {
		t.Fatalf("defaults wrong: %+v", c)
	}
}

func TestPrecedence(t *testing.T) {
	file := writeFile(t, `{"sip_addr":"127.0.0.1:6000","http_addr":"127.0.0.1:6001","db_path":"file.db","rtp_port_min":30000,"rtp_port_max":30100,
		"trunk":{"host":"carrier.example","username":"u","password":"secret","dids":{"+35891234000":"1001"}}}`)
	c, err := Load([]string{"-config", file, "-db", "flag.db"}, env(map[string]string{
		"VAIHDE_HTTP_ADDR": "127.0.0.1:7001", "VAIHDE_DB_PATH": "env.db", "VAIHDE_DEMO": "true",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.SIPAddr != "127.0.0.1:6000" || c.HTTPAddr != "127.0.0.1:7001" || c.DBPath != "flag.db" || !c.Demo ||
		c.RTPPortMin != 30000 || c.Trunk.Port != 5060 || c.Trunk.Transport != "udp" || c.Trunk.DIDs["+35891234000"] != "1001" {
		t.Fatalf("precedence wrong: %+v", c)
	}
	if strings.Contains(c.String(), "secret") {
		t.Fatal("String() leaks the trunk password")
	}
	c, err = Load([]string{"-digest-algorithms", "md5"}, env(nil))
	if err != nil || len(c.DigestAlgorithms) != 1 || c.DigestAlgorithms[0] != "MD5" {
		t.Fatalf("digest algorithms flag: %v %v", c.DigestAlgorithms, err)
	}
	c, err = Load(nil, env(map[string]string{"VAIHDE_DIGEST_ALGORITHMS": "MD5, SHA-256"}))
	if err != nil || len(c.DigestAlgorithms) != 2 || c.DigestAlgorithms[1] != "SHA-256" {
		t.Fatalf("digest algorithms env: %v %v", c.DigestAlgorithms, err)
	}
	c, err = Load([]string{"-sip-addr", "0.0.0.0:5060", "-media-ip", "192.0.2.10"}, env(nil))
	if err != nil || c.MediaIP != "192.0.2.10" {
		t.Fatalf("wildcard with media ip: %+v %v", c, err)
	}
	if c, _ := Load(nil, env(nil)); len(c.DigestMD5UserAgents) != 2 || c.DigestMD5UserAgents[0] != "baresip" {
		t.Fatalf("md5 user agents default %v", c.DigestMD5UserAgents)
	}
	if c, _ := Load(nil, env(map[string]string{"VAIHDE_DIGEST_MD5_USER_AGENTS": "-"})); len(c.DigestMD5UserAgents) != 0 {
		t.Fatalf("md5 user agents cleared %v", c.DigestMD5UserAgents)
	}
	// The config file may also come from the environment.
	c, err = Load(nil, env(map[string]string{"VAIHDE_CONFIG": file}))
	if err != nil || c.SIPAddr != "127.0.0.1:6000" {
		t.Fatalf("VAIHDE_CONFIG: %+v %v", c, err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		file string
		want string
	}{
		{"rtp port out of range", []string{"-rtp-port-min", "70000"}, nil, "", "config: rtp_port_min 70000 out of range"},
		{"rtp range inverted", []string{"-rtp-port-min", "20000", "-rtp-port-max", "10000"}, nil, "", "fewer than 4 ports"},
		{"bad sip addr", []string{"-sip-addr", "nonsense"}, nil, "", "config: sip_addr"},
		{"bad env number", nil, map[string]string{"VAIHDE_RTP_PORT_MIN": "abc"}, "", "VAIHDE_RTP_PORT_MIN"},
		{"bad env bool", nil, map[string]string{"VAIHDE_DEMO": "maybe"}, "", "VAIHDE_DEMO"},
		{"cert without key", []string{"-tls-cert", "c.pem"}, nil, "", "tls_cert and tls_key"},
		{"bad log level", []string{"-log-level", "loud"}, nil, "", "log_level"},
		{"wildcard sip addr needs media ip", []string{"-sip-addr", "0.0.0.0:5060"}, nil, "", "set media_ip"},
		{"bad media ip", []string{"-media-ip", "example.com"}, nil, "", "media_ip"},
		{"expires inverted", nil, map[string]string{"VAIHDE_REGISTER_MIN_EXPIRES": "600", "VAIHDE_REGISTER_MAX_EXPIRES": "60"}, "", "register_max_expires"},
		{"broken json", nil, nil, "{\n\"sip_addr\": \"x\",,\n}", "line 2"},
		{"unknown field", nil, nil, `{"sip_adr":"127.0.0.1:5060"}`, "unknown field"},
		{"wrong type", nil, nil, `{"rtp_port_min":"many"}`, "config: parse"},
		{"bad trunk transport", nil, nil, `{"trunk":{"host":"h","transport":"sctp"}}`, "trunk.transport"},
		{"bad emergency area", nil, nil, `{"trunk":{"host":"h","emergency_area":"body"}}`, "trunk.emergency_area"},
		{"emergency header without name", nil, map[string]string{"VAIHDE_TRUNK_HOST": "h", "VAIHDE_TRUNK_EMERGENCY_AREA": "header:"}, "", "trunk.emergency_area"},
		{"bad did", nil, nil, `{"trunk":{"host":"h","dids":{"0912345":"1001"}}}`, "E.164"},
		{"bad digest algorithm", []string{"-digest-algorithms", "SHA-512"}, nil, "", "digest_algorithms"},
		{"duplicate digest algorithm", nil, map[string]string{"VAIHDE_DIGEST_ALGORITHMS": "MD5,md5"}, "", "digest_algorithms"},
		{"empty digest algorithms", nil, nil, `{"digest_algorithms":[]}`, "digest_algorithms"},
		{"missing file", []string{"-config", "/nonexistent/vaihde.json"}, nil, "", "config: read"},
		{"unknown flag", []string{"-bogus"}, nil, "", "bogus"},
		{"plain http on all interfaces", []string{"-http-addr", ":8080"}, nil, "", "plain HTTP is served on loopback only"},
		{"plain http on a LAN address", nil, map[string]string{"VAIHDE_HTTP_ADDR": "192.0.2.10:8080"}, "", "plain HTTP is served on loopback only"},
		{"plain http by host name", nil, nil, `{"http_addr":"pbx.example:8080"}`, "plain HTTP is served on loopback only"},
		{"no api at all", []string{"-http-addr", "", "-https-addr", ""}, nil, "", "both empty"},
		{"bad https addr", []string{"-https-addr", "8443"}, nil, "", "config: https_addr"},
		{"demo on public sip", []string{"-demo", "-sip-addr", "0.0.0.0:5060", "-media-ip", "192.0.2.10"}, nil, "", "demo accounts on a non-loopback address (sip_addr 0.0.0.0:5060)"},
		{"demo on public https", nil, map[string]string{"VAIHDE_DEMO": "1", "VAIHDE_HTTPS_ADDR": "192.0.2.10:8443"}, "", "-demo-public"},
		{"demo on public tls", []string{"-demo", "-tls-cert", "c.pem", "-tls-key", "k.pem", "-tls-addr", "[2001:db8::1]:5061"}, nil, "", "tls_addr [2001:db8::1]:5061"},
		{"bad env demo-public", nil, map[string]string{"VAIHDE_DEMO_PUBLIC": "perhaps"}, "", "VAIHDE_DEMO_PUBLIC"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.file != "" {
				args = append([]string{"-config", writeFile(t, tc.file)}, args...)
			}
			_, err := Load(args, env(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want containing %q", err, tc.want)
			}
		})
	}
}

func TestListeners(t *testing.T) {
	c, err := Load(nil, env(nil))
	if err != nil || c.HTTPSAddr != "127.0.0.1:8443" {
		t.Fatalf("https default %q %v", c.HTTPSAddr, err)
	}
	cert, key, self := c.HTTPSCertFiles()
	if !self || cert != "https-cert.pem" || key != "https-key.pem" {
		t.Fatalf("self-signed files %q %q %v, want beside vaihde.db", cert, key, self)
	}
	c, err = Load([]string{"-db", "/var/lib/vaihde/v.db", "-https-addr", "[::1]:9443", "-http-addr", "localhost:9080"}, env(nil))
	if err != nil || c.HTTPSAddr != "[::1]:9443" || c.HTTPAddr != "localhost:9080" {
		t.Fatalf("flags %+v %v", c, err)
	}
	if cert, _, _ := c.HTTPSCertFiles(); cert != "/var/lib/vaihde/https-cert.pem" {
		t.Fatalf("cert beside the database: %q", cert)
	}
	c, err = Load([]string{"-tls-cert", "/etc/vaihde/c.pem", "-tls-key", "/etc/vaihde/k.pem"}, env(nil))
	if cert, key, self := c.HTTPSCertFiles(); err != nil || self || cert != "/etc/vaihde/c.pem" || key != "/etc/vaihde/k.pem" {
		t.Fatalf("configured TLS certificate not used for HTTPS: %q %q %v %v", cert, key, self, err)
	}
	// "" disables: by flag, by file, by "-" in the environment.
	for _, tc := range []struct {
		args []string
		env  map[string]string
	}{
		{[]string{"-https-addr", ""}, nil},
		{[]string{"-config", writeFile(t, `{"https_addr":""}`)}, nil},
		{nil, map[string]string{"VAIHDE_HTTPS_ADDR": "-"}},
	} {
		if c, err := Load(tc.args, env(tc.env)); err != nil || c.HTTPSAddr != "" {
			t.Errorf("%v %v: https %q %v, want disabled", tc.args, tc.env, c.HTTPSAddr, err)
		}
	}
	if c, err := Load([]string{"-http-addr", "", "-https-addr", "0.0.0.0:8443"}, env(nil)); err != nil || c.HTTPAddr != "" {
		t.Fatalf("HTTPS only on all interfaces: %+v %v", c, err)
	}
}

// TestDemoPublic: the demo on loopback (make run) is fine; on another address only with
// -demo-public, and the listeners that make it public are named for the warning.
func TestDemoPublic(t *testing.T) {
	if c, err := Load([]string{"-demo"}, env(nil)); err != nil || len(c.PublicListeners()) != 0 {
		t.Fatalf("demo on loopback: %v %v", c.PublicListeners(), err)
	}
	c, err := Load([]string{"-demo", "-demo-public", "-sip-addr", "0.0.0.0:5060", "-media-ip", "192.0.2.10", "-https-addr", "192.0.2.10:8443"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.PublicListeners(); len(got) != 2 || got[0] != "sip_addr 0.0.0.0:5060" || got[1] != "https_addr 192.0.2.10:8443" {
		t.Fatalf("public listeners %q", got)
	}
	if c, err := Load([]string{"-sip-addr", "0.0.0.0:5060", "-media-ip", "192.0.2.10"}, env(map[string]string{"VAIHDE_DEMO": "true", "VAIHDE_DEMO_PUBLIC": "true"})); err != nil || !c.DemoPublic {
		t.Fatalf("env demo public: %v", err)
	}
}

func TestHelp(t *testing.T) {
	_, err := Load([]string{"-h"}, env(nil))
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"-sip-addr", "-https-addr", "plain HTTP is refused on any other address", "-demo-public"} {
		if !strings.Contains(FlagUsage(), want) {
			t.Errorf("usage lacks %q", want)
		}
	}
}

func TestEmergencyArea(t *testing.T) {
	cfg, err := Load(nil, env(map[string]string{"VAIHDE_TRUNK_HOST": "127.0.0.1"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Trunk.EmergencyArea != DefaultEmergencyArea {
		t.Fatalf("default emergency_area = %q", cfg.Trunk.EmergencyArea)
	}
	for _, tc := range []struct {
		v, header string
		prefix    bool
		ok        bool
	}{
		{"header:X-Emergency-Area", "X-Emergency-Area", false, true},
		{"prefix", "", true, true},
		{"header:Bad Name", "", false, false},
		{"header:", "", false, false},
		{"", "", false, false},
	} {
		h, p, ok := EmergencyAreaHeader(tc.v)
		if h != tc.header || p != tc.prefix || ok != tc.ok {
			t.Errorf("EmergencyAreaHeader(%q) = %q, %v, %v", tc.v, h, p, ok)
		}
	}
}
