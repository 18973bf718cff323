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

func TestHelp(t *testing.T) {
	_, err := Load([]string{"-h"}, env(nil))
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	if !strings.Contains(FlagUsage(), "-sip-addr") {
		t.Fatal("usage lacks -sip-addr")
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
